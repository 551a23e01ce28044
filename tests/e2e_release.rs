//! The release, rehearsed against a registry on 127.0.0.1: `hack/release-image` builds the
//! repository's Stagefile through the frontend under test (the bootstrap) for linux/amd64
//! and linux/arm64 and pushes the tags `1`, `1.N` and `1.N.M`; the image is then pulled by
//! tag with no local copy, its arm64 variant runs `check` and `llb` under qemu, and
//! `examples/go` builds with `# syntax=127.0.0.1:PORT/stagefile:1`.
//! Needs the binaries of both platforms in target/binaries (hack/test runs hack/binaries).

mod common;

use common::registry::Registry;
use common::*;
use std::process::Command;

const PLATFORMS: &str = "linux/amd64,linux/arm64";
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `1`, `1.N`, `1.N.M` for the package version `1.N.M`.
fn release_tags() -> Vec<String> {
    let parts: Vec<&str> = VERSION.split('.').collect();
    assert_eq!(parts.len(), 3, "version {VERSION} is not MAJOR.MINOR.PATCH");
    vec![
        parts[0].to_owned(),
        format!("{}.{}", parts[0], parts[1]),
        VERSION.to_owned(),
    ]
}

/// The image's manifests by platform (`linux/amd64`), from the registry's own answer.
fn index_platforms(reference: &str) -> Vec<String> {
    let raw = docker(&["buildx", "imagetools", "inspect", "--raw", reference]);
    raw.assert_success();
    let index: serde_json::Value = serde_json::from_str(&raw.stdout)
        .unwrap_or_else(|e| panic!("{reference}: not JSON ({e}):\n{}", raw.stdout));
    let mut platforms: Vec<String> = index["manifests"]
        .as_array()
        .unwrap_or_else(|| panic!("{reference} is not an image index:\n{}", raw.stdout))
        .iter()
        .map(|m| {
            let p = &m["platform"];
            format!(
                "{}/{}",
                p["os"].as_str().unwrap_or("?"),
                p["architecture"].as_str().unwrap_or("?")
            )
        })
        .collect();
    platforms.sort();
    platforms
}

fn digest(reference: &str) -> String {
    let inspect = docker(&[
        "buildx",
        "imagetools",
        "inspect",
        "--format",
        "{{json .Manifest.Digest}}",
        reference,
    ]);
    inspect.assert_success();
    inspect.stdout.trim().trim_matches('"').to_owned()
}

fn remove_local(references: &[String]) {
    for reference in references {
        let _ = docker(&["image", "rm", "--force", reference]);
    }
}

/// What the CLI binary of this checkout prints for `stagefile ARGS` in the repository:
/// its standard output and its standard error.
fn host_cli(args: &[&str]) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stagefile"))
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("running the stagefile binary");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The same, from the image's binary for PLATFORM (foreign ones under qemu; the platform
/// must have been pulled, or docker's pull messages join standard error).
fn image_cli(image: &str, platform: &str, args: &[&str]) -> (String, String) {
    let root = repo_root().to_str().expect("a UTF-8 checkout path");
    let mut all = vec![
        "run",
        "--rm",
        "--network",
        "none",
        "--platform",
        platform,
        "--entrypoint",
        "/stagefile",
    ];
    let mount = format!("{root}:/src:ro");
    all.extend(["-v", &mount, "-w", "/src", image]);
    all.extend_from_slice(args);
    let run = docker(&all);
    (run.stdout, run.stderr)
}

