//! Bytes → `Stagefile`, with bounded work and located, actionable errors.

use super::Stagefile;
use crate::diag::{Diagnostic, Limit, Span, suggest};
use serde_saphyr::options::DuplicateKeyPolicy;

/// Largest Stagefile accepted; real ones are a few KiB, and BuildKit's gRPC limit is 4 MiB.
pub const MAX_FILE_BYTES: usize = 4 << 20;

/// Parses a Stagefile. Alias expansion, nesting depth and node count are bounded so hostile
/// input costs little; every failure names a line and column. Preset stages are expanded
/// first (see `crate::preset`); the spans of what they generate point at the `preset:`
/// line, and `source` stays the text the user wrote.
pub fn parse(bytes: &[u8]) -> Result<Stagefile, Vec<Diagnostic>> {
    let text = checked_text(bytes).map_err(|d| vec![d])?;
    let expansion = crate::preset::expand(text, |t| {
        serde_saphyr::from_str_with_options::<crate::preset::Scan>(t, options())
            .map_err(|e| to_diagnostic(&e))
    })?;
    let mut file = match &expansion {
        None => serde_saphyr::from_str_with_options::<Stagefile>(text, options()),
        Some(expanded) => super::de::with_line_map(expanded.lines.clone(), || {
            serde_saphyr::from_str_with_options::<Stagefile>(&expanded.text, options())
        }),
    }
    .map_err(|e| {
        let d = to_diagnostic(&e);
        match &expansion {
            Some(expanded) => vec![Diagnostic {
                span: super::de::LineMap::place(&*expanded.lines, d.span),
                ..d
            }],
            None => vec![d],
        }
    })?;
    file.source = text.to_owned();
    Ok(file)
}

/// `parse` of file `file` of the build (0: the Stagefile, others: included files): every
/// span, of the values and of the errors, is marked with it.
pub fn parse_in(bytes: &[u8], file: u32) -> Result<Stagefile, Vec<Diagnostic>> {
    super::de::in_file(file, || parse(bytes)).map_err(|diags| {
        diags
            .into_iter()
            .map(|d| Diagnostic {
                span: d.span.in_file(file),
                ..d
            })
            .collect()
    })
}

/// The text of a Stagefile's bytes: within the size limit, UTF-8, and not empty.
fn checked_text(bytes: &[u8]) -> Result<&str, Diagnostic> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_col(bytes, e.valid_up_to());
        Diagnostic::error(Span::new(line, column, 1), "the file is not valid UTF-8")
            .with_help("save the Stagefile as UTF-8")
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    }) {
        return Err(
            Diagnostic::error(Span::new(1, 1, 0), "the Stagefile is empty")
                .with_help("add a `stages:` mapping with at least one stage"),
        );
    }
    Ok(text)
}

/// The parser's limits: hostile input (alias bombs, deep nesting, many documents) is
/// refused early with a located error.
fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        duplicate_keys: DuplicateKeyPolicy::Error,
        budget: serde_saphyr::budget! {
            max_depth: 64,
            max_aliases: 1_000,
            max_nodes: 2_000_000,
            max_documents: 1,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 100_000,
            max_replay_stack_depth: 16,
        },
        with_snippet: false,
    }
}

/// The text a preset expansion of `bytes` gives (what `stagefile expand` prints), or
/// `None` when the file has no preset stage.
pub fn expanded(bytes: &[u8]) -> Result<Option<String>, Vec<Diagnostic>> {
    let text = checked_text(bytes).map_err(|d| vec![d])?;
    let expansion = crate::preset::expand(text, |t| {
        serde_saphyr::from_str_with_options::<crate::preset::Scan>(t, options())
            .map_err(|e| to_diagnostic(&e))
    })?;
    Ok(expansion.map(|e| e.text))
}

/// The error for a file over [`MAX_FILE_BYTES`]; callers that see the size before
/// reading (the CLI) use it to refuse without loading the file.
pub fn too_big(len: u64) -> Diagnostic {
    Diagnostic::error(
        Span::new(1, 1, 0),
        format!("the file is {len} bytes; a Stagefile may be at most {MAX_FILE_BYTES} bytes"),
    )
    .with_help("check that the right file is given (-f); generated specs should be split")
    .with_limit(Limit::FileSize)
}

