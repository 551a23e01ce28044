use super::*;
use crate::diag::{Diagnostic, Limit};
use crate::plan::{BuildOptions, Plan, Source};
use std::collections::BTreeMap;

/// Gathers `main` with the files of `context` (path → text) and named contexts
/// (`name:path` → text), as the gateway and the CLI do.
fn gather(main: &str, context: &[(&str, &str)]) -> Result<Files, (Files, Vec<Diagnostic>)> {
    let files: BTreeMap<String, String> = context
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut g = Gatherer::new("Stagefile", main.as_bytes(), Some("Stagefile"))
        .map_err(|d| (Files::single("Stagefile", main.as_bytes()), d))?;
    loop {
        let wanted = g.wanted();
        if wanted.is_empty() {
            return Ok(g.finish());
        }
        let answers = wanted
            .into_iter()
            .map(|r| {
                let text = files
                    .get(&r.display())
                    .map(|t| t.clone().into_bytes())
                    .ok_or_else(|| "no such file".to_owned());
                (r, text)
            })
            .collect();
        g.supply(&answers).map_err(|d| (g.files().clone(), d))?;
    }
}

fn plan(main: &str, context: &[(&str, &str)], opts: &BuildOptions) -> Result<Plan, String> {
    let files = gather(main, context).map_err(|(f, d)| render(&f, &d))?;
    crate::compile::plan_files(&files, opts)
        .map(|(_, p)| p)
        .map_err(|d| render(&files, &d))
}

fn render(files: &Files, diags: &[Diagnostic]) -> String {
    diags.iter().map(|d| files.one_line(d) + "\n").collect()
}

const BASE: &str = "args:\n  GREETING: hello\nstages:\n  builder:\n    from: busybox:1.35\n    steps:\n      - run: echo $GREETING\n  tested:\n    from: builder\n    steps:\n      - copy: /x\n        from: builder\n";

