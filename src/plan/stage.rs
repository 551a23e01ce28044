//! Resolution of one stage: its base, state, steps and image config edits.

use super::vars::{Scope, referenced_names};
use super::*;
use crate::spec::{OneOrMany, Short, Spanned, Step};

mod add;
mod files;
mod options;
mod run;
mod test_entry;
mod values;

use values::items;

/// A stage resolved on its own; stage references are file indices until `graph` orders them.
pub(super) struct Resolved {
    pub plan: StagePlan,
    /// Stages this one needs (file index) and where each reference is written.
    pub edges: Vec<(usize, Span)>,
    /// Stages its tests need: built whenever this one is, but not before it.
    pub test_edges: Vec<(usize, Span)>,
}

/// The file a stage is written in: its text, to place errors inside multi-line values,
/// and the prefix its names take (`base` for `base.builder`; empty for the Stagefile).
pub(crate) struct InFile<'a> {
    pub source: &'a str,
    pub prefix: &'a str,
}

pub(super) struct Ctx<'a> {
    names: &'a StageNames,
    /// The file's text, to place errors inside multi-line values.
    source: &'a str,
    /// The prefix the file's own stage names take in the build.
    prefix: &'a str,
    named_contexts: &'a BTreeMap<String, Source>,
    scope: Scope,
    /// Names that are args (user or platform), for passing the used ones to `run`.
    arg_names: BTreeSet<String>,
    stage_args: Vec<String>,
    edges: Vec<(usize, Span)>,
    test_edges: Vec<(usize, Span)>,
    pub(super) diags: Vec<Diagnostic>,
}

pub(super) fn resolve(
    index: usize,
    name: &Spanned<String>,
    stage: &spec::Stage,
    names: &StageNames,
    global: &Scope,
    opts: &BuildOptions,
    within: &InFile,
) -> Result<Resolved, Vec<Diagnostic>> {
    let mut cx = Ctx {
        names,
        source: within.source,
        prefix: within.prefix,
        named_contexts: &opts.named_contexts,
        scope: global.clone(),
        arg_names: global.names().map(str::to_owned).collect(),
        stage_args: Vec::new(),
        edges: Vec::new(),
        test_edges: Vec::new(),
        diags: Vec::new(),
    };
    let mut env = Vec::new();
    for (key, value) in stage.env.iter() {
        check_env_name(&mut cx, key);
        if cx.full() {
            break;
        }
        let text = value.as_ref().map_or("", |v| v.0.as_str());
        match super::env::stage_entry(&mut cx.scope, &key.value, text, span_of(key)) {
            Ok(v) => env.push((key.value.clone(), v)),
            Err(d) => cx.diags.push(d),
        }
    }
    for a in &stage.args {
        cx.require_arg(a);
        cx.stage_args.push(a.value.clone());
    }
    let base = cx.source(&stage.from, Some(index), false);
    let platform = match &stage.platform {
        Some(p) => cx.expand(p).and_then(|text| match Platform::parse(&text) {
            Ok(p) => Some(p),
            Err(e) => cx.fail(Diagnostic::error(span_of(p), e.message).with_help(e.help)),
        }),
        None => None,
    }
    .unwrap_or_else(|| opts.target_platform.clone());
    let workdir = stage.workdir.as_ref().and_then(|w| cx.expand(w));
    let user = stage
        .user
        .as_ref()
        .and_then(|u| cx.expand_text(&u.value.0, span_of(u)));
    let shell = stage.shell.as_ref().and_then(|s| {
        if s.value.is_empty() {
            cx.fail(
                Diagnostic::error(span_of(s), "`shell` must name a program")
                    .with_help("for example [/bin/bash, -c]"),
            )
        } else {
            Some(s.value.clone())
        }
    });
    let steps = stage.steps.iter().filter_map(|s| cx.step(s)).collect();
    // A test's mounts are the test's needs, not the stage's: its edges go apart.
    let own_edges = cx.edges.len();
    let tests = stage
        .tests
        .iter()
        .filter_map(|t| cx.test(t, index))
        .collect();
    let mounted = cx.edges.split_off(own_edges);
    cx.test_edges.extend(mounted);
    let config = cx.config(stage);
    let no_cache = match &opts.no_cache {
        NoCache::None => false,
        NoCache::All => true,
        NoCache::Stages(s) => s.contains(&name.value),
    };
    if !cx.diags.is_empty() {
        return Err(cx.diags);
    }
    Ok(Resolved {
        plan: StagePlan {
            name: name.value.clone(),
            span: span_of(name),
            from_span: span_of(&stage.from),
            base,
            platform,
            workdir,
            env,
            user,
            shell,
            steps,
            tests,
            config,
            no_cache,
        },
        edges: cx.edges,
        test_edges: cx.test_edges,
    })
}

