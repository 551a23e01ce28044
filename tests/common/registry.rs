//! A throwaway registry for push and cache tests.

use super::{Background, TempDir, free_port, require_programs, wait_for_port};
use std::fs;
use std::process::Command;
use std::time::Duration;

/// Debian's `docker-registry` (distribution 2.8) on a free port of 127.0.0.1, storing
/// into a temporary folder; stopped and removed on drop. The daemon treats registries on
/// 127.0.0.0/8 as insecure, so plain HTTP is fine.
pub struct Registry {
    port: u16,
    // Dropped in this order: the process first, then its folder.
    _process: Background,
    dir: TempDir,
}

impl Registry {
    pub fn start() -> Registry {
        require_programs(&["docker-registry"], "docker-registry");
        let dir = TempDir::new("registry");
        let config = dir.path().join("config.yml");
        let log = dir.path().join("registry.log");
        for _ in 0..5 {
            let port = free_port();
            fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    \
                     rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                    dir.path().join("data").display()
                ),
            )
            .unwrap();
            let mut process = Background::spawn(
                Command::new("docker-registry").arg("serve").arg(&config),
                &log,
            );
            // Up when it answers; a port taken meanwhile makes it exit: try another.
            // A hang guard on start-up; the registry answers in well under a second.
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while process.exited().is_none() && std::time::Instant::now() < deadline {
                if wait_for_port(port, Duration::from_millis(200)) {
                    return Registry {
                        port,
                        _process: process,
                        dir,
                    };
                }
            }
        }
        panic!(
            "docker-registry did not start on 127.0.0.1 (5 tries):\n{}",
            fs::read_to_string(&log).unwrap_or_default()
        );
    }

    pub fn reference(&self, repository: &str, tag: &str) -> String {
        format!("{}/{repository}:{tag}", self.address())
    }

    /// `127.0.0.1:PORT`, the registry's host as references name it.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default()
    }
}
