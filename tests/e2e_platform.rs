//! End-to-end tests of what the frontend does with buildx beyond a single-platform
//! `--load`: cross-platform builds (`--platform a,b` with a `${BUILDPLATFORM}` stage and
//! arm64 steps under qemu) and pushing a multi-platform image to a local registry.
//! The targets and outline queries and lint findings shown as build warnings are covered
//! by `tests/e2e_print.rs`.
//!
//! Like `tests/e2e.rs`, the tests run only when `STAGEFILE_E2E` is set (hack/test sets
//! it); the harness is in `tests/common/mod.rs`. The multi-platform tests need the
//! engine's containerd image store (hack/engine's default engine, Docker 28) and print a
//! notice and pass on an engine with the classic store (Docker 20.10), which refuses
//! multi-platform builds. They also need qemu's arm64 handler in binfmt_misc (hack/engine
//! registers it), the arm64 variant of `busybox:1.35` (`hack/base-images --arm64`) and,
//! for the push, Debian's `docker-registry` (hack/test's engine phase installs it).

mod common;

use common::elf::{EM_AARCH64, EM_X86_64, elf_machine};
use common::registry::Registry;
use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

// ---------------------------------------------------------------------------------------
// Engine facts
// ---------------------------------------------------------------------------------------

/// False (after printing a notice) when the end-to-end tests are off, or when the engine
/// cannot build for several platforms at once (the classic image store of Docker 20.10).
fn multi_platform_enabled() -> bool {
    if !engine_enabled() {
        return false;
    }
    if containerd_store() {
        return true;
    }
    skip(&format!(
        "the engine (Docker {}, storage driver {}) keeps images in the classic store, which \
         refuses multi-platform builds; hack/engine's default engine (28, with the containerd \
         image store) runs this test",
        docker_info("{{.ServerVersion}}"),
        docker_info("{{.Driver}}"),
    ));
    false
}

/// Panics with what to run unless arm64 binaries can run here (qemu's binfmt handler) and
/// the engine has the arm64 variant of `busybox:1.35`.
fn require_arm64() {
    let handler = "/proc/sys/fs/binfmt_misc/qemu-aarch64";
    let state = fs::read_to_string(handler).unwrap_or_default();
    assert!(
        state.lines().next() == Some("enabled"),
        "arm64 steps need qemu's binfmt_misc handler, but {handler} {}: run hack/engine (it \
         installs qemu-user-static and binfmt-support, mounts binfmt_misc and enables \
         qemu-aarch64)",
        if state.is_empty() {
            "does not exist".to_owned()
        } else {
            format!("says {:?}", state.lines().next().unwrap_or(""))
        }
    );
    // `docker create` resolves the platform from the local store only (--pull never).
    let probe = unique("stagefile-e2e-arm64-probe");
    let created = docker(&[
        "create",
        "--pull",
        "never",
        "--platform",
        "linux/arm64",
        "--name",
        &probe,
        "busybox:1.35",
    ]);
    let _ = docker(&["rm", "--force", &probe]);
    assert!(
        created.status.success(),
        "the engine has no linux/arm64 busybox:1.35: run hack/base-images --arm64\n{}",
        created.text()
    );
}

/// `uname -m` of the host (the build platform's machine name).
fn host_machine() -> String {
    let uname = run_command(Command::new("uname").arg("-m"));
    uname.assert_success();
    uname.stdout.trim().to_owned()
}

fn read_trimmed(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .trim()
        .to_owned()
}

// ---------------------------------------------------------------------------------------
// Cross-platform build to local folders
// ---------------------------------------------------------------------------------------

/// A `build` stage that runs natively (`${BUILDPLATFORM}`) and writes files for the target,
/// and a `final` stage per target platform that copies them and runs a step of its own.
const CROSS: &str = "\
args:
  GREETING: cross
  NONCE: none
