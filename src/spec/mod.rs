//! The Stagefile's YAML model: serde types whose values carry their line and column.
//!
//! This room knows nothing of LLB or BuildKit; `plan` gives these values their meaning.
//! The `///` comments on the fields are the descriptions `stagefile schema` prints, so
//! editors show them: keep them true and short.

pub(crate) mod de;
mod parse;
mod position;
mod schema;
mod test_entry;

pub use de::{
    Command, FromShorthand, LineMap, OneOrMany, OrderedMap, Short, Spanned, Text, items, span_of,
    unlocated,
};
pub use parse::{MAX_FILE_BYTES, expanded, parse, parse_in, too_big};
pub use position::within;
pub use schema::schema;
pub use test_entry::Test;

use schemars::JsonSchema;
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stagefile {
    /// The format version; only `1` is accepted.
    #[schemars(extend("enum" = [1, "1", null]))]
    pub version: Option<Spanned<Text>>,
    /// Build args and their defaults (`null`: no default); `--build-arg NAME=value` overrides a default.
    #[serde(default)]
    pub args: OrderedMap<Option<Text>>,
    /// The stages, in order; without a `target`, the last one is built.
    #[schemars(schema_with = "schema::stage_map")]
    pub stages: Spanned<OrderedMap<Stage>>,
    /// The stage built by default; the `--target` option wins over it. Not expanded.
    pub target: Option<Spanned<String>>,
    /// Labels added to the final image only (expanded); `--label` options win over them.
    #[serde(default)]
    pub labels: OrderedMap<Text>,
    /// Exclude patterns for the build context, added after `.dockerignore` (expanded).
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    /// Lint settings: rules to skip, and whether findings fail the build.
    pub check: Option<Spanned<CheckSpec>>,
    /// Stagefiles whose stages this file uses as `<prefix>.<stage>`: a path in the build
    /// context, or a mapping with `path`, `from`, `as` and `args`.
    #[serde(default)]
    pub include: Vec<Spanned<Short<IncludeSpec>>>,
    /// The text the file was read from, to place errors inside multi-line values.
    #[serde(skip)]
    #[schemars(skip)]
    pub source: String,
}

/// One included Stagefile: `include: [ci/base.yaml]` or the full form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IncludeSpec {
    /// The file's path from the root of the build context, or of the named context `from`. Not expanded.
    pub path: Spanned<String>,
    /// A named context (`--build-context NAME=…`) to read the file from instead of the build context. Not expanded.
    pub from: Option<Spanned<String>>,
    /// The prefix of the file's stages (`<as>.<stage>`); default: the file name without its extension. Not expanded.
    #[serde(rename = "as")]
    pub prefix: Option<Spanned<String>>,
    /// Values for the included file's `args` (expanded in this file); nothing else of this build's args reaches it.
    #[serde(default)]
    pub args: OrderedMap<Text>,
}

impl FromShorthand for IncludeSpec {
    fn from_shorthand(s: String) -> Self {
        IncludeSpec {
            path: unlocated(s),
            from: None,
            prefix: None,
            args: OrderedMap::default(),
        }
    }
}

/// Lint settings, as a Dockerfile's `# check=skip=…;error=true` line.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// Lint rules not to run: a rule name, a list of them, or `all`.
    #[schemars(schema_with = "schema::lint_rules")]
    pub skip: Option<Spanned<OneOrMany<String>>>,
    /// `true`: lint findings fail the build and `stagefile check`. Default `false`.
    pub error: Option<Spanned<bool>>,
}

