//! End-to-end tests of the build context: `.dockerignore` (and the file's `ignore`) and
//! how many bytes of context are sent, named contexts given with `--build-context`, and
//! caching by the args a step uses (a changed arg reruns only the stage that uses it).
//! Each builds a small fixture through the frontend image with `docker buildx build`, then
//! removes its images.
//!
//! Like `tests/e2e.rs`, the tests run only when `STAGEFILE_E2E` is set (hack/test sets
//! it); the harness is in `tests/common/mod.rs`. The output parsers' own test runs
//! without an engine.

mod common;

use common::*;
use std::fs;
use std::path::Path;

// ---------------------------------------------------------------------------------------
// The build context: .dockerignore and what is transferred
// ---------------------------------------------------------------------------------------

const BIG: u64 = 100 * 1000 * 1000;
const SMALL_ENOUGH: u64 = 1_000_000;

/// A 100 MB file (sparse: it takes no disk space, but reads as 100 MB of zeros).
fn big_file(path: &Path) {
    fs::File::create(path)
        .and_then(|f| f.set_len(BIG))
        .unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
}

/// Bytes of the build context transferred, from the `[internal] load build context`
/// vertex; panics unless there is exactly one.
fn context_bytes(built: &Built) -> u64 {
    let transfers = context_transfers(&built.output());
    let context: Vec<u64> = transfers
        .iter()
        .filter(|(name, _)| name.contains("load build context"))
        .map(|(_, n)| *n)
        .collect();
    assert_eq!(
        context.len(),
        1,
        "expected one `load build context` transfer among {transfers:?}:\n{}",
        built.output()
    );
    context[0]
}

#[test]
fn dockerignore_filters_the_context_and_only_needed_files_are_sent() {
    if !engine_enabled() {
        return;
    }
    // 1. `copy: .` with a .dockerignore (and the file's `ignore`).
    let build = Build::new()
        .stagefile(
            "\
ignore: [extra-ignored.txt]
stages:
  app:
    from: busybox:1.35
    steps:
      - copy: .
        to: /ctx/
",
        )
        .file(
            ".dockerignore",
            "# comments and blank lines are skipped\n\nignored.txt\n*.log\n!keep.log\nsecrets/\n/big.bin\n",
        )
        .file("keep.txt", "kept\n")
        .file("keep.log", "kept by an exception\n")
        .file("ignored.txt", "ignored\n")
        .file("debug.log", "ignored\n")
        .file("extra-ignored.txt", "ignored by the Stagefile\n")
        .file("secrets/key.pem", "ignored\n")
        .file("sub/nested.txt", "kept\n")
        .file("sub/nested.log", "kept: *.log matches at the top only\n");
    big_file(&build.path("big.bin"));
    let built = build.run().success();
    let mut files = lines(&built.image.run_ok(&["find", "/ctx", "-type", "f"]));
    files.sort();
    for kept in [
        "/ctx/keep.txt",
        "/ctx/keep.log",
        "/ctx/sub/nested.txt",
        "/ctx/sub/nested.log",
    ] {
        assert!(
            files.iter().any(|f| f == kept),
            "{kept} should be copied; /ctx holds {files:?}"
        );
    }
    for ignored in [
        "/ctx/ignored.txt",
        "/ctx/debug.log",
        "/ctx/extra-ignored.txt",
        "/ctx/secrets/key.pem",
        "/ctx/big.bin",
    ] {
        assert!(
            !files.iter().any(|f| f == ignored),
            "{ignored} is ignored and should not be copied; /ctx holds {files:?}"
        );
    }
    let ignored_sent = context_bytes(&built);
    eprintln!("context sent for `copy: .` with big.bin in .dockerignore: {ignored_sent} bytes");
    assert!(
        ignored_sent < SMALL_ENOUGH,
        "the ignored 100 MB file seems to have been sent ({ignored_sent} bytes):\n{}",
        built.output()
    );

    // 2. One small file copied beside a big unrelated one, nothing ignored: only what the
    //    Stagefile names is sent. The builtin Dockerfile frontend, for the record.
    let build = Build::new()
        .stagefile(
            "\
stages:
  app:
    from: busybox:1.35
    steps:
      - copy: small.txt
        to: /
",
        )
        .file("small.txt", "small\n")
        .file("Dockerfile", "FROM busybox:1.35\nCOPY small.txt /\n");
    big_file(&build.path("big.bin"));
    let stagefile = build.run().success();
    assert_eq!(stagefile.image.run_ok(&["cat", "/small.txt"]), "small\n");
    let dockerfile = build.run_file("Dockerfile", &[]).success();
    assert_eq!(dockerfile.image.run_ok(&["cat", "/small.txt"]), "small\n");
    let stagefile_sent = context_bytes(&stagefile);
    let dockerfile_sent = context_bytes(&dockerfile);
    eprintln!(
        "context sent for one small file beside a 100 MB one: Stagefile {stagefile_sent} bytes, Dockerfile frontend {dockerfile_sent} bytes"
    );
    assert!(
        stagefile_sent < SMALL_ENOUGH,
        "the Stagefile build sent {stagefile_sent} bytes of context for one small file:\n{}",
        stagefile.output()
    );
}

