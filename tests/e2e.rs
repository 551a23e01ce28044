//! End-to-end tests: real builds through a real engine, with the frontend image loaded
//! locally and named by the `# syntax=` line of each fixture.
//!
//! The engine tests run only when `STAGEFILE_E2E` is set (`hack/test` sets it after
//! `hack/engine`, `hack/base-images` and `hack/image`). Without it each one prints a notice
//! and passes; with it, a missing engine or frontend image is a failure.
//! `STAGEFILE_IMAGE` names the frontend image (default `stagefile:dev`).
//!
//! Each test writes its fixture into a temporary directory, tags its images uniquely and
//! removes them when done. A few tests need no engine and always run.

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The longest any one docker command may take before the test gives up on it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(900);

// ---------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------

fn frontend_image() -> String {
    env::var("STAGEFILE_IMAGE")
        .ok()
        .filter(|image| !image.is_empty())
        .unwrap_or_else(|| "stagefile:dev".to_owned())
}

fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn test_name() -> String {
    thread::current()
        .name()
        .unwrap_or("e2e")
        .rsplit("::")
        .next()
        .unwrap_or("e2e")
        .to_owned()
}

/// False (after printing a notice) when the end-to-end tests are not enabled. When they
/// are, panics unless the engine answers and the frontend image is loaded.
fn engine_enabled() -> bool {
    if env::var_os("STAGEFILE_E2E").is_none() {
        // Straight to the process's stderr: the test harness would capture `eprintln!`.
        let _ = writeln!(
            std::io::stderr(),
            "skipped {}: needs a BuildKit engine; run hack/test, or set STAGEFILE_E2E=1",
            test_name()
        );
        return false;
    }
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    if let Err(problem) = READY.get_or_init(check_engine) {
        panic!("STAGEFILE_E2E is set but the engine is not ready: {problem}");
    }
    true
}

fn check_engine() -> Result<(), String> {
    let info = run_command(Command::new("docker").args(["info", "--format", "{{.ServerVersion}}"]));
    if !info.status.success() {
        return Err(format!(
            "`docker info` failed (run hack/engine):\n{}",
            info.text()
        ));
    }
    let buildx = run_command(Command::new("docker").args(["buildx", "version"]));
    if !buildx.status.success() {
        return Err(format!(
            "`docker buildx version` failed (run hack/engine):\n{}",
            buildx.text()
        ));
    }
    let image = frontend_image();
    let inspect = run_command(
        Command::new("docker").args(["image", "inspect", "--format", "{{.Id}}", &image]),
    );
    if !inspect.status.success() {
        return Err(format!(
            "frontend image {image} is not loaded (run hack/image):\n{}",
            inspect.text()
        ));
    }
    Ok(())
}

