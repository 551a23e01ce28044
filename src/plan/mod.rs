//! From the YAML model to a resolved stage graph: variables expanded, references
//! resolved, unreachable stages dropped, cycles refused, every option checked.
//!
//! This room knows nothing of YAML syntax or gRPC; it speaks in spans and plain values.

mod args;
mod caches;
mod config;
mod content;
mod env;
mod graph;
pub mod healthcheck;
mod include;
mod mounts;
mod owner;
pub mod ports;
mod proxy;
pub mod reference;
mod size;
mod stage;
mod steps;
mod test_plan;
pub mod vars;

use crate::diag::{Diagnostic, Span, name_list, suggest};
use crate::platform::Platform;
use crate::spec::{self, Stagefile, span_of};
use std::collections::{BTreeMap, BTreeSet};
use vars::Scope;

pub use crate::spec::Command;
pub use env::EnvValue;
pub use mounts::{
    BindMount, CacheMount, RunMount, SecretMount, Seed, SshMount, TmpfsMount, cache_key, usable_key,
};
pub use owner::{Id, Owner};
pub use proxy::Proxy;
pub use steps::{
    AddKind, AddStep, CopyStep, FileStep, Network, RunStep, Security, Sharing, StepKind, StepPlan,
};
pub use test_plan::{TestKind, TestPlan};

/// What the build was asked for, from BuildKit's options or the CLI.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    pub target: Option<String>,
    pub build_args: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
    pub target_platform: Platform,
    pub build_platform: Platform,
    /// Stages whose steps ignore the cache (`--no-cache`, `--no-cache-filter`).
    pub no_cache: NoCache,
    /// `--build-context NAME=…` replacements, by the name a Stagefile refers to.
    pub named_contexts: BTreeMap<String, Source>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            target: None,
            build_args: BTreeMap::new(),
            labels: BTreeMap::new(),
            target_platform: Platform::linux_amd64(),
            build_platform: Platform::linux_amd64(),
            no_cache: NoCache::None,
            named_contexts: BTreeMap::new(),
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum NoCache {
    #[default]
    None,
    All,
    Stages(BTreeSet<String>),
}

/// The resolved build: only the stages the target needs, dependencies first.
#[derive(Debug)]
pub struct Plan {
    pub stages: Vec<StagePlan>,
    /// Index into `stages` of the stage whose result is returned.
    pub target: usize,
    /// The target is `<stage>.caches`: the result is the content of every cache mount
    /// the stages use, one directory each, instead of the stage's filesystem.
    pub export_caches: bool,
    /// Distinct base images to resolve, with the platform each is needed for.
    pub images: Vec<(String, Platform)>,
    /// Paths of the build context that reachable steps read; `None` means all of it.
    pub context_paths: Option<Vec<String>>,
    /// Labels for the final image: the file's `labels`, then `label:*` options.
    pub labels: Vec<(String, String)>,
    /// `ignore` patterns from the file, added to `.dockerignore`.
    pub ignore: Vec<String>,
    /// Problems that do not stop the build, each located in the file.
    pub warnings: Vec<Diagnostic>,
    /// Which lint rules run and whether their findings fail the build.
    pub lint: crate::lint::control::Control,
    /// The args and platform args with their values: what `env` values that refer to
    /// the inherited environment see besides it, when lowering expands them.
    pub args: Scope,
    /// The same for each included file, by file id: its own args, not the Stagefile's.
    pub file_args: BTreeMap<u32, Scope>,
    /// Docker's predefined proxy args given with `--build-arg`, for every `run` step.
    pub proxy: Proxy,
}

#[derive(Debug)]
pub struct StagePlan {
    pub name: String,
    pub span: Span,
    /// Where the stage's `from` is written, for errors about its base.
    pub from_span: Span,
    pub base: Source,
    pub platform: Platform,
    pub workdir: Option<String>,
    pub env: Vec<(String, EnvValue)>,
    pub user: Option<String>,
    pub shell: Option<Vec<String>>,
    pub steps: Vec<StepPlan>,
    /// Tests every build that needs this stage runs, in the order written.
    pub tests: Vec<TestPlan>,
    pub config: ConfigEdits,
    pub no_cache: bool,
}

/// Where a stage, a copy or a mount gets its files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Scratch,
    /// Index into `Plan::stages`.
    Stage(usize),
    Image(String),
    Context,
    /// A client-side directory sent as its own local (`--build-context x=./dir`).
    Local(String),
    /// A graph handed in by the client (`input:` contexts, e.g. from bake targets).
    Input(String),
}

