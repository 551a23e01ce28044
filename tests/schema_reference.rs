//! The printed JSON Schema and docs/reference.md describe the same keys, every key of
//! the schema has a description (from the parser types' doc comments), and the schema
//! refuses what the parser refuses: closed sets, stage names, step kinds.

use std::collections::BTreeSet;
use std::path::Path;

fn schema() -> serde_json::Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stagefile"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).expect("the schema is JSON")
}

fn reference() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference.md"))
        .unwrap()
}

/// Each mapping of the format (the schema's root and its `$defs` with properties) and
/// the heading of the reference section whose first table lists its keys.
const SECTIONS: &[(&str, &str)] = &[
    ("", "## Top level"),
    ("CheckSpec", "### `check`"),
    ("IncludeSpec", "### `include`"),
    ("Stage", "## Stage fields"),
    ("PresetKeys", "### `preset`"),
    ("Healthcheck", "### `healthcheck`"),
    ("Test", "### `tests`"),
    ("Step", "## Steps"),
    ("CacheSpec", "#### `cache`"),
    ("SecretSpec", "#### `secret`"),
    ("SshSpec", "#### `ssh`"),
    ("TmpfsSpec", "#### `tmpfs`"),
    ("MountSpec", "#### `mount`"),
];

/// The words in backticks in a table cell: `` `a`, `b` `` → a, b.
fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The keys the first table under `heading` names: the backticked words of its first
/// column and of its header (the steps table has a column per step kind).
fn reference_keys(text: &str, heading: &str) -> BTreeSet<String> {
    let level = heading.split(' ').next().unwrap().len();
    let mut lines = text
        .lines()
        .skip_while(|l| *l != heading)
        .skip(1)
        .take_while(|l| {
            let hashes = l.chars().take_while(|c| *c == '#').count();
            hashes == 0 || hashes > level
        })
        .skip_while(|l| !l.starts_with('|'));
    let header = lines
        .next()
        .unwrap_or_else(|| panic!("no table under {heading}"));
    let mut keys: BTreeSet<String> = header.split('|').skip(2).flat_map(backticked).collect();
    for row in lines.skip(1).take_while(|l| l.starts_with('|')) {
        let first = row.split('|').nth(1).unwrap_or("");
        keys.extend(backticked(first));
    }
    keys
}

fn mapping<'a>(schema: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    if name.is_empty() {
        schema
    } else {
        &schema["$defs"][name]
    }
}

#[test]
fn the_schema_and_the_reference_name_the_same_keys() {
    let schema = schema();
    let text = reference();
    let mut mapped: BTreeSet<&str> = BTreeSet::new();
    for (name, heading) in SECTIONS {
        let in_schema: BTreeSet<String> = mapping(&schema, name)["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("no mapping {name:?} in the schema"))
            .keys()
            .cloned()
            .collect();
        let in_reference = reference_keys(&text, heading);
        assert_eq!(
            in_schema, in_reference,
            "keys of {name:?} in the schema (left) and under {heading} in the reference (right)"
        );
        mapped.insert(name);
    }
    // Every mapping of the schema has its section above.
    for (name, def) in schema["$defs"].as_object().unwrap() {
        if def.get("properties").is_some() {
            assert!(
                mapped.contains(name.as_str()),
                "{name} has no reference section in SECTIONS"
            );
        }
    }
}

#[test]
fn every_key_has_a_description() {
    let schema = schema();
    let mut missing = Vec::new();
    let mut count = 0;
    for (name, _) in SECTIONS {
        for (key, property) in mapping(&schema, name)["properties"].as_object().unwrap() {
            count += 1;
            let described = property["description"]
                .as_str()
                .is_some_and(|d| d.len() > 10);
            if !described {
                missing.push(format!("{name}.{key}"));
            }
        }
    }
    assert!(count > 70, "only {count} keys");
    assert!(
        missing.is_empty(),
        "keys without a description: {missing:?}"
    );
}

fn as_json(yaml: &str) -> serde_json::Value {
    serde_saphyr::from_str(yaml).expect("valid YAML")
}

/// Both the schema and the parser (through planning) refuse `bad` and accept `good`.
fn refused_like_the_parser(bad: &str, good: &str) {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let plans = |src: &str| {
        stagefile::compile::plan(src.as_bytes(), &stagefile::plan::BuildOptions::default()).is_ok()
    };
    assert!(
        !validator.is_valid(&as_json(bad)),
        "the schema accepts:\n{bad}"
    );
    assert!(!plans(bad), "the frontend accepts:\n{bad}");
    let errors: Vec<String> = validator
        .iter_errors(&as_json(good))
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "the schema refuses:\n{good}\n{errors:?}");
    assert!(plans(good), "the frontend refuses:\n{good}");
}

