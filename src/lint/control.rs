//! Which lint rules run, and whether their findings fail the build: the file's `check`
//! key or `# check=` line (Dockerfile's directive), or the `BUILDKIT_DOCKERFILE_CHECK`
//! build arg, which replaces both, as it does for a Dockerfile.

use crate::diag::{Diagnostic, Span, suggest};
use crate::spec::{Stagefile, items, span_of};
use std::collections::{BTreeMap, BTreeSet};

/// The build arg that overrides the file's lint settings.
pub const CHECK_BUILD_ARG: &str = "BUILDKIT_DOCKERFILE_CHECK";

/// The lint settings in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Control {
    pub skip_all: bool,
    pub skip: BTreeSet<String>,
    /// Findings fail the build (and `stagefile check`).
    pub error: bool,
}

impl Control {
    pub fn runs(&self, rule: &str) -> bool {
        !self.skip_all && !self.skip.contains(rule)
    }
}

/// Reads the settings. Malformed ones are errors; unknown rule names are warnings
/// (returned with the settings), each with the closest rule name.
pub fn read(
    file: &Stagefile,
    text: &str,
    build_args: &BTreeMap<String, String>,
) -> Result<(Control, Vec<Diagnostic>), Vec<Diagnostic>> {
    let mut reader = Reader::default();
    if let Some(value) = build_args.get(CHECK_BUILD_ARG) {
        reader.directive(value, Place::BuildArg);
    } else {
        let line = directive_line(text);
        if let Some((line_no, column, value)) = &line {
            reader.directive(value, Place::Line(*line_no, *column));
        }
        if let Some(check) = &file.check {
            if let Some((line_no, _, _)) = line {
                reader.errors.push(
                    Diagnostic::error(
                        span_of(check),
                        "lint settings are given twice: here and in the `# check=` line",
                    )
                    .with_help(format!("keep one of them (line {line_no} or this key)")),
                );
            }
            reader.key(check);
        }
    }
    if reader.errors.is_empty() {
        Ok((reader.control, reader.warnings))
    } else {
        Err(reader.errors)
    }
}

/// Where a setting was written, to locate what is wrong with it.
#[derive(Clone, Copy)]
enum Place {
    /// `--build-arg BUILDKIT_DOCKERFILE_CHECK=…`: no place in the file.
    BuildArg,
    /// The `# check=` line, and the column where its value starts.
    Line(u32, u32),
}

impl Place {
    /// The span of `part`, found at byte `offset` of the value.
    fn span(self, value: &str, offset: usize, part: &str) -> Span {
        match self {
            Place::BuildArg => Span::UNKNOWN,
            Place::Line(line, column) => {
                let chars = value[..offset].chars().count() as u32;
                Span::new(line, column + chars, part.chars().count() as u32)
            }
        }
    }

    fn what(self) -> String {
        match self {
            Place::BuildArg => format!("build arg {CHECK_BUILD_ARG}: "),
            Place::Line(..) => String::new(),
        }
    }
}

#[derive(Default)]
struct Reader {
    control: Control,
    errors: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
}

impl Reader {
    /// `skip=RuleA,RuleB;error=true`, as Dockerfile's `# check=` line and build arg read.
    fn directive(&mut self, value: &str, place: Place) {
        let mut offset = 0;
        for part in value.split(';') {
            let at = offset;
            offset += part.len() + 1;
            if part.trim().is_empty() {
                continue;
            }
            let Some((key, setting)) = part.split_once('=') else {
                self.errors.push(
                    Diagnostic::error(
                        place.span(value, at, part),
                        format!("{}`{}` is not a lint setting", place.what(), part.trim()),
                    )
                    .with_help("write skip=RuleA,RuleB and error=true, separated by `;`"),
                );
                continue;
            };
            let setting_at = at + key.len() + 1;
            match key.trim() {
                "skip" => {
                    let mut rule_at = setting_at;
                    for rule in setting.split(',') {
                        let start = rule_at + (rule.len() - rule.trim_start().len());
                        rule_at += rule.len() + 1;
                        let rule = rule.trim();
                        if !rule.is_empty() {
                            self.skip(rule, place.span(value, start, rule));
                        }
                    }
                }
                "error" => match parse_bool(setting.trim()) {
                    Some(b) => self.control.error = b,
                    None => self.errors.push(
                        Diagnostic::error(
                            place.span(value, setting_at, setting),
                            format!(
                                "{}`error={}` is not true or false",
                                place.what(),
                                setting.trim()
                            ),
                        )
                        .with_help("write error=true or error=false"),
                    ),
                },
                // Dockerfile's switch for experimental rules; this frontend has none.
                "experimental" => {}
                other => self.errors.push(
                    Diagnostic::error(
                        place.span(value, at, key),
                        format!("{}`{other}` is not a lint setting", place.what()),
                    )
                    .with_help("the settings are skip and error"),
                ),
            }
        }
    }

    /// The top-level `check:` key.
    fn key(&mut self, check: &crate::spec::Spanned<crate::spec::CheckSpec>) {
        if let Some(skip) = &check.value.skip {
            for (rule, span) in items(skip) {
                self.skip(rule, span);
            }
        }
        if let Some(error) = &check.value.error {
            self.control.error = error.value;
        }
    }

