//! Bytes in, the whole offline pipeline out: parse, plan, lint, outline, lower and
//! marshal. Any input must give either LLB that survives a decode/re-encode round trip
//! or located diagnostics; a panic, a hang or a runaway allocation is a bug.

#![no_main]

use bollard_buildkit_proto::pb;
use libfuzzer_sys::fuzz_target;
use prost::Message;
use stagefile::compile;
use stagefile::llb::{SourceMap, buildkit_reencoding, digest_of};
use stagefile::lower::LowerOptions;
use stagefile::plan::BuildOptions;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    let opts = BuildOptions::default();
    let text = String::from_utf8_lossy(data);
    let (file, plan) = match compile::plan(data, &opts) {
        Ok(planned) => planned,
        Err(diags) => {
            assert!(!diags.is_empty(), "an error without a diagnostic");
            for d in &diags {
                assert!(d.span.is_known(), "unlocated: {d}");
                d.render("Stagefile", &text);
            }
            return;
        }
    };
    for w in compile::warnings(&file, &plan, data) {
        assert!(w.span.is_known(), "unlocated warning: {w}");
        w.render("Stagefile", &text);
    }
    stagefile::outline::render(&file, &plan);
    stagefile::outline::outline(&file, &plan, data);
    stagefile::outline::targets(&file, data);

    let lower_opts = LowerOptions {
        source: Some(SourceMap {
            filename: "Stagefile",
            data,
        }),
        ..Default::default()
    };
    let lowered = match compile::compile(data, &opts, &lower_opts) {
        Ok(l) => l,
        Err(diags) => {
            // Lowering may refuse what planning accepted, but never silently.
            assert!(diags.iter().all(|d| d.span.is_known()), "{diags:?}");
            return;
        }
    };
    check_definition(&lowered.definition);
    image_config_roundtrip(&lowered.image.to_json());
});

/// The marshaled graph decodes and re-encodes to the same bytes, each op is already in
/// the bytes BuildKit re-encodes it to and is named by the digest of its bytes, and
/// every op comes after the ops it reads.
fn check_definition(def: &pb::Definition) {
    let bytes = def.encode_to_vec();
    let decoded = pb::Definition::decode(bytes.as_slice()).expect("the definition decodes");
    assert_eq!(
        decoded.encode_to_vec(),
        bytes,
        "definition re-encodes differently"
    );
    let mut seen = HashSet::new();
    for (i, op_bytes) in decoded.def.iter().enumerate() {
        let op = pb::Op::decode(op_bytes.as_slice()).expect("an op decodes");
        assert_eq!(
            &buildkit_reencoding(&op),
            op_bytes,
            "op {i} is not in the bytes BuildKit re-encodes it to"
        );
        let digest = digest_of(op_bytes);
        assert!(
            decoded.metadata.contains_key(&digest),
            "op {i} has no metadata"
        );
        for input in &op.inputs {
            assert!(
                seen.contains(&input.digest),
                "op {i} reads an op not emitted before it"
            );
        }
        assert!(seen.insert(digest), "op {i} is emitted twice");
    }
}

/// The image config is JSON that reads back into the same config.
fn image_config_roundtrip(json: &[u8]) {
    let back = stagefile::image::Image::from_json(json).expect("the image config reads back");
    assert_eq!(back.to_json(), json, "the image config does not round-trip");
}
