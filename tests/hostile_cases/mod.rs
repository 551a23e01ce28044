//! The header of a hostile-input case (`tests/hostile/*.yaml`), shared by the engine-free
//! corpus runner (`tests/hostile.rs`) and its sample through the engine
//! (`tests/e2e_hostile.rs`).
//!
//! A case file starts with header comments:
//!
//! ```yaml
//! # expect: 7:15 no stage is named `biuld` | did you mean stage `build`?
//! # with: target=app
//! ```
//!
//! Each `expect` line names a line, a column and a piece of the message, and after ` | `
//! optionally a piece of the hint. `with` sets a build option: `target=NAME`,
//! `build-arg=NAME=VALUE`, `platform=OS/ARCH`, `context=NAME=VALUE` (a named context).
//! `# refused-by: lowering` says the file plans and only lowering refuses it (an `env`
//! value that waits for the inherited environment, say).
//!
//! Standard library only: each runner turns the options into its own form (build options
//! for the compiler, flags for `docker buildx build`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// `tests/hostile`, where the case files are.
pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile")
}

/// One `# expect:` line: a diagnostic the case must give.
#[derive(Debug)]
pub struct Expect {
    pub line: u32,
    pub column: u32,
    pub message: String,
    /// The diagnostic's code, written `[Code]` before the message (a limit's or a rule's).
    pub code: Option<String>,
    /// A piece of the hint, when the case is about the hint ("did you mean").
    pub help: Option<String>,
}

/// One `# with:` line: a build option, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum With {
    /// `target=NAME`
    Target(String),
    /// `build-arg=NAME=VALUE` (`build-arg=NAME` gives the empty value)
    BuildArg(String, String),
    /// `platform=OS/ARCH[/VARIANT]`, not yet parsed
    Platform(String),
    /// `context=NAME=VALUE`, the value as the frontend receives it (`local:DIR`,
    /// `docker-image://REF`, `input:NAME`)
    Context(String, String),
}

/// The header of a case: at least one expectation, and the options in file order.
#[derive(Debug)]
pub struct Header {
    pub expects: Vec<Expect>,
    pub with: Vec<With>,
    /// The plan accepts the file; lowering refuses it.
    pub refused_by_lowering: bool,
}

/// Reads the `# expect:` and `# with:` lines at the top of a case (the comment lines
/// before the first other line).
pub fn header(name: &str, text: &str) -> Result<Header, String> {
    let mut expects = Vec::new();
    let mut with = Vec::new();
    let mut refused_by_lowering = false;
    for line in text.lines() {
        let Some(comment) = line.strip_prefix('#') else {
            break;
        };
        let comment = comment.trim();
        if let Some(rest) = comment.strip_prefix("expect:") {
            let rest = rest.trim();
            let (at, message) = rest.split_once(' ').unwrap_or((rest, ""));
            let (l, c) = at
                .split_once(':')
                .ok_or_else(|| format!("{name}: bad location `{at}`"))?;
            let (code, message) = match message.strip_prefix('[').and_then(|m| m.split_once("] ")) {
                Some((code, message)) => (Some(code.to_owned()), message),
                None => (None, message),
            };
            let (message, help) = match message.split_once(" | ") {
                Some((m, h)) => (m, Some(h.trim().to_owned())),
                None => (message, None),
            };
            expects.push(Expect {
                line: l.parse().map_err(|_| format!("{name}: bad line `{l}`"))?,
                column: c.parse().map_err(|_| format!("{name}: bad column `{c}`"))?,
                message: message.trim().to_owned(),
                code,
                help,
            });
        } else if let Some(rest) = comment.strip_prefix("refused-by:") {
            refused_by_lowering = match rest.trim() {
                "lowering" => true,
                "plan" => false,
                other => return Err(format!("{name}: `refused-by: {other}`: plan or lowering")),
            };
        } else if let Some(rest) = comment.strip_prefix("with:") {
            let (key, value) = rest
                .trim()
                .split_once('=')
                .ok_or_else(|| format!("{name}: `# with: key=value`, got `{line}`"))?;
            with.push(match key {
                "target" => With::Target(value.to_owned()),
                "platform" => With::Platform(value.to_owned()),
                "build-arg" => {
                    let (k, v) = value.split_once('=').unwrap_or((value, ""));
                    With::BuildArg(k.to_owned(), v.to_owned())
                }
                "context" => {
                    let (k, v) = value
                        .split_once('=')
                        .ok_or_else(|| format!("{name}: `context=NAME=VALUE`"))?;
                    With::Context(k.to_owned(), v.to_owned())
                }
                other => return Err(format!("{name}: unknown option `{other}`")),
            });
        }
    }
    if expects.is_empty() {
        return Err(format!("{name}: no `# expect:` line at the top"));
    }
    Ok(Header {
        expects,
        with,
        refused_by_lowering,
    })
}
