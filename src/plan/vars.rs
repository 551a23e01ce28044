//! Variable expansion: `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME:+alt}`, `$$`.

use crate::diag::shorten;
use std::collections::{BTreeMap, BTreeSet};

/// The variables visible to one field: name → value, where `None` is an arg declared
/// without a default and not given with `--build-arg`.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    vars: BTreeMap<String, Option<String>>,
    /// `env` entries whose value is known only when the base's environment is (they
    /// refer to it); the names are defined, their values are not yet.
    deferred: BTreeSet<String>,
}

/// How deep `${A:-${B:-…}}` defaults may nest; real files use two or three levels.
pub const MAX_NESTING: usize = 32;

/// Why an expansion failed; the caller attaches the location.
#[derive(Debug, PartialEq, Eq)]
pub enum ExpandError {
    Undefined {
        name: String,
        defined: Vec<String>,
    },
    Unset {
        name: String,
    },
    Syntax(String),
    /// Defaults nest deeper than [`MAX_NESTING`].
    TooDeep,
    /// The name's value comes from the inherited environment, not known yet.
    Deferred {
        name: String,
    },
}

/// An expansion error and the byte offset, in the expanded text, of the `$` that caused it.
#[derive(Debug, PartialEq, Eq)]
pub struct Located {
    pub error: ExpandError,
    pub offset: usize,
}

/// What a name that is neither set nor declared means to an expansion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unknown {
    /// An error that names it.
    Error,
    /// `ExpandError::Deferred`: the text is expanded later, once the inherited
    /// environment is known (`env` values). `${NAME:-…}` defers too, since the
    /// inherited environment may set the name.
    Defer,
}

impl Scope {
    pub fn set(&mut self, name: impl Into<String>, value: Option<String>) {
        let name = name.into();
        self.deferred.remove(&name);
        self.vars.insert(name, value);
    }

    /// Marks `name` as defined with a value known only later (see [`Unknown::Defer`]).
    pub fn defer(&mut self, name: impl Into<String>) {
        let name = name.into();
        self.vars.remove(&name);
        self.deferred.insert(name);
    }

    pub fn get(&self, name: &str) -> Option<&Option<String>> {
        self.vars.get(name)
    }

    pub fn is_deferred(&self, name: &str) -> bool {
        self.deferred.contains(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars.keys().map(String::as_str)
    }

    /// Expands every variable in `text`.
    pub fn expand(&self, text: &str) -> Result<String, ExpandError> {
        self.expand_located(text, Unknown::Error)
            .map_err(|l| l.error)
    }

    /// Expands every variable in `text`; an error says where in `text` it arose.
    pub fn expand_located(&self, text: &str, unknown: Unknown) -> Result<String, Located> {
        Expansion {
            scope: self,
            unknown,
        }
        .text(text, 0, 0)
    }
}

/// One expansion: the scope and what unknown names mean.
struct Expansion<'a> {
    scope: &'a Scope,
    unknown: Unknown,
}

impl Expansion<'_> {
    /// `depth` counts the defaults (`${A:-…}`) this text sits in: each level is one
    /// recursion and one more pass over the text, so it is bounded. `base` is where
    /// `text` starts in the whole expanded text, for error offsets.
    fn text(&self, text: &str, depth: usize, base: usize) -> Result<String, Located> {
        if depth > MAX_NESTING {
            return Err(Located {
                error: ExpandError::TooDeep,
                offset: base,
            });
        }
        let mut out = String::with_capacity(text.len());
        let mut chars = text.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if c != '$' {
                out.push(c);
                continue;
            }
            let located = |error| Located {
                error,
                offset: base + at,
            };
            match chars.peek().map(|&(_, c)| c) {
                Some('$') => {
                    chars.next();
                    out.push('$');
                }
                Some('{') => {
                    let start = chars.next().map_or(text.len(), |(i, _)| i + 1);
                    let mut end = None;
                    let mut open = 1;
                    for (i, c) in chars.by_ref() {
                        match c {
                            '{' => open += 1,
                            '}' => {
                                open -= 1;
                                if open == 0 {
                                    end = Some(i);
                                    break;
                                }
                            }
                            _ => {}
                        }
                    }
                    let Some(end) = end else {
                        return Err(located(ExpandError::Syntax(format!(
                            "`${{{}` is missing its closing `}}`",
                            shorten(&text[start..])
                        ))));
                    };
                    let body = &text[start..end];
                    out.push_str(&self.braced(body, depth, base + start, base + at)?);
                }
                Some(c) if is_name_start(c) => {
                    let mut name = String::new();
                    while let Some(&(_, c)) = chars.peek() {
                        if !is_name_char(c) {
                            break;
                        }
                        name.push(c);
                        chars.next();
                    }
                    out.push_str(&self.lookup(&name).map_err(located)?);
                }
                _ => out.push('$'),
            }
        }
        Ok(out)
    }

    /// `${body}`, where `body` starts at `body_at` and its `$` at `dollar_at`.
    fn braced(
        &self,
        body: &str,
        depth: usize,
        body_at: usize,
        dollar_at: usize,
    ) -> Result<String, Located> {
        let located = |error| Located {
            error,
            offset: dollar_at,
        };
        let name_end = body.find(|c: char| !is_name_char(c)).unwrap_or(body.len());
        let (name, rest) = body.split_at(name_end);
        if name.is_empty() || !name.starts_with(is_name_start) {
            return Err(located(ExpandError::Syntax(format!(
                "`${{{}}}` is not a variable name",
                shorten(body)
            ))));
        }
        if rest.is_empty() {
            return self.lookup(name).map_err(located);
        }
        let colon = rest.starts_with(':');
        let op = rest.strip_prefix(':').unwrap_or(rest);
        let (default, word) = if let Some(word) = op.strip_prefix('-') {
            (true, word)
        } else if let Some(word) = op.strip_prefix('+') {
            (false, word)
        } else {
            return Err(located(ExpandError::Syntax(format!(
                "`${{{}}}`: after the name only `:-`, `-`, `:+` or `+` may follow",
                shorten(body)
            ))));
        };
        let word_at = body_at + body.len() - word.len();
        if self.unknown == Unknown::Defer && !self.scope.vars.contains_key(name) {
            // The inherited environment may set it: the choice is made then.
            return Err(located(ExpandError::Deferred {
                name: name.to_owned(),
            }));
        }
        if self.scope.deferred.contains(name) {
            return Err(located(ExpandError::Deferred {
                name: name.to_owned(),
            }));
        }
        let value = self.scope.vars.get(name).cloned().flatten();
        let set = value.as_ref().is_some_and(|v| !v.is_empty() || !colon);
        match (default, set) {
            (true, true) => Ok(value.unwrap_or_default()),
            (true, false) | (false, true) => self.text(word, depth + 1, word_at),
            (false, false) => Ok(String::new()),
        }
    }

    fn lookup(&self, name: &str) -> Result<String, ExpandError> {
        match self.scope.vars.get(name) {
            Some(Some(v)) => Ok(v.clone()),
            Some(None) => Err(ExpandError::Unset {
                name: name.to_owned(),
            }),
            None if self.unknown == Unknown::Defer || self.scope.deferred.contains(name) => {
                Err(ExpandError::Deferred {
                    name: name.to_owned(),
                })
            }
            None => Err(ExpandError::Undefined {
                name: name.to_owned(),
                defined: self
                    .scope
                    .vars
                    .keys()
                    .chain(&self.scope.deferred)
                    .cloned()
                    .collect(),
            }),
        }
    }
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

