//! The cache paths CI takes, through a real engine: the build cache exported to a folder
//! (`--cache-to type=local,mode=max`) and, after the builder's cache is pruned, imported
//! again (`--cache-from type=local`); and the inline cache of a pushed image imported by
//! a build that has nothing cached. Every step, cache-mount steps included, must come
//! back CACHED, and a step that writes a fresh random value must not run again.
//!
//! These tests prune the whole build cache (`docker buildx prune -af`), so they run one at
//! a time and in their own test binary: hack/test runs test binaries one after another.
//! The docker driver exports cache to a folder only with the containerd image store
//! (hack/engine's 28 and 26); on the classic store (20.10) that test prints a notice and
//! checks that the export is refused by name. Inline cache works on every engine.

mod common;

use common::registry::Registry;
use common::*;
use std::fs;
use std::sync::Mutex;

/// Held while a test prunes and rebuilds, so the two tests never prune under each other.
static BUILD_CACHE: Mutex<()> = Mutex::new(());

/// One stage whose every step leaves a layer in the final image (inline cache covers
/// only those): a copy, a step that records a value no rerun could repeat, and a step
/// with a cache mount.
const ONE_STAGE: &str = "\
stages:
  app:
    from: busybox:1.35
    workdir: /w
    steps:
      - copy: input.txt
      - run: cat /proc/sys/kernel/random/uuid > /w/first-run
      - run: cat /proc/sys/kernel/random/uuid >> /cache/seen; cp /cache/seen /w/seen
        cache: /cache
";

fn prune_build_cache() {
    docker(&["buildx", "prune", "--all", "--force"]).assert_success();
}

/// The run steps of a `--progress=plain` build: (name, cached).
fn run_steps(output: &str) -> Vec<(String, bool)> {
    vertices(output)
        .into_values()
        .filter(|(name, _)| name.contains("cat /proc/sys/kernel/random/uuid"))
        .collect()
}

fn assert_all_cached(output: &str, what: &str) {
    let steps = run_steps(output);
    assert_eq!(steps.len(), 2, "expected both run steps in:\n{output}");
    assert!(
        steps.iter().all(|(_, cached)| *cached),
        "{what}: every run step should be CACHED, got {steps:?}:\n{output}"
    );
}

/// Whether each run step was loaded from a registry's cache import: CACHED, or, for a
/// layer the builder fetches from the registry only when the image is exported, a vertex
/// that printed nothing but blob transfers before DONE (BuildKit then reports it done,
/// not cached; a step that ran would have no blobs to fetch).
fn assert_all_imported(output: &str, what: &str) {
    let steps = run_steps(output);
    assert_eq!(steps.len(), 2, "expected both run steps in:\n{output}");
    for (name, cached) in steps {
        if cached {
            continue;
        }
        let id = output
            .lines()
            .find_map(|line| {
                let (id, text) = line.strip_prefix('#')?.split_once(' ')?;
                (text == name).then(|| id.to_owned())
            })
            .expect("the step's vertex");
        let said: Vec<&str> = output
            .lines()
            .filter_map(|line| line.strip_prefix(&format!("#{id} ")))
            .filter(|text| *text != name)
            .collect();
        let fetched = said.iter().any(|text| text.starts_with("sha256:"));
        let only_fetches = said.iter().all(|text| {
            ["sha256:", "extracting sha256:", "DONE "]
                .iter()
                .any(|start| text.starts_with(start))
        });
        assert!(
            fetched && only_fetches,
            "{what}: {name:?} was neither CACHED nor fetched from the import: {said:?}\n{output}"
        );
    }
}

/// False (after a notice and a check that the engine says why) on the classic store.
fn cache_export_supported(build: &Build) -> bool {
    if containerd_store() {
        return true;
    }
    notice("the docker driver exports cache only with the containerd image store");
    let dir = TempDir::new("cache-refused");
    let dest = format!("type=local,dest={}", dir.path().join("cache").display());
    let refused = build.run_with(&["--cache-to", &dest]).failure();
    refused.assert_output_contains("Cache export is not supported");
    false
}

