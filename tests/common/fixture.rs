//! Fixtures and their builds: temporary directories, tagged images removed on drop, and
//! `Build`, which writes a Stagefile (with the syntax line naming the frontend image) and
//! its files and runs `docker buildx build` on them.

use super::*;

/// A directory under the system's temp dir, removed on drop — unless the test failed,
/// in which case it is kept and its path printed, to look at the fixture.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let path = env::temp_dir().join(unique(&format!("stagefile-e2e-{name}")));
        fs::create_dir_all(&path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
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
pub struct Image {
    pub tag: String,
}

impl Image {
    /// `docker run --rm` of the image (no network) with the given arguments.
    pub fn run(&self, args: &[&str]) -> Finished {
        let mut all = vec!["run", "--rm", "--network", "none", self.tag.as_str()];
        all.extend_from_slice(args);
        docker(&all)
    }

    /// Like `run`, asserting success; returns stdout.
    pub fn run_ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        run.assert_success();
        run.stdout
    }

    /// `docker image inspect --format FORMAT`, trimmed.
    pub fn inspect(&self, format: &str) -> String {
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
pub struct Build {
    dir: TempDir,
    args: Vec<String>,
    classic: bool,
}

impl Build {
    pub fn new() -> Build {
        Build {
            dir: TempDir::new(&test_name()),
            args: Vec::new(),
            classic: false,
        }
    }

    /// A copy of `examples/NAME`, its syntax line pointed at the frontend image under test.
    pub fn example(name: &str) -> Build {
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

    /// Points the fixture's Stagefile syntax line at another frontend image.
    pub fn syntax(self, image: &str) -> Build {
        let text = self.stagefile_text();
        let body = text.split_once('\n').map_or("", |(_, rest)| rest);
        self.file("Stagefile", &format!("# syntax={image}\n{body}"))
    }

    /// Writes `Stagefile`: the syntax line naming the frontend image, then `body`.
    pub fn stagefile(self, body: &str) -> Build {
        self.file("Stagefile", &format!("{}{body}", syntax_line()))
    }

    /// Writes a file of the build context (parents created).
    pub fn file(self, path: &str, contents: &str) -> Build {
        let path = self.path(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, contents).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
        self
    }

    pub fn arg(mut self, arg: &str) -> Build {
        self.args.push(arg.to_owned());
        self
    }

    pub fn target(self, target: &str) -> Build {
        self.arg("--target").arg(target)
    }

    /// Build with `DOCKER_BUILDKIT=1 docker build` instead of `docker buildx build --load`.
    pub fn classic(mut self) -> Build {
        self.classic = true;
        self
    }

    /// The fixture's directory (the build context).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the fixture (to read or edit between builds).
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// The text of the fixture's Stagefile, as sent.
    pub fn stagefile_text(&self) -> String {
        fs::read_to_string(self.path("Stagefile")).expect("the fixture has a Stagefile")
    }

    /// Runs the build (with plain progress) into a new uniquely tagged image.
    pub fn run(&self) -> Built {
        self.run_with(&[])
    }

    /// Like `run`, with more arguments after those given with `arg` (the fixture's files
    /// stay as they are, so one fixture can be built several ways).
    pub fn run_with(&self, extra: &[&str]) -> Built {
        self.run_file("Stagefile", extra)
    }

    /// Like `run_with`, for another build file of the fixture (`-f FILE`), e.g. a
    /// `Dockerfile` to compare with the builtin frontend.
    pub fn run_file(&self, file: &str, extra: &[&str]) -> Built {
        self.run_into(file, extra, true)
    }

    /// Like `run_file`, without `--load` and a tag: for builds whose `--output` sends the
    /// image elsewhere (an archive, a directory, a registry).
    pub fn run_file_without_load(&self, file: &str, extra: &[&str]) -> Built {
        self.run_into(file, extra, false)
    }

    fn run_into(&self, file: &str, extra: &[&str], load: bool) -> Built {
        let image = Image {
            tag: format!("{}:e2e", unique(&format!("stagefile-e2e-{}", test_name()))),
        };
        let dir = self
            .dir
            .path()
            .to_str()
            .expect("a UTF-8 temp dir")
            .to_owned();
        let stagefile = format!("{dir}/{file}");
        let mut command = Command::new("docker");
        if self.classic {
            command.env("DOCKER_BUILDKIT", "1").arg("build");
        } else {
            command.args(["buildx", "build"]);
        }
        if load {
            // `docker build` loads what it builds; buildx needs `--load` to.
            if !self.classic {
                command.arg("--load");
            }
            command.args(["-t", &image.tag]);
        }
        command
            .args(["--progress=plain", "-f", &stagefile])
            .args(&self.args)
            .args(extra)
            .arg(&dir);
        let _gate = gate::shared_build();
        Built {
            finished: run_command(&mut command),
            image,
        }
    }
}

/// `docker buildx build --progress=plain -f DIR/Stagefile ARGS… DIR`, with the given
/// environment variables; no image is tagged or loaded unless ARGS ask for it.
pub fn buildx(build: &Build, env: &[(&str, &str)], args: &[&str]) -> Finished {
    let dir = build.dir().to_str().expect("a UTF-8 temp dir").to_owned();
    let _gate = gate::shared_build();
    run_command(
        Command::new("docker")
            .envs(env.iter().copied())
            .args(["buildx", "build", "--progress=plain", "-f"])
            .arg(format!("{dir}/Stagefile"))
            .args(args)
            .arg(&dir),
    )
}

/// A Stagefile two lint rules object to: a base named without a tag that exists only in
/// the engine's store (UnpinnedBaseImage, on the `from` line) and a final stage with no
/// `user` (RootUser, on the stage's line). The tag is removed when the image guard drops.
pub fn linted_fixture() -> (Build, Image) {
    let unpinned = unique("stagefile-e2e-unpinned");
    docker(&["tag", "busybox:1.35", &unpinned]).assert_success();
    let tagged = Image {
        tag: format!("{unpinned}:latest"),
    };
    let build = Build::new().stagefile(&format!(
        "\
stages:
  app:
    from: {unpinned}
    steps:
      - run: echo hi > /hi
"
    ));
    (build, tagged)
}

pub fn syntax_line() -> String {
    format!("# syntax={}\n", frontend_image())
}

pub fn copy_tree(from: &Path, to: &Path) {
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
pub struct Built {
    pub finished: Finished,
    pub image: Image,
}

impl Built {
    pub fn success(self) -> Built {
        self.finished.assert_success();
        self
    }

    pub fn failure(self) -> Built {
        self.finished.assert_failure();
        self
    }

    pub fn output(&self) -> String {
        self.finished.output()
    }

    /// Asserts a failure in the engine is located: at one of `lines` of the Stagefile, or,
    /// on an engine whose BuildKit reports no source lines with errors (Docker 20.10), at
    /// the failed step, whose vertex name contains `step`.
    #[allow(dead_code)] // not every test binary checks a step's failure
    pub fn assert_located(&self, lines: &[usize], step: &str) {
        if old_engine() {
            notice("this engine reports no source lines with errors; checking the step name");
            self.assert_output_contains(step);
            self.assert_output_contains("ERROR");
        } else {
            self.assert_names_line(lines);
        }
    }

    /// Asserts the output points at one of `lines` of the Stagefile (`Stagefile:N` or `line N`).
    pub fn assert_names_line(&self, lines: &[usize]) {
        let named = named_lines(&self.output());
        assert!(
            lines.iter().any(|line| named.contains(line)),
            "expected the output to name Stagefile line {lines:?}; it names {named:?}:\n{}",
            self.finished.text()
        );
    }

    pub fn assert_output_contains(&self, needle: &str) {
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
pub fn line_of(text: &str, needle: &str) -> usize {
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