stages:
  build:
    description: runs on the build platform and writes files for the target
    from: busybox:1.35
    platform: ${BUILDPLATFORM}
    steps:
      - run: >-
          echo \"build $NONCE\" &&
          mkdir -p /out &&
          echo \"$GREETING $TARGETARCH\" > /out/target-arch &&
          echo \"$TARGETPLATFORM\" > /out/target-platform &&
          uname -m > /out/build-machine
  final:
    description: the image for each target platform
    from: busybox:1.35
    steps:
      - copy: /out
        from: build
        to: /out
      - run: echo \"final $NONCE\" && uname -m > /out/final-machine
";

#[test]
fn multi_platform_build_cross_compiles_and_runs_arm64_steps_under_qemu() {
    if !multi_platform_enabled() {
        return;
    }
    require_arm64();
    let build = Build::new().stagefile(CROSS);
    let out = TempDir::new("cross-out");
    let dest = out.path().join("OUT");
    // NONCE makes both run steps execute in every run of the test, not come from the cache.
    let nonce = unique("nonce");
    let built = buildx(
        &build,
        &[],
        &[
            "--platform",
            "linux/amd64,linux/arm64",
            "--build-arg",
            &format!("NONCE={nonce}"),
            "--output",
            &format!("type=local,dest={}", dest.display()),
        ],
    );
    built.assert_success();

    let mut folders: Vec<String> = fs::read_dir(&dest)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dest.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    assert_eq!(
        folders,
        ["linux_amd64", "linux_arm64"],
        "one folder per platform:\n{}",
        built.text()
    );

    let machine = host_machine();
    for (folder, arch, final_machine, elf) in [
        ("linux_amd64", "amd64", "x86_64", EM_X86_64),
        ("linux_arm64", "arm64", "aarch64", EM_AARCH64),
    ] {
        let root = dest.join(folder);
        assert_eq!(
            read_trimmed(&root.join("out/target-arch")),
            format!("cross {arch}"),
            "{folder}: $TARGETARCH in the build stage"
        );
        assert_eq!(
            read_trimmed(&root.join("out/target-platform")),
            format!("linux/{arch}"),
            "{folder}: $TARGETPLATFORM in the build stage"
        );
        assert_eq!(
            read_trimmed(&root.join("out/build-machine")),
            machine,
            "{folder}: the build stage should run natively, on the host's machine"
        );
        assert_eq!(
            read_trimmed(&root.join("out/final-machine")),
            final_machine,
            "{folder}: `uname -m` in the final stage (arm64 runs under qemu)"
        );
        assert_eq!(
            elf_machine(&root.join("bin/busybox")),
            elf,
            "{folder}: bin/busybox should be a {final_machine} binary"
        );
    }
    // The final stage's run step ran in this build for both platforms (not from the cache).
    let output = built.output();
    let steps: Vec<(String, bool)> = vertices(&output)
        .into_values()
        .filter(|(name, _)| name.contains("uname -m > /out/final-machine"))
        .collect();
    assert!(
        steps.len() == 2 && steps.iter().all(|(_, cached)| !cached),
        "the final stage's run step should have run once per platform: {steps:?}\n{output}"
    );
}

// ---------------------------------------------------------------------------------------
// Push to a local registry
// ---------------------------------------------------------------------------------------

/// `--platform linux/amd64,linux/arm64 --output type=image,...,push=true`, tried up to three
/// times when only the daemon's second push fails.
///
/// With the docker driver on a containerd store the image is pushed twice: the engine's
/// exporter pushes the index, then buildx asks the daemon to push the same name again
/// (`pushing NAME with docker`). That second push writes each platform's manifest to the
/// tag at the same time as it reads the tag back, and the registry has answered one of those
/// reads with a 500. The frontend's work is done by then (its result was exported and pushed
/// in the step before), so that failure alone is retried; anything else fails the test.
fn push_with_retry(build: &Build, registry: &Registry, reference: &str) {
    let daemon_push_failed = format!("> pushing {reference} with docker:");
    for attempt in 1..=3 {
        let pushed = buildx(
            build,
            &[],
            &[
                "--platform",
                "linux/amd64,linux/arm64",
                "--output",
                &format!("type=image,name={reference},push=true"),
            ],
        );
        if pushed.status.success() {
            return;
        }
        if attempt == 3 || !pushed.stderr.contains(&daemon_push_failed) {
            panic!(
                "the push failed (try {attempt} of 3):\n{}\n--- registry log:\n{}",
                pushed.text(),
                registry.log()
            );
        }
        eprintln!("notice: the daemon's second push of {reference} failed; trying again");
    }
}