#[test]
fn cache_exported_to_a_folder_brings_every_step_back_after_a_prune() {
    if !engine_enabled() {
        return;
    }
    let _alone = BUILD_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let build = Build::new()
        .stagefile(&ONE_STAGE.replace("  app:\n", "  app:\n    description: folder cache\n"))
        .file("input.txt", &random_token());
    if !cache_export_supported(&build) {
        return;
    }
    let cache = TempDir::new("cache");
    let folder = cache.path().join("cache");
    let out = |name: &str| format!("type=local,dest={}", cache.path().join(name).display());
    let first = build
        .run_file_without_load(
            "Stagefile",
            &[
                "--cache-to",
                &format!("type=local,dest={},mode=max", folder.display()),
                "--output",
                &out("first"),
            ],
        )
        .success();
    assert!(
        folder.join("index.json").is_file(),
        "--cache-to type=local wrote no index.json:\n{}",
        first.output()
    );

    prune_build_cache();
    let again = build
        .run_file_without_load(
            "Stagefile",
            &[
                "--cache-from",
                &format!("type=local,src={}", folder.display()),
                "--output",
                &out("again"),
            ],
        )
        .success();
    assert_all_cached(&again.output(), "imported from the folder");
    let read = |dir: &str, file: &str| {
        fs::read_to_string(cache.path().join(dir).join("w").join(file)).unwrap()
    };
    assert_eq!(read("first", "first-run"), read("again", "first-run"));
    assert_eq!(read("first", "seen"), read("again", "seen"));

    // The control: pruned again and built without the folder, the steps run anew, so the
    // cache above came from the folder and not from anything left in the engine.
    prune_build_cache();
    let cold = build
        .run_file_without_load("Stagefile", &["--output", &out("cold")])
        .success();
    let steps = run_steps(&cold.output());
    assert!(
        steps.len() == 2 && steps.iter().all(|(_, cached)| !cached),
        "without the folder both steps should run: {steps:?}\n{}",
        cold.output()
    );
    assert_ne!(read("first", "first-run"), read("cold", "first-run"));
}

#[test]
fn inline_cache_of_a_pushed_image_serves_a_fresh_build() {
    if !engine_enabled() {
        return;
    }
    let _alone = BUILD_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let build = Build::new()
        .stagefile(&ONE_STAGE.replace("  app:\n", "  app:\n    description: inline cache\n"))
        .file("input.txt", &random_token());
    let registry = Registry::start();
    let reference = registry.reference(&unique("inline-cache"), "1");
    let pushed = build.run_file_without_load(
        "Stagefile",
        &[
            "--cache-to",
            "type=inline",
            "--output",
            &format!("type=image,name={reference},push=true"),
        ],
    );
    assert!(
        pushed.finished.status.success(),
        "the push failed:\n{}\n--- registry log:\n{}",
        pushed.finished.text(),
        registry.log()
    );

    // A fresh engine state: no build cache, no local copy of the pushed image.
    prune_build_cache();
    let _ = docker(&["image", "rm", "--force", &reference]);
    let fresh = build
        .run_with(&["--cache-from", &format!("type=registry,ref={reference}")])
        .success();
    assert_all_imported(&fresh.output(), "imported from the pushed image");
    // What the steps wrote is the pushed image's: neither ran again (the cache mount was
    // pruned, so a rerun of the second would write a new value alone).
    for path in ["/w/first-run", "/w/seen"] {
        assert_eq!(
            fresh.image.run_ok(&["cat", path]),
            pushed_value(&reference, path),
            "the fresh build's {path} should be the pushed one"
        );
    }
}

/// A file of the image pushed to the registry, read by running it.
fn pushed_value(reference: &str, path: &str) -> String {
    let out = docker(&["run", "--rm", "--pull", "always", reference, "cat", path]);
    out.assert_success();
    let _ = docker(&["image", "rm", "--force", reference]);
    out.stdout
}
