//! End-to-end tests of the format's step features: secrets (as a file and as an env
//! variable, and kept out of every byte of the image), ssh agent forwarding, copy options
//! (`chown`, `chmod`, `exclude`, `parents`, `link`), `file` steps, and `chown` names
//! looked up in the stage's own passwd and group files. Each builds a small fixture
//! through the frontend image with `docker buildx build` and checks the built image's
//! files, then removes its images. The build context is covered by `tests/e2e_context.rs`,
//! image config, history and per-step run settings by `tests/e2e_config.rs`.
//!
//! Like `tests/e2e.rs`, the tests run only when `STAGEFILE_E2E` is set (hack/test sets
//! it); the harness is in `tests/common/mod.rs`. Besides docker they use a few host
//! programs, which hack/test's engine phase installs when missing: `ssh-agent`,
//! `ssh-add` and `ssh-keygen` (openssh-client), `sha256sum` and `tar`.

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
