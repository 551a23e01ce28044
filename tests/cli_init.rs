//! `stagefile init` and `stagefile expand` on project folders: what init finds, the
//! Stagefile it writes (which must pass `check`), and its refusals.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn project(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir()
        .join(format!("stagefile-init-{}-{name}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stagefile(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagefile"))
        .args(args)
        .arg(dir)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs init in a fresh folder holding `files`; returns the Stagefile's preset lines
/// (from `stages:` on) after checking the file passes `check` and expands.
fn init(name: &str, files: &[(&str, &str)]) -> String {
    let dir = project(name, files);
    let out = stagefile(&["init"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.join("Stagefile")).unwrap();
    assert!(written.starts_with("# syntax=stagefile:dev\n# Written by `stagefile init`: found "));
    let check = stagefile(&["check"], &dir.join("Stagefile"));
    assert!(check.status.success(), "{}\n{written}", text(&check.stderr));
    assert!(
        text(&check.stderr).is_empty(),
        "no warnings: {}",
        text(&check.stderr)
    );
    let expand = stagefile(&["expand"], &dir.join("Stagefile"));
    assert!(expand.status.success(), "{}", text(&expand.stderr));
    assert!(text(&expand.stdout).contains(&format!("  {name}.build:")) || name.starts_with("py"));
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    written[written.find("stages:").unwrap()..].to_owned()
}

#[test]
fn init_finds_each_ecosystem_and_its_package_manager() {
    assert_eq!(
        init(
            "goapp",
            &[
                ("go.mod", "module x\n\ngo 1.19\n"),
                ("main.go", "package main\n")
            ]
        ),
        "stages:\n  goapp:\n    preset: go\n"
    );
    // A newer Go than the preset's default is asked for; a main package under cmd/ is found.
    assert_eq!(
        init(
            "gocmd",
            &[
                ("go.mod", "module x\n\ngo 1.26.1\n"),
                ("cmd/server/main.go", "package main\n")
            ]
        ),
        "stages:\n  gocmd:\n    preset:\n      name: go\n      version: \"1.26\"\n      entry: ./cmd/server\n"
    );
    assert_eq!(
        init(
            "web",
            &[
                (
                    "package.json",
                    r#"{"main": "src/index.js", "engines": {"node": ">=22"}}"#
                ),
                ("pnpm-lock.yaml", "")
            ]
        ),
        "stages:\n  web:\n    preset:\n      name: node\n      manager: pnpm\n      version: \"22\"\n      entry: src/index.js\n"
    );
    assert_eq!(
        init(
            "py",
            &[
                ("pyproject.toml", "[project]\nname = \"x\"\n"),
                ("uv.lock", ""),
                ("main.py", "")
            ]
        ),
        "stages:\n  py:\n    preset:\n      name: python\n      manager: uv\n      entry: main.py\n"
    );
    assert_eq!(
        init("pyreq", &[("requirements.txt", ""), ("app.py", "")]),
        "stages:\n  pyreq:\n    preset: python\n"
    );
    assert_eq!(
        init(
            "tool",
            &[(
                "Cargo.toml",
                "[package]\nname = \"my-tool\"\nversion = \"0.1.0\"\n\n[dependencies]\nname = \"not this\"\n"
            )]
        ),
        "stages:\n  tool:\n    preset:\n      name: rust\n      entry: my-tool\n"
    );
    assert_eq!(
        init("svc", &[("pom.xml", "<project/>")]),
        "stages:\n  svc:\n    preset: java\n"
    );
    assert_eq!(
        init("gr", &[("build.gradle.kts", "")]),
        "stages:\n  gr:\n    preset:\n      name: java\n      manager: gradle\n"
    );
    assert_eq!(
        init(
            "plain",
            &[
                (
                    "src/com/acme/App.java",
                    "package com.acme;\nclass App { public static void main(String[] a) {} }\n"
                ),
                (
                    "src/com/acme/Util.java",
                    "package com.acme;\nclass Util {}\n"
                )
            ]
        ),
        "stages:\n  plain:\n    preset:\n      name: java\n      manager: javac\n      entry: com.acme.App\n"
    );
}

#[test]
fn init_refuses_to_overwrite_and_says_when_it_finds_nothing() {
    let dir = project("keep", &[("go.mod", "module x\n"), ("Stagefile", "mine\n")]);
    let out = stagefile(&["init"], &dir);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("Stagefile exists; add --force to replace it"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("Stagefile")).unwrap(),
        "mine\n"
    );
    let out = stagefile(
        &["init", "--force", "--syntax", "example/stagefile:1"],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        std::fs::read_to_string(dir.join("Stagefile"))
            .unwrap()
            .starts_with("# syntax=example/stagefile:1\n")
    );

    let empty = project("empty", &[("README.md", "hi\n")]);
    let out = stagefile(&["init"], &empty);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("found no project in"),
        "{}",
        text(&out.stderr)
    );
    assert!(!empty.join("Stagefile").exists());
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
    let _ = std::fs::remove_dir_all(empty.parent().unwrap());
}

#[test]
fn expand_prints_a_file_without_presets_as_it_is_and_reports_preset_errors() {
    let dir = project(
        "expand",
        &[
            ("plain/Stagefile", "stages:\n  a:\n    from: scratch\n"),
            (
                "bad/Stagefile",
                "stages:\n  a:\n    preset:\n      name: go\n      prot: 80\n",
            ),
        ],
    );
    let out = stagefile(&["expand"], &dir.join("plain/Stagefile"));
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "stages:\n  a:\n    from: scratch\n");
    let out = stagefile(&["expand"], &dir.join("bad/Stagefile"));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("unknown key `prot`"), "{err}");
    assert!(err.contains("Stagefile:5:7"), "{err}");
    assert!(err.contains("did you mean `port`?"), "{err}");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}