/// Reads a `context:NAME` option value: `docker-image://ref`, `local:name`, `input:name`.
pub fn named_context(value: &str) -> Result<Source, String> {
    if let Some(r) = value.strip_prefix("docker-image://") {
        return if r == "scratch" {
            Ok(Source::Scratch)
        } else {
            reference::normalize(r).map(Source::Image)
        };
    }
    if let Some(name) = value.strip_prefix("local:") {
        return Ok(Source::Local(name.to_owned()));
    }
    if let Some(name) = value.strip_prefix("input:") {
        return Ok(Source::Input(name.to_owned()));
    }
    Err(format!(
        "named context `{value}` is not supported; use docker-image://REF, a local directory or input:NAME"
    ))
}

/// Image config fields a stage sets; unset fields are inherited from its base.
#[derive(Debug, Default)]
pub struct ConfigEdits {
    pub entrypoint: Option<Command>,
    pub cmd: Option<Command>,
    pub expose: Vec<ports::Exposed>,
    pub labels: Vec<(String, String)>,
    pub volumes: Vec<String>,
    pub stopsignal: Option<String>,
    pub healthcheck: Option<Healthcheck>,
}

#[derive(Debug, Clone)]
pub struct Healthcheck {
    pub test: healthcheck::HealthTest,
    pub interval_ns: Option<i64>,
    pub timeout_ns: Option<i64>,
    pub start_period_ns: Option<i64>,
    pub start_interval_ns: Option<i64>,
    pub retries: Option<u32>,
}

impl StagePlan {
    /// Every source this stage reads: its base, copy sources and mount sources, its
    /// tests' mount sources included.
    pub fn sources(&self) -> impl Iterator<Item = &Source> {
        let steps = self.steps.iter().flat_map(|step| -> Vec<&Source> {
            match &step.kind {
                StepKind::Copy(c) => vec![&c.from],
                StepKind::Run(r) => r.sources().collect(),
                _ => Vec::new(),
            }
        });
        let tests = self.tests.iter().flat_map(|t| match &t.kind {
            TestKind::Run(r) => r.sources().collect(),
            TestKind::Stage(_) => Vec::new(),
        });
        std::iter::once(&self.base).chain(steps).chain(tests)
    }

    /// The `run` steps of the stage, then those of its tests.
    pub fn runs(&self) -> impl Iterator<Item = (Span, &RunStep)> {
        let steps = self.steps.iter().filter_map(|s| match &s.kind {
            StepKind::Run(r) => Some((s.span, r)),
            _ => None,
        });
        let tests = self.tests.iter().filter_map(|t| match &t.kind {
            TestKind::Run(r) => Some((t.span, r)),
            TestKind::Stage(_) => None,
        });
        steps.chain(tests)
    }
}

/// Resolves a parsed Stagefile into a build plan, or every problem found.
pub fn plan(file: &Stagefile, opts: &BuildOptions) -> Result<Plan, Vec<Diagnostic>> {
    plan_stages(file, &Included::none(), opts, false)
}

/// Like `plan`, but the plan holds every stage, reachable from the target or not, so
/// cycles and lowering problems anywhere in the file come to light (for `check`).
pub fn plan_every_stage(file: &Stagefile, opts: &BuildOptions) -> Result<Plan, Vec<Diagnostic>> {
    plan_stages(file, &Included::none(), opts, true)
}

/// `plan` (or `plan_every_stage`) of a Stagefile with the files it includes.
pub fn plan_with(
    file: &Stagefile,
    included: &Included,
    opts: &BuildOptions,
    every_stage: bool,
) -> Result<Plan, Vec<Diagnostic>> {
    plan_stages(file, included, opts, every_stage)
}

pub use include::Included;

