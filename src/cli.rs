//! The offline commands: `check` and `llb`.

use crate::compile;
use crate::diag::Diagnostic;
use crate::llb::SourceMap;
use crate::lower::LowerOptions;
use crate::plan::BuildOptions;
use prost::Message;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

fn read(file: &Path) -> Result<Vec<u8>, ExitCode> {
    let meta = std::fs::metadata(file)
        .map_err(|e| fail(&format!("cannot read {}: {e}", file.display())))?;
    if meta.len() > crate::spec::MAX_FILE_BYTES as u64 {
        // Refuse before reading a huge file into memory.
        return Err(report(file, b"", &[crate::spec::too_big(meta.len())]));
    }
    std::fs::read(file).map_err(|e| fail(&format!("cannot read {}: {e}", file.display())))
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

fn report(file: &Path, bytes: &[u8], diags: &[Diagnostic]) -> ExitCode {
    let name = file.display().to_string();
    let text = String::from_utf8_lossy(bytes);
    for d in diags {
        eprintln!("{}", d.render(&name, &text));
    }
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

/// The options and the file's bytes, or the exit code of the error already printed.
fn load<'a>(
    file: &Path,
    opts: &'a Result<BuildOptions, String>,
) -> Result<(&'a BuildOptions, Vec<u8>), ExitCode> {
    let opts = opts.as_ref().map_err(|e| fail(e))?;
    Ok((opts, read(file)?))
}

pub fn check(file: &Path, opts: &Result<BuildOptions, String>) -> ExitCode {
    let (opts, bytes) = match load(file, opts) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    match compile::plan(&bytes, opts) {
        Ok((parsed, plan)) => {
            report(file, &bytes, &compile::warnings(&parsed, &plan, &bytes));
            // Some mistakes show only when the stages are put together (an `env` value
            // that names nothing, on a base with no environment). What lowering without
            // base configs assumes is left to `llb`: the build reads the real ones.
            if let Err(diags) = crate::lower::lower(&plan, &LowerOptions::default()) {
                return report(file, &bytes, &diags);
            }
            let target = &plan.stages[plan.target].name;
            let n = plan.stages.len();
            let stages = if n == 1 { "stage" } else { "stages" };
            println!(
                "{}: ok ({n} {stages} to build for target `{target}`)",
                file.display()
            );
            ExitCode::SUCCESS
        }
        Err(diags) => report(file, &bytes, &diags),
    }
}

pub fn llb(file: &Path, opts: &Result<BuildOptions, String>, dump: bool) -> ExitCode {
    let (opts, bytes) = match load(file, opts) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    let filename = file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lower_opts = LowerOptions {
        source: Some(SourceMap {
            filename: &filename,
            data: &bytes,
        }),
        ..Default::default()
    };
    match compile::compile(&bytes, opts, &lower_opts) {
        Ok(lowered) => {
            report(file, &bytes, &lowered.warnings);
            let out = if dump {
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
        Err(diags) => report(file, &bytes, &diags),
    }
}

pub fn outline(file: &Path, opts: &Result<BuildOptions, String>, json: bool) -> ExitCode {
    let (opts, bytes) = match load(file, opts) {
        Ok(loaded) => loaded,
        Err(code) => return code,
    };
    match compile::plan(&bytes, opts) {
        Ok((parsed, plan)) => {
            if json {
                let both = serde_json::json!({
                    "targets": crate::outline::targets(&parsed, &bytes),
                    "outline": crate::outline::outline(&parsed, &plan, &bytes),
                });
                println!("{}", serde_json::to_string_pretty(&both).expect("json"));
            } else {
                print!("{}", crate::outline::render(&parsed, &plan));
            }
            ExitCode::SUCCESS
        }
        Err(diags) => report(file, &bytes, &diags),
    }
}
