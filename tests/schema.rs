//! The printed JSON Schema describes the format the parser accepts.

use std::path::{Path, PathBuf};

fn schema() -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagefile"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).expect("the schema is JSON")
}

/// A Stagefile read as YAML into plain JSON, the way an editor's validator sees it.
fn as_json(yaml: &str) -> serde_json::Value {
    serde_saphyr::from_str(yaml).expect("valid YAML")
}

fn stagefiles() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root.join("tests/golden")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "yaml") {
            files.push(p);
        }
    }
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        let p = entry.unwrap().path().join("Stagefile");
        if p.exists() {
            files.push(p);
        }
    }
    files.sort();
    files
}

#[test]
fn every_example_and_test_stagefile_validates() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let files = stagefiles();
    assert!(files.len() >= 4, "{files:?}");
    for f in files {
        let doc = as_json(&std::fs::read_to_string(&f).unwrap());
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", f.display());
        // And the parser agrees.
        stagefile::spec::parse(&std::fs::read(&f).unwrap()).unwrap();
    }
}

#[test]
fn misspelt_keys_and_wrong_types_do_not_validate() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    for bad in [
        "stages:\n  a:\n    form: scratch\n",
        "stages:\n  a:\n    from: scratch\n    steps:\n      - runn: x\n",
        "stages:\n  a:\n    from: scratch\n    steps:\n      - run: x\n        cache: { target: /c, sharring: locked }\n",
        "stagse:\n  a:\n    from: scratch\n",
        "stages:\n  a:\n    from: scratch\n    expose: { a: b }\n",
    ] {
        assert!(!validator.is_valid(&as_json(bad)), "validated: {bad}");
        assert!(
            stagefile::spec::parse(bad.as_bytes()).is_err(),
            "parsed: {bad}"
        );
    }
}

#[test]
fn the_shorthand_forms_validate() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let doc = "stages:\n  a:\n    from: scratch\n    steps:\n      - run: [echo, hi]\n        cache: /c\n        secret: token\n        ssh: true\n        tmpfs: [/t]\n      - run: x\n        cache: [/a, { target: /b, id: x }]\n        secret: { id: t, env: T }\n";
    let errors: Vec<String> = validator
        .iter_errors(&as_json(doc))
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
