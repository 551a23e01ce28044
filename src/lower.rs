//! Plan → LLB: each stage becomes a chain of ops on its base, and an image config.

mod env;
mod proxy;

use crate::diag::{Diagnostic, Limit, Span};
use crate::image::Image;
use crate::llb::{self, ExecMount, FileOp, Meta, MountKind, Output, SourceMap};
use crate::plan::{
    Command, CopyStep, FileStep, Network, Plan, RunMount, RunStep, Security, Sharing, Source,
    StagePlan, StepKind,
};
use crate::platform::Platform;
use bollard_buildkit_proto::pb;
use std::collections::BTreeMap;

mod add;
mod config;
mod files;
mod paths;
mod run;

use config::{apply_config, argv};
pub use paths::join;
use paths::{basename, clean_abs, current_dir, dest_path, has_wildcard, split_last};

/// What lowering needs besides the plan: gathered by the gateway (or the CLI).
#[derive(Default)]
pub struct LowerOptions<'a> {
    /// BuildKit session that serves the build context; `None` for offline output.
    pub session_id: Option<String>,
    /// `image-resolve-mode` option (`default`, `pull`, `local`).
    pub resolve_mode: Option<String>,
    /// Exclude patterns for the build context (`.dockerignore` and `ignore`).
    pub excludes: Vec<String>,
    pub source: Option<SourceMap<'a>>,
    /// Resolved base image configs by (reference, platform); missing ones count as empty.
    pub base_configs: BTreeMap<(String, Platform), Image>,
    /// Graphs the client passed as `input:` contexts, and their image configs if given.
    pub inputs: BTreeMap<String, pb::Definition>,
    pub input_configs: BTreeMap<String, Image>,
    /// Whether the engine lacks merge ops (BuildKit < 0.10); then `link` copies in place.
    pub no_merge: bool,
    /// `SOURCE_DATE_EPOCH`: creation time of the image and of the history it adds, so
    /// two builds of the same input can produce the same image.
    pub epoch: Option<u64>,
}

pub struct Lowered {
    pub definition: pb::Definition,
    pub image: Image,
    /// What lowering had to assume (an offline base's environment), located.
    pub warnings: Vec<Diagnostic>,
}

struct StageResult {
    fs: Option<Output>,
    /// Taken by the last stage built on it, so a long chain is not copied at each link.
    image: Option<Image>,
    /// What the stages built on this one know of the environment they inherit.
    inherited: env::Inherited,
    /// Stages yet to take this one's config as their base (plus one for the target).
    config_users: usize,
}

pub fn lower(plan: &Plan, opts: &LowerOptions) -> Result<Lowered, Vec<Diagnostic>> {
    let mut cx = Lowering {
        opts,
        results: Vec::with_capacity(plan.stages.len()),
        context: None,
        plan,
        diags: Vec::new(),
        warnings: Vec::new(),
        graph_bytes: 0,
        proxy: proxy::proxy_env(&plan.proxy),
    };
    let mut config_users = vec![0; plan.stages.len()];
    config_users[plan.target] += 1;
    for stage in &plan.stages {
        if let Source::Stage(base) = stage.base {
            config_users[base] += 1;
        }
    }
    for (stage, users) in plan.stages.iter().zip(config_users) {
        if cx.graph_bytes > MAX_GRAPH_BYTES {
            break;
        }
        let (fs, image, inherited) = cx.stage(stage);
        cx.results.push(StageResult {
            fs,
            // A config no stage builds on is not kept: a file can have thousands.
            image: (users > 0).then_some(image),
            inherited,
            config_users: users,
        });
    }
    if !cx.diags.is_empty() {
        return Err(crate::plan::capped(cx.diags));
    }
    let target_result = cx.results.swap_remove(plan.target);
    let mut result = StageOutput {
        fs: target_result.fs,
        image: target_result
            .image
            .expect("the target's config is kept for it"),
    };
    let target = &plan.stages[plan.target];
    result.image.set_platform(&target.platform);
    if !plan.labels.is_empty() {
        let labels = result.image.config.labels.get_or_insert_with(BTreeMap::new);
        for (k, v) in &plan.labels {
            labels.insert(k.clone(), v.clone());
        }
        let text: Vec<String> = plan
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        result
            .image
            .add_history(format!("LABEL {}", text.join(" ")), true);
    }
    if let Some(epoch) = opts.epoch {
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch);
        let stamp = humantime::format_rfc3339_seconds(when).to_string();
        for h in result
            .image
            .history
            .iter_mut()
            .filter(|h| h.comment == crate::image::HISTORY_COMMENT)
        {
            h.created.get_or_insert_with(|| stamp.clone());
        }
        result.image.created = Some(stamp);
    }
    let definition = llb::marshal(result.fs.as_ref(), opts.source.as_ref());
    Ok(Lowered {
        definition,
        image: result.image,
        warnings: cx.warnings,
    })
}