fn plan_stages(
    file: &Stagefile,
    included: &Included,
    opts: &BuildOptions,
    every_stage: bool,
) -> Result<Plan, Vec<Diagnostic>> {
    let mut diags = Vec::new();
    let names = include::all_names(file, included, &mut diags);
    let global = match global_scope(file, opts) {
        Ok(scope) => scope,
        Err(mut d) => {
            // Nothing else is worth checking with args that have no value.
            diags.append(&mut d);
            return Err(capped(diags));
        }
    };
    let scopes = match include::scopes(file, included, &global, opts) {
        Ok(scopes) => scopes,
        Err(mut d) => {
            diags.append(&mut d);
            return Err(capped(diags));
        }
    };

    // Resolve every stage, reachable or not, so `check` reports problems anywhere.
    // Included files' stages come first, each in its own file's scope and names.
    let mut resolved = Vec::new();
    let units = included
        .units(&scopes)
        .chain(std::iter::once((file, "", &global)));
    let mut index = 0;
    for (unit, prefix, scope) in units {
        let within = stage::InFile {
            source: &unit.source,
            prefix,
        };
        for (name, stage) in unit.stages.value.iter() {
            if diags.len() >= MAX_ERRORS {
                break;
            }
            let name = include::prefixed(name, prefix);
            match stage::resolve(index, &name, stage, &names, scope, opts, &within) {
                Ok(r) => resolved.push(r),
                Err(mut d) => diags.append(&mut d),
            }
            index += 1;
        }
    }
    if let Some(v) = &file.version
        && v.value.0 != "1"
    {
        diags.push(
            Diagnostic::error(
                span_of(v),
                format!("version `{}` is not supported", v.value.0),
            )
            .with_help("this frontend reads version 1; remove the key or write `version: 1`"),
        );
    }
    let mut file_labels = Vec::new();
    for (k, v) in file.labels.iter() {
        if diags.len() >= MAX_ERRORS {
            break;
        }
        match expand_at(&global, &v.0, span_of(k)) {
            Ok(v) => file_labels.push((k.value.clone(), v)),
            Err(d) => diags.push(d),
        }
    }
    let mut ignore = Vec::new();
    for pattern in &file.ignore {
        if diags.len() >= MAX_ERRORS {
            break;
        }
        match expand(&global, pattern) {
            Ok(p) => ignore.push(p),
            Err(d) => diags.push(d),
        }
    }
    let target = match select_target(file, opts, &names) {
        Ok(t) => Some(t),
        Err(d) => {
            diags.push(d);
            None
        }
    };
    if !diags.is_empty() {
        return Err(capped(diags));
    }
    let (target, export_caches) = target.expect("set when there are no diagnostics");
    let roots: Vec<usize> = if every_stage {
        // The target first, then the rest from the end of the file: later stages tend
        // to need earlier ones, so each stage is visited once.
        std::iter::once(target)
            .chain((0..resolved.len()).rev())
            .collect()
    } else {
        vec![target]
    };
    let order = graph::build_order(&roots, &resolved).map_err(|d| vec![d])?;
    let mut plan = graph::assemble(file_labels, ignore, opts, resolved, &order, target);
    let mut diags = caches::check_seeds(&plan.stages);
    if export_caches {
        plan.export_caches = true;
        diags.extend(caches::check_exports(&plan.stages));
    }
    if !diags.is_empty() {
        return Err(capped(diags));
    }
    plan.warnings = unused_build_args(file, opts);
    plan.args = global;
    plan.file_args = included.scopes_by_file(scopes);
    plan.proxy = Proxy::from_build_args(&opts.build_args);
    Ok(plan)
}

/// How many errors one check reports: a generated file can hold thousands of the same
/// mistake, and each costs a suggestion; the first ones are enough to act on.
pub const MAX_ERRORS: usize = 100;

/// Keeps the first `MAX_ERRORS` errors and, when there were that many, says the check
/// stopped there.
pub(crate) fn capped(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    if diags.len() >= MAX_ERRORS {
        diags.truncate(MAX_ERRORS);
        let span = diags[MAX_ERRORS - 1].span;
        diags.push(
            Diagnostic::error(
                span,
                format!("too many errors: the check stopped after {MAX_ERRORS}"),
            )
            .with_help("fix these and check again; there may be more")
            .with_limit(crate::diag::Limit::Errors),
        );
    }
    diags
}

/// Build args BuildKit or the engine consume themselves, never declared in a file
/// (besides the proxy args).
const BUILTIN_ARGS: &[&str] = &["SOURCE_DATE_EPOCH"];

/// `--build-arg` values the file never declares are most likely typos.
fn unused_build_args(file: &Stagefile, opts: &BuildOptions) -> Vec<Diagnostic> {
    let declared: Vec<&str> = file.args.iter().map(|(k, _)| k.value.as_str()).collect();
    let span = file
        .args
        .0
        .first()
        .map_or(span_of(&file.stages), |(k, _)| span_of(k));
    opts.build_args
        .keys()
        .filter(|k| !declared.contains(&k.as_str()))
        .filter(|k| {
            !k.starts_with("BUILDKIT_")
                && !BUILTIN_ARGS.contains(&k.as_str())
                && !proxy::is_proxy_arg(k)
        })
        .map(|k| {
            let d = Diagnostic::warning(
                span,
                format!("build arg `{k}` is not declared under `args`; it has no effect"),
            );
            match suggest(k, declared.iter().copied()) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!("declare it: `args: {{ {k}: null }}`")),
            }
        })
        .collect()
}

/// Stage names in file order, with a lookup by name (big files have thousands).
pub(crate) struct StageNames {
    pub list: Vec<String>,
    index: std::collections::HashMap<String, usize>,
}

impl StageNames {
    pub fn index(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }
}

impl StageNames {
    fn from_list(list: Vec<String>) -> Self {
        let mut index = std::collections::HashMap::with_capacity(list.len());
        for (i, n) in list.iter().enumerate() {
            index.entry(n.clone()).or_insert(i);
        }
        StageNames { list, index }
    }
}

