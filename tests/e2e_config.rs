//! End-to-end tests of what a build records in the image: its config (healthcheck,
//! volumes, stop signal, labels from the file and from `--label`) and its history, and the
//! per-step settings of `run` (env, workdir, user, network, tmpfs) that must not leak into
//! the image's config. Each builds a small fixture through the frontend image with
//! `docker buildx build`, checks the image, then removes it.
//!
//! Like `tests/e2e.rs`, the tests run only when `STAGEFILE_E2E` is set (hack/test sets
//! it); the harness is in `tests/common/mod.rs`.

mod common;

use common::*;

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
