//! Hostile input: every file in `tests/hostile/` must be refused with the error written
//! in its header, at the right line and column, quickly, and without a panic. Inputs too
//! big or too binary to commit are built in code, in `tests/hostile_generated/mod.rs`.
//!
//! A case file starts with header comments (read by `tests/hostile_cases/mod.rs`, shared
//! with the engine sample in `tests/e2e_hostile.rs`):
//!
//! ```yaml
//! # expect: 7:15 no stage is named `biuld`
//! # with: target=app
//! ```
//!
//! Each `expect` line names a line, a column, optionally the code (`[YamlTooDeep]`), and a
//! piece of the message, and after ` | `
//! optionally a piece of the hint; there must be exactly one diagnostic per `expect` line. `with` sets a build option: `target=NAME`,
//! `build-arg=NAME=VALUE`, `platform=OS/ARCH`, `context=NAME=VALUE` (a named context).
//! `HOSTILE_SHOW=1 cargo test --test hostile` prints every case's diagnostics.

mod hostile_cases;
mod hostile_generated;

use hostile_cases::{Expect, With, corpus_dir};
use hostile_generated::{alias_bomb, fifty_megabytes, generated_cases};
use stagefile::compile;
use stagefile::diag::Diagnostic;
use stagefile::lower::LowerOptions;
use stagefile::plan::{self, BuildOptions};
use stagefile::platform::Platform;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A hang guard, not a performance assertion: real cases take milliseconds. A case still
/// running past it is taken to never finish and fails; times are only printed.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// How many errors a file with thousands of them may report (the rest are left out).
const MAX_REPORTED: usize = 101;

struct Case {
    name: String,
    bytes: Vec<u8>,
    expects: Vec<Expect>,
    /// `None`: exactly one diagnostic per expectation; `Some(n)`: the expected ones
    /// among at most `n` (for inputs with thousands of errors).
    max_errors: Option<usize>,
    /// The file plans, and lowering it is what must fail.
    plan_accepts: bool,
    opts: BuildOptions,
}

/// The compiler's build options for a case's `# with:` lines.
fn build_options(with: &[With]) -> Result<BuildOptions, String> {
    let mut opts = BuildOptions::default();
    for option in with {
        match option {
            With::Target(name) => opts.target = Some(name.clone()),
            With::Platform(value) => opts.target_platform = Platform::parse(value)?,
            With::BuildArg(k, v) => {
                opts.build_args.insert(k.clone(), v.clone());
            }
            With::Context(k, v) => {
                opts.named_contexts
                    .insert(k.clone(), plan::named_context(v)?);
            }
        }
    }
    Ok(opts)
}

fn file_cases() -> Vec<Case> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/hostile exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            let header = hostile_cases::header(&name, &text).unwrap_or_else(|e| panic!("{e}"));
            let opts = build_options(&header.with).unwrap_or_else(|e| panic!("{e}"));
            let expects = header.expects;
            Case {
                name,
                bytes,
                expects,
                max_errors: None,
                plan_accepts: header.refused_by_lowering,
                opts,
            }
        })
        .collect()
}

/// Runs `f`, turning a panic into an error that names the case.
fn guarded<T>(name: &str, what: &str, f: impl FnOnce() -> T) -> Result<(T, Duration), String> {
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(f));
    let took = start.elapsed();
    match result {
        Ok(v) if took <= HANG_GUARD => Ok((v, took)),
        Ok(_) => Err(format!(
            "{name}: {what} still ran after {took:?} (hang guard {HANG_GUARD:?})"
        )),
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("{name}: {what} panicked: {msg}"))
        }
    }
}