    fn skip(&mut self, rule: &str, span: Span) {
        if rule == "all" {
            self.control.skip_all = true;
            return;
        }
        let known = super::RULES.iter().map(|(name, _)| *name);
        if !super::RULES.iter().any(|(name, _)| *name == rule) {
            let d = Diagnostic::warning(
                span,
                format!("`{rule}` is not a lint rule; skipping it does nothing"),
            );
            self.warnings.push(match suggest(rule, known) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help(format!(
                    "the rules are {}, or `all`",
                    super::RULES
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            });
        }
        self.control.skip.insert(rule.to_owned());
    }
}

/// Go's `strconv.ParseBool`, which BuildKit reads `error=` with.
fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

/// The `# check=…` line among the directive lines that open the file (`# syntax=…`
/// and the like), as a Dockerfile reads directives: the first line of another kind
/// ends them. Gives the line, the column where the value starts, and the value.
fn directive_line(text: &str) -> Option<(u32, u32, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, line) in text.lines().enumerate() {
        let body = line.strip_prefix('#')?.trim_start();
        let (key, value) = body.split_once('=')?;
        let key = key.trim_end();
        let is_key = key.starts_with(|c: char| c.is_ascii_alphabetic())
            && key.chars().all(|c| c.is_ascii_alphanumeric());
        if !is_key {
            return None;
        }
        if key.eq_ignore_ascii_case("check") {
            let value_start = line.len() - value.len();
            let leading = value.len() - value.trim_start().len();
            let column = line[..value_start + leading].chars().count() as u32 + 1;
            return Some((index as u32 + 1, column, value.trim()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_src(
        src: &str,
        args: &[(&str, &str)],
    ) -> Result<(Control, Vec<Diagnostic>), Vec<Diagnostic>> {
        let file = crate::spec::parse(src.as_bytes()).unwrap();
        let args = args
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        read(&file, src, &args)
    }

    const STAGES: &str = "stages:\n  a:\n    from: scratch\n";

    #[test]
    fn nothing_set_runs_every_rule_as_warnings() {
        let (c, w) = read_src(STAGES, &[]).unwrap();
        assert_eq!(c, Control::default());
        assert!(w.is_empty());
        assert!(c.runs("RootUser"));
    }

    #[test]
    fn the_check_key_skips_and_makes_errors() {
        let src = format!("check:\n  skip: [RootUser, UnusedArg]\n  error: true\n{STAGES}");
        let (c, w) = read_src(&src, &[]).unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert!(c.error);
        assert!(!c.runs("RootUser") && !c.runs("UnusedArg") && c.runs("UnusedStage"));
        let (c, _) = read_src(&format!("check: {{ skip: all }}\n{STAGES}"), &[]).unwrap();
        assert!(!c.runs("RootUser") && !c.error);
    }

    #[test]
    fn the_dockerfile_line_is_honoured_after_the_syntax_line() {
        let src = format!("# syntax=stagefile:dev\n# check=skip=RootUser;error=true\n{STAGES}");
        let (c, _) = read_src(&src, &[]).unwrap();
        assert!(c.error && !c.runs("RootUser") && c.runs("UnusedArg"));
        // After another kind of line it is only a comment, as in a Dockerfile.
        let late = format!("# syntax=stagefile:dev\n# a note\n# check=error=true\n{STAGES}");
        assert!(!read_src(&late, &[]).unwrap().0.error);
        let late = format!("{STAGES}# check=error=true\n");
        assert!(!read_src(&late, &[]).unwrap().0.error);
    }

    #[test]
    fn unknown_rules_are_located_warnings_with_a_suggestion() {
        let src = format!("# check=skip=RootUser, RootUsr\n{STAGES}");
        let (_, w) = read_src(&src, &[]).unwrap();
        assert_eq!(w.len(), 1, "{w:?}");
        assert_eq!(
            w[0].message,
            "`RootUsr` is not a lint rule; skipping it does nothing"
        );
        assert_eq!(
            (w[0].span.line, w[0].span.column, w[0].span.len),
            (1, 24, 7)
        );
        assert_eq!(w[0].help.as_deref(), Some("did you mean `RootUser`?"));
        let src = format!("check:\n  skip: [UnusedArgs]\n{STAGES}");
        let (_, w) = read_src(&src, &[]).unwrap();
        assert_eq!((w[0].span.line, w[0].span.column), (2, 10));
        assert_eq!(w[0].help.as_deref(), Some("did you mean `UnusedArg`?"));
    }

    #[test]
    fn malformed_settings_are_located_errors() {
        let e = read_src(&format!("# check=error=maybe\n{STAGES}"), &[]).unwrap_err();
        assert_eq!(e[0].message, "`error=maybe` is not true or false");
        assert_eq!((e[0].span.line, e[0].span.column), (1, 15));
        let e = read_src(&format!("# check=skipp=RootUser\n{STAGES}"), &[]).unwrap_err();
        assert_eq!(e[0].message, "`skipp` is not a lint setting");
        let e = read_src(
            &format!("# check=error=true\ncheck: {{ error: true }}\n{STAGES}"),
            &[],
        )
        .unwrap_err();
        assert!(e[0].message.contains("given twice"), "{e:?}");
        assert_eq!(e[0].span.line, 2);
    }

    #[test]
    fn the_build_arg_replaces_the_files_settings() {
        let src = format!("check: {{ skip: [RootUser], error: true }}\n{STAGES}");
        let (c, _) = read_src(&src, &[(CHECK_BUILD_ARG, "skip=UnusedArg")]).unwrap();
        assert!(!c.error && c.runs("RootUser") && !c.runs("UnusedArg"));
        let (c, _) = read_src(STAGES, &[(CHECK_BUILD_ARG, "error=true")]).unwrap();
        assert!(c.error);
        let e = read_src(STAGES, &[(CHECK_BUILD_ARG, "error=yes")]).unwrap_err();
        assert!(
            e[0].message
                .starts_with("build arg BUILDKIT_DOCKERFILE_CHECK: "),
            "{e:?}"
        );
        assert!(!e[0].span.is_known());
    }
}
