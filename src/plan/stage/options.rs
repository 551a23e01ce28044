//! Which options belong to which kind of step. The kinds are read from the `///`
//! comment of each key of `spec::Step` (`` `copy`, `add`: the destination… ``), which
//! is also its description in the JSON Schema: what editors show and what is refused
//! cannot disagree.

use super::Ctx;
use crate::diag::{Diagnostic, Span};
use crate::spec::{STEP_KINDS, Step, span_of};
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Each option key of a step and the kinds of step it belongs to, in the order written.
static KINDS_OF_OPTION: LazyLock<BTreeMap<String, Vec<String>>> = LazyLock::new(|| {
    let schema = schemars::schema_for!(Step);
    let properties = schema
        .get("properties")
        .and_then(|p| p.as_object())
        .expect("a step's schema lists its keys");
    properties
        .iter()
        .filter_map(|(key, property)| {
            let description = property.get("description")?.as_str()?;
            Some((key.clone(), kinds_in(description)?))
        })
        .collect()
});

/// The kinds a description starts with: `` `copy`, `add`: … `` gives copy and add.
fn kinds_in(description: &str) -> Option<Vec<String>> {
    let (head, _) = description.split_once(": ")?;
    head.split(", ")
        .map(|k| {
            let k = k.strip_prefix('`')?.strip_suffix('`')?;
            STEP_KINDS.contains(&k).then(|| k.to_owned())
        })
        .collect()
}

/// Where each option of `s` is written, if it is, in the order of `spec::Step`.
fn options(s: &Step) -> [(&'static str, Option<Span>); 23] {
    [
        ("cache", s.cache.as_ref().map(span_of)),
        ("secret", s.secret.as_ref().map(span_of)),
        ("ssh", s.ssh.as_ref().map(span_of)),
        ("tmpfs", s.tmpfs.as_ref().map(span_of)),
        ("mount", s.mount.as_ref().map(span_of)),
        ("network", s.network.as_ref().map(span_of)),
        ("security", s.security.as_ref().map(span_of)),
        ("env", s.env.0.first().map(|(k, _)| span_of(k))),
        ("workdir", s.workdir.as_ref().map(span_of)),
        ("user", s.user.as_ref().map(span_of)),
        ("args", s.args.first().map(span_of)),
        ("from", s.from.as_ref().map(span_of)),
        ("to", s.to.as_ref().map(span_of)),
        ("chown", s.chown.as_ref().map(span_of)),
        ("chmod", s.chmod.as_ref().map(span_of)),
        ("exclude", s.exclude.as_ref().map(span_of)),
        ("link", s.link.as_ref().map(span_of)),
        ("parents", s.parents.as_ref().map(span_of)),
        ("checksum", s.checksum.as_ref().map(span_of)),
        ("keep-git-dir", s.keep_git_dir.as_ref().map(span_of)),
        ("content", s.content.as_ref().map(span_of)),
        ("expand", s.expand.as_ref().map(span_of)),
        ("mode", s.mode.as_ref().map(span_of)),
    ]
}

impl Ctx<'_> {
    /// Refuses options that belong to another kind of step.
    pub(super) fn check_options(&mut self, s: &Step, kind: &str) {
        for (key, span) in options(s) {
            let Some(span) = span else { continue };
            let kinds = &KINDS_OF_OPTION[key];
            if !kinds.iter().any(|k| k == kind) {
                self.diags.push(
                    Diagnostic::error(span, format!("`{key}` is not an option of a `{kind}` step"))
                        .with_help(format!("`{key}` belongs to {} steps", kinds.join("/"))),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_of_a_step_says_which_kinds_it_belongs_to() {
        let listed: Vec<&str> = options(&Step::default()).iter().map(|(k, _)| *k).collect();
        let described: Vec<&str> = KINDS_OF_OPTION.keys().map(String::as_str).collect();
        let mut sorted = listed.clone();
        sorted.sort();
        assert_eq!(
            sorted, described,
            "an option without `kind`: in its comment"
        );
        assert_eq!(KINDS_OF_OPTION["chown"], ["copy", "add", "file"]);
        assert_eq!(KINDS_OF_OPTION["to"], ["copy", "add"]);
        assert_eq!(kinds_in("Copies files: a source"), None);
    }
}
