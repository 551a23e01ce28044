//! `healthcheck.test` in each of its forms, and the durations of a health check.
//!
//! A string runs through the container's shell; a plain list runs as is; a list that
//! starts with `CMD`, `CMD-SHELL` or `NONE` is Docker's own form, as compose files write
//! it, and is taken as such rather than run as a program named `CMD`.

use crate::spec::Command;

/// What the container runtime runs to check the container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthTest {
    /// `[NONE]`: no check, not even an inherited one.
    Disabled,
    /// Arguments run as is.
    Exec(Vec<String>),
    /// A command line for the container's shell.
    Shell(String),
}

impl HealthTest {
    /// The image config's `Healthcheck.Test`.
    pub fn to_docker(&self) -> Vec<String> {
        match self {
            HealthTest::Disabled => vec!["NONE".to_owned()],
            HealthTest::Exec(args) => std::iter::once("CMD".to_owned())
                .chain(args.iter().cloned())
                .collect(),
            HealthTest::Shell(line) => vec!["CMD-SHELL".to_owned(), line.clone()],
        }
    }
}

/// Why a test cannot run: the message and what to write instead.
#[derive(Debug, PartialEq, Eq)]
pub struct BadTest {
    pub message: &'static str,
    pub help: &'static str,
}

pub fn test(command: &Command) -> Result<HealthTest, BadTest> {
    let empty = BadTest {
        message: "`test` is empty",
        help: "give the command that checks the container, e.g. [CMD, curl, -f, http://localhost/]",
    };
    let args = match command {
        Command::Shell(line) if line.trim().is_empty() => return Err(empty),
        Command::Shell(line) => return Ok(HealthTest::Shell(line.clone())),
        Command::Exec(args) => args,
    };
    match args.split_first() {
        None => Err(empty),
        Some((first, [])) if first == "NONE" => Ok(HealthTest::Disabled),
        Some((first, _)) if first == "NONE" => Err(BadTest {
            message: "`NONE` disables the health check and takes nothing after it",
            help: "write [NONE], or give a command",
        }),
        Some((first, [])) if first == "CMD" || first == "CMD-SHELL" => Err(empty),
        Some((first, rest)) if first == "CMD" => Ok(HealthTest::Exec(rest.to_vec())),
        Some((first, [line])) if first == "CMD-SHELL" => {
            if line.trim().is_empty() {
                Err(empty)
            } else {
                Ok(HealthTest::Shell(line.clone()))
            }
        }
        Some((first, _)) if first == "CMD-SHELL" => Err(BadTest {
            message: "`CMD-SHELL` takes one command line",
            help: "write the command as one string: [CMD-SHELL, \"curl -f http://localhost/ || exit 1\"]",
        }),
        Some(_) => Ok(HealthTest::Exec(args.clone())),
    }
}

/// Go-style durations as Docker's HEALTHCHECK takes them: `1m30s`, `500ms`, `2h`.
pub fn parse_duration(text: &str) -> Option<i64> {
    let mut total: i64 = 0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let n_end = rest.find(|c: char| !c.is_ascii_digit())?;
        let n: i64 = rest[..n_end].parse().ok()?;
        rest = &rest[n_end..];
        let u_end = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = match &rest[..u_end] {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = &rest[u_end..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(args: &[&str]) -> Command {
        Command::Exec(args.iter().map(|a| a.to_string()).collect())
    }

    fn docker(command: Command) -> Vec<String> {
        test(&command).unwrap().to_docker()
    }

    #[test]
    fn the_documented_forms_keep_working() {
        assert_eq!(
            docker(Command::Shell("curl -f http://x/".into())),
            ["CMD-SHELL", "curl -f http://x/"]
        );
        assert_eq!(
            docker(exec(&["curl", "-f", "http://x/"])),
            ["CMD", "curl", "-f", "http://x/"]
        );
        assert_eq!(docker(exec(&["NONE"])), ["NONE"]);
    }

    #[test]
    fn dockers_list_form_is_taken_as_such() {
        assert_eq!(
            docker(exec(&["CMD", "curl", "-f", "http://x/"])),
            ["CMD", "curl", "-f", "http://x/"]
        );
        assert_eq!(
            docker(exec(&["CMD-SHELL", "curl -f http://x/ || exit 1"])),
            ["CMD-SHELL", "curl -f http://x/ || exit 1"]
        );
        // Case matters, as for Docker: a lower-case `cmd` is a program.
        assert_eq!(docker(exec(&["cmd", "x"])), ["CMD", "cmd", "x"]);
    }

    #[test]
    fn forms_that_could_never_run_are_refused() {
        for bad in [
            exec(&[]),
            exec(&["CMD"]),
            exec(&["CMD-SHELL"]),
            exec(&["CMD-SHELL", " "]),
            exec(&["CMD-SHELL", "curl", "-f"]),
            exec(&["NONE", "x"]),
            Command::Shell("  ".into()),
        ] {
            assert!(test(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn durations_read_as_go_does() {
        assert_eq!(parse_duration("1m30s"), Some(90_000_000_000));
        assert_eq!(parse_duration("500ms"), Some(500_000_000));
        assert_eq!(parse_duration("2h"), Some(7_200_000_000_000));
        assert_eq!(parse_duration("10"), None);
        assert_eq!(parse_duration("1d"), None);
        assert_eq!(parse_duration(""), None);
    }
}
