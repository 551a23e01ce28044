//! End-to-end tests of what buildx prints besides an image: the targets and outline
//! queries (`--call=targets|outline`, `--print` on older buildx; tables and JSON, read as
//! buildx reads them), and lint findings shown as build warnings with their rule and line.
//! Each builds or queries a small fixture through the frontend image with
//! `docker buildx build`.
//!
//! Like `tests/e2e.rs`, the tests run only when `STAGEFILE_E2E` is set (hack/test sets
//! it); the harness is in `tests/common/mod.rs`. The test of the output parsers (and of
//! the ELF reader in `tests/common/elf.rs`) runs without an engine.

mod common;

use common::elf::{EM_AARCH64, elf_machine};
use common::*;
use serde_json::Value;
use std::fs;
use std::process::Command;

// ---------------------------------------------------------------------------------------
// --print=targets and --print=outline
// ---------------------------------------------------------------------------------------

/// The table buildx prints under the header line whose columns are `header` (tabwriter
/// output: columns start where the header's names start), up to the first blank line;
/// each row's cells trimmed, empty trailing cells dropped.
fn table(text: &str, header: &[&str]) -> Vec<Vec<String>> {
    let mut lines = text.lines();
    let starts: Vec<usize> = loop {
        let Some(line) = lines.next() else {
            return Vec::new();
        };
        if !line.starts_with(header[0]) {
            continue;
        }
        let mut starts = Vec::new();
        let mut from = 0;
        for name in header {
            match line[from..].find(name) {
                Some(at) => {
                    starts.push(from + at);
                    from += at + name.len();
                }
                None => break,
            }
        }
        if starts.len() == header.len() {
            break starts;
        }
    };
    lines
        .take_while(|line| !line.trim().is_empty())
        .map(|line| {
            let mut cells: Vec<String> = starts
                .iter()
                .enumerate()
                .map(|(i, &start)| {
                    let end = starts.get(i + 1).copied().unwrap_or(line.len());
                    line.get(start.min(line.len())..end.min(line.len()))
                        .unwrap_or("")
                        .trim()
                        .to_owned()
                })
                .collect();
            while cells.last().is_some_and(String::is_empty) {
                cells.pop();
            }
            cells
        })
        .collect()
}

#[test]
fn print_targets_and_outline_list_stages_and_args() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "\
args:
  GREETING: hello
  MESSAGE_FILE: /greeting
  UNSET:
stages:
  base:
    description: the shared base
    from: busybox:1.35
  tools:
    from: base
    steps:
      - run: echo \"$GREETING\" > \"$MESSAGE_FILE\"
  app:
    description: the application image
    from: tools
    user: \"65532\"
    steps:
      - run: echo \"${UNSET:-unset}\" > /tmp/unset