// ---------------------------------------------------------------------------------------
// Named contexts
// ---------------------------------------------------------------------------------------

#[test]
fn named_contexts_replace_a_stage_and_feed_copies() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new()
        .stagefile(
            "\
stages:
  base:
    from: busybox:1.35
    steps:
      - run: echo from-the-stage > /marker
  app:
    from: base
    steps:
      - copy: /
        from: assets
        to: /assets/
",
        )
        .file("assets-dir/logo.txt", "logo\n")
        .file("assets-dir/css/site.css", "body {}\n");
    let assets = build.path("assets-dir");
    let assets_arg = format!("assets={}", assets.display());

    // Without `base` given, the stage is used.
    let plain = build.run_with(&["--build-context", &assets_arg]).success();
    assert_eq!(
        plain.image.run_ok(&["cat", "/marker"]).trim(),
        "from-the-stage"
    );
    assert!(
        !plain
            .image
            .run(&["test", "-e", "/etc/debian_version"])
            .status
            .success(),
        "busybox has no /etc/debian_version"
    );

    let replaced = build
        .run_with(&[
            "--build-context",
            "base=docker-image://debian:bookworm",
            "--build-context",
            &assets_arg,
        ])
        .success();
    let image = &replaced.image;
    assert!(
        !image
            .run_ok(&["cat", "/etc/debian_version"])
            .trim()
            .is_empty(),
        "the image should be Debian's"
    );
    assert!(
        !image.run(&["test", "-e", "/marker"]).status.success(),
        "the replaced stage's step should not run"
    );
    let mut files = lines(&image.run_ok(&["find", "/assets", "-type", "f"]));
    files.sort();
    assert_eq!(files, ["/assets/css/site.css", "/assets/logo.txt"]);
    assert_eq!(image.run_ok(&["cat", "/assets/css/site.css"]), "body {}\n");
}

// ---------------------------------------------------------------------------------------
// Caching by the args a step uses
// ---------------------------------------------------------------------------------------

#[test]
fn changing_an_arg_reruns_only_the_stage_that_uses_it() {
    if !engine_enabled() {
        return;
    }
    // Asserts cache hits: no other build of this binary meanwhile (common::gate).
    let _alone = gate::cache_sensitive();
    let build = Build::new().stagefile(
        "\
args:
  A_VALUE: a
  B_VALUE: b
stages:
  a:
    from: busybox:1.35
    steps:
      - run: echo \"$A_VALUE\" > /a.txt
  b:
    from: busybox:1.35
    steps:
      - run: echo \"$B_VALUE\" > /b.txt
  app:
    from: busybox:1.35
    steps:
      - copy: /a.txt
        from: a
        to: /
      - copy: /b.txt
        from: b
        to: /
",
    );
    // Values no earlier run used, so the first build runs both steps.
    let (a1, a2, b) = (unique("a-first"), unique("a-second"), unique("b"));
    let first = build
        .run_with(&[
            "--build-arg",
            &format!("A_VALUE={a1}"),
            "--build-arg",
            &format!("B_VALUE={b}"),
        ])
        .success();
    let output = first.output();
    for needle in ["RUN echo \"$A_VALUE\"", "RUN echo \"$B_VALUE\""] {
        let (name, cached) = vertex(&output, needle);
        assert!(!cached, "{name:?} should run in the first build:\n{output}");
    }
    assert_eq!(first.image.run_ok(&["cat", "/a.txt"]).trim(), a1);

    let second = build
        .run_with(&[
            "--build-arg",
            &format!("A_VALUE={a2}"),
            "--build-arg",
            &format!("B_VALUE={b}"),
        ])
        .success();
    let output = second.output();
    let (a_step, a_cached) = vertex(&output, "RUN echo \"$A_VALUE\"");
    assert!(
        !a_cached,
        "{a_step:?} uses the changed arg and should run again:\n{output}"
    );
    let (b_step, b_cached) = vertex(&output, "RUN echo \"$B_VALUE\"");
    assert!(
        b_cached,
        "{b_step:?} does not use the changed arg and should be CACHED:\n{output}"
    );
    assert_eq!(second.image.run_ok(&["cat", "/a.txt"]).trim(), a2);
    assert_eq!(second.image.run_ok(&["cat", "/b.txt"]).trim(), b);
}

#[test]
fn size_and_transfer_helpers_parse_build_output() {
    assert_eq!(parse_size("42B"), Some(42));
    assert_eq!(parse_size("1.05kB"), Some(1050));
    assert_eq!(parse_size("104.86MB"), Some(104_860_000));
    assert_eq!(parse_size("2GiB"), Some(2 << 30));
    assert_eq!(parse_size("12 parsecs"), None);
    let plain = "#5 [internal] load .dockerignore\n#5 transferring context: 2B done\n#5 DONE 0.0s\n\n#7 [internal] load build context\n#7 transferring context: 32.77kB 0.5s\n#7 transferring context: 104.86MB 2.1s done\n#7 DONE 2.1s\n";
    assert_eq!(
        context_transfers(plain),
        [
            ("[internal] load .dockerignore".to_owned(), 2),
            ("[internal] load build context".to_owned(), 104_860_000),
        ]
    );
    assert_ne!(random_token(), random_token());
    assert_eq!(random_token().len(), 32);
}
