//! The hostile-input corpus through the real engine, for a fixed sample of its cases:
//! each sampled file of `tests/hostile/` is built as the Stagefile of a fixture with
//! `docker buildx build`, which must fail, in bounded time, with the error written in the
//! file's header, located at its line and column.
//!
//! The whole corpus runs engine-free in `tests/hostile.rs`; this checks that what the
//! frontend refuses there reaches the user through BuildKit and buildx intact. The sample
//! covers one case per kind of hostile input: an empty file, a missing `stages`, a duplicate
//! key, a wrong type, an unknown key with its "did you mean", an alias bomb, deep nesting, a
//! self-reference and a cycle, unknown stage, target and arg names, path escapes in `copy`
//! and `mount`, a bad platform, and a cache id with a control character. (Invalid UTF-8 is
//! not sampled: those inputs are generated in `tests/hostile.rs`, not corpus files.)
//!
//! The syntax line replaces the case's first line, which is always a header comment, so
//! every other line keeps its number and the header's locations hold as written. The
//! `# with:` options become buildx flags: `target` → `--target`, `build-arg` →
//! `--build-arg`, `platform` → `--platform`, `context=NAME=local:NAME` → `--build-context
//! NAME=DIR` (an empty directory of the fixture), `context=NAME=docker-image://REF` →
//! `--build-context NAME=docker-image://REF`.
//!
//! Only the text of our own error (`Stagefile:LINE:COL: message (hint)`) is checked, not
//! buildx's framed code snippet: Docker 20.10 (BuildKit v0.8) shows the text without one.
//!
//! The engine tests run only when `STAGEFILE_E2E` is set; see `tests/common/mod.rs`.

mod common;
mod hostile_cases;

use common::*;
use hostile_cases::With;
use std::fs;
use std::time::Instant;

/// Builds `tests/hostile/FILE` and checks the failure against the file's header.
fn refused_as_its_header_says(file: &str) {
    let path = hostile_cases::corpus_dir().join(file);
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e} (sampled cases are UTF-8)", path.display()));
    let header = hostile_cases::header(file, &text).unwrap_or_else(|e| panic!("{e}"));

    // Replace the first line (a header comment) with the syntax line: line numbers stay.
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    assert!(
        first.starts_with('#'),
        "{file}: the first line must be a header comment, got {first:?}"
    );
    let mut build = Build::new().file("Stagefile", &format!("{}{rest}", syntax_line()));

    let mut args: Vec<String> = Vec::new();
    for option in &header.with {
        match option {
            With::Target(name) => args.extend(["--target".into(), name.clone()]),
            With::BuildArg(name, value) => {
                args.extend(["--build-arg".into(), format!("{name}={value}")]);
            }
            With::Platform(platform) => args.extend(["--platform".into(), platform.clone()]),
            With::Context(name, value) => {
                let context = if value.starts_with("docker-image://") {
                    value.clone()
                } else if value.strip_prefix("local:") == Some(name.as_str()) {
                    // buildx sends a directory given as `--build-context NAME=DIR` to the
                    // frontend as `local:NAME`.
                    let dir = format!("contexts/{name}");
                    build = build.file(&format!("{dir}/.keep"), "");
                    build.path(&dir).display().to_string()
                } else {
                    panic!("{file}: `context={name}={value}` cannot be given through buildx")
                };
                args.extend(["--build-context".into(), format!("{name}={context}")]);
            }
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    // The harness's COMMAND_TIMEOUT is the hang guard; the time taken is only a notice.
    let started = Instant::now();
    let built = build.run_with(&args);
    notice(&format!("{file}: refused in {:?}", started.elapsed()));
    let built = built.failure();
    let output = built.output();
    assert!(
        !output.contains("panicked"),
        "{file}: the frontend panicked:\n{}",
        built.finished.text()
    );
    for expect in &header.expects {
        assert!(
            expect.line > 0,
            "{file}: corpus cases name a line, got {expect:?}"
        );
        built.assert_names_line(&[expect.line as usize]);
        // `Stagefile:LINE:COL: message (hint)`, on one line of the output.
        let at = format!("Stagefile:{}:{}: ", expect.line, expect.column);
        let found = output.match_indices(&at).any(|(i, _)| {
            let error = output[i + at.len()..].lines().next().unwrap_or("");
            error.contains(&expect.message)
                && expect
                    .help
                    .as_ref()
                    .is_none_or(|help| error.contains(help.as_str()))
        });
        assert!(
            found,
            "{file}: expected `{at}…{}…`{} in the output:\n{}",
            expect.message,
            expect
                .help
                .as_ref()
                .map_or(String::new(), |help| format!(" with the hint `{help}`")),
            built.finished.text()
        );
    }
}

// ---------------------------------------------------------------------------------------
// The sample: one test per file, named by its number in tests/hostile/
// ---------------------------------------------------------------------------------------

#[test]
fn hostile_001_empty_file() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("001-empty.yaml");
}

#[test]
fn hostile_003_missing_stages() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("003-missing-stages.yaml");
}

#[test]
fn hostile_016_duplicate_stage() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("016-duplicate-stage.yaml");
}

#[test]
fn hostile_020_billion_laughs() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("020-billion-laughs.yaml");
}

#[test]
fn hostile_022_deep_flow_nesting() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("022-deep-flow-nesting.yaml");
}

#[test]
fn hostile_036_run_is_a_mapping() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("036-run-is-a-mapping.yaml");
}

#[test]
fn hostile_049_unknown_step_key_suggests_the_key() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("049-unknown-step-key.yaml");
}

#[test]
fn hostile_123_self_reference() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("123-self-reference.yaml");
}

#[test]
fn hostile_126_cycle_of_three() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("126-cycle-of-three.yaml");
}

#[test]
fn hostile_138_unknown_target_option() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("138-unknown-target-option.yaml");
}

#[test]
fn hostile_140_unknown_named_context_suggests_the_context() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("140-unknown-named-context-in-copy-from.yaml");
}

#[test]
fn hostile_141_unknown_stage_arg_suggests_the_arg() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("141-unknown-stage-arg.yaml");
}

#[test]
fn hostile_146_copy_climbs_out_through_a_variable() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("146-copy-climbs-out-through-a-variable.yaml");
}

#[test]
fn hostile_151_mount_source_climbs_out() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("151-mount-source-climbs-out.yaml");
}

#[test]
fn hostile_159_platform_garbage() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("159-platform-garbage.yaml");
}

#[test]
fn hostile_166_cache_id_control_character() {
    if !common::engine_enabled() {
        return;
    }
    refused_as_its_header_says("166-cache-id-control-character.yaml");
}