fn stage_name_list(file: &Stagefile, diags: &mut Vec<Diagnostic>) -> Vec<String> {
    let stages = &file.stages;
    if stages.value.is_empty() {
        diags.push(
            Diagnostic::error(span_of(stages), "`stages` is empty")
                .with_help("add at least one stage with a `from`"),
        );
    }
    stages
        .value
        .iter()
        .map(|(name, _)| {
            if !valid_stage_name(&name.value) {
                diags.push(
                    Diagnostic::error(span_of(name), format!("`{}` is not a valid stage name", name.value))
                        .with_help("stage names use lowercase letters, digits, `.`, `_` and `-`, start with a letter or digit, and are at most 128 characters"),
                );
            }
            name.value.clone()
        })
        .collect()
}

pub fn valid_stage_name(name: &str) -> bool {
    name.len() <= 128
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

fn global_scope(file: &Stagefile, opts: &BuildOptions) -> Result<Scope, Vec<Diagnostic>> {
    let mut scope = Scope::default();
    let platform_values = |p: &Platform, prefix: &str, scope: &mut Scope| {
        scope.set(format!("{prefix}PLATFORM"), Some(p.to_string()));
        scope.set(format!("{prefix}OS"), Some(p.os.clone()));
        scope.set(format!("{prefix}ARCH"), Some(p.arch.clone()));
        scope.set(
            format!("{prefix}VARIANT"),
            Some(p.variant.clone().unwrap_or_default()),
        );
    };
    platform_values(&opts.target_platform, "TARGET", &mut scope);
    platform_values(&opts.build_platform, "BUILD", &mut scope);
    args::resolve(file, opts, &mut scope)?;
    Ok(scope)
}

/// The target stage's index, and whether the generated `<stage>.caches` was asked for.
fn select_target(
    file: &Stagefile,
    opts: &BuildOptions,
    names: &StageNames,
) -> Result<(usize, bool), Diagnostic> {
    let (wanted, span) = match (&opts.target, &file.target) {
        (Some(t), _) if !t.is_empty() => (
            t.clone(),
            file.target.as_ref().map_or(span_of(&file.stages), span_of),
        ),
        (_, Some(t)) => (t.value.clone(), span_of(t)),
        _ => return Ok((names.list.len().saturating_sub(1), false)),
    };
    if let Some(stage) = caches::exported_stage(&wanted, names) {
        return Ok((names.index(stage).expect("checked by exported_stage"), true));
    }
    let names = &names.list;
    let found = names.iter().position(|n| *n == wanted);
    found.map(|i| (i, false)).ok_or_else(|| {
        let d = Diagnostic::error(span, format!("target stage `{wanted}` is not defined"));
        match suggest(&wanted, names.iter().map(String::as_str)) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!("stages are: {}", name_list(names))),
        }
    })
}

/// Turns a failed expansion into a located diagnostic.
pub(crate) fn expand(scope: &Scope, value: &spec::Spanned<String>) -> Result<String, Diagnostic> {
    expand_at(scope, &value.value, span_of(value))
}

pub(crate) fn expand_at(scope: &Scope, text: &str, span: Span) -> Result<String, Diagnostic> {
    scope.expand(text).map_err(|e| expand_error(e, span))
}

/// The located diagnostic for a failed expansion.
pub(crate) fn expand_error(e: vars::ExpandError, span: Span) -> Diagnostic {
    match e {
        vars::ExpandError::Undefined { name, defined } => {
            let d = Diagnostic::error(span, format!("variable `{name}` is not defined"));
            match suggest(&name, defined.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!(
                    "did you mean `{s}`? (write `${{{name}:-}}` for an optional one)"
                )),
                None => d.with_help(format!(
                    "defined here: {}; declare it under `args` or write `${{{name}:-}}`",
                    name_list(&defined)
                )),
            }
        }
        vars::ExpandError::Unset { name } => Diagnostic::error(
            span,
            format!("arg `{name}` has no value"),
        )
        .with_help(format!(
            "pass --build-arg {name}=…, give it a default under `args`, or write `${{{name}:-}}`"
        )),
        vars::ExpandError::Syntax(msg) => Diagnostic::error(span, msg),
        vars::ExpandError::TooDeep => Diagnostic::error(
            span,
            format!("variables nest more than {} levels deep", vars::MAX_NESTING),
        )
        .with_limit(crate::diag::Limit::VariableNesting),
        vars::ExpandError::Deferred { name } => Diagnostic::error(
            span,
            format!("`{name}` is set from the inherited environment, which only `env` values can refer to"),
        )
        .with_help(format!(
            "its value is known once the base is; use `${name}` in a `run` step, where the shell expands it"
        )),
    }
}

#[cfg(test)]
mod tests;
