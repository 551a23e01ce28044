//! From the bytes of a Dockerfile to its logical lines: parser directives, comments, line
//! continuations with the escape character, and here-documents.
//!
//! The rules are Docker's: directives (`# syntax=`, `# escape=`, `# check=`) only open the
//! file; a line whose last non-blank character is the escape character continues on the
//! next line, which keeps its leading blanks; comment lines and blank lines inside a
//! continuation are dropped; `RUN`, `COPY` and `ADD` read here-documents (`<<EOF`,
//! `<<-EOF`, `<<"EOF"`) from the lines that follow, up to the line holding only the name.

use crate::diag::{Diagnostic, Span};

/// A position in the Dockerfile: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub fn span(self, len: usize) -> Span {
        Span::new(self.line, self.col, len.min(u32::MAX as usize) as u32)
    }
}

/// The parser directives that open the file.
#[derive(Debug)]
pub struct Directives {
    pub escape: char,
    /// The value of `# check=`, and where it is.
    pub check: Option<(String, Pos)>,
}

/// A here-document read after an instruction's line.
#[derive(Debug, Clone)]
pub struct Heredoc {
    pub name: String,
    /// `false` when the delimiter was quoted: the body is taken literally.
    pub expand: bool,
    /// The body as Docker gives it: leading tabs removed for `<<-`, each line ending in `\n`.
    pub body: String,
    /// The lines as written, from the first body line to the closing delimiter included.
    pub raw: String,
}

/// One instruction: its text with continuations joined, and where each piece came from.
#[derive(Debug)]
pub struct Logical {
    /// The joined text, from the keyword on.
    pub text: String,
    /// `(offset in text, position)` for the start of each physical piece, in order.
    pieces: Vec<(usize, Pos)>,
    /// Comment lines met inside the continuation, without their `#`.
    pub inner_comments: Vec<String>,
    pub heredocs: Vec<Heredoc>,
}

impl Logical {
    /// The Dockerfile position of byte `offset` of `text`.
    pub fn pos(&self, offset: usize) -> Pos {
        let i = self.pieces.partition_point(|(start, _)| *start <= offset);
        let (start, pos) = self.pieces[i.saturating_sub(1)];
        let chars = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        Pos {
            line: pos.line,
            col: pos.col + chars as u32,
        }
    }

    /// The offsets in `text` where a new physical line began.
    pub fn joins(&self) -> impl Iterator<Item = usize> + '_ {
        self.pieces.iter().skip(1).map(|(start, _)| *start)
    }

    pub fn start(&self) -> Pos {
        self.pieces[0].1
    }
}

/// A line of the file that matters to the conversion.
#[derive(Debug)]
pub enum Line {
    /// A comment line outside any instruction, without its `#`.
    Comment(String),
    /// A blank line outside any instruction.
    Blank,
    Instruction(Logical),
}

/// The directives and lines of `source`.
pub fn lex(source: &str) -> Result<(Directives, Vec<Line>), Diagnostic> {
    let physical: Vec<&str> = source.split('\n').collect();
    let physical: Vec<&str> = physical
        .iter()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut directives = Directives {
        escape: '\\',
        check: None,
    };
    let mut i = read_directives(&physical, &mut directives)?;
    let escape = directives.escape;
    let mut lines = Vec::new();
    while i < physical.len() {
        let raw = physical[i];
        let trimmed = raw.trim_start();
        if trimmed.is_empty() {
            lines.push(Line::Blank);
            i += 1;
            continue;
        }
        if let Some(comment) = trimmed.strip_prefix('#') {
            lines.push(Line::Comment(comment.to_owned()));
            i += 1;
            continue;
        }
        let lead = raw.len() - trimmed.len();
        let line_no = (i + 1) as u32;
        let mut logical = Logical {
            text: String::new(),
            pieces: vec![(
                0,
                Pos {
                    line: line_no,
                    col: raw[..lead].chars().count() as u32 + 1,
                },
            )],
            inner_comments: Vec::new(),
            heredocs: Vec::new(),
        };
        let (piece, mut more) = strip_continuation(trimmed, escape);
        logical.text.push_str(piece);
        i += 1;
        while more && i < physical.len() {
            let next = physical[i];
            let next_trim = next.trim_start();
            i += 1;
            if let Some(comment) = next_trim.strip_prefix('#') {
                logical.inner_comments.push(comment.to_owned());
                continue;
            }
            if next_trim.is_empty() {
                continue;
            }
            let (piece, again) = strip_continuation(next, escape);
            logical.pieces.push((
                logical.text.len(),
                Pos {
                    line: i as u32,
                    col: 1,
                },
            ));
            logical.text.push_str(piece);
            more = again;
        }
        if takes_heredocs(&logical.text) {
            i = read_heredocs(&physical, i, &mut logical, escape)?;
        }
        lines.push(Line::Instruction(logical));
    }
    Ok((directives, lines))
}

