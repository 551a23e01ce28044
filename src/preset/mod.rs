//! Presets: a stage with `preset: go` (or node, python, rust, java) stands for the stages
//! a careful engineer writes for that ecosystem — toolchain and dependencies, build, test,
//! and a small non-root runtime — with the copy order and cache mounts that keep a
//! one-line edit from re-running the dependency install.
//!
//! Expansion is textual, before the real parse: each preset stage's lines are replaced
//! by the generated stages' YAML, which is what `stagefile expand` prints, so nothing is
//! hidden. The expanded text is then parsed with a line map: the user's lines keep their
//! numbers, and every generated line is placed at the user's `preset:` value, so errors
//! point at the file the user wrote. A stage the user writes with a generated stage's
//! name replaces it.

mod go;
pub mod init;
mod java;
mod node;
mod python;
mod rust;
mod scan;

pub use scan::Scan;

use crate::diag::{Diagnostic, Span, suggest};
use crate::spec::{FromShorthand, LineMap, Short, Spanned, Text, span_of, unlocated};
use serde::Deserialize;
use std::rc::Rc;

/// The presets, by name.
pub const PRESETS: [&str; 5] = ["go", "node", "python", "rust", "java"];

/// Each preset's toolchain version when the `version` key is not given.
pub fn default_version(preset: &str) -> &'static str {
    match preset {
        "go" => "1.24",
        "node" => "20",
        "python" => "3.13",
        "rust" => "1.85",
        _ => "21",
    }
}

/// A preset's keys, as the user wrote them: `preset: go`, or a mapping.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PresetKeys {
    /// Which preset: go, node, python, rust or java.
    #[schemars(extend("enum" = ["go", "node", "python", "rust", "java"]))]
    pub name: Spanned<String>,
    /// The toolchain version, as the official image tags it (`1.24`, `20`, `3.13`).
    pub version: Option<Spanned<Text>>,
    /// What to run or build: Go package, Node or Python file, Rust binary, Java main class.
    pub entry: Option<Spanned<Text>>,
    /// The port the app listens on (exposed by the runtime image).
    pub port: Option<Spanned<Text>>,
    /// The runtime stage's base image.
    pub runtime: Option<Spanned<String>>,
    /// node: npm, pnpm or yarn; python: pip, uv or poetry; java: maven, gradle or javac.
    #[schemars(extend("enum" = ["npm", "pnpm", "yarn", "pip", "uv", "poetry", "maven", "gradle", "javac"]))]
    pub manager: Option<Spanned<String>>,
    /// The test stage's command (default: the ecosystem's own test runner).
    pub test: Option<Spanned<String>>,
}

impl FromShorthand for PresetKeys {
    fn from_shorthand(s: String) -> Self {
        PresetKeys {
            name: unlocated(s),
            version: None,
            entry: None,
            port: None,
            runtime: None,
            manager: None,
            test: None,
        }
    }
}

/// A preset's settings after defaults, ready for a template.
pub struct Settings {
    /// The user's stage name; generated stages are `NAME.deps`, `NAME.build`, …
    pub stage: String,
    pub version: String,
    pub entry: Option<String>,
    pub port: Option<String>,
    pub runtime: Option<String>,
    pub manager: Option<String>,
    pub test: Option<String>,
    pub description: Option<String>,
}

impl Settings {
    /// The runtime stage's description, quoted: the user's, else `default`.
    pub fn description_or(&self, default: &str) -> String {
        quoted(self.description.as_deref().unwrap_or(default))
    }

    /// The runtime stage's `expose:` line (with its newline), if a port is set.
    pub fn expose(&self) -> String {
        self.port
            .as_deref()
            .map_or(String::new(), |p| format!("  expose: [{}]\n", quoted(p)))
    }

    /// The version key, else the preset's default.
    pub fn version(&self, preset: &str) -> &str {
        if self.version.is_empty() {
            default_version(preset)
        } else {
            &self.version
        }
    }
}

/// One generated stage: its name and its YAML (the `name:` line at column 1).
pub struct Generated {
    pub name: String,
    pub text: String,
}

/// The expanded text and where each of its lines came from.
pub struct Expansion {
    pub text: String,
    pub lines: Rc<Lines>,
}

/// For each line of the expanded text, its origin in the user's file.
pub struct Lines(Vec<Origin>);

