//! Diagnostics: errors and warnings that carry a location in the Stagefile.
//!
//! Every room of the compiler reports problems as `Diagnostic` values; the CLI renders
//! them with a code frame and the gateway turns them into BuildKit source-located errors.

use std::fmt;

/// A position in the Stagefile: 1-based line and column (in characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub line: u32,
    pub column: u32,
    /// Length of the highlighted token in characters (0 when unknown).
    pub len: u32,
    /// Which file of the build: 0 is the Stagefile, others index the files it includes
    /// (see `include::Files`).
    pub file: u32,
}

impl Span {
    pub const UNKNOWN: Span = Span {
        line: 0,
        column: 0,
        len: 0,
        file: 0,
    };

    pub fn new(line: u32, column: u32, len: u32) -> Self {
        Span {
            line,
            column,
            len,
            file: 0,
        }
    }

    /// The same place, in file `file` of the build.
    pub fn in_file(self, file: u32) -> Self {
        Span { file, ..self }
    }

    pub fn is_known(&self) -> bool {
        self.line > 0
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A stable name for a kind of problem, for tools and tests to match instead of the
/// message's wording, which may change. Rendered before the message
/// (`warning[RootUser]: …` in a code frame, `Stagefile:2:3: RootUser: …` on one line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// A finding of a lint rule: the rule's name.
    Lint(&'static str),
    /// A bound on the work a file may ask for was reached.
    Limit(Limit),
}

/// The bounds on the work a file may ask for; each refusal says which one it hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// The file's size in bytes.
    FileSize,
    /// More than one YAML document.
    Documents,
    /// How deep the YAML nests.
    Depth,
    /// What aliases expand to, and how many there are.
    Aliases,
    /// How many YAML nodes the file holds.
    Nodes,
    /// Other parser budgets: events, scalar and comment bytes.
    YamlSize,
    /// How deep `${A:-${B:-…}}` defaults nest.
    VariableNesting,
    /// How many ports one stage exposes.
    ExposedPorts,
    /// The memory the build graph and image configs take.
    GraphSize,
    /// How many errors one check reports.
    Errors,
    /// How deep `include` nests.
    IncludeDepth,
    /// How many files `include` reads.
    IncludeFiles,
    /// How many bytes the included files hold together.
    IncludeBytes,
}

impl Code {
    /// The code as users and tools see it.
    pub fn name(self) -> &'static str {
        match self {
            Code::Lint(rule) => rule,
            Code::Limit(limit) => limit.name(),
        }
    }

    pub fn is_lint(self) -> bool {
        matches!(self, Code::Lint(_))
    }
}

impl Limit {
    pub fn name(self) -> &'static str {
        match self {
            Limit::FileSize => "FileTooLarge",
            Limit::Documents => "MoreThanOneDocument",
            Limit::Depth => "YamlTooDeep",
            Limit::Aliases => "AliasesTooLarge",
            Limit::Nodes => "TooManyNodes",
            Limit::YamlSize => "YamlTooLarge",
            Limit::VariableNesting => "VariablesTooDeep",
            Limit::ExposedPorts => "TooManyPorts",
            Limit::GraphSize => "GraphTooLarge",
            Limit::Errors => "TooManyErrors",
            Limit::IncludeDepth => "IncludesTooDeep",
            Limit::IncludeFiles => "TooManyIncludes",
            Limit::IncludeBytes => "IncludesTooLarge",
        }
    }
}

