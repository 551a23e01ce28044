//! Each op is encoded exactly as BuildKit v0.18+ re-encodes it, so the digests the
//! frontend keys source locations, metadata and warnings by are the vertices' own.
//!
//! `tests/llb-vectors/NAME.yaml` was compiled by `stagefile llb` and every op re-encoded
//! by BuildKit v0.32.2's marshaller: `NAME.digests` lists the resulting op digests in
//! definition order and `NAME.pb` holds the whole re-encoded `Definition` (its maps in Go's
//! order, so it is compared field by field). `NAME.arm64.*` is the same with
//! `--platform linux/arm64`. A deliberate change to what a case lowers to changes its
//! vectors; an encoder change must not.

use bollard_buildkit_proto::pb;
use prost::Message;
use stagefile::llb::digest_of;
use std::path::{Path, PathBuf};
use std::process::Command;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/llb-vectors")
}

fn llb(yaml: &Path, platform: Option<&str>) -> Result<pb::Definition, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stagefile"));
    // `llb` applies the context's `.dockerignore`; the vectors were made with none (the
    // current directory, the repository, has one).
    command.arg("llb").arg(yaml).current_dir(vectors_dir());
    if let Some(p) = platform {
        command.args(["--platform", p]);
    }
    let out = command.output().unwrap();
    if !out.status.success() {
        return Err(format!(
            "stagefile llb {}: {}",
            yaml.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(pb::Definition::decode(out.stdout.as_slice()).unwrap())
}

/// What differs between our definition and BuildKit's for one vector, if anything.
fn mismatch(name: &str, suffix: &str, platform: Option<&str>) -> Option<String> {
    let dir = vectors_dir();
    let ours = match llb(&dir.join(format!("{name}.yaml")), platform) {
        Ok(def) => def,
        Err(refused) => return Some(refused),
    };
    let want_digests: Vec<String> =
        std::fs::read_to_string(dir.join(format!("{name}{suffix}.digests")))
            .unwrap()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
    let got_digests: Vec<String> = ours.def.iter().map(|op| digest_of(op)).collect();
    if got_digests != want_digests {
        let first = got_digests
            .iter()
            .zip(&want_digests)
            .position(|(a, b)| a != b)
            .unwrap_or(got_digests.len().min(want_digests.len()));
        return Some(format!(
            "{name}{suffix}: op {first} of {} has another digest than BuildKit's \
             ({} ops here, {} in the vector)",
            want_digests.len(),
            got_digests.len(),
            want_digests.len()
        ));
    }
    let theirs = pb::Definition::decode(
        std::fs::read(dir.join(format!("{name}{suffix}.pb")))
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    if ours.def != theirs.def {
        return Some(format!("{name}{suffix}: op bytes differ from BuildKit's"));
    }
    if ours.metadata != theirs.metadata {
        return Some(format!(
            "{name}{suffix}: op metadata is keyed or filled differently"
        ));
    }
    // The file name is the one `stagefile llb` was given (one vector was made from
    // examples/go/Stagefile), so only locations and the text are compared.
    let (ours, theirs) = (ours.source.unwrap(), theirs.source.unwrap());
    if ours.locations != theirs.locations {
        return Some(format!(
            "{name}{suffix}: source locations point at other digests"
        ));
    }
    let text = |s: &pb::Source| -> Vec<(Vec<u8>, String)> {
        s.infos
            .iter()
            .map(|i| (i.data.clone(), i.language.clone()))
            .collect()
    };
    if text(&ours) != text(&theirs) {
        return Some(format!("{name}{suffix}: the source text differs"));
    }
    None
}

/// Cases whose lowering changed on purpose after the vectors were made, with the change.
/// Their ops differ from the vector's by design; the encoder is checked on the others.
const LOWERING_CHANGED: &[(&str, &str)] = &[
    ("stage1", "the workdir is created as the stage's user"),
    ("wd", "the workdir is created as the stage's user"),
    (
        "ign",
        "`stagefile llb` sends the file's `ignore` patterns with the context, as a build does",
    ),
    (
        "top1",
        "`stagefile llb` sends the file's `ignore` patterns with the context, as a build does",
    ),
    (
        "gitsum",
        "a Git checksum must be a commit id; `sha256:` is refused instead of dropped",
    ),
];

#[test]
fn every_vector_gets_buildkits_own_op_digests() {
    let mut names: Vec<String> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".yaml").map(str::to_owned)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 41, "the vector set is incomplete");
    let mut failures = Vec::new();
    let mut checked = 0;
    for name in &names {
        if LOWERING_CHANGED.iter().any(|(changed, _)| changed == name) {
            // Still a vector: the bytes must differ, or the entry is stale.
            if mismatch(name, "", None).is_none() {
                failures.push(format!(
                    "{name} matches its vector again: drop it from LOWERING_CHANGED"
                ));
            }
            continue;
        }
        for (suffix, platform) in [("", None), (".arm64", Some("linux/arm64"))] {
            checked += 1;
            failures.extend(mismatch(name, suffix, platform));
        }
    }
    assert_eq!(checked, 2 * (names.len() - LOWERING_CHANGED.len()));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
