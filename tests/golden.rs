//! Golden tests: each `tests/golden/NAME.yaml` compiles to the ops in `NAME.json`.
//! Run with `UPDATE_GOLDEN=1` to rewrite the expectations after an intended change.

use stagefile::llb::SourceMap;
use stagefile::lower::LowerOptions;
use stagefile::plan::BuildOptions;
use std::path::Path;

fn compile(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let lower_opts = LowerOptions {
        session_id: Some("SESSION".into()),
        resolve_mode: Some("local".into()),
        excludes: vec!["*.log".into()],
        source: Some(SourceMap {
            filename: "Stagefile",
            data: &bytes,
        }),
        ..Default::default()
    };
    let lowered = stagefile::compile::compile(&bytes, &BuildOptions::default(), &lower_opts)
        .unwrap_or_else(|d| panic!("{}: {d:?}", path.display()));
    let mut out = serde_json::to_string_pretty(&serde_json::json!({
        "ops": stagefile::llb::dump(&lowered.definition),
        "image": serde_json::from_slice::<serde_json::Value>(&lowered.image.to_json()).unwrap(),
    }))
    .unwrap();
    out.push('\n');
    out
}

#[test]
fn golden_llb() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no golden cases in {}", dir.display());
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut failed = Vec::new();
    for case in &cases {
        let got = compile(case);
        let want_path = case.with_extension("json");
        if update {
            std::fs::write(&want_path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&want_path).unwrap_or_default();
        if got != want {
            eprintln!("--- {} differs; got:\n{got}", want_path.display());
            failed.push(case.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "golden mismatch (UPDATE_GOLDEN=1 to accept): {failed:?}"
    );
}

#[test]
fn same_input_gives_the_same_bytes() {
    use prost::Message;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/go-app.yaml");
    let bytes = std::fs::read(&path).unwrap();
    let encode = || {
        let opts = LowerOptions {
            source: Some(SourceMap {
                filename: "Stagefile",
                data: &bytes,
            }),
            ..Default::default()
        };
        stagefile::compile::compile(&bytes, &BuildOptions::default(), &opts)
            .unwrap()
            .definition
            .encode_to_vec()
    };
    let first = encode();
    for _ in 0..20 {
        assert_eq!(encode(), first);
    }
}