/// One stage: a base, some steps, and the image config it produces.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = schema::preset_or_from)]
pub struct Stage {
    /// The base: a stage, an image reference, `scratch` or a named context (expanded).
    pub from: Spanned<String>,
    /// Platform of the base image and the `run` steps, `os/arch[/variant]` (expanded); default: the target platform.
    pub platform: Option<Spanned<String>>,
    /// Free text shown by `stagefile outline` and `--call=targets`; marks a stage meant for `--target`.
    pub description: Option<Spanned<String>>,
    /// Working directory of the steps and the image, created if missing (expanded).
    pub workdir: Option<Spanned<String>>,
    /// Environment of the steps and the image; values are expanded, `NAME:` with no value means empty.
    #[serde(default)]
    pub env: OrderedMap<Option<Text>>,
    /// User (`name`, `uid` or `user:group`) of the `run` steps and the image (expanded).
    pub user: Option<Spanned<Text>>,
    /// Program and leading arguments for shell-form commands, e.g. `[/bin/bash, -c]`. Not expanded.
    pub shell: Option<Spanned<Vec<String>>>,
    /// Args every `run` step of this stage receives, used in its text or not.
    #[serde(default)]
    pub args: Vec<Spanned<String>>,
    /// The steps, run in order.
    #[serde(default)]
    pub steps: Vec<Spanned<Step>>,
    /// Tests every build that needs this stage runs: `run` commands on its final filesystem, or test stages.
    #[serde(default)]
    pub tests: Vec<Spanned<Test>>,
    /// The image's entrypoint: a list as is, a string through the shell. Not expanded.
    pub entrypoint: Option<Spanned<Command>>,
    /// The image's default command: a list as is, a string through the shell. Not expanded.
    pub cmd: Option<Spanned<Command>>,
    /// Exposed ports: `8080`, `53/udp`, `8000-8002/tcp`; one or a list (expanded).
    pub expose: Option<Spanned<OneOrMany<Text>>>,
    /// Labels of this stage's image config, inherited by stages built from it (expanded).
    #[serde(default)]
    pub labels: OrderedMap<Text>,
    /// Paths recorded as volumes in the image config; one or a list (expanded).
    pub volumes: Option<Spanned<OneOrMany<String>>>,
    /// Signal that stops a container of the image, e.g. `SIGTERM` (expanded).
    pub stopsignal: Option<Spanned<Text>>,
    /// The container health check recorded in the image config.
    pub healthcheck: Option<Spanned<Healthcheck>>,
}

/// The keys that make a step what it is; a step has exactly one.
pub const STEP_KINDS: [&str; 4] = ["run", "copy", "add", "file"];

/// A step is one of `run`, `copy`, `add`, `file`; the other keys are that kind's options.
/// All keys are read here and `plan` checks which ones belong together, so a misplaced
/// option gets a located "only for …" error instead of a generic one.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = schema::one_step_kind)]
pub struct Step {
    /// Runs a command: a string through the stage's shell, or a list (exec form). Not expanded.
    pub run: Option<Spanned<Command>>,
    /// Copies files: a source path or a list of them, from the build context unless `from` says otherwise (expanded).
    pub copy: Option<Spanned<OneOrMany<String>>>,
    /// Downloads an http(s) URL or fetches a Git repository (expanded).
    pub add: Option<Spanned<String>>,
    /// Writes one file with `content`; the value is its path (expanded).
    pub file: Option<Spanned<String>>,

    // run options
    /// `run`: cache mounts; a path, a mapping, or a list of either.
    pub cache: Option<Spanned<OneOrMany<Short<CacheSpec>>>>,
    /// `run`: build secrets; an id, a mapping, or a list of either.
    pub secret: Option<Spanned<OneOrMany<Short<SecretSpec>>>>,
    /// `run`: SSH agent forwarding; `true`, an id, or a mapping.
    pub ssh: Option<Spanned<Short<SshSpec>>>,
    /// `run`: in-memory filesystems; a path, a mapping with `size`, or a list of either.
    pub tmpfs: Option<Spanned<OneOrMany<Short<TmpfsSpec>>>>,
    /// `run`: bind mounts of a stage, image or context; a mapping or a list of them.
    pub mount: Option<Spanned<OneOrMany<MountSpec>>>,
    /// `run`: the network, `default`, `none` or `host` (expanded).
    #[schemars(extend("anyOf" = [{ "enum": ["default", "none", "host", null] }, { "type": "string", "pattern": "\\$" }]))]
    pub network: Option<Spanned<String>>,
    /// `run`: `sandbox` (default) or `insecure` (expanded).
    #[schemars(extend("anyOf" = [{ "enum": ["sandbox", "insecure", null] }, { "type": "string", "pattern": "\\$" }]))]
    pub security: Option<Spanned<String>>,
    /// `run`: environment of this step only; values are expanded, `NAME:` with no value means empty.
    #[serde(default)]
    pub env: OrderedMap<Option<Text>>,
    /// `run`: working directory of this step only (expanded).
    pub workdir: Option<Spanned<String>>,
    /// `run`: user of this step only (expanded).
    pub user: Option<Spanned<Text>>,
    /// `run`: args this step receives besides those its text mentions.
    #[serde(default)]
    pub args: Vec<Spanned<String>>,