struct StageOutput {
    fs: Option<Output>,
    image: Image,
}

struct Lowering<'a> {
    opts: &'a LowerOptions<'a>,
    plan: &'a Plan,
    results: Vec<StageResult>,
    context: Option<Output>,
    diags: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// What the graph and the configs copied so far weigh; see [`MAX_GRAPH_BYTES`].
    graph_bytes: usize,
    /// The proxy settings every `run` step gets.
    proxy: Option<llb::ProxyEnv>,
}

/// Some parts of the graph grow with a product of the file's parts: every `run` op
/// carries the whole environment and shell, every copied path the copy's `exclude`
/// list, every stage a copy of its base's config. A few hundred kilobytes of Stagefile
/// can so ask for gigabytes (10,000 env entries and 10,000 steps took 6 GB), which
/// BuildKit could not receive anyway: past this many bytes the build is refused.
pub const MAX_GRAPH_BYTES: usize = 64 << 20;

impl Lowering<'_> {
    /// Past the budget, says so once, at `span`; true when the work should stop.
    fn over_budget(&mut self, span: Span) -> bool {
        if self.graph_bytes <= MAX_GRAPH_BYTES {
            return false;
        }
        let said = self.diags.iter().any(|d| d.hit(Limit::GraphSize));
        if !said {
            self.diags.push(
                Diagnostic::error(span, format!("{TOO_LARGE}: more than {} MiB of commands, environments, copy patterns and image configs", MAX_GRAPH_BYTES >> 20))
                    .with_help("each `run` step carries the whole `env` and `shell`, each copied path the `exclude` list, each stage its base's config; use fewer of them")
                    .with_limit(Limit::GraphSize),
            );
        }
        true
    }

    fn stage(&mut self, stage: &StagePlan) -> (Option<Output>, Image, env::Inherited) {
        let total = stage.steps.len() + 1;
        let prefix = |k: usize| format!("[{} {k}/{total}]", stage.name);
        let platform = stage.platform.to_pb();
        let mut inherited = env::Inherited::default();
        let (mut fs, mut image) = match &stage.base {
            Source::Scratch => (None, Image::scratch(&stage.platform)),
            Source::Context | Source::Local(_) => (
                self.source_fs(&stage.base, &platform),
                Image::scratch(&stage.platform),
            ),
            Source::Input(name) => {
                let image = self.opts.input_configs.get(name).cloned();
                if image.is_none() {
                    inherited = env::Inherited::unknown(format!("input `{name}`"));
                }
                let image = image.unwrap_or_else(|| Image::scratch(&stage.platform));
                self.graph_bytes += weight(&image);
                (self.source_fs(&stage.base, &platform), image)
            }
            Source::Stage(i) => {
                let base = &mut self.results[*i];
                base.config_users -= 1;
                inherited = base.inherited.clone();
                let image = match base.config_users {
                    0 => base.image.take(),
                    _ => {
                        let copy = base.image.clone();
                        self.graph_bytes += copy.as_ref().map_or(0, weight);
                        copy
                    }
                };
                (
                    base.fs.clone(),
                    image.expect("a base's config is kept until its last user"),
                )
            }
            Source::Image(r) => {
                let meta =
                    Meta::named(format!("{} FROM {r}", prefix(1))).at_line(stage.from_span.line);
                let fs = self.image_source(r, &platform, meta);
                let image = self
                    .opts
                    .base_configs
                    .get(&(r.clone(), stage.platform.clone()))
                    .cloned();
                if image.is_none() {
                    inherited = env::Inherited::unknown(format!("image `{r}`"));
                }
                let image = image.unwrap_or_else(|| Image::scratch(&stage.platform));
                self.graph_bytes += weight(&image);
                (Some(fs), image)
            }
        };
        image.set_platform(&stage.platform);
        // As the Dockerfile frontend does: a base without a search path gets BuildKit's.
        if image.env("PATH").is_none() && stage.platform.os != "windows" {
            image.config.env.push(format!("PATH={}", llb::DEFAULT_PATH));
        }
        if self.over_budget(stage.from_span) {
            return (fs, image, inherited);
        }
        let mut stage_env = env::StageEnv::new(&self.plan.args, inherited);
        for (k, v) in &stage.env {
            if let Some(v) = stage_env.stage_entry(k, v, &image) {
                image.set_env(k, &v);
                image.add_history(format!("ENV {k}={v}"), true);
            }
        }
        if let Some(shell) = &stage.shell {
            image.config.shell = Some(shell.clone());
            image.add_history(format!("SHELL {shell:?}"), true);
        }
        if let Some(user) = &stage.user {
            image.config.user = user.clone();
            image.add_history(format!("USER {user}"), true);
        }
        if let Some(w) = &stage.workdir {
            let dir = join(&current_dir(&image), w);
            let owner = self.workdir_owner(&image, fs.is_some(), stage);
            let mut op = FileOp::on(fs.clone());
            op.mkdir(pb::FileActionMkDir {
                path: dir.clone(),
                mode: 0o755,
                make_parents: true,
                owner: owner.as_ref().map(owner_opt),
                timestamp: -1,
            });
            let meta = Meta::named(format!("[{}] WORKDIR {dir}", stage.name))
                .at_line(stage.span.line)
                .no_cache(stage.no_cache);
            fs = Some(op.done(meta));
            image.config.working_dir = dir.clone();
            image.add_history(format!("WORKDIR {dir}"), false);
        }
        for (k, step) in stage.steps.iter().enumerate() {
            let meta = |what: String| {
                Meta::named(format!("{} {what}", prefix(k + 2)))
                    .at_line(step.span.line)
                    .no_cache(stage.no_cache)
            };
            let owner = match &step.kind {
                StepKind::Copy(c) if !c.link => c.chown.as_ref(),
                StepKind::Add(a) => a.chown.as_ref(),
                StepKind::File(f) => f.chown.as_ref(),
                _ => None,
            };
            if fs.is_none() && owner.is_some_and(crate::plan::Owner::has_names) {
                // BuildKit reads names from the files below the step: here there are none.
                self.diags.push(
                    Diagnostic::error(
                        step.span,
                        format!("`chown` names a user or group, but stage `{}` has no files yet to look it up in (no /etc/passwd)", stage.name),
                    )
                    .with_help("give numeric ids (65532:65532)"),
                );
                continue;
            }
            fs = match &step.kind {
                StepKind::Run(run) => {
                    let Some(env) = stage_env.step(&run.env, &image) else {
                        continue;
                    };
                    Some(self.run(fs, &mut image, run, &env, &platform, meta))
                }
                StepKind::Copy(copy) => self.copy(fs, &mut image, copy, &platform, meta),
                StepKind::Add(add) => self.add(fs, &mut image, add, meta),
                StepKind::File(file) => self.file(fs, &mut image, file, meta),
            };
            if self.over_budget(step.span) {
                break;
            }
        }
        apply_config(&mut image, stage);
        let inherited = stage_env.inherited();
        self.diags.append(&mut stage_env.diags);
        self.warnings.append(&mut stage_env.warnings);
        (fs, image, inherited)
    }

    /// The stage's user (its own or the base's) owns the workdir it creates, as Docker's
    /// WORKDIR does, so a non-root step can write there. A name is looked up in the
    /// stage's /etc/passwd, which a stage without files does not have.
    fn workdir_owner(
        &mut self,
        image: &Image,
        has_files: bool,
        stage: &StagePlan,
    ) -> Option<crate::plan::Owner> {
        let user = image.config.user.as_str();
        if user.is_empty() {
            return None;
        }
        let owner = crate::plan::Owner::parse(user)?;
        if owner.has_names() && !has_files {
            self.diags.push(
                Diagnostic::error(
                    stage.span,
                    format!(
                        "stage `{}` creates its workdir as user `{user}`, but it has no files yet to look the name up in (no /etc/passwd)",
                        stage.name
                    ),
                )
                .with_help("give the user as numeric ids (`user: \"65532:65532\"`)"),
            );
            return None;
        }
        Some(owner)
    }

    fn image_source(&self, reference: &str, platform: &pb::Platform, meta: Meta) -> Output {
        let mut attrs = BTreeMap::new();
        if let Some(mode) = self
            .opts
            .resolve_mode
            .as_deref()
            .filter(|m| *m != "default")
        {
            attrs.insert("image.resolvemode".to_owned(), mode.to_owned());
        }
        llb::image(reference, platform, attrs, meta)
    }

    /// The build context, filtered to what the reachable stages read.
    fn context(&mut self) -> Output {
        if let Some(c) = &self.context {
            return c.clone();
        }
        let mut attrs = BTreeMap::new();
        if let Some(sid) = &self.opts.session_id {
            attrs.insert("local.session".to_owned(), sid.clone());
        }
        attrs.insert("local.sharedkeyhint".to_owned(), "context".to_owned());
        if let Some(paths) = &self.plan.context_paths {
            attrs.insert("local.followpaths".to_owned(), json_list(paths));
        }
        if !self.opts.excludes.is_empty() {
            attrs.insert(
                "local.excludepatterns".to_owned(),
                json_list(&self.opts.excludes),
            );
        }
        let c = llb::local(
            "context",
            attrs,
            Meta::named("[internal] load build context"),
        );
        self.context = Some(c.clone());
        c
    }

    fn source_fs(&mut self, source: &Source, platform: &pb::Platform) -> Option<Output> {
        match source {
            Source::Scratch => None,
            Source::Stage(i) => self.results[*i].fs.clone(),
            Source::Context => Some(self.context()),
            Source::Image(r) => {
                Some(self.image_source(r, platform, Meta::named(format!("[internal] load {r}"))))
            }
            Source::Local(name) => {
                let mut attrs = BTreeMap::new();
                if let Some(sid) = &self.opts.session_id {
                    attrs.insert("local.session".to_owned(), sid.clone());
                }
                attrs.insert("local.sharedkeyhint".to_owned(), name.clone());
                let meta = Meta::named(format!("[internal] load build context {name}"));
                Some(llb::local(name, attrs, meta))
            }
            Source::Input(name) => self
                .opts
                .inputs
                .get(name)
                .cloned()
                .and_then(llb::from_definition),
        }
    }
}

