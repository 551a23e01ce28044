//! End-to-end tests of `add`: downloads over HTTP with a checksum, Git repositories
//! fetched over dumb HTTP (at a ref, pinned to a commit, with or without `.git`), and a
//! file of the build context, unpacked when it is an archive as Docker's ADD does (checked
//! against the Dockerfile twin on the same engine).
//!
//! Like the other engine tests they run only when `STAGEFILE_E2E` is set. They use
//! `python3` (a local HTTP server), `git` and `tar` on the host.

mod common;

use common::*;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// `python3 -m http.server` on 127.0.0.1, serving one directory; stopped on drop.
struct HttpServer {
    port: u16,
    _process: Background,
}

impl HttpServer {
    fn start(root: &Path, log: &Path) -> HttpServer {
        require_programs(&["python3"], "python3");
        for _ in 0..5 {
            let port = free_port();
            let mut process = Background::spawn(
                Command::new("python3")
                    .args(["-m", "http.server", "--bind", "127.0.0.1", "--directory"])
                    .arg(root)
                    .arg(port.to_string()),
                log,
            );
            // Up when it answers; a port taken meanwhile makes it exit: try another.
            while process.exited().is_none() {
                if wait_for_port(port, Duration::from_millis(200)) {
                    return HttpServer {
                        port,
                        _process: process,
                    };
                }
            }
        }
        panic!(
            "python3 -m http.server did not start: {}",
            fs::read_to_string(log).unwrap_or_default()
        );
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}/{path}", self.port)
    }
}

