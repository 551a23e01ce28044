//! The Stagefile's YAML model: serde types whose values carry their line and column.
//!
//! This room knows nothing of LLB or BuildKit; `plan` gives these values their meaning.

mod de;
mod parse;
mod position;
mod schema;

pub use de::{Command, OneOrMany, OrderedMap, Short, Spanned, Text, span_of};
pub use parse::{MAX_FILE_BYTES, parse, too_big};
pub use position::within;
pub use schema::schema;

use de::{FromShorthand, unlocated};
use schemars::JsonSchema;
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stagefile {
    pub version: Option<Spanned<Text>>,
    #[serde(default)]
    pub args: OrderedMap<Option<Text>>,
    pub stages: Spanned<OrderedMap<Stage>>,
    pub target: Option<Spanned<String>>,
    #[serde(default)]
    pub labels: OrderedMap<Text>,
    #[serde(default)]
    pub ignore: Vec<Spanned<String>>,
    /// The text the file was read from, to place errors inside multi-line values.
    #[serde(skip)]
    #[schemars(skip)]
    pub source: String,
}

/// One stage: a base, some steps, and the image config it produces.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub from: Spanned<String>,
    pub platform: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub workdir: Option<Spanned<String>>,
    #[serde(default)]
    /// A key with no value (`A:`) sets the variable to the empty string.
    pub env: OrderedMap<Option<Text>>,
    pub user: Option<Spanned<Text>>,
    pub shell: Option<Spanned<Vec<String>>>,
    /// Args every `run` of this stage receives, used in its text or not.
    #[serde(default)]
    pub args: Vec<Spanned<String>>,
    #[serde(default)]
    pub steps: Vec<Spanned<Step>>,
    pub entrypoint: Option<Spanned<Command>>,
    pub cmd: Option<Spanned<Command>>,
    #[serde(default)]
    pub expose: Vec<Spanned<Text>>,
    #[serde(default)]
    pub labels: OrderedMap<Text>,
    #[serde(default)]
    pub volumes: Vec<Spanned<String>>,
    pub stopsignal: Option<Spanned<Text>>,
    pub healthcheck: Option<Spanned<Healthcheck>>,
}

/// A step is one of `run`, `copy`, `add`, `file`; the other keys are that kind's options.
/// All keys are read here and `plan` checks which ones belong together, so a misplaced
/// option gets a located "only for …" error instead of a generic one.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub run: Option<Spanned<Command>>,
    pub copy: Option<Spanned<OneOrMany<String>>>,
    pub add: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,

    // run options
    pub cache: Option<Spanned<OneOrMany<Short<CacheSpec>>>>,
    pub secret: Option<Spanned<OneOrMany<Short<SecretSpec>>>>,
    pub ssh: Option<Spanned<Short<SshSpec>>>,
    pub tmpfs: Option<Spanned<OneOrMany<String>>>,
    #[serde(default)]
    pub mount: Vec<Spanned<MountSpec>>,
    pub network: Option<Spanned<String>>,
    pub security: Option<Spanned<String>>,
    #[serde(default)]
    /// A key with no value (`A:`) sets the variable to the empty string.
    pub env: OrderedMap<Option<Text>>,
    pub workdir: Option<Spanned<String>>,
    pub user: Option<Spanned<Text>>,
    #[serde(default)]
    pub args: Vec<Spanned<String>>,

    // copy / add / file options
    pub from: Option<Spanned<String>>,
    pub to: Option<Spanned<String>>,
    pub chown: Option<Spanned<Text>>,
    pub chmod: Option<Spanned<Text>>,
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    pub link: Option<Spanned<bool>>,
    pub parents: Option<Spanned<bool>>,
    pub checksum: Option<Spanned<String>>,
    pub content: Option<Spanned<String>>,
    /// `false` writes `content` as it is, without expanding variables.
    pub expand: Option<Spanned<bool>>,
    pub mode: Option<Spanned<Text>>,
}

/// A cache mount: `cache: /path` or the full form.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    pub target: Spanned<String>,
    pub id: Option<Spanned<String>>,
    pub sharing: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
    pub source: Option<Spanned<String>>,
    pub mode: Option<Spanned<Text>>,
    pub uid: Option<Spanned<u32>>,
    pub gid: Option<Spanned<u32>>,
}

impl FromShorthand for CacheSpec {
    fn from_shorthand(s: String) -> Self {
        CacheSpec {
            target: unlocated(s),
            id: None,
            sharing: None,
            from: None,
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
    pub id: Spanned<String>,
    pub target: Option<Spanned<String>>,
    pub env: Option<Spanned<String>>,
    pub required: Option<Spanned<bool>>,
    pub mode: Option<Spanned<Text>>,
    pub uid: Option<Spanned<u32>>,
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
    #[serde(default)]
    pub id: Option<Spanned<String>>,
    pub target: Option<Spanned<String>>,
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

/// A bind mount of a stage, image or named context into a `run` step.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MountSpec {
    pub from: Option<Spanned<String>>,
    pub source: Option<Spanned<String>>,
    pub target: Spanned<String>,
    pub rw: Option<Spanned<bool>>,
}

/// Container health check, as in a Dockerfile `HEALTHCHECK`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Healthcheck {
    pub test: Spanned<Command>,
    pub interval: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    #[serde(rename = "start-period")]
    pub start_period: Option<Spanned<String>>,
    #[serde(rename = "start-interval")]
    pub start_interval: Option<Spanned<String>>,
    pub retries: Option<Spanned<u32>>,
}

/// Keys of each mapping, for "did you mean" suggestions on misspelt keys.
pub const TOP_KEYS: &[&str] = &["version", "args", "stages", "target", "labels", "ignore"];
pub const STAGE_KEYS: &[&str] = &[
    "from",
    "platform",
    "description",
    "workdir",
    "env",
    "user",
    "shell",
    "args",
    "steps",
    "entrypoint",
    "cmd",
    "expose",
    "labels",
    "volumes",
    "stopsignal",
    "healthcheck",
];
pub const STEP_KEYS: &[&str] = &[
    "run", "copy", "add", "file", "cache", "secret", "ssh", "tmpfs", "mount", "network",
    "security", "env", "workdir", "user", "args", "from", "to", "chown", "chmod", "exclude",
    "link", "parents", "checksum", "content", "expand", "mode",
];
