//! Plan → LLB: each stage becomes a chain of ops on its base, and an image config.
//!
//! `stage.rs` walks a stage's base, environment and steps, and hands each step to the
//! lowering of its kind (`run.rs` with `mounts.rs`, `files.rs`, `add.rs`) with one
//! [`Step`] value: the stage so far and how the step's vertices are named. `sources.rs`
//! makes the sources a stage reads (images, the build context, named contexts),
//! `budget.rs` caps what the graph may weigh, `config.rs` applies the image-config keys.

mod add;
mod budget;
mod caches;
mod config;
mod env;
mod files;
mod mounts;
mod paths;
mod proxy;
mod run;
mod sources;
mod stage;
mod test_entry;

use crate::diag::Diagnostic;
use crate::image::Image;
use crate::llb::{self, Meta, Output, SourceMap};
use crate::plan::{Plan, Source};
use crate::platform::Platform;
use std::collections::BTreeMap;

pub use test_entry::TestDefinition;

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
    /// The files the Stagefile includes, by id from 1, for the source map.
    pub more_sources: Vec<(&'a str, &'a [u8])>,
    /// Resolved base image configs by (reference, platform); missing ones count as empty.
    pub base_configs: BTreeMap<(String, Platform), Image>,
    /// Graphs the client passed as `input:` contexts, and their image configs if given.
    pub inputs: BTreeMap<String, llb::Definition>,
    pub input_configs: BTreeMap<String, Image>,
    /// Whether the engine lacks merge ops (BuildKit < 0.10); then `link` copies in place.
    pub no_merge: bool,
    /// `SOURCE_DATE_EPOCH`: creation time of the image and of the history it adds, so
    /// two builds of the same input can produce the same image.
    pub epoch: Option<u64>,
}

pub struct Lowered {
    pub definition: llb::Definition,
    pub image: Image,
    /// What lowering had to assume (an offline base's environment), located.
    pub warnings: Vec<Diagnostic>,
    /// The graphs of the built stages' tests, solved beside `definition`.
    pub tests: Vec<TestDefinition>,
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

/// The whole lowering: what every stage can read and what it has found so far.
struct Lowering<'a> {
    opts: &'a LowerOptions<'a>,
    plan: &'a Plan,
    results: Vec<StageResult>,
    /// The build context's source, made once and shared by every stage reading it.
    context: Option<Output>,
    diags: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// What the graph and the configs copied so far weigh; see [`budget::MAX_GRAPH_BYTES`].
    graph_bytes: usize,
    /// The proxy settings every `run` step gets.
    proxy: Option<llb::ProxyEnv>,
    /// `run` tests, lowered once every stage is.
    pending: Vec<test_entry::PendingRun>,
    /// For a `<stage>.caches` target: each cache's last use, by its directory there.
    caches: BTreeMap<String, caches::Use>,
}

/// What the lowering of every step works on: the stage's filesystem and image config so
/// far, its platform, and how the step's vertices are named and located.
struct Step<'s> {
    fs: Option<Output>,
    image: &'s mut Image,
    platform: &'s Platform,
    /// `[stage k/n]`.
    prefix: String,
    line: u32,
    /// The file of the build that line is in.
    file: u32,
    no_cache: bool,
}