fn git(dir: &Path, args: &[&str]) -> String {
    host(
        Command::new("git")
            .args([
                "-c",
                "user.name=Stagefile Tests",
                "-c",
                "user.email=tests@stagefile.invalid",
                "-c",
                "init.defaultBranch=main",
                "-c",
                "commit.gpgsign=false",
                "-c",
                "tag.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir),
    )
}

#[test]
fn add_downloads_over_http_with_checksum_and_fetches_git_over_dumb_http() {
    if !engine_enabled() {
        return;
    }
    require_programs(&["git"], "git");
    let served = TempDir::new("http");
    let root = served.path().join("root");
    fs::create_dir_all(&root).unwrap();

    // A download no earlier run has seen (BuildKit caches HTTP sources by URL and digest).
    let payload = format!("payload {}\n", random_token());
    fs::write(root.join("payload.txt"), &payload).unwrap();
    let checksum = format!("sha256:{}", sha256_file(&root.join("payload.txt")));

    // A repository with two commits, the first tagged v1, served over dumb HTTP.
    // BuildKit before v0.10 fetches `master` for a URL without a ref instead of the
    // remote's default branch: there the repository's branch is called `master`.
    let work = served.path().join("work");
    fs::create_dir_all(&work).unwrap();
    let branch = if old_engine() { "master" } else { "main" };
    git(&work, &["init", "-q", "-b", branch]);
    let v1 = format!("first {}\n", random_token());
    fs::write(work.join("readme.txt"), &v1).unwrap();
    git(&work, &["add", "readme.txt"]);
    git(&work, &["commit", "-q", "-m", "first"]);
    git(&work, &["tag", "v1"]);
    let head = format!("second {}\n", random_token());
    fs::write(work.join("readme.txt"), &head).unwrap();
    fs::write(work.join("added.txt"), "added in the second commit\n").unwrap();
    git(&work, &["add", "readme.txt", "added.txt"]);
    git(&work, &["commit", "-q", "-m", "second"]);
    let bare = root.join("repo.git");
    git(
        served.path(),
        &["clone", "-q", "--bare", "work", bare.to_str().unwrap()],
    );
    git(&bare, &["update-server-info"]);

    let server = HttpServer::start(&root, &served.path().join("http.log"));

    let stagefile = format!(
        "\
stages:
  app:
    from: busybox:1.35
    steps:
      - add: {payload_url}
        checksum: {checksum}
        to: /downloads/
      - add: {repo_url}
        to: /repo-head
      - add: {repo_url}#v1
        to: /repo-v1
",
        payload_url = server.url("payload.txt"),
        repo_url = server.url("repo.git"),
    );
    let built = Build::new().stagefile(&stagefile).run().success();
    let image = &built.image;
    assert_eq!(image.run_ok(&["cat", "/downloads/payload.txt"]), payload);
    assert_eq!(image.run_ok(&["cat", "/repo-head/readme.txt"]), head);
    assert_eq!(
        image.run_ok(&["cat", "/repo-head/added.txt"]),
        "added in the second commit\n"
    );
    assert_eq!(
        lines(&image.run_ok(&["ls", "-A", "/repo-head"])),
        ["added.txt", "readme.txt"],
        "the checkout, without .git"
    );
    assert_eq!(image.run_ok(&["cat", "/repo-v1/readme.txt"]), v1);
    assert_eq!(
        lines(&image.run_ok(&["ls", "-A", "/repo-v1"])),
        ["readme.txt"]
    );

    // The same download with a wrong checksum fails the build.
    let wrong = format!("sha256:{}", "0123456789abcdef".repeat(4));
    let failed = Build::new()
        .stagefile(&format!(
            "\
stages:
  app:
    from: busybox:1.35
    steps:
      - add: {}
        checksum: {wrong}
        to: /downloads/
",
            server.url("payload.txt")
        ))
        .run()
        .failure();
    // BuildKit's HTTP source refuses the download with "digest mismatch ACTUAL: DECLARED"
    // (or, when its resolver cache holds the URL, "digest mismatch for URL: … (expected:
    // DECLARED)"); both name the declared checksum.
    let output = failed.output();
    assert!(
        output.contains("digest mismatch") && output.contains(&wrong),
        "the failure should be BuildKit's digest mismatch naming {wrong}:\n{}",
        failed.finished.text()
    );
    drop(server);
}

/// A repository with one tagged commit (`v1`), served over dumb HTTP from `root`; the
/// commit id of `v1`.
fn served_repository(root: &Path, work: &Path, marker: &str) -> String {
    fs::create_dir_all(work).unwrap();
    let branch = if old_engine() { "master" } else { "main" };
    git(work, &["init", "-q", "-b", branch]);
    fs::write(work.join("readme.txt"), marker).unwrap();
    git(work, &["add", "readme.txt"]);
    git(work, &["commit", "-q", "-m", "first"]);
    git(work, &["tag", "v1"]);
    let bare = root.join("pinned.git");
    git(
        work,
        &["clone", "-q", "--bare", ".", bare.to_str().unwrap()],
    );
    git(&bare, &["update-server-info"]);
    git(work, &["rev-parse", "v1^{commit}"]).trim().to_owned()
}

#[test]
fn add_pins_a_git_commit_and_keeps_the_git_dir_when_asked() {
    if !engine_enabled() {
        return;
    }
    require_programs(&["git"], "git");
    let served = TempDir::new("git-pin");
    let root = served.path().join("root");
    fs::create_dir_all(&root).unwrap();
    let marker = format!("pinned {}\n", random_token());
    let commit = served_repository(&root, &served.path().join("work"), &marker);
    let server = HttpServer::start(&root, &served.path().join("http.log"));
    let url = server.url("pinned.git");
    let pinned = |checksum: &str| {
        Build::new().stagefile(&format!(
            "\
stages:
  app:
    from: busybox:1.35
    steps:
      - add: {url}#v1
        checksum: {checksum}
        to: /pinned
      - add: {url}#v1
        keep-git-dir: true
        to: /with-git
"
        ))
    };

    let built = pinned(&commit).run();
    if !built.finished.status.success() && built.output().contains("needs BuildKit v0.22") {
        // The engine's BuildKit cannot verify a Git commit: the pin is refused, not dropped.
        notice("this engine's BuildKit has no Git checksums; checking the refusal");
        let text = pinned(&commit).stagefile_text();
        let pinned_step = text
            .lines()
            .position(|l| l.contains("- add:"))
            .expect("the fixture has an add step")
            + 1;
        built.assert_output_contains("which needs BuildKit v0.22 or newer");
        if !old_engine() {
            // Docker 20.10 shows no source lines with errors.
            built.assert_names_line(&[pinned_step]);
        }
        return;
    }
    let built = built.success();
    assert_eq!(built.image.run_ok(&["cat", "/pinned/readme.txt"]), marker);
    assert_eq!(
        lines(&built.image.run_ok(&["ls", "-A", "/pinned"])),
        ["readme.txt"]
    );
    let with_git = lines(&built.image.run_ok(&["ls", "-A", "/with-git"]));
    assert_eq!(with_git, [".git", "readme.txt"], "keep-git-dir keeps .git");

    // Another commit id: BuildKit refuses the checkout.
    let other = "0123456789abcdef0123456789abcdef01234567";
    let refused = pinned(other).run().failure();
    assert!(
        refused.output().contains(other),
        "the failure should name the expected commit:\n{}",
        refused.finished.text()
    );
    drop(server);
}

#[test]
fn add_of_a_context_archive_unpacks_it_as_the_dockerfile_twin_does() {
    if !engine_enabled() {
        return;
    }
    require_programs(&["tar"], "tar");
    let token = random_token();
    let build = Build::new()
        .stagefile(
            "\
stages:
  app:
    from: busybox:1.35
    steps:
      - add: vendor.tar.gz
        to: /opt/
      - add: notes.txt
        to: /notes/
",
        )
        .file(
            "Dockerfile",
            "FROM busybox:1.35\nADD vendor.tar.gz /opt/\nADD notes.txt /notes/\n",
        )
        .file("payload/lib/a.txt", &token)
        .file("payload/b.txt", "b\n")
        .file("notes.txt", "notes\n");
    host(
        Command::new("tar")
            .args(["-czf", "vendor.tar.gz", "-C", "payload", "."])
            .current_dir(build.dir()),
    );
    let ours = build.run().success();
    let twin = build.run_file("Dockerfile", &[]).success();
    let listing = |built: &Built| {
        let mut files = lines(
            &built
                .image
                .run_ok(&["find", "/opt", "/notes", "-type", "f"]),
        );
        files.sort();
        files
    };
    assert_eq!(
        listing(&ours),
        ["/notes/notes.txt", "/opt/b.txt", "/opt/lib/a.txt"]
    );
    assert_eq!(listing(&ours), listing(&twin));
    assert_eq!(ours.image.run_ok(&["cat", "/opt/lib/a.txt"]), token);
}
