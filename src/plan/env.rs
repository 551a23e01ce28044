//! `env` values: expanded while planning when every name they use is known (args, the
//! stage's earlier entries), else kept as written for lowering, which sees the
//! inherited environment (the base image's config or the base stage's `env`).
//! This is what makes `PATH: /opt/tool/bin:${PATH}` extend the base's `PATH`.

use super::expand_error;
use super::vars::{ExpandError, Scope, Unknown};
use crate::diag::{Diagnostic, Span};

/// The value of one `env` entry (a stage's or a `run` step's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvValue {
    /// Expanded already.
    Fixed(String),
    /// Refers to a name that only the inherited environment can define: expanded when
    /// the stage is lowered, on top of its base. `span` locates the entry for errors.
    Inherited { text: String, span: Span },
}

impl EnvValue {
    /// The value when it is known while planning.
    pub fn fixed(&self) -> Option<&str> {
        match self {
            EnvValue::Fixed(v) => Some(v),
            EnvValue::Inherited { .. } => None,
        }
    }
}

/// Reads the value of an entry written at `span`, seeing `scope`.
pub(super) fn value(scope: &Scope, text: &str, span: Span) -> Result<EnvValue, Diagnostic> {
    match scope.expand_located(text, Unknown::Defer) {
        Ok(v) => Ok(EnvValue::Fixed(v)),
        Err(e) if matches!(e.error, ExpandError::Deferred { .. }) => Ok(EnvValue::Inherited {
            text: text.to_owned(),
            span,
        }),
        Err(e) => Err(expand_error(e.error, span)),
    }
}

/// Reads a stage entry and makes it visible to the fields after it: its value, or,
/// when that waits for the base, its name (other fields using it get a clear error).
pub(super) fn stage_entry(
    scope: &mut Scope,
    name: &str,
    text: &str,
    span: Span,
) -> Result<EnvValue, Diagnostic> {
    let v = value(scope, text, span)?;
    match &v {
        EnvValue::Fixed(fixed) => scope.set(name, Some(fixed.clone())),
        EnvValue::Inherited { .. } => scope.defer(name),
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_wait_for_the_base_only_when_they_need_it() {
        let mut scope = Scope::default();
        scope.set("TAG", Some("1".into()));
        let at = Span::new(3, 5, 4);
        assert_eq!(
            stage_entry(&mut scope, "V", "v${TAG}", at).unwrap(),
            EnvValue::Fixed("v1".into())
        );
        assert_eq!(scope.get("V"), Some(&Some("v1".to_owned())));
        // `${PATH:-}` waits too: the base may set PATH.
        for text in ["/x:${PATH}", "/x:$PATH", "${PATH:-/bin}", "${PATH:+y}"] {
            assert_eq!(
                value(&scope, text, at).unwrap(),
                EnvValue::Inherited {
                    text: text.into(),
                    span: at
                },
                "{text}"
            );
        }
        stage_entry(&mut scope, "PATH", "/x:${PATH}", at).unwrap();
        assert!(scope.is_deferred("PATH"));
        // A later entry built on it waits as well; a field that is not `env` is told why
        // it cannot use it.
        assert!(matches!(
            stage_entry(&mut scope, "P2", "${PATH}", at).unwrap(),
            EnvValue::Inherited { .. }
        ));
        let err = super::super::expand_at(&scope, "${PATH}", at).unwrap_err();
        assert!(
            err.message.contains("inherited environment"),
            "{}",
            err.message
        );
        // Errors that no base can fix are reported while planning.
        scope.set("NOVALUE", None);
        assert!(value(&scope, "$NOVALUE", at).is_err());
        assert!(value(&scope, "${TAG?}", at).is_err());
    }
}