#[test]
fn closed_sets_are_enums() {
    let run = "stages:\n  a:\n    from: busybox:1.35\n    steps:\n      - run: x\n";
    refused_like_the_parser(
        &format!("{run}        network: hots\n"),
        &format!("{run}        network: host\n"),
    );
    refused_like_the_parser(
        &format!("{run}        security: unsafe\n"),
        &format!("{run}        security: insecure\n"),
    );
    refused_like_the_parser(
        &format!("{run}        cache: {{ target: /c, sharing: lockd }}\n"),
        &format!("{run}        cache: {{ target: /c, sharing: locked }}\n"),
    );
    // Expanded values are left to the frontend.
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let expanded = format!("args:\n  NET: none\n{run}        network: ${{NET}}\n");
    assert!(validator.is_valid(&as_json(&expanded)));
    refused_like_the_parser(
        "version: 2\nstages:\n  a:\n    from: scratch\n",
        "version: 1\nstages:\n  a:\n    from: scratch\n",
    );
}

#[test]
fn stage_names_follow_the_frontends_rule() {
    refused_like_the_parser(
        "stages:\n  Build:\n    from: scratch\n",
        "stages:\n  build.v2_x-1:\n    from: scratch\n",
    );
    refused_like_the_parser(
        "stages:\n  -x:\n    from: scratch\n",
        "stages:\n  0x:\n    from: scratch\n",
    );
    let long = "a".repeat(129);
    refused_like_the_parser(
        &format!("stages:\n  {long}:\n    from: scratch\n"),
        &format!("stages:\n  {}:\n    from: scratch\n", &long[1..]),
    );
}

#[test]
fn a_step_has_exactly_one_kind() {
    let stage = "stages:\n  a:\n    from: busybox:1.35\n    steps:\n";
    refused_like_the_parser(
        &format!("{stage}      - run: x\n        copy: src\n"),
        &format!("{stage}      - run: x\n"),
    );
    refused_like_the_parser(
        &format!("{stage}      - to: /x\n"),
        &format!("{stage}      - copy: src\n        to: /x\n"),
    );
}

#[test]
fn lint_rule_names_are_checked_by_editors() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let stages = "stages:\n  a:\n    from: scratch\n";
    assert!(validator.is_valid(&as_json(&format!(
        "check: {{ skip: [RootUser], error: true }}\n{stages}"
    ))));
    assert!(validator.is_valid(&as_json(&format!("check: {{ skip: all }}\n{stages}"))));
    assert!(!validator.is_valid(&as_json(&format!("check: {{ skip: [RootUsr] }}\n{stages}"))));
}

#[test]
fn one_value_is_accepted_where_a_list_is() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let doc = "stages:\n  a:\n    from: busybox:1.35\n    expose: 8000-8002/udp\n    volumes: /data\n    steps:\n      - run: x\n        mount: { source: conf, target: /conf }\n        tmpfs: { target: /t, size: 64m }\n      - copy: .\n        exclude: \"*.bak\"\n";
    let errors: Vec<String> = validator
        .iter_errors(&as_json(doc))
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    stagefile::compile::plan(doc.as_bytes(), &stagefile::plan::BuildOptions::default()).unwrap();
}
