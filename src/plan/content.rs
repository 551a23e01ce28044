//! The `content` of a `file` step: expanded like other fields, but it is usually a
//! script, whose `$HOME` is meant for the shell. An error is placed on the line of the
//! block it is on, and its hint starts with the escape a script needs.

use super::expand_error;
use super::vars::{ExpandError, Scope, Unknown};
use crate::diag::Diagnostic;
use crate::spec::{Spanned, span_of, within};

pub(super) fn expand(
    scope: &Scope,
    content: &Spanned<String>,
    source: &str,
) -> Result<String, Diagnostic> {
    let text = &content.value;
    let e = match scope.expand_located(text, Unknown::Error) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let piece = reference_at(text, e.offset);
    let span = within(source, span_of(content), text, e.offset, piece);
    Err(match e.error {
        ExpandError::Undefined { name, .. } => {
            Diagnostic::error(span, format!("variable `{name}` is not defined")).with_help(
                format!(
                    "for the script to read it when it runs, write `$${}`; or set `expand: false` on the step to write the content as it is; or `${{{name}:-}}` for an optional value",
                    &piece[1..]
                ),
            )
        }
        other => expand_error(other, span),
    })
}

/// The variable reference starting at `offset` (`$NAME`, `${NAME…}` up to its name).
fn reference_at(text: &str, offset: usize) -> &str {
    let rest = text.get(offset..).unwrap_or("");
    let body = rest
        .strip_prefix("${")
        .or(rest.strip_prefix('$'))
        .unwrap_or("");
    let name = body
        .find(|c: char| !(c == '_' || c.is_ascii_alphanumeric()))
        .unwrap_or(body.len());
    let end = rest.len() - body.len() + name;
    let mut piece = &rest[..end];
    if piece.starts_with("${") && rest[end..].starts_with('}') {
        piece = &rest[..end + 1];
    }
    if piece.is_empty() {
        &rest[..rest.len().min(1)]
    } else {
        piece
    }
}

#[cfg(test)]
mod tests {
    use super::reference_at;

    #[test]
    fn the_reference_at_an_offset() {
        assert_eq!(reference_at("a $HOME/b", 2), "$HOME");
        assert_eq!(reference_at("${HOME}x", 0), "${HOME}");
        assert_eq!(reference_at("${HOME:-x}", 0), "${HOME");
        assert_eq!(reference_at("${", 0), "${");
        assert_eq!(reference_at("x", 9), "");
    }
}
