//! End-to-end tests of the format's features: each builds a small fixture through the
//! frontend image with `docker buildx build` and checks the built image's files, config
//! and history (or the build's output), then removes its images.
//!
//! Like `tests/e2e.rs`, the tests run only when `STAGEFILE_E2E` is set (hack/test sets
//! it); the harness is in `tests/common/mod.rs`. Besides docker they use a few host
//! programs, which hack/test's engine phase installs when missing: `ssh-agent`,
//! `ssh-add` and `ssh-keygen` (openssh-client), `python3` (a local HTTP server), `git`,
//! `sha256sum` and `tar`.

mod common;

use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

// ---------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------

/// The regular files under `dir`, recursively, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            files.extend(files_under(&path));
        } else if meta.is_file() {
            files.push(path);
        }
    }
    files
}

/// Extracts every file under `dir` that `tar` can read (an image's layers, compressed or
/// not) beside itself, into `<file>.extracted/`, and what those hold in turn, down to
/// `depth` levels. Returns how many archives were extracted.
fn extract_archives(dir: &Path, depth: usize) -> usize {
    let mut extracted = 0;
    for path in files_under(dir) {
        let listed = run_command(Command::new("tar").arg("-tf").arg(&path));
        if !listed.status.success() || listed.stdout.trim().is_empty() {
            continue;
        }
        let into = PathBuf::from(format!("{}.extracted", path.display()));
        fs::create_dir_all(&into).unwrap();
        host(
            Command::new("tar")
                .arg("-xf")
                .arg(&path)
                .arg("-C")
                .arg(&into)
                .args(["--no-same-owner", "--delay-directory-restore"]),
        );
        host(Command::new("chmod").args(["-R", "u+rwX"]).arg(&into));
        extracted += 1;
        if depth > 1 {
            extracted += extract_archives(&into, depth - 1);
        }
    }
    extracted
}

/// The files under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files_under(dir)
        .into_iter()
        .filter(|path| {
            let bytes =
                fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
            bytes.windows(needle.len()).any(|w| w == needle)
        })
        .collect()
}

