//! The offline commands: `check`, `llb`, `outline` and `expand`.

mod includes;

pub use includes::Dirs;

use crate::compile;
use crate::diag::{Diagnostic, Span};
use crate::include::Files;
use crate::llb::SourceMap;
use crate::lower::{self, LowerOptions};
use crate::plan::BuildOptions;
use crate::spec::MAX_FILE_BYTES;
use prost::Message;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

/// The file argument that means standard input.
const STDIN_ARG: &str = "-";

/// How diagnostics name a Stagefile read from standard input.
pub const STDIN_NAME: &str = "<stdin>";

/// A Stagefile as read: the name diagnostics use, and its bytes.
struct Input {
    name: String,
    bytes: Vec<u8>,
}

fn read(file: &Path) -> Result<Input, ExitCode> {
    if file.as_os_str() == STDIN_ARG {
        return read_stdin();
    }
    let name = file.display().to_string();
    let meta = std::fs::metadata(file).map_err(|e| fail(&format!("cannot read {name}: {e}")))?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        // Refuse before reading a huge file into memory.
        return Err(report(&name, b"", &[crate::spec::too_big(meta.len())]));
    }
    let bytes = std::fs::read(file).map_err(|e| fail(&format!("cannot read {name}: {e}")))?;
    Ok(Input { name, bytes })
}

/// Standard input, read no further than one byte past the size limit.
fn read_stdin() -> Result<Input, ExitCode> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(&format!("cannot read standard input: {e}")))?;
    if bytes.len() > MAX_FILE_BYTES {
        let too_big = Diagnostic::error(
            Span::new(1, 1, 0),
            format!("standard input holds more than {MAX_FILE_BYTES} bytes, the most a Stagefile may have"),
        )
        .with_help("check that the right file is piped in")
        .with_limit(crate::diag::Limit::FileSize);
        return Err(report(STDIN_NAME, b"", &[too_big]));
    }
    Ok(Input {
        name: STDIN_NAME.to_owned(),
        bytes,
    })
}

pub(crate) fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

fn report(name: &str, bytes: &[u8], diags: &[Diagnostic]) -> ExitCode {
    report_in(&Files::single(name, bytes), diags)
}

/// Each diagnostic's code frame in its own file, then the count of errors.
fn report_in(files: &Files, diags: &[Diagnostic]) -> ExitCode {
    for d in diags {
        eprintln!("{}", files.render(d));
    }
    let name = &files.main().name;
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if errors > 0 {
        eprintln!(
            "{name}: {errors} error{}",
            if errors == 1 { "" } else { "s" }
        );
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The options, the Stagefile and the files it includes, or the exit code of the error
/// already printed.
fn load<'a>(
    file: &Path,
    opts: &'a Result<BuildOptions, String>,
    dirs: &Dirs,
) -> Result<(&'a BuildOptions, Files), ExitCode> {
    let opts = opts.as_ref().map_err(|e| fail(e))?;
    let Input { name, bytes } = read(file)?;
    let files = includes::gather(&name, &bytes, file, dirs)
        .map_err(|(files, diags)| report_in(&files, &diags))?;
    Ok((opts, files))
}

pub fn check(file: &Path, opts: &Result<BuildOptions, String>, dirs: &Dirs) -> ExitCode {
    let (opts, files) = match load(file, opts, dirs) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let (name, bytes) = (&files.main().name, &files.main().data);
    match compile::check_files(&files, opts) {
        Ok((parsed, plan)) => {
            let warnings = compile::warnings(&parsed, &plan, bytes);
            if let Some(failure) = compile::lint_failure(&plan, &warnings) {
                return report_in(&files, &failure);
            }
            report_in(&files, &warnings);
            let target = &plan.stages[plan.target].name;
            let n = plan.stages.len();
            let stages = if n == 1 { "stage" } else { "stages" };
            println!("{name}: ok ({n} {stages} to build for target `{target}`)");
            ExitCode::SUCCESS
        }
        Err(diags) => report_in(&files, &diags),
    }
}

/// The ignore files a build of `file` with `context` as its context would use.
fn ignore_files(file: &Path, context: &Path) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
    let beside = (file.as_os_str() != STDIN_ARG)
        .then(|| {
            let name = file.file_name()?.to_string_lossy().into_owned();
            std::fs::read(file.with_file_name(crate::ignore::own_ignore_name(&name))).ok()
        })
        .flatten();
    (beside, std::fs::read(context.join(".dockerignore")).ok())
}