/// A name no other test, process or earlier run uses: lower case, fit for image tags.
fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let prefix: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    format!(
        "{prefix}-{}-{}-{nanos:09}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// What a finished command left behind.
struct Finished {
    command: String,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Finished {
    fn text(&self) -> String {
        format!(
            "$ {}\n--- exit: {}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.command, self.status, self.stdout, self.stderr
        )
    }

    /// stdout and stderr together (buildx writes its progress and errors to stderr).
    fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    fn assert_success(&self) {
        assert!(self.status.success(), "command failed:\n{}", self.text());
    }

    fn assert_failure(&self) {
        assert!(
            !self.status.success(),
            "command unexpectedly succeeded:\n{}",
            self.text()
        );
    }
}

/// Runs a command with no stdin, collecting its output; kills it after COMMAND_TIMEOUT.
fn run_command(command: &mut Command) -> Finished {
    let line = format!(
        "{} {}",
        command.get_program().to_string_lossy(),
        command
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start `{line}`: {e}"));
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + COMMAND_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for a child process") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let status = child.wait().expect("waiting for a killed child process");
            panic!(
                "`{line}` did not finish within {COMMAND_TIMEOUT:?} ({status}); output so far:\n{}{}",
                stdout.join().unwrap_or_default(),
                stderr.join().unwrap_or_default()
            );
        }
        thread::sleep(Duration::from_millis(50));
    };
    Finished {
        command: line,
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn docker(args: &[&str]) -> Finished {
    run_command(Command::new("docker").args(args))
}

/// A directory under the system's temp dir, removed on drop — unless the test failed,
/// in which case it is kept and its path printed, to look at the fixture.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = env::temp_dir().join(unique(&format!("stagefile-e2e-{name}")));
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if thread::panicking() {
            eprintln!("fixture kept in {}", self.0.display());
        } else {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// A tagged image, removed from the engine on drop.
struct Image {
    tag: String,
}

impl Image {
    /// `docker run --rm` of the image (no network) with the given arguments.
    fn run(&self, args: &[&str]) -> Finished {
        let mut all = vec!["run", "--rm", "--network", "none", self.tag.as_str()];
        all.extend_from_slice(args);
        docker(&all)
    }

    /// Like `run`, asserting success; returns stdout.
    fn run_ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        run.assert_success();
        run.stdout
    }

    /// `docker image inspect --format FORMAT`, trimmed.
    fn inspect(&self, format: &str) -> String {
        let inspect = docker(&["image", "inspect", "--format", format, &self.tag]);
        inspect.assert_success();
        inspect.stdout.trim().to_owned()
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        let _ = docker(&["image", "rm", "--force", &self.tag]);
    }
}

/// One build of a fixture through the frontend image:
/// `Build::new().stagefile("…").file("main.go", "…").arg("--target").arg("x").run()`.
struct Build {
    dir: TempDir,
    args: Vec<String>,
    classic: bool,
}

impl Build {
    fn new() -> Build {
        Build {
            dir: TempDir::new(&test_name()),
            args: Vec::new(),
            classic: false,
        }
    }

    /// A copy of `examples/NAME`, its syntax line pointed at the frontend image under test.
    fn example(name: &str) -> Build {
        let build = Build::new();
        copy_tree(&repo_root().join("examples").join(name), build.dir.path());
        let stagefile = build.path("Stagefile");
        let text = fs::read_to_string(&stagefile).expect("the example has a Stagefile");
        let body = text.split_once('\n').map_or("", |(first, rest)| {
            assert!(
                first.starts_with("# syntax="),
                "examples/{name}/Stagefile must start with a syntax line"
            );
            rest
        });
        fs::write(&stagefile, format!("{}{body}", syntax_line())).unwrap();
        build
    }

    /// Writes `Stagefile`: the syntax line naming the frontend image, then `body`.
    fn stagefile(self, body: &str) -> Build {
        self.file("Stagefile", &format!("{}{body}", syntax_line()))
    }

    /// Writes a file of the build context (parents created).
    fn file(self, path: &str, contents: &str) -> Build {
        let path = self.path(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        self
    }

    fn arg(mut self, arg: &str) -> Build {
        self.args.push(arg.to_owned());
        self
    }

    fn target(self, target: &str) -> Build {
        self.arg("--target").arg(target)
    }

    /// Build with `DOCKER_BUILDKIT=1 docker build` instead of `docker buildx build --load`.
    fn classic(mut self) -> Build {
        self.classic = true;
        self
    }

    /// A path inside the fixture (to read or edit between builds).
    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// The text of the fixture's Stagefile, as sent.
    fn stagefile_text(&self) -> String {
        fs::read_to_string(self.path("Stagefile")).expect("the fixture has a Stagefile")
    }

    /// Runs the build (with plain progress) into a new uniquely tagged image.
    fn run(&self) -> Built {
        self.run_with(&[])
    }

    /// Like `run`, with more arguments after those given with `arg` (the fixture's files
    /// stay as they are, so one fixture can be built several ways).
    fn run_with(&self, extra: &[&str]) -> Built {
        let image = Image {
            tag: format!("{}:e2e", unique(&format!("stagefile-e2e-{}", test_name()))),
        };
        let dir = self
            .dir
            .path()
            .to_str()
            .expect("a UTF-8 temp dir")
            .to_owned();
        let stagefile = format!("{dir}/Stagefile");
        let mut command = Command::new("docker");
        if self.classic {
            command.env("DOCKER_BUILDKIT", "1").arg("build");
        } else {
            command.args(["buildx", "build", "--load"]);
        }
        command
            .args(["--progress=plain", "-t", &image.tag, "-f", &stagefile])
            .args(&self.args)
            .args(extra)
            .arg(&dir);
        Built {
            finished: run_command(&mut command),
            image,
        }
    }
}

fn syntax_line() -> String {
    format!("# syntax={}\n", frontend_image())
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display())) {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A finished build and the image it was tagged into (removed on drop).
struct Built {
    finished: Finished,
    image: Image,
}

impl Built {
    fn success(self) -> Built {
        self.finished.assert_success();
        self
    }

    fn failure(self) -> Built {
        self.finished.assert_failure();
        self
    }

    fn output(&self) -> String {
        self.finished.output()
    }

    /// Asserts the output points at one of `lines` of the Stagefile (`Stagefile:N` or `line N`).
    fn assert_names_line(&self, lines: &[usize]) {
        let named = named_lines(&self.output());
        assert!(
            lines.iter().any(|line| named.contains(line)),
            "expected the output to name Stagefile line {lines:?}; it names {named:?}:\n{}",
            self.finished.text()
        );
    }

    fn assert_output_contains(&self, needle: &str) {
        assert!(
            self.output()
                .to_lowercase()
                .contains(&needle.to_lowercase()),
            "expected the output to contain {needle:?}:\n{}",
            self.finished.text()
        );
    }
}

/// 1-based number of the only line of `text` containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    let found: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains(needle))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{needle:?} must be on exactly one line of:\n{text}"
    );
    found[0]
}

/// Line numbers named in build output as `Stagefile:N` or `line N`.
fn named_lines(output: &str) -> Vec<usize> {
    let mut lines = Vec::new();
    for marker in ["Stagefile:", "line "] {
        for (at, _) in output.match_indices(marker) {
            let digits: String = output[at + marker.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(n) = digits.parse() {
                lines.push(n);
            }
        }
    }
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// Vertices of `--progress=plain` output: name (first line of each `#N`) → cached.
fn vertices(output: &str) -> BTreeMap<u32, (String, bool)> {
    let mut vertices: BTreeMap<u32, (String, bool)> = BTreeMap::new();
    for line in output.lines() {
        let Some(rest) = line.strip_prefix('#') else {
            continue;
        };
        let Some((id, text)) = rest.split_once(' ') else {
            continue;
        };
        let Ok(id) = id.parse::<u32>() else { continue };
        let entry = vertices
            .entry(id)
            .or_insert_with(|| (text.to_owned(), false));
        if text.trim() == "CACHED" {
            entry.1 = true;
        }
    }
    vertices
}

/// The one vertex whose name contains `needle`: (name, cached).
fn vertex(output: &str, needle: &str) -> (String, bool) {
    let found: Vec<(String, bool)> = vertices(output)
        .into_values()
        .filter(|(name, _)| name.contains(needle))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one build step named like {needle:?}, found {found:?} in:\n{output}"
    );
    found.into_iter().next().unwrap()
}

// ---------------------------------------------------------------------------------------
// The Go example
// ---------------------------------------------------------------------------------------

#[test]
fn go_example_builds_and_runs() {
    if !engine_enabled() {
        return;
    }
    let built = Build::example("go").run().success();
    assert_eq!(
        built.image.run_ok(&["hello"]).trim(),
        "hello from stagefile"
    );
    assert_eq!(
        built.image.inspect("{{json .Config.Entrypoint}}"),
        r#"["/server"]"#
    );
    assert_eq!(built.image.inspect("{{.Config.User}}"), "65532:65532");
    assert_eq!(
        built.image.inspect("{{json .Config.ExposedPorts}}"),
        r#"{"8080/tcp":{}}"#
    );
    // FROM scratch plus one copy: the runtime image is a single layer.
    assert_eq!(built.image.inspect("{{len .RootFS.Layers}}"), "1");
}

#[test]
fn go_example_builds_with_classic_docker_build() {
    if !engine_enabled() {
        return;
    }
    let built = Build::example("go").classic().run().success();
    assert_eq!(
        built.image.run_ok(&["hello"]).trim(),
        "hello from stagefile"
    );
    assert_eq!(
        built.image.inspect("{{json .Config.Entrypoint}}"),
        r#"["/server"]"#
    );
}

#[test]
fn target_builds_an_intermediate_stage() {
    if !engine_enabled() {
        return;
    }
    let built = Build::example("go").target("build").run().success();
    assert_eq!(
        built.image.run_ok(&["ls", "/out/server"]).trim(),
        "/out/server"
    );
    assert_eq!(
        built.image.run_ok(&["/out/server", "hello"]).trim(),
        "hello from stagefile"
    );
}

#[test]
fn editing_a_source_reruns_only_the_compile_step() {
    if !engine_enabled() {
        return;
    }
    let build = Build::example("go");
    build.run().success();

    // A greeting no earlier run has compiled, so the layer cache cannot hold the result.
    let greeting = format!("hello from {}", unique("an edited stagefile"));
    let main_go = build.path("main.go");
    let source = fs::read_to_string(&main_go).unwrap();
    assert!(source.contains("\"hello from stagefile\""));
    let edited = source.replace("\"hello from stagefile\"", &format!("{greeting:?}"));
    fs::write(&main_go, edited).unwrap();

    let second = build.run().success();
    let output = second.output();
    let (download, download_cached) = vertex(&output, "go mod download");
    assert!(
        download_cached,
        "{download:?} should be CACHED in the second build:\n{output}"
    );
    let (compile, compile_cached) = vertex(&output, "go build");
    assert!(
        !compile_cached,
        "{compile:?} should run again in the second build:\n{output}"
    );
    assert_eq!(second.image.run_ok(&["hello"]).trim(), greeting);
}

// ---------------------------------------------------------------------------------------
// Build semantics
// ---------------------------------------------------------------------------------------

#[test]
fn unreachable_stages_are_not_built() {
    if !engine_enabled() {
        return;
    }
    let built = Build::new()
        .stagefile(
            "\
stages:
  broken:
    from: busybox:1.35
    steps:
      - run: exit 1
  app:
    from: busybox:1.35
    steps:
      - run: echo built > /result
",
        )
        .run()
        .success();
    assert_eq!(built.image.run_ok(&["cat", "/result"]).trim(), "built");
}

#[test]
fn cache_mount_keeps_content_between_builds() {
    if !engine_enabled() {
        return;
    }
    // A cache id of this run only, so that no other build has touched the cache; TOKEN is
    // used by both steps, so each build runs its step whatever the layer cache holds.
    let cache_id = unique("stagefile-e2e-cache");
    let build = Build::new().stagefile(&format!(
        "\
args:
  TOKEN: none
stages:
  write:
    from: busybox:1.35
    steps:
      - run: echo \"$TOKEN $(date)\" > /cache/stamp && cp /cache/stamp /written
        cache: {{ target: /cache, id: {cache_id} }}
  read:
    from: busybox:1.35
    steps:
      - run: echo \"reading for $TOKEN\" && cp /cache/stamp /stamp
        cache: {{ target: /cache, id: {cache_id} }}
"
    ));
    let first_token = unique("first");
    let first = build
        .run_with(&[
            "--target",
            "write",
            "--build-arg",
            &format!("TOKEN={first_token}"),
        ])
        .success();
    let written = first.image.run_ok(&["cat", "/written"]);
    assert!(
        written.starts_with(&format!("{first_token} ")),
        "unexpected stamp {written:?}"
    );

    let second_token = unique("second");
    let second = build
        .run_with(&[
            "--target",
            "read",
            "--build-arg",
            &format!("TOKEN={second_token}"),
        ])
        .success();
    let read = second.image.run_ok(&["cat", "/stamp"]);
    assert_eq!(
        read, written,
        "the second build should see the file the first one left in the cache mount"
    );
}

// ---------------------------------------------------------------------------------------
// Errors, as `docker buildx build` shows them
// ---------------------------------------------------------------------------------------

#[test]
fn misspelt_key_names_the_line_and_suggests_the_key() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "\
stages:
  app:
    form: busybox:1.35
    steps:
      - run: echo hi
",
    );
    let line = line_of(&build.stagefile_text(), "form:");
    let built = build.run().failure();
    built.assert_names_line(&[line]);
    built.assert_output_contains("did you mean");
    built.assert_output_contains("from");
}

#[test]
fn unknown_copy_from_stage_names_the_line() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "\
stages:
  build:
    from: busybox:1.35
    steps:
      - run: echo hi > /hi
  app:
    from: busybox:1.35
    steps:
      - copy: /hi
        from: biuld
        to: /hi
",
    );
    let text = build.stagefile_text();
    let lines = [line_of(&text, "- copy: /hi"), line_of(&text, "from: biuld")];
    let built = build.run().failure();
    built.assert_names_line(&lines);
    built.assert_output_contains("biuld");
}