/// How a refused, too large graph is announced.
const TOO_LARGE: &str = "the build graph is too large";

/// What a string costs in memory: its bytes and its allocation. The budget counts this
/// rather than text, as millions of short strings are what a hostile file makes.
fn cost(s: &str) -> usize {
    s.len() + 32
}

/// Roughly the memory an image config holds, to charge each copy of it to the budget.
fn weight(image: &Image) -> usize {
    let strings = |v: &[String]| v.iter().map(|s| cost(s)).sum::<usize>();
    let c = &image.config;
    image
        .history
        .iter()
        .map(|h| cost(&h.created_by) + cost(&h.comment))
        .sum::<usize>()
        + strings(&image.rootfs.diff_ids)
        + strings(&c.env)
        + c.labels
            .as_ref()
            .map_or(0, |l| l.iter().map(|(k, v)| cost(k) + cost(v)).sum())
        + c.exposed_ports
            .keys()
            .chain(c.volumes.keys())
            .map(|k| cost(k))
            .sum::<usize>()
        + [&c.entrypoint, &c.cmd, &c.shell]
            .iter()
            .map(|v| v.as_deref().map_or(0, strings))
            .sum::<usize>()
}

/// The file op's owner. A name's `input` (which filesystem's /etc/passwd to read) is the
/// action's own input, which only marshaling knows; it is filled in there.
fn owner_opt(owner: &crate::plan::Owner) -> pb::ChownOpt {
    use crate::plan::Id;
    use pb::user_opt::User;
    let user = |id: &Id| pb::UserOpt {
        user: Some(match id {
            Id::Number(n) => User::ById(*n),
            Id::Name(name) => User::ByName(pb::NamedUserOpt {
                name: name.clone(),
                input: 0,
            }),
        }),
    };
    pb::ChownOpt {
        user: Some(user(&owner.user)),
        group: owner.group.as_ref().map(user),
    }
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).expect("strings serialise")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_stamps_the_image_and_its_new_history() {
        let src = b"stages:\n  a:\n    from: scratch\n    steps:\n      - file: /x\n        content: y\n    cmd: [/x]\n";
        let opts = LowerOptions {
            epoch: Some(1_700_000_000),
            ..Default::default()
        };
        let out = crate::compile::compile(src, &Default::default(), &opts).unwrap();
        assert_eq!(out.image.created.as_deref(), Some("2023-11-14T22:13:20Z"));
        assert!(out.image.history.len() >= 2);
        assert!(
            out.image
                .history
                .iter()
                .all(|h| h.created.as_deref() == Some("2023-11-14T22:13:20Z"))
        );
        let plain =
            crate::compile::compile(src, &Default::default(), &LowerOptions::default()).unwrap();
        assert!(plain.image.created.is_none());
    }

    #[test]
    fn owner_names_are_looked_up_in_each_actions_own_input() {
        use pb::file_action::Action;
        use pb::user_opt::User;
        use prost::Message;
        let src = b"stages:\n  a:\n    from: busybox:1.35\n    steps:\n      - copy: [x, y]\n        chown: app:crew\n      - file: /f\n        content: z\n        chown: app\n";
        let out = crate::compile::compile(src, &Default::default(), &Default::default()).unwrap();
        let mut seen = Vec::new();
        for bytes in &out.definition.def {
            let op = pb::Op::decode(bytes.as_slice()).unwrap();
            let Some(pb::op::Op::File(file)) = op.op else {
                continue;
            };
            for action in file.actions {
                let owner = match action.action {
                    Some(Action::Copy(c)) => c.owner,
                    Some(Action::Mkfile(f)) => f.owner,
                    _ => None,
                }
                .expect("every action here has an owner");
                let name = |u: Option<pb::UserOpt>| match u.and_then(|u| u.user) {
                    Some(User::ByName(n)) => Some((n.name, n.input)),
                    _ => None,
                };
                seen.push((action.input, name(owner.user), name(owner.group)));
            }
        }
        seen.sort();
        let named = |n: &str, input| Some((n.to_owned(), input));
        // The copy's two actions: the first on the stage (input 0), the second on the first's
        // result (inputs are the stage and the context, so action 0 is number 2). The file
        // step's action is on the stage so far, its op's only input.
        assert_eq!(
            seen,
            [
                (0, named("app", 0), None),
                (0, named("app", 0), named("crew", 0)),
                (2, named("app", 2), named("crew", 2)),
            ]
        );
    }

    #[test]
    fn owner_names_on_an_empty_stage_are_refused_at_the_step() {
        let src = b"stages:\n  a:\n    from: scratch\n    steps:\n      - copy: x\n        chown: \"10:20\"\n      - file: /f\n        content: z\n        chown: app\n  b:\n    from: scratch\n    steps:\n      - file: /f\n        content: z\n        chown: app\n";
        let opts = crate::plan::BuildOptions {
            target: Some("b".into()),
            ..Default::default()
        };
        let Err(errs) = crate::compile::compile(src, &opts, &Default::default()) else {
            panic!("a name on an empty stage compiled");
        };
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(errs[0].span.line, 13);
        assert!(
            errs[0].message.contains("stage `b` has no files yet"),
            "{}",
            errs[0].message
        );
        // In `a` the first copy gave the stage files, so the name has a place to be read.
        let opts = crate::plan::BuildOptions {
            target: Some("a".into()),
            ..Default::default()
        };
        assert!(crate::compile::compile(src, &opts, &Default::default()).is_ok());
    }
}