#[test]
fn secrets_reach_run_steps_as_file_and_env_and_stay_out_of_the_image() {
    if !engine_enabled() {
        return;
    }
    let secret = format!("s3cr3t-{}", random_token());
    // Secrets are not part of BuildKit's cache keys: NONCE, used by each step, makes every
    // run of this test execute the steps with its own secret.
    let build = Build::new().stagefile(
        "\
args:
  NONCE: none
stages:
  app:
    from: busybox:1.35
    steps:
      - run: >-
          echo \"run $NONCE\" &&
          sha256sum /run/secrets/token | cut -d' ' -f1 > /file-hash &&
          stat -c '%a' /run/secrets/token > /file-mode
        secret: token
      - run: >-
          echo \"run $NONCE\" &&
          printf %s \"$TOKEN\" | sha256sum | cut -d' ' -f1 > /env-hash &&
          if [ -e /run/secrets/token ]; then echo file > /env-step; else echo env-only > /env-step; fi
        secret: { id: token, env: TOKEN }
      - run: >-
          echo \"run $NONCE\" &&
          if [ -e /run/secrets/token ] || [ -n \"${TOKEN:-}\" ]; then echo leaked > /after; else echo gone > /after; fi
",
    );
    // The value has no trailing newline.
    let secret_file = build.path("token.secret");
    fs::write(&secret_file, &secret).unwrap();
    let expected = sha256_file(&secret_file);
    // The secret file lives in the build context; keep it out of what is sent.
    fs::write(build.path(".dockerignore"), "token.secret\n").unwrap();
    let args = [
        "--secret".to_owned(),
        format!("id=token,src={}", secret_file.display()),
        "--build-arg".to_owned(),
        format!("NONCE={}", unique("nonce")),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if old_engine() {
        notice("this engine's BuildKit has no secret env; checking the refusal");
        let failed = build.run_with(&args).failure();
        failed.assert_output_contains("`secret` with `env`, which needs BuildKit v0.10 or newer");
        assert!(
            !failed.output().contains(&secret),
            "the build output shows the secret:\n{}",
            failed.output()
        );
        return;
    }
    let built = build.run_with(&args).success();
    let image = &built.image;
    assert_eq!(
        image.run_ok(&["cat", "/file-hash"]).trim(),
        expected,
        "the file /run/secrets/token should hold the secret"
    );
    assert_eq!(image.run_ok(&["cat", "/file-mode"]).trim(), "400");
    assert_eq!(
        image.run_ok(&["cat", "/env-hash"]).trim(),
        expected,
        "$TOKEN should hold the secret"
    );
    assert_eq!(image.run_ok(&["cat", "/env-step"]).trim(), "env-only");
    assert_eq!(image.run_ok(&["cat", "/after"]).trim(), "gone");
    assert!(
        !built.output().contains(&secret),
        "the build output shows the secret:\n{}",
        built.output()
    );

    // Every byte of the image: manifests, config, history and each layer's files.
    let export = TempDir::new("secret-export");
    let tar = export.path().join("image.tar");
    docker(&["save", "-o", tar.to_str().unwrap(), &image.tag]).assert_success();
    let root = export.path().join("image");
    fs::create_dir_all(&root).unwrap();
    host(
        Command::new("tar")
            .arg("-xf")
            .arg(&tar)
            .arg("-C")
            .arg(&root),
    );
    fs::remove_file(&tar).unwrap();
    let archives = extract_archives(&root, 2);
    // busybox's layer and the three steps' layers, at least.
    assert!(
        archives >= 4,
        "expected the image's layers among the {archives} archives extracted"
    );
    let leaks = files_containing(&root, secret.as_bytes());
    assert!(
        leaks.is_empty(),
        "the secret's value is in the image: {leaks:?}"
    );
    // The search does see the layers' files: it finds the hash the first step wrote.
    let hash_files = files_containing(&root, expected.as_bytes());
    assert!(
        hash_files
            .iter()
            .any(|p| p.ends_with("file-hash") && p.to_string_lossy().contains(".extracted/")),
        "the search should find /file-hash inside an extracted layer; found {hash_files:?}"
    );
}

// ---------------------------------------------------------------------------------------
// SSH agent forwarding
// ---------------------------------------------------------------------------------------

#[test]
fn ssh_mount_reaches_the_client_agent() {
    if !engine_enabled() {
        return;
    }
    require_programs(&["ssh-agent", "ssh-add", "ssh-keygen"], "openssh-client");
    let keys = TempDir::new("ssh");
    let socket = keys.path().join("agent.sock");
    let mut agent = Background::spawn(
        Command::new("ssh-agent").arg("-D").arg("-a").arg(&socket),
        &keys.path().join("agent.log"),
    );
    for _ in 0..200 {
        if socket.exists() || agent.exited().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    if !socket.exists() {
        let status = agent.exited();
        panic!(
            "`{}` did not create its socket (pid {}, exit {status:?}): {}",
            agent.name,
            agent.id(),
            fs::read_to_string(keys.path().join("agent.log")).unwrap_or_default()
        );
    }
    let key = keys.path().join("key");
    host(
        Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "stagefile-e2e", "-f"])
            .arg(&key),
    );
    host(
        Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &socket),
    );
    let listed = host(
        Command::new("ssh-keygen")
            .arg("-lf")
            .arg(keys.path().join("key.pub")),
    );
    let fingerprint = listed
        .split_whitespace()
        .nth(1)
        .expect("ssh-keygen -lf prints a fingerprint")
        .to_owned();
    assert!(fingerprint.starts_with("SHA256:"), "{listed}");

    // The apt step stays cached between runs; NONCE makes the ssh step run every time
    // (the agent is not part of its cache key).
    let built = Build::new()
        .stagefile(
            "\
args:
  NONCE: none
stages:
  app:
    from: debian:bookworm
    steps:
      - run: >-
          rm -f /etc/apt/apt.conf.d/docker-clean &&
          apt-get update &&
          apt-get install -y --no-install-recommends openssh-client
        cache:
          - { target: /var/cache/apt, sharing: locked }
          - { target: /var/lib/apt, sharing: locked }
      - run: echo \"run $NONCE via $SSH_AUTH_SOCK\" && ssh-add -l > /keys
        ssh: true
",
        )
        .run_with(&[
            "--ssh",
            &format!("default={}", socket.display()),
            "--build-arg",
            &format!("NONCE={}", unique("nonce")),
        ])
        .success();
    let keys_seen = built.image.run_ok(&["cat", "/keys"]);
    assert!(
        keys_seen.contains(&fingerprint),
        "/keys should list the agent's key {fingerprint}; it holds:\n{keys_seen}"
    );
    // The agent is killed here (and on a failure above, when `agent` is dropped).
    drop(agent);
}