#[test]
fn stage_cycle_names_the_line() {
    if !engine_enabled() {
        return;
    }
    // The target (the last stage) is on the cycle, so the cycle is reachable.
    let build = Build::new().stagefile(
        "\
stages:
  first:
    from: second
  second:
    from: first
",
    );
    let text = build.stagefile_text();
    let lines = [
        line_of(&text, "first:"),
        line_of(&text, "from: second"),
        line_of(&text, "second:"),
        line_of(&text, "from: first"),
    ];
    let built = build.run().failure();
    built.assert_names_line(&lines);
    built.assert_output_contains("cycle");
}

#[test]
fn failing_run_names_its_line() {
    if !engine_enabled() {
        return;
    }
    let build = Build::new().stagefile(
        "\
stages:
  app:
    from: busybox:1.35
    steps:
      - run: echo before
      - run: echo failing && exit 3
      - run: echo after
",
    );
    let line = line_of(&build.stagefile_text(), "exit 3");
    let built = build.run().failure();
    built.assert_names_line(&[line]);
    built.assert_output_contains("exit code: 3");
}

// ---------------------------------------------------------------------------------------
// The CLI (no engine needed)
// ---------------------------------------------------------------------------------------

fn stagefile(args: &[&str]) -> Finished {
    run_command(
        Command::new(env!("CARGO_BIN_EXE_stagefile"))
            .args(args)
            .current_dir(repo_root()),
    )
}