/// Compares diagnostics with the expectations; a `0:0` expectation with an empty
/// message (used by generated cases whose exact wording belongs to the YAML parser)
/// only asks for one located error.
fn compare(name: &str, what: &str, c: &Case, diags: &[Diagnostic]) -> Vec<String> {
    let expects = &c.expects;
    let mut problems = Vec::new();
    let shown = || {
        diags
            .iter()
            .map(|d| format!("    {}", d.one_line(name)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for d in diags {
        if !d.span.is_known() {
            problems.push(format!("{name}: {what}: unlocated error: {d}"));
        }
        if !d.is_error() {
            problems.push(format!("{name}: {what}: a warning among the errors: {d}"));
        }
    }
    let count_ok = match c.max_errors {
        None => diags.len() == expects.len(),
        Some(max) => diags.len() <= max,
    };
    if !count_ok {
        problems.push(format!(
            "{name}: {what}: {} diagnostics for {} expectations:\n{}",
            diags.len(),
            expects.len(),
            shown()
        ));
    }
    for e in expects {
        let hit = diags.iter().any(|d| {
            (e.line == 0 || (d.span.line, d.span.column) == (e.line, e.column))
                && d.message.contains(&e.message)
                && e.code
                    .as_ref()
                    .is_none_or(|code| d.code.map(|c| c.name()) == Some(code.as_str()))
                && e.help
                    .as_ref()
                    .is_none_or(|h| d.help.as_ref().is_some_and(|dh| dh.contains(h.as_str())))
        });
        if !hit {
            problems.push(format!(
                "{name}: {what}: no diagnostic at {}:{} containing `{}`{}; got:\n{}",
                e.line,
                e.column,
                e.message,
                e.help
                    .as_ref()
                    .map_or(String::new(), |h| format!(" with the hint `{h}`")),
                shown()
            ));
        }
    }
    problems
}

/// One case through `plan` and through `compile`: refused, located, fast, no panic.
fn run_case(c: &Case) -> Vec<String> {
    let mut problems = Vec::new();
    let text = String::from_utf8_lossy(&c.bytes);
    let planned = guarded(&c.name, "plan", || compile::plan(&c.bytes, &c.opts));
    match planned {
        Err(p) => problems.push(p),
        Ok((Ok(_), _)) if c.plan_accepts => {}
        Ok((Ok(_), _)) => problems.push(format!("{}: plan accepted the file", c.name)),
        Ok((Err(diags), _)) if c.plan_accepts => {
            problems.push(format!("{}: plan refused the file: {diags:?}", c.name))
        }
        Ok((Err(diags), took)) => {
            if std::env::var_os("HOSTILE_SHOW").is_some() {
                eprintln!("== {} ({took:?})", c.name);
                for d in &diags {
                    eprintln!("{}", d.render(&c.name, &text));
                }
            }
            problems.extend(compare(&c.name, "plan", c, &diags));
            // Rendering the code frame must be safe too, whatever the span.
            if let Err(p) = guarded(&c.name, "render", || {
                for d in &diags {
                    d.render(&c.name, &text);
                    d.one_line(&c.name);
                }
            }) {
                problems.push(p);
            }
        }
    }
    let compiled = guarded(&c.name, "compile", || {
        compile::compile(&c.bytes, &c.opts, &LowerOptions::default()).map(|_| ())
    });
    match compiled {
        Err(p) => problems.push(p),
        Ok((Ok(()), _)) => problems.push(format!("{}: compile accepted the file", c.name)),
        Ok((Err(diags), took)) => {
            if std::env::var_os("HOSTILE_SHOW").is_some() {
                eprintln!("== {} compile ({took:?})", c.name);
            }
            problems.extend(compare(&c.name, "compile", c, &diags))
        }
    }
    problems
}

fn report(problems: Vec<String>, cases: usize) {
    assert!(
        problems.is_empty(),
        "{} problem(s) in {cases} cases:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn corpus_files_are_refused_where_their_header_says() {
    let cases = file_cases();
    assert!(
        cases.len() >= 50,
        "the corpus shrank to {} cases",
        cases.len()
    );
    let problems = cases.iter().flat_map(run_case).collect();
    report(problems, cases.len());
}

#[test]
fn generated_inputs_are_refused_quickly() {
    let cases = generated_cases();
    let problems = cases.iter().flat_map(run_case).collect();
    report(problems, cases.len());
}

#[test]
fn corpus_names_are_numbered_and_unique() {
    let mut numbers = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let (number, rest) = name.split_once('-').unwrap_or(("", ""));
        assert!(
            number.len() == 3 && number.bytes().all(|b| b.is_ascii_digit()),
            "{name}: want NNN-short-name.yaml"
        );
        assert!(rest.ends_with(".yaml"), "{name}: want a .yaml file");
        assert!(
            numbers.insert(number.to_owned()),
            "{name}: number used twice"
        );
    }
}

/// Legal files at the far end of what fits: many steps make a chain of ops as long as
/// the step count, which must be built, marshaled and freed without deep recursion.
#[test]
fn long_valid_files_compile_in_bounded_time() {
    let mut steps = String::from("stages:\n  app:\n    from: busybox:1.36\n    steps:\n");
    for i in 0..8_000 {
        steps.push_str(&format!("      - run: echo {i}\n"));
    }
    let mut chain = String::from("stages:\n  s0:\n    from: busybox:1.36\n");
    for i in 1..2_000 {
        chain.push_str(&format!(
            "  s{i}:\n    from: s{}\n    labels: {{ l{i}: x }}\n    steps:\n      - run: echo {i}\n",
            i - 1
        ));
    }
    for (name, text, ops) in [("steps", steps, 8_002), ("chain", chain, 2_001)] {
        let (result, took) = guarded(name, "compile", || {
            compile::compile(
                text.as_bytes(),
                &BuildOptions::default(),
                &LowerOptions::default(),
            )
        })
        .unwrap_or_else(|p| panic!("{p}"));
        let lowered = result.unwrap_or_else(|d| panic!("{name}: {:?}", &d[..d.len().min(3)]));
        assert_eq!(lowered.definition.def.len(), ops, "{name} ({took:?})");
    }
}

/// `stagefile check FILE` on a generated file: exits 1 with `want` on stderr, in time.
fn check_with_the_binary(name: &str, bytes: &[u8], want: &str) {
    let dir = std::env::temp_dir().join(format!("stagefile-hostile-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("Stagefile");
    std::fs::write(&file, bytes).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagefile"))
        .arg("check")
        .arg(&file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > HANG_GUARD * 2 {
            let _ = child.kill();
            let _ = child.wait();
            let _ = std::fs::remove_dir_all(&dir);
            panic!(
                "{name}: `stagefile check` still running after {:?}",
                start.elapsed()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(status.code(), Some(1), "{name}: {stderr}");
    assert!(stderr.contains(want), "{name}: want `{want}` in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{name}: {stderr}");
}

#[test]
fn the_binary_refuses_a_50_megabyte_file_without_reading_it_all() {
    check_with_the_binary(
        "big",
        &fifty_megabytes(),
        "the file is 52428800 bytes; a Stagefile may be at most",
    );
}

#[test]
fn the_binary_refuses_an_alias_bomb() {
    check_with_the_binary("bomb", alias_bomb().as_bytes(), "Stagefile:");
    let committed = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with("-billion-laughs.yaml"))
        .expect("the corpus has a billion-laughs case");
    let committed = std::fs::read(committed).unwrap();
    check_with_the_binary("bomb-file", &committed, "Stagefile:");
}