// ---------------------------------------------------------------------------------------
// copy and file
// ---------------------------------------------------------------------------------------

#[test]
fn copy_options_and_file_steps_shape_the_image() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new()
        .stagefile(
            "\
stages:
  gen:
    from: busybox:1.35
    steps:
      - run: mkdir -p /out/nested && echo one > /out/one.txt && echo two > /out/nested/two.txt
  app:
    from: busybox:1.35
    workdir: /work
    steps:
      - copy: app/a.txt
        to: /owned/a.txt
        chown: \"1000:1000\"
        chmod: \"0640\"
      - copy: \"app/*\"
        exclude: [\"*.bak\"]
        to: /globbed/
      - copy: \"src/*/main.go\"
        parents: true
        to: /parents/
      - copy: /out
        from: gen
        to: /linked/
        link: true
      - file: /usr/local/bin/greet.sh
        mode: \"0755\"
        content: |
          #!/bin/sh
          name=$${1:-nobody}
          echo \"hello $$name from $0 ($# args)\"
      - run: greet.sh stagefile > /greeting.out
",
        )
        .file("app/a.txt", "a\n")
        .file("app/b.txt", "b\n")
        .file("app/c.bak", "backup\n")
        .file("app/d.bak", "backup\n")
        .file("src/one/main.go", "package one\n")
        .file("src/one/notes.txt", "not copied\n")
        .file("src/two/main.go", "package two\n")
        .file("src/main.go", "not matched: no directory level\n");
    if old_engine() {
        notice("this engine's BuildKit has no copy include/exclude patterns; checking the refusal");
        build.run().failure().assert_output_contains(
            "`copy` with `exclude` or `parents`, which needs BuildKit v0.9 or newer",
        );
        return;
    }
    let built = build.run().success();
    let image = &built.image;

    // chown + chmod
    assert_eq!(
        image
            .run_ok(&["stat", "-c", "%u:%g %a", "/owned/a.txt"])
            .trim(),
        "1000:1000 640"
    );
    assert_eq!(image.run_ok(&["cat", "/owned/a.txt"]), "a\n");

    // exclude with a glob source
    assert_eq!(
        lines(&image.run_ok(&["ls", "-A", "/globbed"])),
        ["a.txt", "b.txt"],
        "`app/*` minus `*.bak`"
    );

    // parents
    assert_eq!(
        lines(&image.run_ok(&["find", "/parents", "-type", "f"]))
            .into_iter()
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect::<Vec<_>>(),
        ["/parents/src/one/main.go", "/parents/src/two/main.go"]
    );
    assert_eq!(
        image.run_ok(&["cat", "/parents/src/two/main.go"]),
        "package two\n"
    );

    // link from a stage: the directory's contents, merged onto the stage
    let mut linked = lines(&image.run_ok(&["find", "/linked", "-type", "f"]));
    linked.sort();
    assert_eq!(linked, ["/linked/nested/two.txt", "/linked/one.txt"]);
    assert_eq!(image.run_ok(&["cat", "/linked/nested/two.txt"]), "two\n");
    assert_eq!(
        image
            .run_ok(&[
                "sh",
                "-c",
                "test -d /work && test -x /bin/busybox && echo kept"
            ])
            .trim(),
        "kept",
        "the linked layer must not hide what is below it"
    );

    // file: an executable script that a later step ran
    assert_eq!(
        image
            .run_ok(&["stat", "-c", "%u:%g %a", "/usr/local/bin/greet.sh"])
            .trim(),
        "0:0 755"
    );
    assert_eq!(
        image.run_ok(&["cat", "/greeting.out"]).trim(),
        "hello stagefile from /usr/local/bin/greet.sh (1 args)"
    );
}