/// One problem found in a Stagefile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    /// What the user can do about it, one line.
    pub help: Option<String>,
    /// Its stable code: the lint rule that found it, or the limit it hit.
    pub code: Option<Code>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            help: None,
            code: None,
        }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            message: message.into(),
            span,
            help: None,
            code: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_code(mut self, code: Code) -> Self {
        self.code = Some(code);
        self
    }

    pub fn with_limit(self, limit: Limit) -> Self {
        self.with_code(Code::Limit(limit))
    }

    /// The lint rule that found it, for findings of the lint rules.
    pub fn rule(&self) -> Option<&'static str> {
        match self.code {
            Some(Code::Lint(rule)) => Some(rule),
            _ => None,
        }
    }

    /// Whether it is the refusal for this limit.
    pub fn hit(&self, limit: Limit) -> bool {
        self.code == Some(Code::Limit(limit))
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col: CODE: message (help)` on one line, where no code frame fits; the
    /// code is left out when there is none. BuildKit's own lint warnings read the same.
    pub fn one_line(&self, filename: &str) -> String {
        let code = self
            .code
            .map_or(String::new(), |c| format!("{}: ", c.name()));
        let mut out = if self.span.is_known() {
            format!(
                "{filename}:{}:{}: {code}{}",
                self.span.line, self.span.column, self.message
            )
        } else {
            format!("{filename}: {code}{}", self.message)
        };
        if let Some(help) = &self.help {
            out.push_str(" (");
            out.push_str(help);
            out.push(')');
        }
        out
    }

    /// A code frame in the style of rustc, pointing at the offending token.
    pub fn render(&self, filename: &str, source: &str) -> String {
        use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let mut title = level.primary_title(self.message.as_str());
        if let Some(code) = self.code {
            title = title.id(code.name());
        }
        let mut group = Group::with_title(title);
        if self.span.is_known()
            && let Some(range) = byte_range(source, self.span)
        {
            group = group.element(
                Snippet::source(source)
                    .path(filename)
                    .line_start(1)
                    .annotation(AnnotationKind::Primary.span(range)),
            );
        } else {
            group = group.element(
                Snippet::<annotate_snippets::Annotation>::source("")
                    .path(filename)
                    .line_start(1),
            );
        }
        if let Some(help) = &self.help {
            group = group.element(Level::HELP.message(help.as_str()));
        }
        Renderer::plain().render(&[group]).to_string()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.span.is_known() {
            write!(f, "line {}, column {}: ", self.span.line, self.span.column)?;
        }
        f.write_str(&self.message)?;
        if let Some(help) = &self.help {
            write!(f, " ({help})")?;
        }
        Ok(())
    }
}

/// Byte range in `source` for a line/column span; `None` when the span lies outside it.
fn byte_range(source: &str, span: Span) -> Option<std::ops::Range<usize>> {
    let line_start = if span.line == 1 {
        0
    } else {
        source
            .match_indices('\n')
            .nth(span.line as usize - 2)
            .map(|(i, _)| i + 1)?
    };
    let line = source[line_start..].split('\n').next().unwrap_or("");
    let mut chars = line
        .char_indices()
        .skip(span.column.saturating_sub(1) as usize);
    let start = chars.next().map(|(i, _)| i).unwrap_or(line.len());
    let len = span.len.max(1) as usize;
    let end = line[start..]
        .char_indices()
        .nth(len)
        .map(|(i, _)| start + i)
        .unwrap_or(line.len());
    Some(line_start + start..line_start + end.max(start))
}

/// How many candidates a "did you mean" hint compares: a hostile file can declare a
/// hundred thousand names, and each comparison costs an edit distance.
const MAX_CANDIDATES: usize = 1_000;

/// How many names a hint lists before it says how many more there are.
const MAX_LISTED: usize = 20;

/// Closest candidate to `word` by edit distance, for "did you mean" hints.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .take(MAX_CANDIDATES)
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| {
            *d > 0 && *d <= (c.len().max(word.len()) / 3).max(1) + usize::from(c.len() > 5)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A message quotes at most this many characters of the text it is about.
const QUOTED: usize = 60;

/// `text`, or its start and `…` when it is long, so a message stays one readable line
/// even when the value it quotes is megabytes.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(QUOTED) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// `a, b, c` for a hint; a long list is cut after a few names, with the count of the rest.
pub fn name_list<S: AsRef<str>>(names: &[S]) -> String {
    let shown: Vec<&str> = names.iter().take(MAX_LISTED).map(AsRef::as_ref).collect();
    match names.len().saturating_sub(MAX_LISTED) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_name_lists_are_cut() {
        assert_eq!(name_list(&["a", "b"]), "a, b");
        let many: Vec<String> = (0..25).map(|i| format!("n{i}")).collect();
        let listed = name_list(&many);
        assert!(listed.starts_with("n0, n1, "), "{listed}");
        assert!(listed.ends_with("n19 and 5 more"), "{listed}");
    }

    #[test]
    fn suggests_close_names_only() {
        let keys = ["steps", "from", "workdir", "entrypoint"];
        assert_eq!(suggest("setps", keys), Some("steps"));
        assert_eq!(suggest("workdri", keys), Some("workdir"));
        assert_eq!(suggest("entrypont", keys), Some("entrypoint"));
        assert_eq!(suggest("zzzzzz", keys), None);
    }

    #[test]
    fn code_frame_points_at_the_column() {
        let src = "stages:\n  app:\n    form: x\n";
        let d = Diagnostic::error(Span::new(3, 5, 4), "unknown key `form`")
            .with_help("did you mean `from`?");
        let out = d.render("Stagefile", src);
        assert!(out.contains("Stagefile:3:5"), "{out}");
        assert!(out.contains("form: x"), "{out}");
        assert!(out.contains("^^^^"), "{out}");
        assert!(out.contains("did you mean `from`?"), "{out}");
    }

    #[test]
    fn span_past_the_end_is_safe() {
        let d = Diagnostic::error(Span::new(40, 99, 3), "x");
        let out = d.render("f", "a\nb");
        assert!(out.contains("error: x"), "{out}");
    }
}