fn check_env_name(cx: &mut Ctx, key: &Spanned<String>) {
    let ok = !key.value.is_empty()
        && !key.value.contains('=')
        && !key
            .value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        cx.diags.push(
            Diagnostic::error(
                span_of(key),
                format!(
                    "`{}` is not a valid environment variable name",
                    key.value.escape_debug()
                ),
            )
            .with_help("names may not be empty or contain `=`, spaces or control characters"),
        );
    }
}

impl Ctx<'_> {
    pub(super) fn fail<T>(&mut self, d: Diagnostic) -> Option<T> {
        self.diags.push(d);
        None
    }

    /// Past `MAX_ERRORS` the stage has failed anyway: the checks that cost a
    /// suggestion each (expansion, names) stop there.
    pub(super) fn full(&self) -> bool {
        self.diags.len() >= MAX_ERRORS
    }

    pub(super) fn expand(&mut self, v: &Spanned<String>) -> Option<String> {
        if self.full() {
            return None;
        }
        match expand(&self.scope, v) {
            Ok(s) => Some(s),
            Err(d) => self.fail(d),
        }
    }

    pub(super) fn expand_text(&mut self, text: &str, span: Span) -> Option<String> {
        if self.full() {
            return None;
        }
        match expand_at(&self.scope, text, span) {
            Ok(s) => Some(s),
            Err(d) => self.fail(d),
        }
    }

    fn require_arg(&mut self, a: &Spanned<String>) {
        if !self.full() && !self.arg_names.contains(&a.value) {
            let d = Diagnostic::error(span_of(a), format!("`{}` is not an arg", a.value));
            let d = match suggest(&a.value, self.arg_names.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("declare it under the top-level `args`"),
            };
            self.diags.push(d);
        }
    }

    /// The stage a name written in this file refers to: its own stages (and those of
    /// the files it includes) are named without the file's prefix.
    pub(super) fn stage_index(&self, text: &str) -> Option<usize> {
        if self.prefix.is_empty() {
            self.names.index(text)
        } else {
            self.names.index(&format!("{}.{text}", self.prefix))
        }
    }

    /// The stage names this file can write, for hints.
    pub(super) fn own_names(&self) -> impl Iterator<Item = &str> {
        let prefix = self.prefix;
        self.names.list.iter().filter_map(move |n| {
            if prefix.is_empty() {
                Some(n.as_str())
            } else {
                n.strip_prefix(prefix)?.strip_prefix('.')
            }
        })
    }

    /// Resolves a `from` value: a stage name, `scratch`, the context or an image.
    pub(super) fn source(
        &mut self,
        v: &Spanned<String>,
        this: Option<usize>,
        allow_context: bool,
    ) -> Source {
        let span = span_of(v);
        // `expand` gives nothing past `MAX_ERRORS`, so no stage lookup or hint either.
        let Some(text) = self.expand(v) else {
            return Source::Scratch;
        };
        // A named context wins over a stage and over an image of the same name.
        if let Some(named) = self.named_contexts.get(&text).or_else(|| {
            let normal = reference::normalize(&text).ok()?;
            self.named_contexts
                .iter()
                .find(|(k, _)| reference::normalize(k).ok().as_ref() == Some(&normal))
                .map(|(_, v)| v)
        }) {
            return named.clone();
        }
        if let Some(i) = self.stage_index(&text) {
            if Some(i) == this {
                self.diags.push(
                    Diagnostic::error(span, format!("stage `{text}` cannot be built from itself"))
                        .with_help("name an image or another stage"),
                );
                return Source::Scratch;
            }
            self.edges.push((i, span));
            return Source::Stage(i);
        }
        if text == "scratch" {
            return Source::Scratch;
        }
        if allow_context && (text == "context" || text == ".") {
            return Source::Context;
        }
        // A bare word that is not a stage is most likely a misspelt stage: an image
        // is written with a tag (`busybox:1.35`) or a path (`me/tool`).
        let bare = !text.contains([':', '/', '@']);
        let near = bare.then(|| suggest(&text, self.own_names())).flatten();
        if bare && (this.is_none() || near.is_some()) {
            let d = Diagnostic::error(span, format!("no stage is named `{text}`"));
            let context = || suggest(&text, self.named_contexts.keys().map(String::as_str));
            let d = match (near, context()) {
                (Some(s), _) => d.with_help(format!("did you mean stage `{s}`? (for an image of that name, add a tag: `{text}:<tag>`)")),
                (None, Some(c)) => d.with_help(format!("did you mean the named context `{c}`?")),
                (None, None) => d.with_help(format!("stages are: {}; for an image, add a tag: `{text}:<tag>`", name_list(&self.own_names().collect::<Vec<_>>()))),
            };
            self.diags.push(d);
            return Source::Scratch;
        }
        match reference::normalize(&text) {
            Ok(r) => Source::Image(r),
            Err(msg) => {
                let mut d = Diagnostic::error(span, msg);
                if let Some(s) = suggest(&text, self.own_names()) {
                    d = d.with_help(format!(
                        "no stage is named `{text}`; did you mean stage `{s}`?"
                    ));
                }
                self.diags.push(d);
                Source::Scratch
            }
        }
    }

    /// What a cache's `seed` names: a named context, else a stage, else an image written
    /// `docker-image://REF`; else nothing, and the cache starts empty (a first CI run).
    pub(super) fn seed_source(&mut self, name: &str, span: Span) -> Option<Source> {
        if let Some(named) = self.named_contexts.get(name) {
            return Some(named.clone());
        }
        if let Some(i) = self.stage_index(name) {
            self.edges.push((i, span));
            return Some(Source::Stage(i));
        }
        let image = name.strip_prefix("docker-image://")?;
        match named_context(name) {
            Ok(source) => Some(source),
            Err(msg) => self.fail(
                Diagnostic::error(span, msg)
                    .with_help(format!("`{image}` is not an image reference")),
            ),
        }
    }

    fn step(&mut self, step: &Spanned<Step>) -> Option<StepPlan> {
        let s = &step.value;
        let span = span_of(step);
        let kinds: Vec<(&str, Span)> = [
            ("run", s.run.as_ref().map(span_of)),
            ("copy", s.copy.as_ref().map(span_of)),
            ("add", s.add.as_ref().map(span_of)),
            ("file", s.file.as_ref().map(span_of)),
        ]
        .into_iter()
        .filter_map(|(k, sp)| sp.map(|sp| (k, sp)))
        .collect();
        let (kind, kind_span) = match kinds.as_slice() {
            [one] => *one,
            [] => {
                return self.fail(
                    Diagnostic::error(span, "a step needs one of `run`, `copy`, `add` or `file`")
                        .with_help("for example `- run: make`"),
                );
            }
            [_, (second, sp), ..] => {
                return self.fail(
                    Diagnostic::error(*sp, format!("a step has exactly one of `run`, `copy`, `add`, `file`; this one also has `{second}`"))
                        .with_help("split it into two steps"),
                );
            }
        };
        self.check_options(s, kind);
        let plan_kind = match kind {
            "run" => StepKind::Run(self.run(&s.into())?),
            "copy" => StepKind::Copy(self.copy(s)?),
            "add" => StepKind::Add(self.add(s)?),
            _ => StepKind::File(self.file(s)?),
        };
        Some(StepPlan {
            span: kind_span,
            kind: plan_kind,
        })
    }
}
