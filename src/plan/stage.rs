//! Resolution of one stage: its base, state, steps and image config edits.

use super::vars::{Scope, referenced_names};
use super::*;
use crate::spec::{OneOrMany, Short, Spanned, Step};

mod add;
mod run;

/// A stage resolved on its own; stage references are file indices until `graph` orders them.
pub(super) struct Resolved {
    pub plan: StagePlan,
    /// Stages this one needs (file index) and where each reference is written.
    pub edges: Vec<(usize, Span)>,
}

pub(super) struct Ctx<'a> {
    names: &'a StageNames,
    /// The file's text, to place errors inside multi-line values.
    source: &'a str,
    named_contexts: &'a BTreeMap<String, Source>,
    scope: Scope,
    /// Names that are args (user or platform), for passing the used ones to `run`.
    arg_names: BTreeSet<String>,
    stage_args: Vec<String>,
    edges: Vec<(usize, Span)>,
    pub(super) diags: Vec<Diagnostic>,
}

pub(super) fn resolve(
    index: usize,
    name: &Spanned<String>,
    stage: &spec::Stage,
    names: &StageNames,
    global: &Scope,
    opts: &BuildOptions,
    source: &str,
) -> Result<Resolved, Vec<Diagnostic>> {
    let mut cx = Ctx {
        names,
        source,
        named_contexts: &opts.named_contexts,
        scope: global.clone(),
        arg_names: global.names().map(str::to_owned).collect(),
        stage_args: Vec::new(),
        edges: Vec::new(),
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
            config,
            no_cache,
        },
        edges: cx.edges,
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
        if let Some(i) = self.names.index(&text) {
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
        let near = bare
            .then(|| suggest(&text, self.names.list.iter().map(String::as_str)))
            .flatten();
        if bare && (this.is_none() || near.is_some()) {
            let d = Diagnostic::error(span, format!("no stage is named `{text}`"));
            let context = || suggest(&text, self.named_contexts.keys().map(String::as_str));
            let d = match (near, context()) {
                (Some(s), _) => d.with_help(format!("did you mean stage `{s}`? (for an image of that name, add a tag: `{text}:<tag>`)")),
                (None, Some(c)) => d.with_help(format!("did you mean the named context `{c}`?")),
                (None, None) => d.with_help(format!("stages are: {}; for an image, add a tag: `{text}:<tag>`", name_list(&self.names.list))),
            };
            self.diags.push(d);
            return Source::Scratch;
        }
        match reference::normalize(&text) {
            Ok(r) => Source::Image(r),
            Err(msg) => {
                let mut d = Diagnostic::error(span, msg);
                if let Some(s) = suggest(&text, self.names.list.iter().map(String::as_str)) {
                    d = d.with_help(format!(
                        "no stage is named `{text}`; did you mean stage `{s}`?"
                    ));
                }
                self.diags.push(d);
                Source::Scratch
            }
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
            "run" => StepKind::Run(self.run(s)?),
            "copy" => StepKind::Copy(self.copy(s)?),
            "add" => StepKind::Add(self.add(s)?),
            _ => StepKind::File(self.file(s)?),
        };
        Some(StepPlan {
            span: kind_span,
            kind: plan_kind,
        })
    }

    /// Refuses options that belong to another kind of step.
    fn check_options(&mut self, s: &Step, kind: &str) {
        let sp = |o: Option<Span>| o;
        let present: [(&str, Option<Span>, &[&str]); 23] = [
            ("cache", sp(s.cache.as_ref().map(span_of)), &["run"]),
            ("secret", s.secret.as_ref().map(span_of), &["run"]),
            ("ssh", s.ssh.as_ref().map(span_of), &["run"]),
            ("tmpfs", s.tmpfs.as_ref().map(span_of), &["run"]),
            ("mount", s.mount.as_ref().map(span_of), &["run"]),
            ("network", s.network.as_ref().map(span_of), &["run"]),
            ("security", s.security.as_ref().map(span_of), &["run"]),
            ("env", s.env.0.first().map(|(k, _)| span_of(k)), &["run"]),
            ("workdir", s.workdir.as_ref().map(span_of), &["run"]),
            ("user", s.user.as_ref().map(span_of), &["run"]),
            ("args", s.args.first().map(span_of), &["run"]),
            ("from", s.from.as_ref().map(span_of), &["copy"]),
            ("to", s.to.as_ref().map(span_of), &["copy", "add"]),
            (
                "chown",
                s.chown.as_ref().map(span_of),
                &["copy", "add", "file"],
            ),
            ("chmod", s.chmod.as_ref().map(span_of), &["copy", "add"]),
            ("exclude", s.exclude.as_ref().map(span_of), &["copy"]),
            ("link", s.link.as_ref().map(span_of), &["copy"]),
            ("parents", s.parents.as_ref().map(span_of), &["copy"]),
            ("checksum", s.checksum.as_ref().map(span_of), &["add"]),
            (
                "keep-git-dir",
                s.keep_git_dir.as_ref().map(span_of),
                &["add"],
            ),
            ("content", s.content.as_ref().map(span_of), &["file"]),
            ("expand", s.expand.as_ref().map(span_of), &["file"]),
            ("mode", s.mode.as_ref().map(span_of), &["file"]),
        ];
        for (key, span, kinds) in present {
            if let Some(span) = span
                && !kinds.contains(&kind)
            {
                self.diags.push(
                    Diagnostic::error(span, format!("`{key}` is not an option of a `{kind}` step"))
                        .with_help(format!("`{key}` belongs to {} steps", kinds.join("/"))),
                );
            }
        }
    }

    fn copy(&mut self, s: &Step) -> Option<CopyStep> {
        let copy = s.copy.as_ref().expect("checked by caller");
        let from = match &s.from {
            Some(f) => self.source(f, None, true),
            None => Source::Context,
        };
        let mut sources = Vec::new();
        let mut ok = true;
        for (src, span) in copy
            .value
            .0
            .iter()
            .map(|(t, sp)| (t, sp.unwrap_or(span_of(copy))))
        {
            let inside = self
                .expand_text(src, span)
                .and_then(|text| self.inside(&text, span));
            ok &= inside.is_some();
            sources.extend(inside);
        }
        if ok && sources.is_empty() {
            return self.fail(
                Diagnostic::error(span_of(copy), "`copy` names no source")
                    .with_help("give a path or a list of paths"),
            );
        }
        let to = s.to.as_ref().and_then(|t| self.expand(t));
        let chown = s.chown.as_ref().and_then(|c| self.chown(c));
        let chmod = s.chmod.as_ref().map(|m| self.octal(&m.value.0, span_of(m)));
        ok &= !matches!(chmod, Some(None));
        let exclude = s
            .exclude
            .iter()
            .flat_map(spec::items)
            .filter_map(|(e, span)| self.expand_text(e, span))
            .collect();
        let link = s.link.as_ref().is_some_and(|l| l.value);
        if let (true, Some(c), Some(owner)) = (link, &s.chown, &chown)
            && owner.has_names()
        {
            return self.fail(
                Diagnostic::error(
                    span_of(c),
                    "`chown` names a user or group, which a `link: true` copy cannot look up: its layer starts empty",
                )
                .with_help("give numeric ids (65532:65532), or drop `link`"),
            );
        }
        if !ok {
            return None;
        }
        Some(CopyStep {
            sources,
            from,
            to,
            chown,
            chmod: chmod.flatten(),
            exclude,
            link,
            parents: s.parents.as_ref().is_some_and(|p| p.value),
        })
    }

    fn file(&mut self, s: &Step) -> Option<FileStep> {
        let file = s.file.as_ref().expect("checked by caller");
        let path = self.expand(file);
        let verbatim = s.expand.as_ref().is_some_and(|e| !e.value);
        let content = match &s.content {
            Some(c) if verbatim => Some(c.value.clone()),
            Some(c) => match super::content::expand(&self.scope, c, self.source) {
                Ok(text) => Some(text),
                Err(d) => self.fail(d),
            },
            None => Some(String::new()),
        };
        let mode = match &s.mode {
            Some(m) => self.octal(&m.value.0, span_of(m)),
            None => Some(0o644),
        };
        let chown = s.chown.as_ref().and_then(|c| self.chown(c));
        Some(FileStep {
            path: path?,
            content: content?,
            mode: mode?,
            chown,
        })
    }

    /// `user[:group]`, each a number or a name. A lone number is used for both; a lone
    /// name leaves the group to BuildKit (the user's own group), as a Dockerfile does.
    pub(super) fn chown(&mut self, c: &Spanned<spec::Text>) -> Option<Owner> {
        let text = self.expand_text(&c.value.0, span_of(c))?;
        match Owner::parse(&text) {
            Some(owner) => Some(owner),
            None => self.fail(
                Diagnostic::error(
                    span_of(c),
                    format!("`chown: {text}` is not a user or user:group"),
                )
                .with_help("give numeric ids (65532:65532) or names from the image's /etc/passwd and /etc/group (app:app)"),
            ),
        }
    }

    /// A keyword field (`network`, `security`, `sharing`): expanded, then one of `choices`.
    /// Absent, or unexpandable (already reported), it means the first choice.
    pub(super) fn keyword<T: Copy>(
        &mut self,
        field: &Option<Spanned<String>>,
        what: &str,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let default = Some(choices[0].1);
        let Some(f) = field else { return default };
        let Some(text) = self.expand(f) else {
            return default;
        };
        if let Some((_, value)) = choices.iter().find(|(name, _)| *name == text) {
            return Some(*value);
        }
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        let (last, rest) = names.split_last().expect("keywords have choices");
        self.fail(
            Diagnostic::error(span_of(f), format!("`{text}` is not a {what}"))
                .with_help(format!("use {} or {last}", rest.join(", "))),
        )
    }

    pub(super) fn octal(&mut self, text: &str, span: Span) -> Option<u32> {
        let text = self.expand_text(text, span)?;
        match u32::from_str_radix(text.trim_start_matches("0o"), 8) {
            Ok(m) if m <= 0o7777 => Some(m),
            _ => self.fail(
                Diagnostic::error(span, format!("`{text}` is not an octal file mode"))
                    .with_help("write e.g. 0755 or 0644"),
            ),
        }
    }

    pub(super) fn abs_path(&mut self, path: String, span: Span) -> Option<String> {
        if path.starts_with('/') {
            Some(path)
        } else {
            self.fail(
                Diagnostic::error(span, format!("`{path}` must be an absolute path"))
                    .with_help(format!("write /{path}")),
            )
        }
    }

    /// A path read from a source must stay inside it: `../` may not climb out.
    pub(super) fn inside(&mut self, path: &str, span: Span) -> Option<String> {
        let mut depth: i32 = 0;
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => depth -= 1,
                _ => depth += 1,
            }
            if depth < 0 {
                return self.fail(
                    Diagnostic::error(span, format!("`{path}` leads outside its source"))
                        .with_help("paths are relative to the build context (or the `from` stage's root); remove the `..`"),
                );
            }
        }
        Some(path.to_owned())
    }
}

/// Each item of a one-or-many option given in short or full form, located.
pub(super) fn items<T>(v: &Spanned<OneOrMany<Short<T>>>) -> impl Iterator<Item = (&T, Span)> {
    spec::items(v).map(|(s, sp)| (&s.0, sp))
}
