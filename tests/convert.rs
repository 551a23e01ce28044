//! `stagefile convert`: golden pairs under `tests/convert/` (a Dockerfile, the Stagefile
//! it becomes, or for `*.err.Dockerfile` the errors it gives), every output checked by the
//! project's own parser and planner, hostile input, and a property: convert never panics.
//!
//! Run with `UPDATE_GOLDEN=1` to rewrite the expectations after an intended change.

mod common;

use common::cli::Test;
use proptest::prelude::*;
use stagefile::convert::{Options, convert};
use std::path::Path;

fn expect(path: &Path, actual: &str, failed: &mut Vec<String>) {
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, actual).unwrap();
    } else if std::fs::read_to_string(path).ok().as_deref() != Some(actual) {
        failed.push(format!("{}:\n{actual}", path.display()));
    }
}

#[test]
fn golden_pairs() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/convert");
    let mut failed = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".Dockerfile") else {
            continue;
        };
        seen += 1;
        let source = std::fs::read_to_string(&path).unwrap();
        match (
            convert(&source, &Options::default()),
            stem.ends_with(".err"),
        ) {
            (Ok(out), false) => {
                // The output is a Stagefile the project reads and plans without error.
                if let Err(e) = stagefile::compile::check(out.text.as_bytes(), &Default::default())
                {
                    failed.push(format!(
                        "{name}: the output does not check: {e:?}\n{}",
                        out.text
                    ));
                }
                let warnings: String = out
                    .warnings
                    .iter()
                    .map(|w| w.one_line("Dockerfile") + "\n")
                    .collect();
                expect(
                    &dir.join(format!("{stem}.yaml")),
                    &(out.text + &warnings_block(&warnings)),
                    &mut failed,
                );
            }
            (Err(errors), true) => {
                let text: String = errors
                    .iter()
                    .map(|e| e.one_line("Dockerfile") + "\n")
                    .collect();
                expect(&dir.join(format!("{stem}.txt")), &text, &mut failed);
            }
            (Ok(out), true) => failed.push(format!(
                "{name}: converted, but errors were expected:\n{}",
                out.text
            )),
            (Err(errors), false) => failed.push(format!("{name}: {errors:?}")),
        }
    }
    assert!(seen >= 6, "only {seen} fixtures found");
    assert!(
        failed.is_empty(),
        "golden mismatch (UPDATE_GOLDEN=1 to accept):\n{}",
        failed.join("\n")
    );
}

/// Warnings go after the Stagefile in the expectation, as YAML comments.
fn warnings_block(warnings: &str) -> String {
    warnings.lines().map(|l| format!("#! {l}\n")).collect()
}

#[test]
fn cli_writes_to_stdout_a_file_and_refuses_to_overwrite() {
    let dockerfile = "FROM busybox:1.35\nRUN true\n";
    let out = Test::new("convert-stdout", "")
        .file("Dockerfile", dockerfile)
        .args(&["convert"])
        .run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("# syntax=stagefile:dev\n"), "{text}");

    let out = Test::new("convert-exists", "")
        .file("Dockerfile", dockerfile)
        .args(&["convert", "Dockerfile", "-o", "Stagefile"])
        .run();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Stagefile exists; add --force"));

    let out = Test::new("convert-force", "")
        .file("Dockerfile", dockerfile)
        .args(&[
            "convert",
            "-o",
            "Stagefile",
            "--force",
            "--syntax",
            "example.org/sf:1",
        ])
        .run();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = Test::new("convert-stdin", "")
        .stdin("FROM busybox:1.35\nONBUILD RUN x\n")
        .args(&["convert", "-"])
        .run();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("<stdin>:2:1"), "{err}");
}

#[test]
fn forced_output_is_written_with_the_chosen_syntax() {
    let dir = std::env::temp_dir().join(format!("stagefile-convert-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Dockerfile"), "FROM busybox:1.35\n").unwrap();
    std::fs::write(dir.join("Stagefile"), "old").unwrap();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_stagefile"))
        .args([
            "convert",
            "-o",
            "Stagefile",
            "--force",
            "--syntax",
            "example.org/sf:1",
        ])
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let written = std::fs::read_to_string(dir.join("Stagefile")).unwrap();
    assert!(
        written.starts_with("# syntax=example.org/sf:1\n"),
        "{written}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hostile_input_is_refused_or_converted_without_hanging() {
    // Deep continuation: one RUN over 200,000 lines.
    let mut deep = String::from("FROM busybox:1.35\nRUN true");
    for _ in 0..200_000 {
        deep.push_str(" \\\n  && true");
    }
    let out = convert(&deep, &Options::default()).unwrap();
    assert!(stagefile::spec::parse(out.text.as_bytes()).is_ok());

    // Many instructions, close to the size limit.
    let mut big = String::from("FROM busybox:1.35\n");
    while big.len() < 3_500_000 {
        big.push_str("LABEL a=b\nEXPOSE 80\nENV A=1\nRUN true\n");
    }
    assert!(convert(&big, &Options::default()).is_ok());

    // Past the limit: one located error.
    let huge = "#".repeat(stagefile::convert::MAX_DOCKERFILE_BYTES + 1);
    let errors = convert(&huge, &Options::default()).unwrap_err();
    assert!(
        errors[0].message.contains("convert reads at most"),
        "{errors:?}"
    );

    // Unterminated heredoc after many lines.
    let mut open = String::from("FROM busybox:1.35\nRUN <<EOF\n");
    for _ in 0..100_000 {
        open.push_str("echo\n");
    }
    let errors = convert(&open, &Options::default()).unwrap_err();
    assert_eq!(
        errors[0].one_line("Dockerfile"),
        "Dockerfile:2:5: the here-document `EOF` is never closed (end it with a line holding only `EOF`)"
    );

    // Many errors are cut at a hundred.
    let many = "FROM busybox:1.35\n".to_owned() + &"ONBUILD RUN x\n".repeat(1_000);
    assert_eq!(convert(&many, &Options::default()).unwrap_err().len(), 100);
}

fn dockerfile_text() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        Just("FROM busybox:1.35 AS a".to_owned()),
        Just("FROM a".to_owned()),
        "(RUN|COPY|ADD|ENV|ARG|LABEL|USER|WORKDIR|CMD|ENTRYPOINT|EXPOSE|VOLUME|SHELL|HEALTHCHECK|STOPSIGNAL|ONBUILD|MAINTAINER|run) [-a-z=$\\{\\}\"' <>\\[\\],:/.\\\\`#]{0,30}",
        "<<-?'?[A-Z]{1,3}'?",
        "[A-Z]{1,3}",
        "# ?(escape|syntax|check)=[a-z`\\\\;=,]{0,8}",
        "[ \\t]*\\\\?",
        ".{0,20}",
    ];
    prop::collection::vec(line, 0..20).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn convert_never_panics(text in dockerfile_text()) {
        if let Ok(out) = convert(&text, &Options::default()) {
            // Whatever converts must read back as a Stagefile.
            prop_assert!(stagefile::spec::parse(out.text.as_bytes()).is_ok(), "{}\n---\n{}", text, out.text);
        }
    }

    #[test]
    fn convert_never_panics_on_any_text(text in ".{0,200}") {
        let _ = convert(&text, &Options::default());
    }
}