/// Reads the directives at the top; returns the index of the first line after them.
fn read_directives(physical: &[&str], d: &mut Directives) -> Result<usize, Diagnostic> {
    let mut seen: Vec<String> = Vec::new();
    for (i, line) in physical.iter().enumerate() {
        let Some((key, value)) = directive(line) else {
            return Ok(i);
        };
        let lower = key.to_ascii_lowercase();
        if !matches!(lower.as_str(), "syntax" | "escape" | "check") {
            // Unknown directives are comments, and end the directives.
            return Ok(i);
        }
        let pos = Pos {
            line: (i + 1) as u32,
            col: 1,
        };
        if seen.contains(&lower) {
            return Err(Diagnostic::error(
                pos.span(line.len()),
                format!("the `{lower}` directive is given twice"),
            )
            .with_help("keep one of them"));
        }
        seen.push(lower.clone());
        match lower.as_str() {
            "escape" => {
                d.escape = match value {
                    "\\" => '\\',
                    "`" => '`',
                    other => {
                        return Err(Diagnostic::error(
                            pos.span(line.len()),
                            format!("`{other}` is not a valid escape character"),
                        )
                        .with_help("write `# escape=\\` or `# escape=`` ` ``"));
                    }
                }
            }
            "check" => d.check = Some((value.to_owned(), pos)),
            _ => {}
        }
    }
    Ok(physical.len())
}

/// `# key=value` → (key, value), as a directive line reads.
fn directive(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix('#')?.trim_start();
    let (key, value) = rest.split_once('=')?;
    let key = key.trim_end();
    let mut chars = key.chars();
    let first = chars.next()?;
    if !first.is_ascii_alphabetic() || !chars.all(|c| c.is_ascii_alphanumeric()) {
        return None;
    }
    let value = value.trim();
    (!value.is_empty()).then_some((key, value))
}

/// The line without its trailing escape character, and whether it continues.
fn strip_continuation(line: &str, escape: char) -> (&str, bool) {
    let end = line.trim_end_matches([' ', '\t']);
    match end.strip_suffix(escape) {
        Some(kept) => (kept, true),
        None => (line, false),
    }
}

fn takes_heredocs(text: &str) -> bool {
    let keyword = text.split_whitespace().next().unwrap_or("");
    ["RUN", "COPY", "ADD"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(keyword))
}

/// The here-document names on an instruction's line, in order: each is a word of the
/// form `[n]<<[-]NAME`, `<<"NAME"` or `<<'NAME'`.
fn heredoc_words(text: &str, escape: char) -> Vec<(usize, String, bool, bool)> {
    let mut found = Vec::new();
    let rest = text.trim_start();
    if rest.split_whitespace().nth(1).is_some_and(|w| {
        w.starts_with('[') && !w.starts_with("[<<") && text.trim_end().ends_with(']')
    }) {
        return found; // exec form
    }
    for (offset, word) in crate::convert::words::split(text, escape) {
        let w = word.trim_start_matches(|c: char| c.is_ascii_digit());
        let Some(after) = w.strip_prefix("<<") else {
            continue;
        };
        let (strip, after) = match after.strip_prefix('-') {
            Some(a) => (true, a),
            None => (false, after),
        };
        let (name, quoted) = match after.chars().next() {
            Some(q @ ('"' | '\'')) if after.len() >= 2 && after.ends_with(q) => {
                (&after[1..after.len() - 1], true)
            }
            _ => (after, false),
        };
        if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            found.push((offset, name.to_owned(), strip, !quoted));
        }
    }
    found
}