fn env_of(plan: &Plan, stage: &str) -> Vec<(String, String)> {
    let s = plan.stages.iter().find(|s| s.name == stage).expect(stage);
    s.steps
        .iter()
        .filter_map(|st| match &st.kind {
            crate::plan::StepKind::Run(r) => {
                Some(r.env.iter().map(|(k, v)| (k.clone(), format!("{v:?}"))))
            }
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn included_stages_are_prefixed_and_resolve_inside_their_file() {
    let main = "include: [ci/base.yaml]\nstages:\n  app:\n    from: base.tested\n";
    let p = plan(main, &[("ci/base.yaml", BASE)], &BuildOptions::default()).unwrap();
    let names: Vec<&str> = p.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["base.builder", "base.tested", "app"]);
    // `from: builder` inside the included file is its own `builder`.
    assert_eq!(p.stages[1].base, Source::Stage(0));
    assert_eq!(p.stages[1].span.file, 1);
    assert_eq!(p.stages[2].span.file, 0);
}

#[test]
fn args_pass_only_through_the_include_entry() {
    let main = "args:\n  WHO: me\n  GREETING: from-the-stagefile\ninclude:\n  - path: base.yaml\n    as: b\n    args:\n      GREETING: hi ${WHO}\nstages:\n  app:\n    from: b.builder\n";
    let mut opts = BuildOptions::default();
    opts.build_args
        .insert("GREETING".into(), "from-build-arg".into());
    let p = plan(main, &[("base.yaml", BASE)], &opts).unwrap();
    let env = format!("{:?}", env_of(&p, "b.builder"));
    assert!(env.contains("hi me"), "{env}");
    assert!(!env.contains("from-build-arg"), "{env}");
    // Without a value from the entry, the file's own default holds.
    let main = "include: [base.yaml]\nstages:\n  app:\n    from: base.builder\n";
    let p = plan(main, &[("base.yaml", BASE)], &opts).unwrap();
    let env = format!("{:?}", env_of(&p, "base.builder"));
    assert!(
        env.contains("hello") && !env.contains("from-build-arg"),
        "{env}"
    );
}

#[test]
fn an_arg_the_included_file_does_not_declare_is_an_error_with_a_suggestion() {
    let main = "include:\n  - path: base.yaml\n    args:\n      GREETNG: x\nstages:\n  app:\n    from: base.builder\n";
    let err = plan(main, &[("base.yaml", BASE)], &BuildOptions::default()).unwrap_err();
    assert!(
        err.contains("Stagefile:4:7: `base.yaml` declares no arg `GREETNG`"),
        "{err}"
    );
    assert!(err.contains("did you mean `GREETING`?"), "{err}");
}

#[test]
fn an_error_in_an_included_file_names_it_and_where_it_was_included() {
    let broken = "stages:\n  builder:\n    from: busybox:1.35\n    workdri: /x\n";
    let main = "# top\ninclude:\n  - ci/base.yaml\nstages:\n  app:\n    from: base.builder\n";
    let err = plan(main, &[("ci/base.yaml", broken)], &BuildOptions::default()).unwrap_err();
    assert!(
        err.contains("ci/base.yaml:4:5: unknown key `workdri`"),
        "{err}"
    );
    assert!(err.contains("included from Stagefile:3:5"), "{err}");
    // A planning error too: an unknown stage inside the included file.
    let wrong = "stages:\n  builder:\n    from: buidler\n";
    let err = plan(main, &[("ci/base.yaml", wrong)], &BuildOptions::default()).unwrap_err();
    assert!(err.contains("ci/base.yaml:3:11: "), "{err}");
}

#[test]
fn the_code_frame_shows_the_included_file() {
    let broken = "stages:\n  builder:\n    from: busybox:1.35\n    workdri: /x\n";
    let main = "include: [ci/base.yaml]\nstages:\n  app:\n    from: base.builder\n";
    let files = gather(main, &[("ci/base.yaml", broken)]).unwrap();
    let diags = crate::compile::plan_files(&files, &BuildOptions::default()).unwrap_err();
    let frame = files.render(&diags[0]);
    assert!(frame.contains("--> ci/base.yaml:4:5"), "{frame}");
    assert!(frame.contains("workdri: /x"), "{frame}");
    assert!(
        frame.contains("= note: included from Stagefile:1:11"),
        "{frame}"
    );
}

#[test]
fn cycles_across_files_print_the_chain() {
    let main = "include: [a.yaml]\nstages:\n  app:\n    from: a.x\n";
    let a = "include: [b.yaml]\nstages:\n  x:\n    from: busybox:1.35\n";
    let b = "include: [a.yaml]\nstages:\n  y:\n    from: busybox:1.35\n";
    let (files, diags) = gather(main, &[("a.yaml", a), ("b.yaml", b)]).unwrap_err();
    let err = render(&files, &diags);
    assert!(
        err.contains("`a.yaml` includes itself: a.yaml:1:11 → b.yaml:1:11"),
        "{err}"
    );
    assert!(err.starts_with("b.yaml:1:11: "), "{err}");
    // Back to the Stagefile itself.
    let back = "include: [Stagefile]\nstages:\n  x:\n    from: busybox:1.35\n";
    let (files, diags) = gather(main, &[("a.yaml", back)]).unwrap_err();
    let err = render(&files, &diags);
    assert!(err.contains("`Stagefile` includes itself"), "{err}");
}

#[test]
fn a_prefixed_name_colliding_with_a_stage_names_both_places() {
    let main = "include: [base.yaml]\nstages:\n  base.builder:\n    from: busybox:1.35\n";
    let err = plan(main, &[("base.yaml", BASE)], &BuildOptions::default()).unwrap_err();
    assert!(
        err.contains("Stagefile:3:3: stage `base.builder` is defined twice"),
        "{err}"
    );
    assert!(
        err.contains("base.yaml:4:3 (included from Stagefile:1:11)"),
        "{err}"
    );
}

#[test]
fn includes_nest_and_prefixes_compose() {
    let main = "include: [a.yaml]\nstages:\n  app:\n    from: a.inner.x\n";
    let a = "include: [{path: lib/inner.yaml}]\nstages:\n  mid:\n    from: inner.x\n";
    let inner = "stages:\n  x:\n    from: busybox:1.35\n";
    let p = plan(
        main,
        &[("a.yaml", a), ("lib/inner.yaml", inner)],
        &BuildOptions::default(),
    )
    .unwrap();
    let names: Vec<&str> = p.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a.inner.x", "app"]);
    let target = BuildOptions {
        target: Some("a.mid".into()),
        ..Default::default()
    };
    let p = plan(main, &[("a.yaml", a), ("lib/inner.yaml", inner)], &target).unwrap();
    assert_eq!(p.stages[p.target].name, "a.mid");
}

#[test]
fn prefixes_must_be_valid_and_distinct() {
    let main = "include: [ci/Base.yaml]\nstages:\n  app:\n    from: busybox:1.35\n";
    let (_, d) = gather(main, &[]).unwrap_err();
    assert!(
        d[0].message.contains("`Base` is no valid prefix"),
        "{:?}",
        d[0]
    );
    assert!(d[0].help.as_deref().unwrap().contains("as:"));
    let main = "include: [a/base.yaml, b/base.yaml]\nstages:\n  app:\n    from: busybox:1.35\n";
    let (_, d) = gather(main, &[]).unwrap_err();
    assert!(
        d[0].message.contains("two includes use the prefix `base`"),
        "{:?}",
        d[0]
    );
}

#[test]
fn missing_files_and_paths_outside_the_context_are_located() {
    let main = "include:\n  - path: nope.yaml\nstages:\n  app:\n    from: busybox:1.35\n";
    let (files, d) = gather(main, &[]).unwrap_err();
    let err = render(&files, &d);
    assert!(
        err.contains("Stagefile:2:11: cannot read `nope.yaml` from the build context"),
        "{err}"
    );
    let main = "include: [../x.yaml]\nstages:\n  app:\n    from: busybox:1.35\n";
    let (_, d) = gather(main, &[]).unwrap_err();
    assert!(d[0].message.contains("leaves the context"), "{:?}", d[0]);
    assert_eq!(
        gather::normalize_for_tests("./a/../b/c.yaml").unwrap(),
        "b/c.yaml"
    );
}

#[test]
fn include_depth_files_and_bytes_are_bounded() {
    // A chain deeper than the limit: each file includes the next.
    let chain: Vec<(String, String)> = (0..MAX_DEPTH + 2)
        .map(|i| {
            (
                format!("f{i}.yaml"),
                format!(
                    "include: [f{}.yaml]\nstages:\n  s:\n    from: busybox:1.35\n",
                    i + 1
                ),
            )
        })
        .collect();
    let context: Vec<(&str, &str)> = chain
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let main = "include: [f0.yaml]\nstages:\n  app:\n    from: busybox:1.35\n";
    let (_, d) = gather(main, &context).unwrap_err();
    assert!(d[0].hit(Limit::IncludeDepth), "{:?}", d[0]);

    // A file included many times over through a fan-out of files that each include it.
    let leaf = "stages:\n  s:\n    from: busybox:1.35\n";
    let fan: String = (0..20)
        .map(|i| format!("  - {{path: leaf.yaml, as: l{i}}}\n"))
        .collect();
    let mid = format!("include:\n{fan}stages:\n  s:\n    from: busybox:1.35\n");
    let top: String = (0..20)
        .map(|i| format!("  - {{path: mid.yaml, as: m{i}}}\n"))
        .collect();
    let main = format!("include:\n{top}stages:\n  app:\n    from: busybox:1.35\n");
    let (_, d) = gather(&main, &[("mid.yaml", mid.as_str()), ("leaf.yaml", leaf)]).unwrap_err();
    assert!(d[0].hit(Limit::IncludeFiles), "{:?}", d[0]);

    let big = format!(
        "stages:\n  s:\n    from: busybox:1.35\n#{}\n",
        "x".repeat(MAX_TOTAL_BYTES / 2)
    );
    let main = "include: [{path: big.yaml, as: a}, {path: big.yaml, as: b}, {path: big.yaml, as: c}]\nstages:\n  app:\n    from: busybox:1.35\n";
    let (_, d) = gather(main, &[("big.yaml", big.as_str())]).unwrap_err();
    assert!(d[0].hit(Limit::IncludeBytes), "{:?}", d[0]);
}

#[test]
fn ops_of_included_stages_point_at_their_file_in_the_source_map() {
    let main = "include: [ci/base.yaml]\nstages:\n  app:\n    from: base.builder\n    steps:\n      - run: echo app\n";
    let files = gather(main, &[("ci/base.yaml", BASE)]).unwrap();
    let (_, p) = crate::compile::plan_files(&files, &BuildOptions::default()).unwrap();
    let lower = crate::lower::LowerOptions {
        source: Some(crate::llb::SourceMap::one("Stagefile", main.as_bytes())),
        more_sources: files.named_data().split_off(1),
        ..Default::default()
    };
    let def = crate::lower::lower(&p, &lower).unwrap().definition;
    let source = def.source.unwrap();
    let names: Vec<&str> = source.infos.iter().map(|i| i.filename.as_str()).collect();
    assert_eq!(names, ["Stagefile", "ci/base.yaml"]);
    let mut by_file: Vec<(i32, i32)> = source
        .locations
        .values()
        .flat_map(|l| &l.locations)
        .map(|l| (l.source_index, l.ranges[0].start.as_ref().unwrap().line))
        .collect();
    by_file.sort();
    by_file.dedup();
    // The included file's `from` (line 5) and `run` (line 7); the Stagefile's `run` (line 6).
    assert!(
        by_file.contains(&(1, 5)) && by_file.contains(&(1, 7)),
        "{by_file:?}"
    );
    assert!(by_file.contains(&(0, 6)), "{by_file:?}");
}

#[test]
fn targets_list_included_stages_with_their_file() {
    let main = "include: [ci/base.yaml]\nstages:\n  app:\n    from: base.builder\n";
    let files = gather(main, &[("ci/base.yaml", BASE)]).unwrap();
    let parsed = crate::spec::parse(main.as_bytes()).unwrap();
    let t = crate::outline::targets_in(&parsed, &files);
    let names: Vec<&str> = t["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["app", "base.builder", "base.tested"]);
    assert_eq!(t["targets"][1]["description"], "from ci/base.yaml");
    assert_eq!(t["targets"][1]["location"]["sourceIndex"], 1);
    assert_eq!(t["sources"].as_array().unwrap().len(), 2);
}

#[test]
fn a_file_without_includes_plans_as_before() {
    let main = "stages:\n  app:\n    from: busybox:1.35\n";
    let files = gather(main, &[]).unwrap();
    assert_eq!(files.len(), 1);
    let a = crate::compile::plan_files(&files, &BuildOptions::default())
        .unwrap()
        .1;
    let b = crate::compile::plan(main.as_bytes(), &BuildOptions::default())
        .unwrap()
        .1;
    assert_eq!(format!("{:?}", a.stages), format!("{:?}", b.stages));
}