fn to_diagnostic(e: &serde_saphyr::Error) -> Diagnostic {
    let e = e.without_snippet();
    let span = e
        .location()
        .map(|l| {
            Span::new(
                l.line() as u32,
                l.column() as u32,
                l.span().len().min(64) as u32,
            )
        })
        .unwrap_or(Span::new(1, 1, 0));
    let raw = e.to_string();
    let message = strip_location(&raw).to_owned();
    let mut diag = Diagnostic::error(span, message.clone());
    if let Some((field, expected)) = unknown_field(&message) {
        diag.message = format!("unknown key `{field}`");
        diag.help = Some(match suggest(&field, expected.iter().map(String::as_str)) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("expected one of: {}", expected.join(", ")),
        });
    } else if message.starts_with("duplicate mapping key") {
        let key = message
            .trim_start_matches("duplicate mapping key: ")
            .split(',')
            .next()
            .unwrap_or("");
        diag.message = format!("duplicate key `{key}`");
        diag.help = Some("each key may appear once in a mapping; merge the two entries".into());
    } else if message.starts_with("missing field") {
        diag.message = message.replacen("missing field", "missing key", 1);
        if message.contains("`stages`") {
            diag.help = Some("a Stagefile needs `stages:` with at least one stage".into());
        }
    } else if message.starts_with("invalid type: map, expected a string") {
        // A mapping where one value or a list of them is expected (`expose: {a: b}`).
        diag.message = "expected a value or a list of values here, not a mapping".into();
        diag.help = Some("write one value, or a list: `[a, b]`".into());
    } else if let Some((message, help, limit)) = in_plain_words(e) {
        diag.message = message;
        diag.help = Some(help.into());
        diag.code = limit.map(crate::diag::Code::Limit);
    }
    diag
}

/// The parser's own wording for wrong types and limits speaks of its internals
/// ("expected mapping start", "use Option<String>"); say what the file needs instead,
/// and which limit a refusal for the work it asks hit.
fn in_plain_words(e: &serde_saphyr::Error) -> Option<(String, &'static str, Option<Limit>)> {
    use serde_saphyr::Error as E;
    use serde_saphyr::budget::BudgetBreach as B;
    let too_much = "write the repeated parts out plainly, without nesting aliases";
    let limit = |limit| Some(limit);
    Some(match e {
        E::AliasError { error, .. } => return in_plain_words(error),
        E::Unexpected { expected, .. } => match *expected {
            "mapping start" => (
                "expected a mapping (`key: value` entries) here".into(),
                "check the indentation, and what this key takes in the reference",
                None,
            ),
            "sequence start" => (
                "expected a list here".into(),
                "write the items as `[a, b]` or as `- a` lines",
                None,
            ),
            "string scalar" => (
                "expected a single value here, not a list or a mapping".into(),
                "quote the value if it should be text",
                None,
            ),
            other => (
                format!("expected {other} here"),
                "check the value against the reference",
                None,
            ),
        },
        E::NullIntoString { .. } => (
            "a value is missing here".into(),
            "write a value after the colon (an empty text is \"\")",
            None,
        ),
        E::InvalidScalar { ty: "boolean", .. } | E::InvalidBooleanStrict { .. } => (
            "expected `true` or `false`".into(),
            "write true or false",
            None,
        ),
        E::InvalidScalar { ty, .. } if ty.starts_with('u') || ty.starts_with('i') => (
            "expected a whole number".into(),
            "ids and counts are numbers from 0 to 4294967295",
            None,
        ),
        E::Budget {
            breach: B::Documents { .. },
            ..
        }
        | E::MultipleDocuments { .. } => (
            "a Stagefile holds one YAML document".into(),
            "remove this `---` line and what follows, or merge the documents",
            limit(Limit::Documents),
        ),
        E::Budget {
            breach: B::Depth { .. },
            ..
        } => (
            "the YAML nests too deeply".into(),
            "a Stagefile needs a few levels; flatten the structure",
            limit(Limit::Depth),
        ),
        E::Budget { breach, .. } => (
            "the YAML is too large or too complex".into(),
            too_much,
            limit(match breach {
                B::Aliases { .. }
                | B::Anchors { .. }
                | B::AliasAnchorRatio { .. }
                | B::MergeKeys { .. } => Limit::Aliases,
                B::Nodes { .. } => Limit::Nodes,
                _ => Limit::YamlSize,
            }),
        ),
        E::AliasReplayLimitExceeded { .. }
        | E::AliasExpansionLimitExceeded { .. }
        | E::AliasReplayCounterOverflow { .. } => (
            "aliases expand to too much YAML".into(),
            too_much,
            limit(Limit::Aliases),
        ),
        E::UnknownAnchor { .. } => (
            "this alias refers to no anchor".into(),
            "define the anchor (`&name`) before its first use (`*name`)",
            None,
        ),
        _ => return None,
    })
}

