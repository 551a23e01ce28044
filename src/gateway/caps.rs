//! What the engine's BuildKit can do, checked before a graph is sent, so an old engine
//! refuses a feature by name instead of silently ignoring it or failing obscurely.

use bollard_buildkit_proto::pb;
use std::collections::BTreeSet;

/// LLB caps this frontend may use, the Stagefile feature that needs each, and the first
/// BuildKit release that has it (from BuildKit's `solver/pb/caps.go`).
const LLB_CAPS: &[(&str, &str, &str)] = &[
    ("mergeop", "`copy` with `link: true`", "v0.10"),
    ("exec.secretenv", "`secret` with `env`", "v0.10"),
    ("exec.mount.tmpfs.size", "a `tmpfs` with `size`", "v0.10"),
    (
        "file.copy.includeexcludepatterns",
        "`copy` with `exclude` or `parents`",
        "v0.9",
    ),
    (
        "exec.mount.bind.readwrite-nooutput",
        "a `mount` with `rw: true`",
        "v0.6",
    ),
    ("exec.meta.security", "`security: insecure`", "v0.5"),
    ("source.local.differ", "the build context transfer", "v0.9"),
    ("source.http.checksum", "`add` with `checksum`", "v0.3"),
    (
        "source.git.checksum",
        "`add` of a Git repository with `checksum`",
        "v0.22",
    ),
    ("source.git.keepgitdir", "`keep-git-dir`", "v0.3"),
];

/// The first feature the definition uses that the engine lacks, as a user-facing message,
/// with the Stagefile line of the first step that uses it.
pub fn missing(def: &pb::Definition, engine: &BTreeSet<String>) -> Option<(String, Option<u32>)> {
    if engine.is_empty() {
        return None; // a pre-caps engine: nothing to compare against
    }
    let used: BTreeSet<&str> = def
        .metadata
        .values()
        .flat_map(|m| m.caps.keys())
        .map(String::as_str)
        .collect();
    let cap = *used.iter().find(|c| !engine.contains(**c))?;
    let line = def
        .metadata
        .iter()
        .filter(|(_, m)| m.caps.contains_key(cap))
        .find_map(|(digest, _)| {
            let loc = def.source.as_ref()?.locations.get(digest)?;
            let range = loc.locations.first()?.ranges.first()?;
            Some(range.start?.line as u32)
        });
    let message = match LLB_CAPS.iter().find(|(id, _, _)| *id == cap) {
        Some((_, feature, since)) => format!(
            "this build uses {feature}, which needs BuildKit {since} or newer; the engine's BuildKit does not have `{cap}`: upgrade the engine"
        ),
        None => format!(
            "this build needs the BuildKit capability `{cap}`, which the engine lacks; upgrade the engine"
        ),
    };
    Some((message, line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def_with(caps: &[&str]) -> pb::Definition {
        let mut def = pb::Definition::default();
        let mut m = pb::OpMetadata::default();
        for c in caps {
            m.caps.insert((*c).to_owned(), true);
        }
        def.metadata.insert("sha256:x".into(), m);
        def
    }

    #[test]
    fn names_the_feature_and_version() {
        let engine: BTreeSet<String> = ["source.image", "file.base"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (msg, _) = missing(&def_with(&["file.base", "mergeop"]), &engine).unwrap();
        assert!(msg.contains("`copy` with `link: true`"), "{msg}");
        assert!(msg.contains("v0.10"), "{msg}");
        assert!(missing(&def_with(&["file.base"]), &engine).is_none());
        assert!(missing(&def_with(&["mergeop"]), &BTreeSet::new()).is_none());
    }

    #[test]
    fn a_tmpfs_size_is_refused_by_name_on_an_engine_without_it() {
        let engine: BTreeSet<String> = ["exec.mount.tmpfs"].iter().map(|s| s.to_string()).collect();
        let (msg, _) = missing(
            &def_with(&["exec.mount.tmpfs", "exec.mount.tmpfs.size"]),
            &engine,
        )
        .unwrap();
        assert!(msg.contains("a `tmpfs` with `size`"), "{msg}");
        assert!(msg.contains("v0.10"), "{msg}");
    }
}