    // copy / add / file options
    /// `copy`: where the files come from: a stage, image, named context or `context` (expanded).
    pub from: Option<Spanned<String>>,
    /// `copy`, `add`: the destination; a trailing `/` means a directory; default: the working directory (expanded).
    pub to: Option<Spanned<String>>,
    /// `copy`, `add`, `file`: owner, `user` or `user:group`, as numbers or names (expanded).
    pub chown: Option<Spanned<Text>>,
    /// `copy`, `add`: octal mode of the files written, e.g. `0755`.
    pub chmod: Option<Spanned<Text>>,
    /// `copy`: patterns of source files to leave out; one or a list (expanded).
    pub exclude: Option<Spanned<OneOrMany<String>>>,
    /// `copy`: `true` copies into an independent layer, like `COPY --link`.
    pub link: Option<Spanned<bool>>,
    /// `copy`: `true` keeps each source's parent directories.
    pub parents: Option<Spanned<bool>>,
    /// `add`: the pin, verified by BuildKit: `sha256:<hex>` of a download, or the full
    /// commit id a Git repository's ref must resolve to (expanded).
    pub checksum: Option<Spanned<String>>,
    /// `add`: `true` keeps a Git repository's `.git` directory.
    #[serde(rename = "keep-git-dir")]
    pub keep_git_dir: Option<Spanned<bool>>,
    /// `file`: the file's text (expanded; write `$$` for a literal `$`).
    pub content: Option<Spanned<String>>,
    /// `file`: `false` writes `content` as it is, without expanding variables.
    pub expand: Option<Spanned<bool>>,
    /// `file`: octal mode of the file; default `0644`.
    pub mode: Option<Spanned<Text>>,
}

/// A cache mount: `cache: /path` or the full form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    /// Absolute path where the cache is mounted (expanded).
    pub target: Spanned<String>,
    /// The cache's identity, shared by steps that name it; default: the target (expanded).
    pub id: Option<Spanned<String>>,
    /// `shared` (default), `private` or `locked`: what concurrent users of the cache get (expanded).
    #[schemars(extend("anyOf" = [{ "enum": ["shared", "private", "locked", null] }, { "type": "string", "pattern": "\\$" }]))]
    pub sharing: Option<Spanned<String>>,
    /// A stage, image or named context whose files seed a new cache (expanded).
    pub from: Option<Spanned<String>>,
    /// A cache folder that travels: a named context of this name, else a stage, else
    /// `docker-image://REF`; its `/<id>` directory (`/` turned to `-`) seeds the cache.
    /// A name that is none of these seeds nothing: the cache starts empty (expanded).
    pub seed: Option<Spanned<String>>,
    /// The directory of `from` (default `/`) or `seed` (default `/<id>`) used as the seed (expanded).
    pub source: Option<Spanned<String>>,
    /// Octal mode of a new cache's directory; default `0755`.
    pub mode: Option<Spanned<Text>>,
    /// Owner id of a new cache's directory; default 0.
    pub uid: Option<Spanned<u32>>,
    /// Group id of a new cache's directory; default 0.
    pub gid: Option<Spanned<u32>>,
}

