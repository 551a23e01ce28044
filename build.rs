//! Compiles the BuildKit messages that bollard-buildkit-proto lacks, with a pure-Rust
//! protobuf compiler so no machine needs protoc; and names the revision the binary is
//! built from, for `stagefile --version`.

use std::path::Path;
use std::process::Command;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(["errdefs.proto"], ["proto"])?;
    prost_build::Config::new()
        .extern_path(".pb", "::bollard_buildkit_proto::pb")
        .compile_fds(descriptors)?;
    revision();
    pack_relative_relocations();
    Ok(())
}

/// A static Linux binary is position-independent and relocates itself at start; its
/// relative relocations packed as `DT_RELR` take a few kilobytes instead of 24 bytes each
/// (78 KB of the amd64 binary). The start-up code of every static libc the binary is built
/// with reads them: musl since 1.2.4 (Rust's own is 1.2.5), glibc since 2.36. Dynamically
/// linked builds (the tests) keep the loader's plain relocations.
fn pack_relative_relocations() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    if os == "linux" && features.split(',').any(|f| f == "crt-static") {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}

/// Sets `STAGEFILE_VERSION` for the crate: the package version, then the revision in
/// parentheses, which is `STAGEFILE_REVISION` when it is set (a build from a source
/// archive can name its revision), else the short commit of a git checkout. Without
/// either the version is the package's alone (and `STAGEFILE_GIT_REVISION` is unset); a
/// missing `git` never fails the build.
fn revision() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    match git_revision() {
        Some(rev) => {
            println!("cargo:rustc-env=STAGEFILE_GIT_REVISION={rev}");
            println!("cargo:rustc-env=STAGEFILE_VERSION={version} ({rev})");
        }
        None => println!("cargo:rustc-env=STAGEFILE_VERSION={version}"),
    }
}

fn git_revision() -> Option<String> {
    println!("cargo:rerun-if-env-changed=STAGEFILE_REVISION");
    if let Ok(rev) = std::env::var("STAGEFILE_REVISION") {
        let rev = rev.trim();
        return (!rev.is_empty()).then(|| rev.to_owned());
    }
    let rev = git(&["rev-parse", "--short", "HEAD"])?;
    // Build again when HEAD moves: HEAD itself, the branch it points at, packed refs.
    let mut watched = vec!["HEAD".to_owned(), "packed-refs".to_owned()];
    watched.extend(git(&["symbolic-ref", "-q", "HEAD"]));
    for name in watched {
        if let Some(path) = git(&["rev-parse", "--git-path", &name])
            && Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    Some(rev)
}

/// One line of git's output, run in the package's folder; `None` on any failure.
fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let out = Command::new("git")
        .arg("-C")
        .arg(&dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let line = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (!line.is_empty()).then_some(line)
}
