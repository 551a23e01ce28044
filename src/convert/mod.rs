//! `stagefile convert`: a multi-stage Dockerfile in, the equivalent Stagefile out.
//!
//! The rooms, one job each: [`lines`] reads directives, comments, continuations and
//! here-documents; [`instr`] splits a line into keyword, flags and arguments; [`words`]
//! turns Dockerfile words into Stagefile text; [`map`], [`steps`], [`mounts`] and
//! [`config`] map instructions onto stages; [`yaml`] writes the file.
//!
//! The Dockerfile parser is written here rather than taken from crates.io: of the
//! maintained parsers, `parse-dockerfile` (0.1) reads a here-document only at the start
//! of a `RUN` and one per instruction (`RUN cat <<EOF > f` or two here-documents break
//! it), `dockerfile-parser` (0.x, 2021) has no here-documents, and `dockerfile-parser-rs`
//! knows neither here-documents nor `HEALTHCHECK` nor `ONBUILD`. None keeps comments or the
//! positions of continued lines, which the conversion needs.

pub mod cli;
mod config;
mod instr;
mod lines;
mod map;
mod mounts;
mod steps;
mod words;
mod yaml;

use crate::diag::{Diagnostic, Severity, Span};
use lines::Line;
use map::{Mapper, Part};
use yaml::{Entry, Node};

/// The frontend image named by the `# syntax=` line, unless `--syntax` gives another: the
/// image `hack/image` builds and the documentation's examples use.
pub const DEFAULT_SYNTAX: &str = "stagefile:dev";

/// The largest Dockerfile converted: the size limit of a Stagefile.
pub const MAX_DOCKERFILE_BYTES: usize = crate::spec::MAX_FILE_BYTES;

/// At most this many errors are reported.
const MAX_ERRORS: usize = 100;

pub struct Options {
    /// The frontend image for the `# syntax=` line.
    pub syntax: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            syntax: DEFAULT_SYNTAX.to_owned(),
        }
    }
}

/// A converted file and the warnings met on the way.
#[derive(Debug)]
pub struct Converted {
    pub text: String,
    pub warnings: Vec<Diagnostic>,
}

pub(crate) trait Warn {
    fn into_warning(self) -> Diagnostic;
}

impl Warn for Diagnostic {
    fn into_warning(mut self) -> Diagnostic {
        self.severity = Severity::Warning;
        self
    }
}

/// The keywords a Dockerfile has.
const KEYWORDS: [&str; 18] = [
    "FROM",
    "RUN",
    "CMD",
    "LABEL",
    "MAINTAINER",
    "EXPOSE",
    "ENV",
    "ADD",
    "COPY",
    "ENTRYPOINT",
    "VOLUME",
    "USER",
    "WORKDIR",
    "ARG",
    "ONBUILD",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "SHELL",
];