/// serde-saphyr appends " at line N, column M"; the span carries that already.
fn strip_location(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) if msg[i..].contains("column") => &msg[..i],
        _ => msg,
    }
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" into its parts.
fn unknown_field(msg: &str) -> Option<(String, Vec<String>)> {
    let rest = msg.strip_prefix("unknown field `")?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split_once("expected")
        .map(|(_, e)| e)
        .unwrap_or("")
        .trim_start_matches(" one of")
        .split([',', ' '])
        .map(|s| s.trim_matches('`').trim())
        .filter(|s| !s.is_empty() && *s != "or")
        .map(str::to_owned)
        .collect();
    Some((field.to_owned(), expected))
}

fn line_col(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line as u32, column as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> Diagnostic {
        parse(src.as_bytes()).expect_err("should fail").remove(0)
    }

    #[test]
    fn parses_a_minimal_file() {
        let f = parse(b"stages:\n  app:\n    from: scratch\n").unwrap();
        assert_eq!(f.stages.value.len(), 1);
        assert_eq!(f.stages.value.0[0].0.value, "app");
    }

    #[test]
    fn misspelt_stage_key_is_located_with_a_suggestion() {
        let d = err("stages:\n  app:\n    from: scratch\n    workdri: /x\n");
        assert_eq!(d.message, "unknown key `workdri`");
        assert_eq!((d.span.line, d.span.column), (4, 5));
        assert_eq!(d.help.as_deref(), Some("did you mean `workdir`?"));
    }

    #[test]
    fn misspelt_step_key_is_located() {
        let d = err("stages:\n  app:\n    from: scratch\n    steps:\n      - runn: echo\n");
        assert_eq!(d.message, "unknown key `runn`");
        assert_eq!(d.span.line, 5);
        assert_eq!(d.help.as_deref(), Some("did you mean `run`?"));
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        let d = err("stages:\n  a:\n    from: scratch\n  a:\n    from: scratch\n");
        assert!(d.message.contains("duplicate key `a`"), "{d:?}");
        assert_eq!(d.span.line, 4);
    }

    #[test]
    fn empty_file_and_missing_stages() {
        assert_eq!(err("").message, "the Stagefile is empty");
        assert_eq!(err("# syntax=x\n\n").message, "the Stagefile is empty");
        let d = err("args:\n  A: b\n");
        assert!(d.message.contains("missing key `stages`"), "{d:?}");
    }

    #[test]
    fn invalid_utf8_is_located() {
        let d = err("stages:\n  a:\n    from: \u{e9}x\n    user: a\n"
            .replace('\u{e9}', "\u{0}")
            .as_str());
        // NUL is valid UTF-8 but not valid YAML: still a located error.
        assert!(d.span.is_known());
        let mut bytes = b"stages:\n  a:\n    from: ".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        let d = parse(&bytes).unwrap_err().remove(0);
        assert_eq!(d.message, "the file is not valid UTF-8");
        assert_eq!((d.span.line, d.span.column), (3, 11));
    }

    #[test]
    fn oversized_file_is_refused_before_parsing() {
        let big = vec![b' '; MAX_FILE_BYTES + 1];
        assert!(parse(&big).unwrap_err()[0].message.contains("at most"));
    }

    #[test]
    fn alias_bomb_is_bounded() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        s.push_str("stages:\n  x:\n    from: scratch\n");
        let d = err(&s);
        assert!(d.span.is_known());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let s = format!("stages: {}{}", "[".repeat(10_000), "]".repeat(10_000));
        let d = err(&s);
        assert!(d.span.is_known());
    }

    #[test]
    fn scalars_keep_their_text() {
        let f = parse(b"args:\n  V: 1.20\nstages:\n  a:\n    from: scratch\n    expose: [8080]\n    steps:\n      - file: /x\n        mode: 0755\n").unwrap();
        assert_eq!(f.args.0[0].1.as_ref().unwrap().0, "1.20");
        let stage = &f.stages.value.0[0].1;
        assert_eq!(stage.expose.as_ref().unwrap().value.0[0].0.0, "8080");
        assert_eq!(stage.steps[0].value.mode.as_ref().unwrap().value.0, "0755");
    }
}
