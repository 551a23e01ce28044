//! End-to-end tests of caches that travel: the generated `<stage>.caches` target writes
//! each cache mount's content into a folder of its own, and a cache with `seed` starts
//! from such a folder given as a named context (or empty without one). Each test uses
//! cache ids with a token of its own, so builds on the shared engine never meet.
//!
//! Like the other engine tests, these run only when `STAGEFILE_E2E` is set; the harness
//! is in `tests/common/mod.rs`.

mod common;

use common::*;
use std::fs;
use std::path::Path;

/// `docker buildx build --target TARGET --output type=local,dest=DEST`, and its output.
fn export(build: &Build, target: &str, dest: &Path, extra: &[&str]) -> Built {
    let output = format!("type=local,dest={}", dest.display());
    let mut args = vec!["--target", target, "--output", &output];
    args.extend_from_slice(extra);
    build.run_file_without_load("Stagefile", &args)
}

/// Names directly inside `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_caches_target_writes_each_cache_into_a_directory_named_by_its_id() {
    if !engine_enabled() {
        return;
    }
    let token = unique("e2e-caches");
    let build = Build::new().stagefile(&format!(
        "\
stages:
  s:
    from: busybox:1.35
    steps:
      - run: echo first {token} > /a/file
        cache: {{ target: /a, id: {token} }}
      - run: mkdir -p /b/deep && echo second {token} > /b/deep/file
        cache: {{ target: /b, id: /e2e/{token}/b }}
"
    ));
    let dest = build.path("out");
    let built = export(&build, "s.caches", &dest, &[]).success();
    built.assert_output_contains(&format!("[s.caches] export cache {token}"));
    built.assert_output_contains(&format!("[s.caches] export cache /e2e/{token}/b"));
    // One directory per cache and nothing of the stage's own files (no /bin of busybox).
    let slashed = format!("e2e-{token}-b");
    let mut expected = vec![token.clone(), slashed.clone()];
    expected.sort();
    assert_eq!(entries(&dest), expected);
    assert_eq!(
        fs::read_to_string(dest.join(&token).join("file")).unwrap(),
        format!("first {token}\n")
    );
    assert_eq!(
        fs::read_to_string(dest.join(&slashed).join("deep/file")).unwrap(),
        format!("second {token}\n")
    );
}

#[test]
fn an_exported_folder_seeds_the_next_build_and_without_it_the_cache_starts_empty() {
    if !engine_enabled() {
        return;
    }
    let token = unique("e2e-seed");
    // The step records what the cache held when it started, then adds a file to it.
    let build = Build::new().stagefile(&format!(
        "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: ls -A /c > /found && echo {token} > /c/saved
        cache: {{ target: /c, id: {token}, seed: warm }}
"
    ));
    // First run, as on a fresh CI runner: no folder yet, the build still succeeds.
    let first = build.run_with(&["--target", "app"]).success();
    assert_eq!(first.image.run_ok(&["cat", "/found"]), "");

    let saved = TempDir::new("e2e-caches-saved");
    let dest = saved.path().join("caches");
    // `--no-cache`: the step runs again in the export's own build, so the test does not
    // depend on the engine keeping the cache between builds (its garbage collector may
    // drop an unused cache mount when the disk runs low).
    export(&build, "app.caches", &dest, &["--no-cache"]).success();
    assert_eq!(
        fs::read_to_string(dest.join(&token).join("saved")).unwrap(),
        format!("{token}\n")
    );

    // Next run: the folder is the named context `warm`; the cache starts from it.
    let context = format!("warm={}", dest.display());
    let next = build
        .run_with(&["--target", "app", "--build-context", &context])
        .success();
    assert_eq!(next.image.run_ok(&["cat", "/found"]), "saved\n");
}

#[test]
fn a_seed_folder_without_the_caches_directory_starts_it_empty() {
    if !engine_enabled() {
        return;
    }
    let token = unique("e2e-seed-missing");
    let build = Build::new()
        .stagefile(&format!(
            "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: ls -A /c > /found
        cache: {{ target: /c, id: {token}, seed: warm }}
      - run: cat /d/plain.txt > /plain
        cache: {{ target: /d, id: {token}-plain, seed: warm, source: / }}
"
        ))
        .file("warm/other/x", "not this cache's\n")
        .file("warm/plain.txt", "a plain folder\n");
    let context = format!("warm={}", build.path("warm").display());
    let built = build
        .run_with(&["--target", "app", "--build-context", &context])
        .success();
    assert_eq!(
        built.image.run_ok(&["cat", "/found", "/plain"]),
        "a plain folder\n"
    );
}

#[test]
fn the_caches_target_of_a_stage_without_caches_is_empty() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "\
stages:
  s:
    from: busybox:1.35
    steps:
      - run: echo no caches here > /f
",
    );
    let dest = build.path("out");
    export(&build, "s.caches", &dest, &[]).success();
    assert_eq!(entries(&dest), Vec::<String>::new());
}

#[test]
fn mismatched_seeds_and_seed_with_from_are_refused_at_their_lines() {
    if !engine_enabled() {
        return;
    }
    let token = unique("e2e-seed-error");
    let mismatched = format!(
        "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: 'true'
        cache: {{ target: /c, id: {token}, seed: warm }}
      - run: 'true'
        cache: {{ target: /c, id: {token}, seed: other }}
"
    );
    let build = Build::new().stagefile(&mismatched);
    let failed = build.run_with(&["--target", "app"]).failure();
    let text = build.stagefile_text();
    failed.assert_names_line(&[line_of(&text, "seed: other")]);
    let first = line_of(&text, "seed: warm");
    failed.assert_output_contains(&format!("at line {first}"));

    let both = Build::new().stagefile(&format!(
        "\
stages:
  base:
    from: busybox:1.35
  app:
    from: busybox:1.35
    steps:
      - run: 'true'
        cache: {{ target: /c, id: {token}, from: base,
                 seed: warm }}
"
    ));
    let failed = both.run_with(&["--target", "app"]).failure();
    failed.assert_names_line(&[line_of(&both.stagefile_text(), "seed: warm")]);
    failed.assert_output_contains("`seed` or `from`, not both");
}

#[test]
fn the_caches_target_as_an_image_seeds_a_build_through_docker_image() {
    if !engine_enabled() {
        return;
    }
    let token = unique("e2e-seed-image");
    let writer = Build::new().stagefile(&format!(
        "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: echo {token} > /c/from-image
        cache: {{ target: /c, id: {token} }}
"
    ));
    // `--load -t TAG`: the caches as an image in the engine's store.
    let exported = writer.run_with(&["--target", "app.caches"]).success();
    let reader = Build::new().stagefile(&format!(
        "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: cat /c/from-image > /seen
        cache: {{ target: /c, id: {token}, seed: 'docker-image://{}' }}
",
        exported.image.tag
    ));
    let built = reader.run_with(&["--target", "app"]).success();
    assert_eq!(built.image.run_ok(&["cat", "/seen"]), format!("{token}\n"));
}