#[test]
fn chown_names_are_read_from_the_stages_own_passwd_and_group_files() {
    if !engine_enabled() {
        return;
    }
    // busybox has root and nobody/nogroup; the first step adds a user and two groups, so
    // the later steps can only get their ids from the stage's own files.
    let built = Build::new()
        .stagefile(
            "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: >-
          echo 'app:x:1234:2345::/home/app:/bin/sh' >> /etc/passwd &&
          echo 'app:x:2345:' >> /etc/group && echo 'crew:x:3456:' >> /etc/group
      - copy: [a.txt, b.txt]
        to: /both/
        chown: app:crew
      - copy: a.txt
        to: /user-only.txt
        chown: app
      - copy: a.txt
        to: /mixed.txt
        chown: nobody:3456
      - file: /made.txt
        content: made
        chown: nobody:nogroup
      - copy: a.txt
        to: /unknown.txt
        chown: ghost
",
        )
        .file("a.txt", "a\n")
        .file("b.txt", "b\n")
        .run()
        .success();
    let owners = built.image.run_ok(&[
        "stat",
        "-c",
        "%n %u:%g",
        "/both/a.txt",
        "/both/b.txt",
        "/user-only.txt",
        "/mixed.txt",
        "/made.txt",
        "/unknown.txt",
    ]);
    assert_eq!(
        lines(&owners),
        [
            "/both/a.txt 1234:3456",
            // The second copied file's action runs on the first's result: same lookup.
            "/both/b.txt 1234:3456",
            // A user alone takes the user's own group, as `COPY --chown=app` does.
            "/user-only.txt 1234:2345",
            "/mixed.txt 65534:3456",
            "/made.txt 65534:65534",
            // BuildKit gives a name it cannot find id 0, as documented.
            "/unknown.txt 0:0",
        ]
    );
}

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

// ---------------------------------------------------------------------------------------
// Image config and history
// ---------------------------------------------------------------------------------------

