//! The values of step options, checked: owners, keywords, octal modes, paths.

use super::*;

impl Ctx<'_> {
    /// `user[:group]`, each a number or a name. A lone number is used for both; a lone
    /// name leaves the group to BuildKit (the user's own group), as a Dockerfile does.
    pub(in crate::plan) fn chown(&mut self, c: &Spanned<spec::Text>) -> Option<Owner> {
        let text = self.expand_text(&c.value.0, span_of(c))?;
        match Owner::parse(&text) {
            Some(owner) => Some(owner),
            None => self.fail(
                Diagnostic::error(
                    span_of(c),
                    format!("`chown: {text}` is not a user or user:group"),
                )
                .with_help("give numeric ids (65532:65532) or names from the image's /etc/passwd and /etc/group (app:app)"),
            ),
        }
    }

    /// A keyword field (`network`, `security`, `sharing`): expanded, then one of `choices`.
    /// Absent, or unexpandable (already reported), it means the first choice.
    pub(in crate::plan) fn keyword<T: Copy>(
        &mut self,
        field: &Option<Spanned<String>>,
        what: &str,
        choices: &[(&str, T)],
    ) -> Option<T> {
        let default = Some(choices[0].1);
        let Some(f) = field else { return default };
        let Some(text) = self.expand(f) else {
            return default;
        };
        if let Some((_, value)) = choices.iter().find(|(name, _)| *name == text) {
            return Some(*value);
        }
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        let (last, rest) = names.split_last().expect("keywords have choices");
        self.fail(
            Diagnostic::error(span_of(f), format!("`{text}` is not a {what}"))
                .with_help(format!("use {} or {last}", rest.join(", "))),
        )
    }

    pub(in crate::plan) fn octal(&mut self, text: &str, span: Span) -> Option<u32> {
        let text = self.expand_text(text, span)?;
        match u32::from_str_radix(text.trim_start_matches("0o"), 8) {
            Ok(m) if m <= 0o7777 => Some(m),
            _ => self.fail(
                Diagnostic::error(span, format!("`{text}` is not an octal file mode"))
                    .with_help("write e.g. 0755 or 0644"),
            ),
        }
    }

    pub(in crate::plan) fn abs_path(&mut self, path: String, span: Span) -> Option<String> {
        if path.starts_with('/') {
            Some(path)
        } else {
            self.fail(
                Diagnostic::error(span, format!("`{path}` must be an absolute path"))
                    .with_help(format!("write /{path}")),
            )
        }
    }

    /// A path read from a source must stay inside it: `../` may not climb out.
    pub(in crate::plan) fn inside(&mut self, path: &str, span: Span) -> Option<String> {
        let mut depth: i32 = 0;
        for part in path.split('/') {
            match part {
                "" | "." => {}
                ".." => depth -= 1,
                _ => depth += 1,
            }
            if depth < 0 {
                return self.fail(
                    Diagnostic::error(span, format!("`{path}` leads outside its source"))
                        .with_help("paths are relative to the build context (or the `from` stage's root); remove the `..`"),
                );
            }
        }
        Some(path.to_owned())
    }
}

/// Each item of a one-or-many option given in short or full form, located.
pub(in crate::plan) fn items<T>(
    v: &Spanned<OneOrMany<Short<T>>>,
) -> impl Iterator<Item = (&T, Span)> {
    spec::items(v).map(|(s, sp)| (&s.0, sp))
}