/// Converts the text of a Dockerfile; errors name the Dockerfile's lines.
pub fn convert(source: &str, opts: &Options) -> Result<Converted, Vec<Diagnostic>> {
    if source.len() > MAX_DOCKERFILE_BYTES {
        return Err(vec![
            Diagnostic::error(
                Span::new(1, 1, 0),
                format!(
                    "the Dockerfile is {} bytes; convert reads at most {MAX_DOCKERFILE_BYTES}",
                    source.len()
                ),
            )
            .with_help("a Stagefile may be at most that size too"),
        ]);
    }
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let (directives, lines) = lines::lex(source).map_err(|d| vec![d])?;
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for line in &lines {
        match line {
            Line::Instruction(l) => match instr::parse(l) {
                Ok(i) => parsed.push(Some(i)),
                Err(e) => {
                    errors.push(e);
                    parsed.push(None);
                }
            },
            _ => parsed.push(None),
        }
    }
    let names = stage_names(&parsed, directives.escape, &mut errors);
    let mut m = Mapper::new(directives.escape, names);
    let mut stage = 0;
    for (line, ins) in lines.iter().zip(&parsed) {
        match (line, ins) {
            (Line::Comment(c), _) => m.pending.push(c.clone()),
            (Line::Instruction(_), Some(ins)) => {
                if let Err(e) = dispatch(&mut m, ins, &mut stage) {
                    errors.push(e);
                    if errors.len() >= MAX_ERRORS {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    m.finish_stage();
    if m.parts.is_empty() && errors.is_empty() {
        errors.push(
            Diagnostic::error(Span::new(1, 1, 0), "the Dockerfile has no FROM")
                .with_help("a Dockerfile starts its first stage with FROM"),
        );
    }
    if !errors.is_empty() {
        errors.truncate(MAX_ERRORS);
        return Err(errors);
    }
    let mut root = Vec::new();
    let top_comments = std::mem::take(&mut m.pending);
    if !m.args.is_empty() {
        root.push(Entry::new("args", Node::Map(std::mem::take(&mut m.args))));
    }
    if let Some((value, pos)) = &directives.check {
        root.push(check(value, *pos).map_err(|d| vec![d])?);
    }
    let stages = m.parts.drain(..).map(stage_entry).collect();
    root.push(Entry::new("stages", Node::Map(stages)));
    let header = vec![format!("# syntax={}", opts.syntax)];
    let mut text = yaml::document(&header, &root);
    for c in top_comments {
        text.push('#');
        text.push_str(c.trim_end());
        text.push('\n');
    }
    Ok(Converted {
        text,
        warnings: m.warnings,
    })
}

/// The Stagefile names of the Dockerfile's stages, in order.
fn stage_names(
    parsed: &[Option<instr::Instruction>],
    escape: char,
    errors: &mut Vec<Diagnostic>,
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for ins in parsed.iter().flatten().filter(|i| i.keyword == "FROM") {
        let words = words::split(ins.text(), escape);
        let name = match words.as_slice() {
            [_, (_, as_), (offset, name)] if as_.eq_ignore_ascii_case("as") => {
                let name = name.to_ascii_lowercase();
                let valid = name.len() <= 128
                    && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                    && name.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
                    });
                if !valid || names.contains(&name) {
                    let why = if valid {
                        "is used by an earlier stage"
                    } else {
                        "is not a valid stage name"
                    };
                    errors.push(Diagnostic::error(
                        ins.pos_in_args(*offset).span(name.len()),
                        format!("`{name}` {why}"),
                    ));
                }
                name
            }
            _ => format!("stage-{}", names.len()),
        };
        names.push(name);
    }
    names
}

fn dispatch(m: &mut Mapper, ins: &instr::Instruction, stage: &mut usize) -> Result<(), Diagnostic> {
    match ins.keyword.as_str() {
        "FROM" => {
            *stage += 1;
            m.from(ins, *stage - 1)
        }
        "ARG" => m.arg(ins),
        "ENV" => m.env(ins),
        "USER" => m.user(ins),
        "WORKDIR" => m.workdir(ins),
        "SHELL" => m.shell(ins),
        "RUN" => steps::run(m, ins),
        "COPY" => steps::copy(m, ins, false),
        "ADD" => steps::copy(m, ins, true),
        "CMD" => config::command(m, ins, "cmd"),
        "ENTRYPOINT" => config::command(m, ins, "entrypoint"),
        "EXPOSE" => config::expose(m, ins),
        "LABEL" => config::labels(m, ins),
        "MAINTAINER" => config::maintainer(m, ins),
        "VOLUME" => config::volumes(m, ins),
        "STOPSIGNAL" => config::stopsignal(m, ins),
        "HEALTHCHECK" => config::healthcheck(m, ins),
        "ONBUILD" => Err(ins
            .error("ONBUILD has no Stagefile equivalent: a Stagefile's stages run their steps themselves")
            .with_help("remove it, and put its instruction in the stages built from this image")),
        other => {
            let mut e = ins.error(format!("`{other}` is not a Dockerfile instruction"));
            if let Some(s) = crate::diag::suggest(other, KEYWORDS) {
                e = e.with_help(format!("did you mean `{s}`?"));
            }
            Err(e)
        }
    }
}

/// `# check=skip=A,B;error=true` as the top-level `check` key.
fn check(value: &str, pos: lines::Pos) -> Result<Entry, Diagnostic> {
    let mut entries = Vec::new();
    for setting in value.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let (key, v) = setting.split_once('=').unwrap_or((setting, ""));
        match key.trim() {
            "skip" => {
                let rules: Vec<&str> = v
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .collect();
                let node = match rules.as_slice() {
                    [one] => Node::str(*one),
                    _ => Node::strs(rules),
                };
                entries.push(Entry::new("skip", node));
            }
            "error" => entries.push(Entry::new("error", Node::Bool(v.trim() == "true"))),
            "experimental" => {}
            other => {
                return Err(Diagnostic::error(
                    pos.span(value.len() + 8),
                    format!("`{other}` is not a check setting"),
                )
                .with_help("# check= takes skip, error and experimental"));
            }
        }
    }
    Ok(Entry::new("check", Node::Map(entries)))
}

/// One part as its entry under `stages`.
fn stage_entry(mut p: Part) -> Entry {
    let mut e = Vec::new();
    let mut key = |e: &mut Vec<Entry>, name: &'static str, value: Node| {
        let comments = p.key_comments.remove(name).unwrap_or_default();
        e.push(Entry {
            key: name.to_owned(),
            value,
            comments,
        });
    };
    key(&mut e, "from", Node::Str(p.from));
    if let Some(platform) = p.platform {
        key(&mut e, "platform", Node::Str(platform));
    }
    if let Some(w) = p.workdir {
        key(&mut e, "workdir", Node::Str(w));
    }
    if !p.env.is_empty() {
        key(&mut e, "env", Node::Map(p.env));
    }
    if let Some(u) = p.user {
        key(&mut e, "user", Node::Str(u));
    }
    if let Some(s) = p.shell {
        key(&mut e, "shell", Node::strs(s));
    }
    if !p.args.is_empty() {
        key(&mut e, "args", Node::Seq(p.args));
    }
    if !p.steps.is_empty() {
        key(&mut e, "steps", Node::Seq(p.steps));
    }
    e.extend(p.config);
    Entry {
        key: p.name,
        value: Node::Map(e),
        comments: p.comments,
    }
}

#[cfg(test)]
mod tests;