#[test]
fn multi_platform_image_is_pushed_to_a_registry_as_an_index() {
    if !multi_platform_enabled() {
        return;
    }
    require_arm64();
    let registry = Registry::start();
    let tag = unique("push");
    let reference = registry.reference("stagefile-test", &tag);
    // With the containerd store the docker driver also keeps the pushed image locally.
    let _local = Image {
        tag: reference.clone(),
    };
    let build = Build::new().stagefile(&format!(
        "{CROSS}    entrypoint: [/bin/cat]
    cmd: [/out/target-arch]
    labels:
      org.example.arch: ${{TARGETARCH}}
labels:
  org.example.suite: e2e-platform
"
    ));
    push_with_retry(&build, &registry, &reference);

    // The tag names an index (or a Docker manifest list) with one manifest per platform,
    // besides buildx's attestation manifests (platform unknown/unknown).
    let raw = docker(&["buildx", "imagetools", "inspect", "--raw", &reference]);
    raw.assert_success();
    let index = serde_json::from_str::<Value>(&raw.stdout)
        .unwrap_or_else(|e| panic!("the raw manifest is not JSON ({e}):\n{}", raw.stdout));
    let media_type = index.get("mediaType").and_then(Value::as_str).unwrap_or("");
    assert!(
        [
            "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json",
        ]
        .contains(&media_type),
        "{reference} should be an index or a manifest list, not {media_type:?}:\n{}",
        raw.stdout
    );
    let platforms: BTreeSet<String> = index
        .get("manifests")
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no `manifests` in:\n{}", raw.stdout))
        .iter()
        .filter_map(|m| {
            let p = m.get("platform")?;
            Some(format!(
                "{}/{}",
                p.get("os")?.as_str()?,
                p.get("architecture")?.as_str()?
            ))
        })
        .filter(|p| p != "unknown/unknown")
        .collect();
    assert_eq!(
        platforms.into_iter().collect::<Vec<_>>(),
        ["linux/amd64", "linux/arm64"],
        "the index's platforms:\n{}",
        raw.stdout
    );

    // Each platform's config: its architecture and the Stagefile's config.
    let configs = docker(&[
        "buildx",
        "imagetools",
        "inspect",
        "--format",
        "{{range $p, $i := .Image}}{{$p}}|{{$i.OS}}/{{$i.Architecture}}|\
         {{range $i.Config.Entrypoint}}{{.}} {{end}}|{{range $i.Config.Cmd}}{{.}} {{end}}|\
         {{index $i.Config.Labels \"org.example.arch\"}}|\
         {{index $i.Config.Labels \"org.example.suite\"}}{{\"\\n\"}}{{end}}",
        &reference,
    ]);
    configs.assert_success();
    let rows: Vec<&str> = configs
        .stdout
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(
        rows,
        [
            "linux/amd64|linux/amd64|/bin/cat |/out/target-arch |amd64|e2e-platform",
            "linux/arm64|linux/arm64|/bin/cat |/out/target-arch |arm64|e2e-platform",
        ],
        "per-platform configs (platform|os/arch|entrypoint|cmd|stage label|top-level label)"
    );

    // The image runs on both platforms (arm64 under qemu) and its entrypoint reads the
    // file the native build stage wrote for that platform.
    for arch in ["amd64", "arm64"] {
        let run = docker(&[
            "run",
            "--rm",
            "--network",
            "none",
            "--pull",
            "never",
            "--platform",
            &format!("linux/{arch}"),
            &reference,
        ]);
        run.assert_success();
        assert_eq!(run.stdout.trim(), format!("cross {arch}"), "{}", run.text());
    }
}