impl Step<'_> {
    /// The metadata of a vertex the step makes, shown as `prefix what`.
    fn meta(&self, what: &str) -> Meta {
        Meta::named(format!("{} {what}", self.prefix))
            .at_line(self.line)
            .in_file(self.file)
            .no_cache(self.no_cache)
    }
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
        pending: Vec::new(),
        caches: BTreeMap::new(),
    };
    let mut config_users = vec![0; plan.stages.len()];
    config_users[plan.target] += 1;
    for stage in &plan.stages {
        if let Source::Stage(base) = stage.base {
            config_users[base] += 1;
        }
    }
    for (stage, users) in plan.stages.iter().zip(config_users) {
        if cx.graph_bytes > budget::MAX_GRAPH_BYTES {
            break;
        }
        let index = cx.results.len();
        let (fs, image, inherited) = cx.stage(index, stage);
        cx.results.push(StageResult {
            fs,
            // A config no stage builds on is not kept: a file can have thousands.
            image: (users > 0).then_some(image),
            inherited,
            config_users: users,
        });
    }
    let tests = if cx.diags.is_empty() {
        cx.tests()
    } else {
        Vec::new()
    };
    if !cx.diags.is_empty() {
        return Err(crate::plan::capped(cx.diags));
    }
    let target = cx.results.swap_remove(plan.target);
    let mut fs = target.fs;
    let mut image = target.image.expect("the target's config is kept for it");
    if plan.export_caches {
        let stage = &plan.stages[plan.target];
        fs = cx.export_caches(fs.as_ref(), &stage.name);
        image = Image::scratch(&stage.platform);
    }
    image.set_platform(&plan.stages[plan.target].platform);
    if !plan.labels.is_empty() {
        let labels = image.config.labels.get_or_insert_with(BTreeMap::new);
        for (k, v) in &plan.labels {
            labels.insert(k.clone(), v.clone());
        }
        let text: Vec<String> = plan
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v:?}"))
            .collect();
        image.add_history(format!("LABEL {}", text.join(" ")), true);
    }
    if let Some(epoch) = opts.epoch {
        let when = std::time::UNIX_EPOCH + std::time::Duration::from_secs(epoch);
        let stamp = humantime::format_rfc3339_seconds(when).to_string();
        for h in image
            .history
            .iter_mut()
            .filter(|h| h.comment == crate::image::HISTORY_COMMENT)
        {
            h.created.get_or_insert_with(|| stamp.clone());
        }
        image.created = Some(stamp);
    }
    let definition = llb::marshal_with(fs.as_ref(), opts.source.as_ref(), &opts.more_sources);
    Ok(Lowered {
        definition,
        image,
        warnings: cx.warnings,
        tests,
    })
}

/// A step's `chown` (or a stage user) as the file op's owner.
fn owner(owner: &crate::plan::Owner) -> llb::Owner {
    use crate::plan::Id;
    let ident = |id: &Id| match id {
        Id::Number(n) => llb::Ident::Id(*n),
        Id::Name(name) => llb::Ident::Name(name.clone()),
    };
    llb::Owner {
        user: ident(&owner.user),
        group: owner.group.as_ref().map(ident),
    }
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
        let src = b"stages:\n  a:\n    from: busybox:1.35\n    steps:\n      - copy: [x, y]\n        chown: app:crew\n      - file: /f\n        content: z\n        chown: app\n";
        let out = crate::compile::compile(src, &Default::default(), &Default::default()).unwrap();
        let dump = llb::dump(&out.definition);
        let mut seen = Vec::new();
        for op in dump.as_array().unwrap() {
            for action in op["file"].as_array().into_iter().flatten() {
                let owner = action["owner"].as_str().expect("every action has an owner");
                seen.push((action["input"].as_i64().unwrap(), owner.to_owned()));
            }
        }
        seen.sort();
        // The dump shows an owner as BuildKit's message, `{:?}`-formatted.
        let user = |name: &str, input: i64| {
            format!(
                "Some(UserOpt {{ user: Some(ByName(NamedUserOpt {{ name: {name:?}, input: {input} }})) }})"
            )
        };
        let chown = |user: String, group: Option<String>| {
            let group = group.unwrap_or_else(|| "None".to_owned());
            format!("ChownOpt {{ user: {user}, group: {group} }}")
        };
        // The copy's two actions: the first on the stage (input 0), the second on the first's
        // result (inputs are the stage and the context, so action 0 is number 2). The file
        // step's action is on the stage so far, its op's only input.
        assert_eq!(
            seen,
            [
                (0, chown(user("app", 0), None)),
                (0, chown(user("app", 0), Some(user("crew", 0)))),
                (2, chown(user("app", 2), Some(user("crew", 2)))),
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
