//! A stage's `tests:` entries: a `run` command on the stage's final filesystem, with the
//! options of a `run` step, or a test `stage` that builds whenever the stage does.

use super::de::{Command, OneOrMany, OrderedMap, Short, Spanned, Text};
use super::{CacheSpec, MountSpec, SecretSpec, SshSpec, TmpfsSpec};
use schemars::JsonSchema;
use serde::Deserialize;

/// One test of a stage: exactly one of `run` and `stage`. Nothing a test writes reaches
/// an image.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = one_test_kind)]
pub struct Test {
    /// Runs a command on the stage's final filesystem, with its env, workdir, user and shell: a string through the shell, or a list (exec form). Not expanded.
    pub run: Option<Spanned<Command>>,
    /// A stage (e.g. one `from` this one) that is built whenever this stage is (expanded).
    pub stage: Option<Spanned<String>>,
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
    /// `run`: environment of this test only; values are expanded, `NAME:` with no value means empty.
    #[serde(default)]
    pub env: OrderedMap<Option<Text>>,
    /// `run`: working directory of this test only (expanded).
    pub workdir: Option<Spanned<String>>,
    /// `run`: user of this test only (expanded).
    pub user: Option<Spanned<Text>>,
    /// `run`: args this test receives besides those its text mentions.
    #[serde(default)]
    pub args: Vec<Spanned<String>>,
}

/// A test has exactly one of `run` and `stage`.
fn one_test_kind(schema: &mut schemars::Schema) {
    schema.insert(
        "oneOf".into(),
        serde_json::json!([
            { "required": ["run"], "not": { "required": ["stage"] } },
            {
                "required": ["stage"],
                "propertyNames": { "enum": ["stage"] }
            }
        ]),
    );
}