#[test]
fn image_config_and_history_are_recorded() {
    if !engine_enabled() {
        return;
    }
    let built = Build::new()
        .stagefile(
            "\
args:
  APP_VERSION: \"1.0\"
labels:
  top.label: from-the-file
  shared.label: file-value
stages:
  app:
    from: busybox:1.35
    labels:
      stage.label: version-${APP_VERSION}
    volumes: [/data, /cache]
    stopsignal: SIGINT
    healthcheck:
      test: [wget, -q, -O-, http://localhost:8080/health]
      interval: 30s
      timeout: 5s
      start-period: 2s
      retries: 3
    steps:
      - run: echo built > /built.txt
      - copy: input.txt
        to: /input.txt
      - file: /etc/app.conf
        content: |
          setting = 1
",
        )
        .file("input.txt", "input\n")
        .run_with(&[
            "--label",
            "cli.label=from-the-command-line",
            "--label",
            "shared.label=cli-value",
        ])
        .success();
    let image = &built.image;

    let health = image.inspect("{{json .Config.Healthcheck}}");
    for part in [
        r#""Test":["CMD","wget","-q","-O-","http://localhost:8080/health"]"#,
        r#""Interval":30000000000"#,
        r#""Timeout":5000000000"#,
        r#""StartPeriod":2000000000"#,
        r#""Retries":3"#,
    ] {
        assert!(health.contains(part), "Healthcheck {health} lacks {part}");
    }
    assert_eq!(
        image.inspect("{{json .Config.Volumes}}"),
        r#"{"/cache":{},"/data":{}}"#
    );
    assert_eq!(image.inspect("{{.Config.StopSignal}}"), "SIGINT");
    let label = |name: &str| image.inspect(&format!("{{{{index .Config.Labels {name:?}}}}}"));
    assert_eq!(label("top.label"), "from-the-file");
    assert_eq!(label("stage.label"), "version-1.0");
    assert_eq!(label("cli.label"), "from-the-command-line");
    assert_eq!(
        label("shared.label"),
        "cli-value",
        "--label wins over the file"
    );

    // `ID CreatedBy` per entry: a base made by `docker import` (hack/base-images on the
    // classic store) has an entry with an empty CreatedBy, which must still count.
    let history_of = |image: &str| {
        let history = docker(&[
            "image",
            "history",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.CreatedBy}}",
            image,
        ]);
        history.assert_success();
        lines(&history.stdout)
    };
    let entries = history_of(&image.tag);
    let base_entries = history_of("busybox:1.35").len();
    let has = |prefix: &str, contains: &str| {
        entries
            .iter()
            .any(|e| e.contains(prefix) && e.contains(contains))
    };
    for (what, needle) in [
        ("RUN", "echo built > /built.txt"),
        ("COPY", "input.txt /input.txt"),
        ("FILE", "/etc/app.conf"),
    ] {
        let entry = entries
            .iter()
            .find(|e| e.contains(what) && e.contains(needle))
            .unwrap_or_else(|| panic!("no history entry for {what} {needle}:\n{entries:#?}"));
        assert!(
            entry.ends_with("# stagefile"),
            "history entry {entry:?} should end with `# stagefile`"
        );
    }
    for (what, needle) in [
        ("LABEL", "stage.label"),
        ("VOLUME", "/data"),
        ("VOLUME", "/cache"),
        ("STOPSIGNAL", "SIGINT"),
        ("HEALTHCHECK", "wget"),
    ] {
        assert!(
            has(what, needle),
            "no history entry `{what} …{needle}…`:\n{entries:#?}"
        );
    }
    // The base image's own history is kept below ours (nine entries, checked above).
    assert!(
        base_entries >= 1 && entries.len() >= base_entries + 9,
        "expected busybox's {base_entries} history entries plus ours:\n{entries:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// Per-step settings of `run`
// ---------------------------------------------------------------------------------------

#[test]
fn run_step_env_workdir_user_network_and_tmpfs() {
    if !engine_enabled() {
        return;
    }
    let built = Build::new()
        .stagefile(
            "\
stages:
  app:
    from: busybox:1.35
    workdir: /w
    env:
      STAGE_VAR: stage-value
    steps:
      - run: mkdir -p /w/sub
      - run: echo \"$STEP_VAR $STAGE_VAR\" > /w/env.out
        env:
          STEP_VAR: step-value
          STAGE_VAR: overridden
      - run: pwd > /w/pwd.out
        workdir: sub
      - run: id -u > /tmp/ids.out && id -g >> /tmp/ids.out
        user: \"1000:1000\"
      - run: ls /sys/class/net > /w/net-default.out
      - run: ls /sys/class/net > /w/net-none.out
        network: none
      - run: >-
          echo in-memory > /scratch/file &&
          cat /scratch/file > /w/tmpfs-read.out &&
          grep ' /scratch ' /proc/mounts > /w/tmpfs-mount.out
        tmpfs: /scratch
",
        )
        .run()
        .success();
    let image = &built.image;

    assert_eq!(
        image.run_ok(&["cat", "/w/env.out"]).trim(),
        "step-value overridden"
    );
    let env = image.inspect("{{json .Config.Env}}");
    assert!(
        env.contains("\"STAGE_VAR=stage-value\"") && !env.contains("STEP_VAR"),
        "a step's env should not reach the image: {env}"
    );

    assert_eq!(image.run_ok(&["cat", "/w/pwd.out"]).trim(), "/w/sub");
    assert_eq!(image.inspect("{{.Config.WorkingDir}}"), "/w");

    assert_eq!(
        lines(&image.run_ok(&["cat", "/tmp/ids.out"])),
        ["1000", "1000"]
    );
    assert_eq!(
        image
            .run_ok(&["stat", "-c", "%u:%g", "/tmp/ids.out"])
            .trim(),
        "1000:1000"
    );
    assert_eq!(
        image.inspect("{{.Config.User}}"),
        "",
        "a step's user is not the image's"
    );

    let default_net = lines(&image.run_ok(&["cat", "/w/net-default.out"]));
    assert!(
        default_net.len() > 1 && default_net.iter().any(|n| n == "lo"),
        "a step with the default network should see more than lo: {default_net:?}"
    );
    assert_eq!(
        lines(&image.run_ok(&["cat", "/w/net-none.out"])),
        ["lo"],
        "a `network: none` step has only the loopback interface"
    );

    assert_eq!(
        image.run_ok(&["cat", "/w/tmpfs-read.out"]).trim(),
        "in-memory"
    );
    let mount = image.run_ok(&["cat", "/w/tmpfs-mount.out"]);
    assert!(
        mount.contains("tmpfs"),
        "/scratch should be a tmpfs: {mount}"
    );
    let scratch = image.run(&["ls", "-A", "/scratch"]);
    assert!(
        !scratch.status.success() || scratch.stdout.trim().is_empty(),
        "nothing written to the tmpfs should be in the image: {}",
        scratch.text()
    );
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