/// Names a shell command refers to as `$NAME` or `${NAME…}` (escaped `$$` skipped).
/// Over-approximates on purpose: a name in quotes still counts, so the step gets the value.
pub fn referenced_names(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut names = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'$' {
            i += 1;
            continue;
        }
        i += 1;
        if i < bytes.len() && bytes[i] == b'$' {
            i += 1;
            continue;
        }
        if i < bytes.len() && bytes[i] == b'{' {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
            i += 1;
        }
        if i > start && !bytes[start].is_ascii_digit() {
            let name = &text[start..i];
            if seen.insert(name) {
                names.push(name.to_owned());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        let mut s = Scope::default();
        s.set("GO", Some("1.22".into()));
        s.set("EMPTY", Some(String::new()));
        s.set("NOVALUE", None);
        s
    }

    #[test]
    fn expands_all_forms() {
        let s = scope();
        assert_eq!(
            s.expand("golang:${GO}-alpine").unwrap(),
            "golang:1.22-alpine"
        );
        assert_eq!(s.expand("v$GO.x").unwrap(), "v1.22.x");
        assert_eq!(s.expand("${MISSING:-dflt}").unwrap(), "dflt");
        assert_eq!(s.expand("${EMPTY:-dflt}").unwrap(), "dflt");
        assert_eq!(s.expand("${EMPTY-dflt}").unwrap(), "");
        assert_eq!(s.expand("${GO:+set}").unwrap(), "set");
        assert_eq!(s.expand("${EMPTY:+set}").unwrap(), "");
        assert_eq!(s.expand("${MISSING:-}").unwrap(), "");
        assert_eq!(s.expand("${MISSING:-${GO}}").unwrap(), "1.22");
        assert_eq!(s.expand("cost: $$5 and $").unwrap(), "cost: $5 and $");
    }

    #[test]
    fn undefined_names_list_the_defined_ones() {
        let err = scope().expand("${GOO}").unwrap_err();
        assert_eq!(
            err,
            ExpandError::Undefined {
                name: "GOO".into(),
                defined: vec!["EMPTY".into(), "GO".into(), "NOVALUE".into()]
            }
        );
        assert_eq!(
            scope().expand("$NOVALUE").unwrap_err(),
            ExpandError::Unset {
                name: "NOVALUE".into()
            }
        );
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert!(matches!(
            scope().expand("${GO"),
            Err(ExpandError::Syntax(_))
        ));
        assert!(matches!(
            scope().expand("${GO?x}"),
            Err(ExpandError::Syntax(_))
        ));
        assert!(matches!(scope().expand("${}"), Err(ExpandError::Syntax(_))));
        let long = format!("${{{}", "x".repeat(10_000));
        match scope().expand(&long) {
            Err(ExpandError::Syntax(m)) => assert!(m.len() < 200, "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nesting_is_bounded() {
        let nested = |n: usize| format!("{}x{}", "${A:-".repeat(n), "}".repeat(n));
        assert_eq!(scope().expand(&nested(MAX_NESTING)).unwrap(), "x");
        assert!(matches!(
            scope().expand(&nested(MAX_NESTING + 1)),
            Err(ExpandError::TooDeep)
        ));
        // Deep enough to overflow the stack if each level recursed without a bound.
        assert!(scope().expand(&nested(50_000)).is_err());
        assert!(scope().expand(&"${A:-".repeat(50_000)).is_err());
    }

    #[test]
    fn finds_referenced_names() {
        assert_eq!(
            referenced_names("GOOS=$TARGETOS go build -X v=${APP_VERSION:-dev} $$HOME $1"),
            vec!["TARGETOS", "APP_VERSION"]
        );
    }
}