#[test]
fn the_release_goes_through_a_registry_and_builds_the_go_example() {
    if !engine_enabled() {
        return;
    }
    if !containerd_store() {
        skip("a multi-platform image needs the containerd image store");
        return;
    }
    let binaries = repo_root().join("target/binaries");
    for dir in ["linux_amd64", "linux_arm64"] {
        if !binaries.join(dir).join("stagefile").is_file() {
            skip(&format!(
                "no target/binaries/{dir}/stagefile: run hack/binaries {PLATFORMS} (hack/test does)"
            ));
            return;
        }
    }
    let _build = gate::shared_build();
    let registry = Registry::start();
    let repository = format!("{}/{}", registry.address(), unique("stagefile"));
    let references: Vec<String> = release_tags()
        .iter()
        .map(|tag| format!("{repository}:{tag}"))
        .collect();

    // The release steps: the Stagefile built through the bootstrap frontend, pushed, and
    // built again with --no-cache to an archive of the same digest.
    let release = run_command(
        Command::new(repo_root().join("hack/release-image"))
            .args([PLATFORMS, "--no-build", "--push", &repository, "--twice"])
            .env("STAGEFILE_BOOTSTRAP", frontend_image()),
    );
    assert!(
        release.status.success(),
        "hack/release-image failed:\n{}\n--- registry log:\n{}",
        release.text(),
        registry.log()
    );
    assert!(
        release
            .stderr
            .contains("reproducible: both builds give the index sha256:"),
        "{}",
        release.text()
    );
    let pushed = digest(&references[0]);
    for reference in &references {
        assert_eq!(
            index_platforms(reference),
            ["linux/amd64", "linux/arm64"],
            "{reference}"
        );
        assert_eq!(digest(reference), pushed, "{reference} is another image");
    }

    // A pull by tag with no local copy, then the image's own metadata.
    remove_local(&references);
    let image = &references[0];
    docker(&["pull", "--quiet", image]).assert_success();
    docker(&["pull", "--quiet", "--platform", "linux/arm64", image]).assert_success();
    let label = |name: &str| {
        let inspect = docker(&[
            "image",
            "inspect",
            "--format",
            &format!("{{{{index .Config.Labels \"{name}\"}}}}"),
            image,
        ]);
        inspect.assert_success();
        inspect.stdout.trim().to_owned()
    };
    assert_eq!(label("org.opencontainers.image.version"), VERSION);
    let head = host(
        Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(repo_root()),
    );
    assert_eq!(label("org.opencontainers.image.revision"), head.trim());
    // The binary's own version (its revision is hack/binaries' build of the checkout).
    let version = image_cli(image, "linux/arm64", &["--version"]).0;
    assert!(
        version.starts_with(&format!("stagefile {VERSION} (")),
        "the arm64 binary says {version:?}"
    );

    // The arm64 variant, under qemu, prints what this checkout's binary prints.
    for args in [
        &["check", "examples/go/Stagefile"][..],
        &["llb", "examples/go/Stagefile"],
        &["llb", "--platform", "linux/arm64", "examples/go/Stagefile"],
        &["check", "tests/golden/run-settings.yaml"],
        &["llb", "--dump", "tests/golden/mounts-and-files.yaml"],
    ] {
        let want = host_cli(args);
        assert!(
            !(want.0.trim().is_empty() && want.1.trim().is_empty()),
            "stagefile {args:?} printed nothing"
        );
        assert_eq!(
            image_cli(image, "linux/arm64", args),
            want,
            "stagefile {args:?} under qemu"
        );
    }

    // A user's build naming the pushed image: BuildKit pulls it from the registry.
    remove_local(&references);
    let built = Build::example("go").syntax(&references[0]).run().success();
    let output = built.output();
    let named = format!("(stagefile {VERSION}");
    let naming: Vec<String> = progress::vertices(&output)
        .into_values()
        .map(|(name, _)| name)
        .filter(|name| name.contains(&named))
        .collect();
    assert_eq!(
        naming.len(),
        1,
        "the frontend names its version in one step of the progress output:\n{output}"
    );
    assert!(
        output.contains(&format!("resolve image config for docker-image://{image}")),
        "BuildKit resolves the frontend from the registry:\n{output}"
    );
    assert_eq!(
        built.image.run_ok(&["hello"]).trim(),
        "hello from stagefile"
    );
    remove_local(&references);
}
