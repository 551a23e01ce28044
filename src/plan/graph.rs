//! The stage graph: reachability from the target, cycles, and the final ordering.

use super::stage::Resolved;
use super::*;

/// File indices of the stages the roots need (the roots included), each after the
/// stages it needs; one walk, so a stage shared by several roots is visited once.
/// The stages a needed stage's tests name become roots too, once it is done: they are
/// built with it, not before it, so `build: {tests: [stage: test]}` with
/// `test: {from: build}` is no cycle.
pub(super) fn build_order(roots: &[usize], stages: &[Resolved]) -> Result<Vec<usize>, Diagnostic> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; stages.len()];
    let mut order = Vec::new();
    let mut roots: std::collections::VecDeque<usize> = roots.iter().copied().collect();
    while let Some(root) = roots.pop_front() {
        if marks[root] != Mark::New {
            continue;
        }
        // Explicit stack instead of recursion: a 10,000-stage chain must not overflow.
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        let mut path: Vec<usize> = vec![root];
        marks[root] = Mark::Open;
        while let Some((node, next_edge)) = stack.last_mut() {
            let node = *node;
            match stages[node].edges.get(*next_edge) {
                Some(&(dep, span)) => {
                    *next_edge += 1;
                    match marks[dep] {
                        Mark::Done => {}
                        Mark::Open => {
                            let start = path.iter().position(|&n| n == dep).unwrap_or(0);
                            let mut cycle: Vec<&str> = path[start..]
                                .iter()
                                .map(|&i| stages[i].plan.name.as_str())
                                .collect();
                            cycle.push(&stages[dep].plan.name);
                            return Err(Diagnostic::error(
                                span,
                                format!("stages form a cycle: {}", cycle.join(" → ")),
                            )
                            .with_help(
                                "a stage cannot depend, directly or through others, on itself",
                            ));
                        }
                        Mark::New => {
                            marks[dep] = Mark::Open;
                            stack.push((dep, 0));
                            path.push(dep);
                        }
                    }
                }
                None => {
                    marks[node] = Mark::Done;
                    order.push(node);
                    roots.extend(stages[node].test_edges.iter().map(|&(dep, _)| dep));
                    stack.pop();
                    path.pop();
                }
            }
        }
    }
    Ok(order)
}

/// Builds the plan from the reachable stages, renumbering stage references.
pub(super) fn assemble(
    file_labels: Vec<(String, String)>,
    ignore: Vec<String>,
    opts: &BuildOptions,
    resolved: Vec<Resolved>,
    order: &[usize],
    target: usize,
) -> Plan {
    let mut position = vec![usize::MAX; resolved.len()];
    for (i, &file_index) in order.iter().enumerate() {
        position[file_index] = i;
    }
    let mut by_index: Vec<Option<StagePlan>> = resolved.into_iter().map(|r| Some(r.plan)).collect();
    let renumber = |s: &mut Source| {
        if let Source::Stage(i) = s {
            *i = position[*i];
        }
    };
    let renumber_run = |r: &mut RunStep| {
        for m in &mut r.mounts {
            match m {
                RunMount::Bind(BindMount { from, .. }) => renumber(from),
                RunMount::Cache(c) => {
                    if let Some(base) = c.base_mut() {
                        renumber(base)
                    }
                }
                _ => {}
            }
        }
    };
    let mut stages = Vec::with_capacity(order.len());
    for &file_index in order {
        let mut stage = by_index[file_index]
            .take()
            .expect("each stage is ordered once");
        renumber(&mut stage.base);
        for step in &mut stage.steps {
            match &mut step.kind {
                StepKind::Copy(c) => renumber(&mut c.from),
                StepKind::Run(r) => renumber_run(r),
                _ => {}
            }
        }
        for test in &mut stage.tests {
            match &mut test.kind {
                TestKind::Run(r) => renumber_run(r),
                TestKind::Stage(i) => *i = position[*i],
            }
        }
        stages.push(stage);
    }

    let mut images = BTreeSet::new();
    let mut context: Option<BTreeSet<String>> = Some(BTreeSet::new());
    let mut use_context = |path: &str| {
        let clean = path.trim_start_matches("./").trim_start_matches('/');
        let clean = clean.trim_end_matches('/');
        if clean.is_empty() || clean == "." {
            context = None;
        } else if let Some(set) = &mut context {
            set.insert(clean.to_owned());
        }
    };
    for stage in &stages {
        for source in stage.sources() {
            if let Source::Image(r) = source {
                images.insert((r.clone(), stage.platform.clone()));
            }
        }
        for step in &stage.steps {
            match &step.kind {
                StepKind::Copy(c) if c.from == Source::Context => {
                    c.sources.iter().for_each(|s| use_context(s));
                }
                StepKind::Add(a) if a.kind == AddKind::Context => use_context(&a.url),
                _ => {}
            }
        }
        for (_, r) in stage.runs() {
            for m in &r.mounts {
                if let RunMount::Bind(BindMount {
                    from: Source::Context,
                    source,
                    ..
                }) = m
                {
                    use_context(source);
                }
            }
        }
    }

    let mut labels = file_labels;
    for (k, v) in &opts.labels {
        labels.retain(|(n, _)| n != k);
        labels.push((k.clone(), v.clone()));
    }
    Plan {
        target: position[target],
        export_caches: false,
        stages,
        images: images.into_iter().collect(),
        context_paths: context.map(|s| s.into_iter().collect()),
        labels,
        ignore,
        warnings: Vec::new(),
        lint: Default::default(),
        args: Default::default(),
        file_args: Default::default(),
        proxy: Default::default(),
    }
}