#[test]
fn go_example_passes_check() {
    stagefile(&["check", "examples/go/Stagefile"]).assert_success();
}

#[test]
fn llb_output_is_deterministic() {
    let dir = TempDir::new("llb");
    let multi = dir.path().join("Stagefile");
    fs::write(
        &multi,
        "\
args:
  GREETING: hello
stages:
  base:
    from: busybox:1.35
    env: { A: \"1\", B: \"2\", C: \"3\" }
    steps:
      - run: echo $GREETING > /greeting
  left:
    from: base
    steps:
      - run: echo left > /left
  right:
    from: base
    steps:
      - run: echo right > /right
  app:
    from: busybox:1.35
    labels: { z: last, a: first, m: middle }
    steps:
      - copy: /left
        from: left
      - copy: /right
        from: right
      - copy: /greeting
        from: base
",
    )
    .unwrap();
    let multi = multi.to_str().unwrap();
    for args in [
        vec!["llb", "examples/go/Stagefile"],
        vec!["llb", "examples/go/Stagefile", "--target", "build"],
        vec!["llb", multi],
        vec!["llb", multi, "--build-arg", "GREETING=bonjour"],
    ] {
        let first = stagefile(&args);
        first.assert_success();
        assert!(
            !first.stdout.is_empty(),
            "`stagefile {}` printed nothing",
            args.join(" ")
        );
        for _ in 0..2 {
            let again = stagefile(&args);
            again.assert_success();
            assert!(
                again.stdout == first.stdout,
                "`stagefile {}` printed different bytes on another run",
                args.join(" ")
            );
        }
    }
    let hello = stagefile(&["llb", multi]);
    let bonjour = stagefile(&["llb", multi, "--build-arg", "GREETING=bonjour"]);
    assert!(
        hello.stdout != bonjour.stdout,
        "a build arg used by a step must change the LLB"
    );
}

#[test]
fn line_helpers_parse_build_output() {
    assert_eq!(
        named_lines("Stagefile:12\n--------\n  12 | >>> x\nerror at line 3, column 4"),
        vec![3, 12]
    );
    assert_eq!(named_lines("Stagefile:\nline x"), Vec::<usize>::new());
    let plain = "#5 [build 3/5] RUN go mod download\n#5 CACHED\n\n#6 [build 5/5] RUN go build -o /out/server .\n#6 0.1 compiling\n#6 DONE 2.0s\n";
    assert_eq!(
        vertex(plain, "go mod download"),
        ("[build 3/5] RUN go mod download".to_owned(), true)
    );
    assert_eq!(
        vertex(plain, "go build"),
        (
            "[build 5/5] RUN go build -o /out/server .".to_owned(),
            false
        )
    );
    assert_eq!(line_of("a\nb: x\nc", "b:"), 2);
}