impl FromShorthand for CacheSpec {
    fn from_shorthand(s: String) -> Self {
        CacheSpec {
            target: unlocated(s),
            id: None,
            sharing: None,
            from: None,
            seed: None,
            source: None,
            mode: None,
            uid: None,
            gid: None,
        }
    }
}

/// A build secret: `secret: id` or the full form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    /// The secret's id, as given to `--secret id=…` (expanded).
    pub id: Spanned<String>,
    /// Absolute path of the file; default `/run/secrets/<id>` (expanded).
    pub target: Option<Spanned<String>>,
    /// Also, or only, expose the secret as this environment variable.
    pub env: Option<Spanned<String>>,
    /// `true`: the step fails when the client does not provide the secret. Default `false`.
    pub required: Option<Spanned<bool>>,
    /// Octal mode of the file; default `0400`.
    pub mode: Option<Spanned<Text>>,
    /// Owner id of the file; default 0.
    pub uid: Option<Spanned<u32>>,
    /// Group id of the file; default 0.
    pub gid: Option<Spanned<u32>>,
}

impl FromShorthand for SecretSpec {
    fn from_shorthand(s: String) -> Self {
        SecretSpec {
            id: unlocated(s),
            target: None,
            env: None,
            required: None,
            mode: None,
            uid: None,
            gid: None,
        }
    }
}

/// SSH agent forwarding: `ssh: true`, `ssh: id` or the full form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SshSpec {
    /// The agent's id, as given to `--ssh id=…`; default `default` (expanded).
    #[serde(default)]
    pub id: Option<Spanned<String>>,
    /// Socket path in the step; default `/run/buildkit/ssh_agent.0` (expanded).
    pub target: Option<Spanned<String>>,
    /// `true`: the step fails when the client forwards no such agent. Default `false`.
    pub required: Option<Spanned<bool>>,
}

impl FromShorthand for SshSpec {
    fn from_shorthand(s: String) -> Self {
        let id = match s.as_str() {
            "true" => Some("default".to_owned()),
            "false" => None,
            _ => Some(s),
        };
        SshSpec {
            id: id.map(unlocated),
            target: None,
            required: None,
        }
    }
}

/// An in-memory filesystem for one `run` step: `tmpfs: /path` or the full form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TmpfsSpec {
    /// Absolute path where the filesystem is mounted (expanded).
    pub target: Spanned<String>,
    /// Upper limit of its size: bytes, or a number with `k`, `m`, `g` or `t` (binary units, as Docker reads `64m`) (expanded).
    pub size: Option<Spanned<Text>>,
}

impl FromShorthand for TmpfsSpec {
    fn from_shorthand(s: String) -> Self {
        TmpfsSpec {
            target: unlocated(s),
            size: None,
        }
    }
}

/// A bind mount of a stage, image or named context into a `run` step.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MountSpec {
    /// A stage, image, named context, or `context` / `.` for the build context (default) (expanded).
    pub from: Option<Spanned<String>>,
    /// Directory or file inside `from`; default `/` (expanded).
    pub source: Option<Spanned<String>>,
    /// Absolute mount point (expanded).
    pub target: Spanned<String>,
    /// `true` allows writes, which are discarded after the step. Default `false`.
    pub rw: Option<Spanned<bool>>,
}

/// Container health check, as in a Dockerfile `HEALTHCHECK`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    /// The check: a string for the shell, a list run as is, or Docker's list form (`[CMD, …]`, `[CMD-SHELL, "…"]`, `[NONE]`). Not expanded.
    pub test: Spanned<Command>,
    /// Time between checks, e.g. `30s`, `1m30s`.
    pub interval: Option<Spanned<String>>,
    /// Time one check may take before it counts as failed.
    pub timeout: Option<Spanned<String>>,
    /// Time after start during which failures do not count.
    #[serde(rename = "start-period")]
    pub start_period: Option<Spanned<String>>,
    /// Time between checks during the start period.
    #[serde(rename = "start-interval")]
    pub start_interval: Option<Spanned<String>>,
    /// Consecutive failures that make the container unhealthy.
    pub retries: Option<Spanned<u32>>,
}