/// Reads the bodies of the here-documents `logical` names from line `i` on; returns the
/// index of the line after the last delimiter.
fn read_heredocs(
    physical: &[&str],
    mut i: usize,
    logical: &mut Logical,
    escape: char,
) -> Result<usize, Diagnostic> {
    for (offset, name, strip, expand) in heredoc_words(&logical.text, escape) {
        let at = logical.pos(offset);
        let mut body = String::new();
        let mut raw = String::new();
        let mut closed = false;
        while i < physical.len() {
            let line = physical[i];
            i += 1;
            raw.push_str(line);
            let stripped = if strip {
                line.trim_start_matches('\t')
            } else {
                line
            };
            if stripped == name {
                closed = true;
                break;
            }
            raw.push('\n');
            body.push_str(stripped);
            body.push('\n');
        }
        if !closed {
            return Err(Diagnostic::error(
                at.span(name.len() + 2),
                format!("the here-document `{name}` is never closed"),
            )
            .with_help(format!("end it with a line holding only `{name}`")));
        }
        logical.heredocs.push(Heredoc {
            name,
            expand,
            body,
            raw,
        });
    }
    Ok(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instructions(src: &str) -> Vec<Logical> {
        let (_, lines) = lex(src).unwrap();
        lines
            .into_iter()
            .filter_map(|l| match l {
                Line::Instruction(i) => Some(i),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn continuations_join_and_keep_positions() {
        let src = "FROM x\nRUN a \\\n  # note\n\n    b \\\n  c\n";
        let ins = instructions(src);
        assert_eq!(ins[1].text, "RUN a     b   c");
        assert_eq!(ins[1].inner_comments, vec![" note"]);
        assert_eq!(ins[1].pos(0), Pos { line: 2, col: 1 });
        let b = ins[1].text.find('b').unwrap();
        assert_eq!(ins[1].pos(b), Pos { line: 5, col: 5 });
    }

    #[test]
    fn escape_directive_changes_the_continuation() {
        let src = "# escape=`\nFROM x\nRUN a `\n b\\\n";
        let (d, lines) = lex(src).unwrap();
        assert_eq!(d.escape, '`');
        let Line::Instruction(run) = &lines[1] else {
            panic!()
        };
        assert_eq!(run.text, "RUN a  b\\");
    }

    #[test]
    fn directives_stop_at_the_first_other_line() {
        let (d, _) = lex("# check=error=true\n\n# escape=`\nFROM x\n").unwrap();
        assert_eq!(d.escape, '\\');
        assert_eq!(d.check.unwrap().0, "error=true");
        assert!(lex("# escape=\\\n# escape=`\nFROM x").is_err());
    }

    #[test]
    fn heredocs_are_read_in_order() {
        let src = "FROM x\nRUN cat <<A >a && cat <<-'B' > b\none\nA\n\ttwo\n\tB\nRUN x\n";
        let ins = instructions(src);
        assert_eq!(ins.len(), 3);
        let docs = &ins[1].heredocs;
        assert_eq!((docs[0].name.as_str(), docs[0].expand), ("A", true));
        assert_eq!(docs[0].body, "one\n");
        assert_eq!((docs[1].body.as_str(), docs[1].expand), ("two\n", false));
        assert_eq!(docs[1].raw, "\ttwo\n\tB");
    }

    #[test]
    fn unterminated_heredoc_is_located() {
        let err = lex("FROM x\nCOPY <<EOF /f\nbody\n").unwrap_err();
        assert_eq!((err.span.line, err.span.column), (2, 6));
        assert!(err.message.contains("never closed"), "{}", err.message);
    }
}
