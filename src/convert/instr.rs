//! One logical line as an instruction: its keyword (any case), its `--flags`, and its
//! arguments, in JSON (exec) form or as text.

use super::lines::{Logical, Pos};
use crate::diag::Diagnostic;

/// An instruction's `--name[=value]` option.
#[derive(Debug, Clone)]
pub struct Flag {
    pub name: String,
    /// The value with quotes removed; `None` for a bare `--name`.
    pub value: Option<String>,
    pub at: Pos,
}

/// The arguments after the flags.
#[derive(Debug, Clone)]
pub enum Args {
    /// A JSON array of strings: `["a", "b"]`.
    Json(Vec<String>),
    /// Anything else, as written (continuations joined).
    Text(String),
}

#[derive(Debug)]
pub struct Instruction<'a> {
    /// The keyword in upper case.
    pub keyword: String,
    pub at: Pos,
    pub flags: Vec<Flag>,
    pub args: Args,
    /// Byte offset of the arguments in the logical text.
    pub args_offset: usize,
    pub line: &'a Logical,
}

/// The instructions that take `--flags` before their arguments.
const WITH_FLAGS: [&str; 5] = ["FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"];

/// The instructions whose arguments may be a JSON array.
const WITH_JSON: [&str; 8] = [
    "RUN",
    "CMD",
    "ENTRYPOINT",
    "SHELL",
    "VOLUME",
    "COPY",
    "ADD",
    "HEALTHCHECK",
];

pub fn parse(line: &Logical) -> Result<Instruction<'_>, Diagnostic> {
    let text = line.text.as_str();
    let kw_end = text.find(|c: char| c.is_whitespace()).unwrap_or(text.len());
    let keyword = text[..kw_end].to_ascii_uppercase();
    if keyword.is_empty() || !keyword.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(Diagnostic::error(
            line.start().span(kw_end),
            format!(
                "`{}` is not a Dockerfile instruction",
                crate::diag::shorten(&text[..kw_end])
            ),
        ));
    }
    let mut offset = skip_blanks(text, kw_end);
    let mut flags = Vec::new();
    if WITH_FLAGS.contains(&keyword.as_str()) {
        while text[offset..].starts_with("--") {
            let end = word_end(text, offset);
            let word = &text[offset + 2..end];
            let at = line.pos(offset);
            offset = skip_blanks(text, end);
            if word.is_empty() {
                break; // `--` ends the flags
            }
            let (name, value) = match word.split_once('=') {
                Some((n, v)) => (n, Some(unquote(v))),
                None => (word, None),
            };
            flags.push(Flag {
                name: name.to_ascii_lowercase(),
                value,
                at,
            });
        }
    }
    let rest = text[offset..].trim_end();
    let args = if WITH_JSON.contains(&keyword.as_str()) {
        json_array(rest).map_or_else(|| Args::Text(rest.to_owned()), Args::Json)
    } else {
        Args::Text(rest.to_owned())
    };
    Ok(Instruction {
        keyword,
        at: line.start(),
        flags,
        args,
        args_offset: offset,
        line,
    })
}

fn skip_blanks(text: &str, from: usize) -> usize {
    text[from..]
        .find(|c: char| !c.is_whitespace())
        .map_or(text.len(), |i| from + i)
}

/// The end of a flag word: the first blank outside quotes.
fn word_end(text: &str, from: usize) -> usize {
    let mut quote = None;
    for (i, c) in text[from..].char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => return from + i,
            _ => {}
        }
    }
    text.len()
}

/// A flag value without its quotes.
fn unquote(v: &str) -> String {
    let mut out = String::new();
    let mut quote = None;
    for c in v.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => out.push(c),
        }
    }
    out
}

/// A JSON array of strings, as the exec form; `None` for anything else.
pub fn json_array(text: &str) -> Option<Vec<String>> {
    if !text.starts_with('[') || !text.ends_with(']') {
        return None;
    }
    serde_json::from_str::<Vec<String>>(text).ok()
}

impl Instruction<'_> {
    /// The Dockerfile position of byte `offset` of the arguments.
    pub fn pos_in_args(&self, offset: usize) -> Pos {
        self.line.pos(self.args_offset + offset)
    }

    /// The arguments as text (a JSON array is given back as written).
    pub fn text(&self) -> &str {
        self.line.text[self.args_offset..].trim_end()
    }

    pub fn error(&self, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.at.span(self.keyword.len()), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::lines::{Line, lex};

    fn first(src: &str) -> Logical {
        let (_, lines) = lex(src).unwrap();
        lines
            .into_iter()
            .find_map(|l| match l {
                Line::Instruction(i) => Some(i),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn flags_and_json() {
        let l = first("run --mount=type=cache,target=/x --network=none [\"a\", \"b c\"]");
        let i = parse(&l).unwrap();
        assert_eq!(i.keyword, "RUN");
        assert_eq!(i.flags.len(), 2);
        assert_eq!(i.flags[1].name, "network");
        assert_eq!(i.flags[1].at.col, 34);
        assert!(matches!(&i.args, Args::Json(v) if v == &["a", "b c"]));
    }

    #[test]
    fn broken_json_is_text() {
        let l = first("CMD [\"a\", b]");
        let i = parse(&l).unwrap();
        assert!(matches!(&i.args, Args::Text(t) if t == "[\"a\", b]"));
    }

    #[test]
    fn quoted_flag_values_and_env_takes_no_flags() {
        let l = first("COPY --chown=\"a b\" -- x y");
        let i = parse(&l).unwrap();
        assert_eq!(i.flags[0].value.as_deref(), Some("a b"));
        assert!(matches!(&i.args, Args::Text(t) if t == "x y"));
        let l = first("ENV --x=1");
        assert!(parse(&l).unwrap().flags.is_empty());
    }
}