#[derive(Clone, Copy)]
enum Origin {
    User(u32),
    Preset(Span),
}

impl LineMap for Lines {
    fn place(&self, span: Span) -> Span {
        match span
            .line
            .checked_sub(1)
            .and_then(|i| self.0.get(i as usize))
        {
            Some(Origin::User(line)) => Span {
                line: *line,
                ..span
            },
            Some(Origin::Preset(at)) => *at,
            None => span,
        }
    }
}

/// The file with its preset stages expanded, or `None` when it has none. `scan` reads the
/// text with the parser's limits; its errors are the parser's.
pub fn expand(
    text: &str,
    scan: impl FnOnce(&str) -> Result<scan::Scan, Diagnostic>,
) -> Result<Option<Expansion>, Vec<Diagnostic>> {
    // Most files have no preset: skip the scan for them.
    if !text.contains("preset") {
        return Ok(None);
    }
    let scanned = scan(text).map_err(|d| vec![d])?;
    let Some(stages) = scanned.stages else {
        return Ok(None);
    };
    if stages.value.iter().all(|(_, s)| s.preset.is_none()) {
        return Ok(None);
    }
    let names: Vec<&str> = stages.value.iter().map(|(k, _)| k.value.as_str()).collect();
    let lines: Vec<&str> = text.lines().collect();
    let top = scan::top_level_lines(text);
    let past_end = lines.len() as u32 + 1;
    let mut errors = Vec::new();
    let mut out = String::new();
    let mut origin = Vec::new();
    let mut copied = 0u32; // user lines already copied
    for (i, (key, stage)) in stages.value.iter().enumerate() {
        let Some(preset) = &stage.preset else {
            continue;
        };
        let start = key.span.line;
        let own_line = lines
            .get(start.saturating_sub(1) as usize)
            .map(|l| l.trim_start().trim_start_matches(['"', '\'']))
            .is_some_and(|l| l.starts_with(key.value.as_str()));
        if start <= copied || !own_line {
            errors.push(
                Diagnostic::error(
                    span_of(preset),
                    "a preset stage must be written in block style",
                )
                .with_help("put the stage on its own lines under `stages:`, one key per line"),
            );
            continue;
        }
        let next_stage = stages.value.0.get(i + 1).map(|(k, _)| k.span.line);
        let next_top = top.iter().copied().find(|&l| l > start);
        let next = [next_stage, next_top, Some(past_end)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(past_end);
        let end = scan::stage_end(&lines, start, next);
        let settings = match settings(&key.value, preset, &stage.keys, text) {
            Ok(s) => s,
            Err(mut e) => {
                errors.append(&mut e);
                continue;
            }
        };
        let generated = generate(&preset.value.0.name.value, &settings);
        for line in copied + 1..start {
            out.push_str(lines[line as usize - 1]);
            out.push('\n');
            origin.push(Origin::User(line));
        }
        let indent = " ".repeat(key.span.column.saturating_sub(1) as usize);
        let at = stage.preset_key;
        let header = format!(
            "# preset {} for `{}` (written out by `stagefile expand`)",
            preset.value.0.name.value, key.value
        );
        let kept = generated
            .iter()
            .filter(|g| g.name == key.value || !names.contains(&g.name.as_str()));
        for line in std::iter::once(header.as_str()).chain(kept.flat_map(|g| g.text.lines())) {
            if !line.is_empty() {
                out.push_str(&indent);
                out.push_str(line);
            }
            out.push('\n');
            origin.push(Origin::Preset(at));
        }
        copied = end;
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for line in copied + 1..past_end {
        out.push_str(lines[line as usize - 1]);
        out.push('\n');
        origin.push(Origin::User(line));
    }
    Ok(Some(Expansion {
        text: out,
        lines: Rc::new(Lines(origin)),
    }))
}

/// Checks a preset stage's keys and fills in the defaults.
fn settings(
    stage: &str,
    preset: &Spanned<Short<PresetKeys>>,
    other_keys: &[Spanned<String>],
    text: &str,
) -> Result<Settings, Vec<Diagnostic>> {
    let keys = &preset.value.0;
    let name_span = if keys.name.span.is_known() {
        keys.name.span
    } else {
        span_of(preset)
    };
    let mut errors = Vec::new();
    // Generated names and YAML keys are built from the stage's name: hold it to the format.
    if !stage.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        || !stage
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        errors.push(
            Diagnostic::error(span_of(preset), format!("`{stage}` is not a stage name a preset can use"))
                .with_help("stage names are lower-case letters, digits, `.`, `_` and `-`, starting with a letter or digit"),
        );
        return Err(errors);
    }
    let mut description = None;
    for key in other_keys {
        if key.value == "description" {
            description = Some(description_text(text, key.span));
            continue;
        }
        errors.push(
            Diagnostic::error(
                key.span,
                format!("`{}` is not set on a preset stage", key.value),
            )
            .with_help(format!(
                "the preset writes stage `{stage}`; set its base with the preset's `runtime` key, \
                 or run `stagefile expand` and edit the stages it prints"
            )),
        );
    }
    if !PRESETS.contains(&keys.name.value.as_str()) {
        let mut d = Diagnostic::error(
            name_span,
            format!("there is no preset named `{}`", keys.name.value),
        );
        d.help = Some(match suggest(&keys.name.value, PRESETS) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("presets are: {}", PRESETS.join(", ")),
        });
        errors.push(d);
        return Err(errors);
    }
    let managers: &[&str] = match keys.name.value.as_str() {
        "node" => &["npm", "pnpm", "yarn"],
        "python" => &["pip", "uv", "poetry"],
        "java" => &["maven", "gradle", "javac"],
        _ => &[],
    };
    if let Some(m) = &keys.manager {
        if managers.is_empty() {
            errors.push(
                Diagnostic::error(
                    m.span,
                    format!("the {} preset has no `manager` to choose", keys.name.value),
                )
                .with_help("remove the `manager` key"),
            );
        } else if !managers.contains(&m.value.as_str()) {
            errors.push(
                Diagnostic::error(
                    m.span,
                    format!(
                        "`{}` is not a manager of the {} preset",
                        m.value, keys.name.value
                    ),
                )
                .with_help(format!("choose one of: {}", managers.join(", "))),
            );
        }
    }
    if let Some(v) = &keys.version
        && !is_tag_part(&v.value.0)
    {
        errors.push(
            Diagnostic::error(
                v.span,
                format!("`{}` cannot be part of an image tag", v.value.0),
            )
            .with_help("write the version as the official image tags it, e.g. 1.24 or 20"),
        );
    }
    if let Some(p) = &keys.port
        && !p
            .value
            .0
            .split('/')
            .next()
            .is_some_and(|n| n.parse::<u16>().is_ok_and(|n| n > 0))
    {
        errors.push(
            Diagnostic::error(p.span, format!("`{}` is not a port", p.value.0))
                .with_help("write a number from 1 to 65535, e.g. 8080"),
        );
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Settings {
        stage: stage.to_owned(),
        version: keys
            .version
            .as_ref()
            .map(|v| v.value.0.clone())
            .unwrap_or_default(),
        entry: keys.entry.as_ref().map(|v| v.value.0.clone()),
        port: keys.port.as_ref().map(|v| v.value.0.clone()),
        runtime: keys.runtime.as_ref().map(|v| v.value.clone()),
        manager: keys.manager.as_ref().map(|v| v.value.clone()),
        test: keys.test.as_ref().map(|v| v.value.clone()),
        description,
    })
}

fn generate(name: &str, s: &Settings) -> Vec<Generated> {
    match name {
        "go" => go::stages(s),
        "node" => node::stages(s),
        "python" => python::stages(s),
        "rust" => rust::stages(s),
        _ => java::stages(s),
    }
}

/// The text of a one-line `description: …` value, for the runtime stage.
fn description_text(text: &str, key: Span) -> String {
    let line = text
        .lines()
        .nth(key.line.saturating_sub(1) as usize)
        .unwrap_or("");
    let value = line.split_once(':').map_or("", |(_, v)| v.trim());
    value.trim_matches(|c| c == '"' || c == '\'').to_owned()
}

fn is_tag_part(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// `value` as a YAML scalar: plain when YAML reads it back as the same text, else
/// double-quoted (JSON strings are valid YAML).
pub fn quoted(value: &str) -> String {
    let plain = value
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '$'))
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | '$' | '{' | '}' | ' ' | '=' | '+')
        })
        && !value.ends_with(' ')
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        value.to_owned()
    } else {
        serde_json::to_string(value).expect("a string serializes")
    }
}

#[cfg(test)]
mod tests;
