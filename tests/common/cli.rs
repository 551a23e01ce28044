//! The offline commands' test builder, shared by `tests/cli.rs` and `tests/cli_llb.rs`: a
//! Stagefile in a fresh folder and one `stagefile` command run on it
//! (`Test::new(name, file).args(…).run()`), and a good file to run it on.

use std::path::PathBuf;
use std::process::{Command, Output};

/// A Stagefile in a fresh folder and one command run on it.
pub struct Test {
    dir: PathBuf,
    args: Vec<String>,
    stdin: Option<String>,
}

impl Test {
    pub fn new(name: &str, stagefile: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("stagefile-cli-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("Stagefile"), stagefile).unwrap();
        Test {
            dir,
            args: Vec::new(),
            stdin: None,
        }
    }

    /// Writes another file into the folder (parents created).
    pub fn file(self, path: &str, contents: &str) -> Self {
        let path = self.dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    /// Text piped to the command's standard input.
    pub fn stdin(mut self, text: &str) -> Self {
        self.stdin = Some(text.to_owned());
        self
    }

    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    pub fn run(self) -> Output {
        use std::io::Write;
        use std::process::Stdio;
        let mut child = Command::new(env!("CARGO_BIN_EXE_stagefile"))
            .args(&self.args)
            .current_dir(&self.dir)
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(text) = &self.stdin {
            let mut pipe = child.stdin.take().unwrap();
            pipe.write_all(text.as_bytes()).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
        out
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub const GOOD: &str = "stages:\n  build:\n    from: busybox:1.35\n    steps:\n      - run: echo hi > /x\n  app:\n    from: scratch\n    steps:\n      - copy: /x\n        from: build\n";
