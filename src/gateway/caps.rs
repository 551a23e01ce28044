//! What the engine's BuildKit can do, checked before a graph is sent, so an old engine
//! refuses a feature by name instead of silently ignoring it or failing obscurely.

use bollard_buildkit_proto::pb;
use prost::Message;
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
    let users: Vec<&String> = def
        .metadata
        .iter()
        .filter(|(_, m)| m.caps.contains_key(cap))
        .map(|(digest, _)| digest)
        .collect();
    // A source op (a Git checkout, a download) has no line of its own: the step that
    // reads it has.
    let line = users
        .iter()
        .find_map(|digest| line_of(def, digest))
        .or_else(|| {
            def.def.iter().find_map(|bytes| {
                let op = pb::Op::decode(bytes.as_slice()).ok()?;
                op.inputs
                    .iter()
                    .any(|i| users.contains(&&i.digest))
                    .then(|| line_of(def, &crate::llb::digest_of(bytes)))?
            })
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

/// The Stagefile line the op with this digest was made from, if it records one.
fn line_of(def: &pb::Definition, digest: &str) -> Option<u32> {
    let loc = def.source.as_ref()?.locations.get(digest)?;
    let range = loc.locations.first()?.ranges.first()?;
    Some(range.start?.line as u32)
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

    #[test]
    fn a_missing_source_cap_is_placed_at_the_step_that_reads_the_source() {
        let src = "stages:\n  app:\n    from: scratch\n    steps:\n      - add: https://example.com/r.git#v1\n        checksum: 9c8bac15d61fcb7172e2bb3d8f31753a53ee2e29\n";
        let opts = crate::lower::LowerOptions {
            source: Some(crate::llb::SourceMap::one("Stagefile", src.as_bytes())),
            ..Default::default()
        };
        let lowered = crate::compile::compile(src.as_bytes(), &Default::default(), &opts).unwrap();
        let engine: BTreeSet<String> = ["source.git", "file.base", "constraints", "platform"]
            .iter()
            .map(|s| s.to_string())
            .chain(["meta.description".to_owned()])
            .collect();
        let (msg, line) = missing(&lowered.definition, &engine).unwrap();
        assert!(msg.contains("v0.22"), "{msg}");
        assert_eq!(line, Some(5));
    }
}