pub fn llb(
    file: &Path,
    opts: &Result<BuildOptions, String>,
    dirs: &Dirs,
    dump: bool,
    tests: bool,
) -> ExitCode {
    let context = dirs.context.as_path();
    let (opts, files) = match load(file, opts, dirs) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let (parsed, plan) = match compile::plan_files(&files, opts) {
        Ok(planned) => planned,
        Err(diags) => return report_in(&files, &diags),
    };
    // No lint here: `llb` prints the graph, and `check` or the build judge the file.
    let _ = parsed;
    let (beside, in_context) = ignore_files(file, context);
    let filename = match file.file_name() {
        Some(f) if file.as_os_str() != STDIN_ARG => f.to_string_lossy().into_owned(),
        _ => STDIN_NAME.to_owned(),
    };
    let lower_opts = LowerOptions {
        source: Some(SourceMap::one(&filename, &files.main().data)),
        more_sources: files.named_data().split_off(1),
        excludes: crate::ignore::excludes(beside.as_deref(), in_context.as_deref(), &plan),
        ..Default::default()
    };
    match lower::lower(&plan, &lower_opts) {
        Ok(lowered) => {
            report_in(&files, &lowered.warnings);
            let out = if tests {
                let list: Vec<serde_json::Value> = lowered
                    .tests
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "stage": t.stage,
                            "name": t.name,
                            "line": t.line,
                            "ops": crate::llb::dump(&t.definition),
                        })
                    })
                    .collect();
                let mut s = serde_json::to_string_pretty(&list).expect("json");
                s.push('\n');
                s.into_bytes()
            } else if dump {
                let mut s = serde_json::to_string_pretty(&crate::llb::dump(&lowered.definition))
                    .expect("json");
                s.push('\n');
                s.into_bytes()
            } else {
                lowered.definition.encode_to_vec()
            };
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(&out).and_then(|_| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("cannot write the definition: {e}")),
            }
        }
        Err(diags) => report_in(&files, &diags),
    }
}

pub fn outline(
    file: &Path,
    opts: &Result<BuildOptions, String>,
    dirs: &Dirs,
    json: bool,
) -> ExitCode {
    let (opts, files) = match load(file, opts, dirs) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let bytes = &files.main().data;
    match compile::plan_files(&files, opts) {
        Ok((parsed, plan)) => {
            if json {
                let both = serde_json::json!({
                    "targets": crate::outline::targets_in(&parsed, &files),
                    "outline": crate::outline::outline(&parsed, &plan, bytes),
                    "tests": crate::outline::tests(&plan),
                });
                println!("{}", serde_json::to_string_pretty(&both).expect("json"));
            } else {
                print!("{}", crate::outline::render_in(&parsed, &plan, &files));
            }
            ExitCode::SUCCESS
        }
        Err(diags) => report_in(&files, &diags),
    }
}

/// `stagefile expand`: the file with its preset stages written out, as the build sees it
/// (the file itself when it has none).
pub fn expand(file: &Path) -> ExitCode {
    let input = match read(file) {
        Ok(input) => input,
        Err(code) => return code,
    };
    match crate::spec::expanded(&input.bytes) {
        Ok(Some(text)) => print!("{text}"),
        Ok(None) => print!("{}", String::from_utf8_lossy(&input.bytes)),
        Err(diags) => return report(&input.name, &input.bytes, &diags),
    }
    // The expansion must be a file the build accepts; say so here rather than at build time.
    match crate::spec::parse(&input.bytes) {
        Ok(_) => ExitCode::SUCCESS,
        Err(diags) => report(&input.name, &input.bytes, &diags),
    }
}