",
    );
    let experimental = [("BUILDX_EXPERIMENTAL", "1")];

    let targets = buildx(&build, &experimental, &[&query_flag("targets")]);
    targets.assert_success();
    let rows = table(&targets.stdout, &["TARGET", "DESCRIPTION"]);
    assert_eq!(
        rows,
        [
            vec!["base", "the shared base"],
            vec!["tools"],
            vec!["app (default)", "the application image"],
        ],
        "--print=targets:\n{}",
        targets.text()
    );

    let outline = buildx(&build, &experimental, &[&query_flag("outline")]);
    outline.assert_success();
    assert_eq!(
        table(&outline.stdout, &["BUILD ARG", "VALUE", "DESCRIPTION"]),
        [
            vec!["GREETING", "hello"],
            vec!["MESSAGE_FILE", "/greeting"],
            vec!["UNSET"],
        ],
        "--print=outline:\n{}",
        outline.text()
    );

    // The JSON forms: the default target is marked, and args carry their Stagefile line.
    // Keys are looked up ignoring case, as buildx's Go decoder reads them.
    let json = buildx(&build, &experimental, &[&query_flag("targets,format=json")]);
    json.assert_success();
    let parsed = serde_json::from_str::<Value>(&json.stdout).unwrap_or_else(|e| {
        panic!(
            "--print=targets,format=json is not JSON ({e}):\n{}",
            json.text()
        )
    });
    let listed: Vec<(String, bool)> = parsed
        .field("targets")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no `targets` in:\n{}", json.stdout))
        .iter()
        .map(|t| {
            (
                t.field("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                t.field("default").and_then(Value::as_bool).unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("base".to_owned(), false),
            ("tools".to_owned(), false),
            ("app".to_owned(), true)
        ]
    );

    let json = buildx(&build, &experimental, &[&query_flag("outline,format=json")]);
    json.assert_success();
    let parsed = serde_json::from_str::<Value>(&json.stdout).unwrap_or_else(|e| {
        panic!(
            "--print=outline,format=json is not JSON ({e}):\n{}",
            json.text()
        )
    });
    let text = build.stagefile_text();
    let args: Vec<(String, Option<String>, Option<f64>)> = parsed
        .field("args")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no `args` in:\n{}", json.stdout))
        .iter()
        .map(|a| {
            (
                a.field("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                a.field("value").and_then(Value::as_str).map(str::to_owned),
                a.field("location")
                    .and_then(|l| l.field("ranges"))
                    .and_then(Value::as_array)
                    .and_then(|r| r.first())
                    .and_then(|r| r.field("start"))
                    .and_then(|s| s.field("line"))
                    .and_then(Value::as_f64),
            )
        })
        .collect();
    assert_eq!(
        args,
        [
            (
                "GREETING".to_owned(),
                Some("hello".to_owned()),
                Some(line_of(&text, "GREETING: hello") as f64)
            ),
            (
                "MESSAGE_FILE".to_owned(),
                Some("/greeting".to_owned()),
                Some(line_of(&text, "MESSAGE_FILE: /greeting") as f64)
            ),
            (
                "UNSET".to_owned(),
                None,
                Some(line_of(&text, "  UNSET:") as f64)
            ),
        ]
    );

    // --target: the outline is the chosen target's, and targets still marks the default.
    let targets = buildx(
        &build,
        &experimental,
        &[&query_flag("targets"), "--target", "base"],
    );
    targets.assert_success();
    assert!(
        table(&targets.stdout, &["TARGET", "DESCRIPTION"]).contains(&vec![
            "app (default)".to_owned(),
            "the application image".to_owned()
        ]),
        "{}",
        targets.text()
    );
}

// ---------------------------------------------------------------------------------------
// Lint findings as build warnings
// ---------------------------------------------------------------------------------------

#[test]
fn lint_findings_are_build_warnings_with_rule_and_line() {
    if !engine_enabled() {
        return;
    }
    let (build, tagged) = linted_fixture();
    let unpinned = tagged.tag.trim_end_matches(":latest");
    let text = build.stagefile_text();
    let from_line = line_of(&text, "from: ");
    let stage_line = line_of(&text, "app:");

    // The same findings answer buildx's lint query: tests/e2e_tools.rs checks it.
    let built = buildx(&build, &[], &["--output", "type=cacheonly"]);
    built.assert_success();
    let output = built.output();
    if old_engine() {
        // BuildKit before v0.11 has no gateway warnings: the build cannot show them.
        notice("this engine's BuildKit cannot show build warnings; checking that none are");
        assert!(
            !output.contains("warning"),
            "expected no warnings on this engine:\n{}",
            built.text()
        );
        return;
    }
    assert!(
        output.contains("2 warnings found"),
        "expected `2 warnings found` in:\n{}",
        built.text()
    );
    for (rule, line) in [("UnpinnedBaseImage", from_line), ("RootUser", stage_line)] {
        assert!(
            output
                .lines()
                .any(|l| l.contains(rule) && l.contains(&format!("Stagefile:{line}:"))),
            "expected a warning line naming {rule} and Stagefile:{line}:\n{}",
            built.text()
        );
    }

    // --debug expands each warning with the Stagefile's lines, the offending one marked.
    let mut command = Command::new("docker");
    command
        .args(["--debug", "buildx", "build", "--progress=plain", "-f"])
        .arg(build.path("Stagefile"))
        .args(["--output", "type=cacheonly"])
        .arg(build.dir());
    let debug = run_command(&mut command);
    debug.assert_success();
    let output = debug.output();
    let expanded = output
        .split_once("warnings found")
        .map_or("", |(_, rest)| rest);
    assert!(
        expanded.contains("UnpinnedBaseImage") && expanded.contains("RootUser"),
        "the expanded warnings should name both rules:\n{}",
        debug.text()
    );
    assert!(
        named_lines(expanded).contains(&from_line),
        "the expanded warnings should show Stagefile:{from_line}:\n{}",
        debug.text()
    );
    assert!(
        expanded
            .lines()
            .any(|l| l.contains(">>>") && l.contains(&format!("from: {unpinned}"))),
        "the expanded warnings should mark the `from` line with >>>:\n{}",
        debug.text()
    );

    // A Stagefile no rule objects to builds without a warning.
    let clean = Build::new().stagefile(
        "\
stages:
  app:
    from: busybox:1.35
    user: \"65532\"
    steps:
      - run: echo hi > /tmp/hi
",
    );
    let built = buildx(&clean, &[], &["--output", "type=cacheonly"]);
    built.assert_success();
    assert!(
        !built.output().to_lowercase().contains("warning"),
        "a clean Stagefile should build without warnings:\n{}",
        built.text()
    );
}

// ---------------------------------------------------------------------------------------
// JSON field lookup as buildx reads it
// ---------------------------------------------------------------------------------------

/// Object lookup that ignores the case of the key, as Go's `encoding/json` (and so buildx)
/// matches JSON keys to struct fields.
trait GoField {
    fn field(&self, key: &str) -> Option<&Value>;
}

impl GoField for Value {
    fn field(&self, key: &str) -> Option<&Value> {
        self.as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    }
}

/// The helpers above, on fixed text: these run without an engine.
#[test]
fn json_field_elf_and_table_helpers() {
    let parsed: Value =
        serde_json::from_str(r#"{"Targets": [{"name": "a", "Default": true}]}"#).unwrap();
    let first = parsed.field("TARGETS").and_then(Value::as_array).unwrap();
    assert_eq!(first[0].field("NAME").and_then(Value::as_str), Some("a"));
    assert_eq!(
        first[0].field("default").and_then(Value::as_bool),
        Some(true)
    );
    assert_eq!(parsed.field("missing"), None);
    assert_eq!(Value::from(1).field("a"), None);

    let dir = TempDir::new("elf");
    let path = dir.path().join("elf");
    let mut header = vec![0u8; 64];
    header[..6].copy_from_slice(b"\x7fELF\x02\x01");
    header[18] = 0xB7;
    fs::write(&path, &header).unwrap();
    assert_eq!(elf_machine(&path), EM_AARCH64);

    assert_eq!(
        table(
            "noise\nTARGET      DESCRIPTION\nbuild       compiles it\nb\na (default) the app\n\nx y\n",
            &["TARGET", "DESCRIPTION"]
        ),
        [
            vec!["build", "compiles it"],
            vec!["b"],
            vec!["a (default)", "the app"],
        ]
    );
    assert_eq!(
        table(
            "BUILD ARG   VALUE   DESCRIPTION\nA           1       \nLONGER_ARG          \n",
            &["BUILD ARG", "VALUE", "DESCRIPTION"]
        ),
        [vec!["A", "1"], vec!["LONGER_ARG"]]
    );
}
