//! `env` values that refer to the inherited environment (`PATH: /opt/bin:${PATH}`),
//! expanded once the base's environment is known: the base image's config, or the
//! base stage's environment after its own `env`.
//!
//! Such a value sees, first, what it saw while planning (args, the stage's earlier
//! entries), then the inherited environment for the names those do not define.

use crate::diag::{Diagnostic, Span, name_list, suggest};
use crate::image::Image;
use crate::llb::DEFAULT_PATH;
use crate::plan::EnvValue;
use crate::plan::vars::{ExpandError, Scope, referenced_names};
use std::collections::BTreeSet;

/// What is known of the environment a stage inherits.
#[derive(Clone, Debug, Default)]
pub(super) struct Inherited {
    /// The base whose config is not at hand (the offline commands fetch none), as
    /// `image \`ref\``. Its environment is taken to be BuildKit's default `PATH` alone.
    pub unknown_base: Option<String>,
    /// Whether `PATH` still holds that assumption (no `env` entry has set it since).
    pub path_assumed: bool,
}

impl Inherited {
    pub fn unknown(base: String) -> Self {
        Inherited {
            unknown_base: Some(base),
            path_assumed: true,
        }
    }
}

/// The `env` of one stage and of its `run` steps, resolved in order.
pub(super) struct StageEnv<'a> {
    args: &'a Scope,
    inherited: Inherited,
    /// The stage's entries so far; the scope below is made from them when first needed.
    entries: Vec<(String, String)>,
    scope: Option<Scope>,
    /// Names an assumption was already reported for, so each is told once per stage.
    warned: BTreeSet<String>,
    pub diags: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl<'a> StageEnv<'a> {
    pub fn new(args: &'a Scope, inherited: Inherited) -> Self {
        StageEnv {
            args,
            inherited,
            entries: Vec::new(),
            scope: None,
            warned: BTreeSet::new(),
            diags: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// What the stages built on this one inherit.
    pub fn inherited(&self) -> Inherited {
        self.inherited.clone()
    }

    /// The value of the stage entry `name`, given the image config so far; `None` after
    /// an error (in `diags`).
    pub fn stage_entry(&mut self, name: &str, value: &EnvValue, image: &Image) -> Option<String> {
        let resolved = self.resolve(value, image)?;
        if name == "PATH" {
            self.inherited.path_assumed = false;
        }
        if let Some(scope) = &mut self.scope {
            scope.set(name, Some(resolved.clone()));
        }
        self.entries.push((name.to_owned(), resolved.clone()));
        Some(resolved)
    }

    /// A `run` step's environment (the args it uses, then its own entries); `None` after
    /// an error.
    pub fn step(
        &mut self,
        env: &[(String, EnvValue)],
        image: &Image,
    ) -> Option<Vec<(String, String)>> {
        env.iter()
            .map(|(name, value)| Some((name.clone(), self.resolve(value, image)?)))
            .collect()
    }

    fn resolve(&mut self, value: &EnvValue, image: &Image) -> Option<String> {
        let (text, span) = match value {
            EnvValue::Fixed(v) => return Some(v.clone()),
            EnvValue::Inherited { text, span } => (text, *span),
        };
        if self.diags.len() >= crate::plan::MAX_ERRORS {
            return None; // reported enough; the build fails anyway
        }
        let mut scope = self.scope.take().unwrap_or_else(|| {
            let mut scope = self.args.clone();
            for (k, v) in &self.entries {
                scope.set(k.clone(), Some(v.clone()));
            }
            scope
        });
        for name in referenced_names(text) {
            if scope.get(&name).is_some() {
                continue;
            }
            match image.env(&name) {
                Some(v) => {
                    if name == "PATH" && self.inherited.path_assumed {
                        self.assumed(&name, span, &format!("BuildKit's default `{DEFAULT_PATH}`"));
                    }
                    scope.set(name, Some(v.to_owned()));
                }
                None if self.inherited.unknown_base.is_some() => {
                    self.assumed(&name, span, "empty");
                    scope.set(name, Some(String::new()));
                }
                None => {}
            }
        }
        let result = scope.expand(text);
        self.scope = Some(scope);
        match result {
            Ok(v) => Some(v),
            Err(ExpandError::Undefined { name, defined }) => {
                self.diags.push(undefined(&name, &defined, image, span));
                None
            }
            Err(e) => {
                self.diags.push(crate::plan::expand_error(e, span));
                None
            }
        }
    }

    fn assumed(&mut self, name: &str, span: Span, what: &str) {
        if !self.warned.insert(name.to_owned()) {
            return;
        }
        let base = self.inherited.unknown_base.as_deref().unwrap_or("the base");
        self.warnings.push(
            Diagnostic::warning(
                span,
                format!(
                    "the environment of {base} is not known here, so `{name}` is assumed {what}"
                ),
            )
            .with_help("a build through BuildKit reads the base's config; offline, set the variable under `env` or use an arg to be sure"),
        );
    }
}

/// A name no arg, earlier entry or inherited variable defines.
fn undefined(name: &str, defined: &[String], image: &Image, span: Span) -> Diagnostic {
    let inherited: Vec<&str> = image
        .config
        .env
        .iter()
        .filter_map(|e| e.split_once('=').map(|(k, _)| k))
        .collect();
    let d = Diagnostic::error(span, format!("variable `{name}` is not defined"));
    let candidates = defined
        .iter()
        .map(String::as_str)
        .chain(inherited.iter().copied());
    match suggest(name, candidates) {
        Some(s) => d.with_help(format!(
            "did you mean `{s}`? (write `${{{name}:-}}` for an optional one)"
        )),
        None => d.with_help(format!(
            "it is not an arg, an earlier `env` entry or in the inherited environment ({}); write `${{{name}:-}}` for an optional one",
            name_list(&inherited)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Platform;

    fn image(env: &[&str]) -> Image {
        let mut img = Image::scratch(&Platform::linux_amd64());
        img.config.env = env.iter().map(|e| (*e).to_owned()).collect();
        img
    }

    fn later(text: &str) -> EnvValue {
        EnvValue::Inherited {
            text: text.into(),
            span: Span::new(4, 7, 4),
        }
    }

    #[test]
    fn inherited_names_come_from_the_base_and_args_win() {
        let mut args = Scope::default();
        args.set("TOOL", Some("/opt/tool".into()));
        args.set("HOME", Some("/from-arg".into()));
        let base = image(&["PATH=/usr/bin:/bin", "HOME=/root", "LANG=C"]);
        let mut env = StageEnv::new(&args, Inherited::default());
        assert_eq!(
            env.stage_entry("PATH", &later("${TOOL}/bin:${PATH}"), &base)
                .as_deref(),
            Some("/opt/tool/bin:/usr/bin:/bin")
        );
        assert_eq!(
            env.stage_entry("H", &later("$HOME:$LANG"), &base)
                .as_deref(),
            Some("/from-arg:C")
        );
        // A later entry sees the stage's PATH, not the base's.
        let mut after = base.clone();
        after.set_env("PATH", "/opt/tool/bin:/usr/bin:/bin");
        assert_eq!(
            env.stage_entry("P2", &later("/x:${PATH}"), &after)
                .as_deref(),
            Some("/x:/opt/tool/bin:/usr/bin:/bin")
        );
        let step = env
            .step(
                &[
                    ("A".into(), EnvValue::Fixed("1".into())),
                    ("PATH".into(), later("/y:$PATH")),
                ],
                &after,
            )
            .unwrap();
        assert_eq!(step[1].1, "/y:/opt/tool/bin:/usr/bin:/bin");
        assert!(env.diags.is_empty() && env.warnings.is_empty());
    }

    #[test]
    fn a_name_nothing_defines_is_an_error_unless_optional() {
        let args = Scope::default();
        let base = image(&["PATH=/bin", "GOPATH=/go"]);
        let mut env = StageEnv::new(&args, Inherited::default());
        assert_eq!(
            env.stage_entry("A", &later("${NOPE:-}x"), &base).as_deref(),
            Some("x")
        );
        assert!(env.stage_entry("B", &later("$GOPAHT/bin"), &base).is_none());
        let d = &env.diags[0];
        assert_eq!(d.message, "variable `GOPAHT` is not defined");
        assert_eq!(d.span.line, 4);
        assert!(d.help.as_deref().unwrap().contains("`GOPATH`"), "{d:?}");
    }

    #[test]
    fn an_unknown_base_is_assumed_and_said_so() {
        let args = Scope::default();
        let base = image(&[&format!("PATH={DEFAULT_PATH}")]);
        let mut env = StageEnv::new(&args, Inherited::unknown("image `x`".into()));
        assert_eq!(
            env.stage_entry("PATH", &later("/t:$PATH"), &base)
                .as_deref(),
            Some(format!("/t:{DEFAULT_PATH}").as_str())
        );
        assert_eq!(
            env.stage_entry("G", &later("${GOPATH}/bin"), &base)
                .as_deref(),
            Some("/bin")
        );
        assert!(env.diags.is_empty());
        assert_eq!(env.warnings.len(), 2, "{:?}", env.warnings);
        assert!(
            env.warnings[0]
                .message
                .contains("`PATH` is assumed BuildKit's default")
        );
        assert!(
            env.warnings[1]
                .message
                .contains("`GOPATH` is assumed empty")
        );
        // PATH was set by the stage: a stage built on it inherits a known PATH.
        assert!(!env.inherited().path_assumed);
    }
}
