//! `stagefile convert [FILE] [-o OUT] [--force] [--syntax IMAGE]`.

use super::{Options, convert};
use crate::cli::fail;
use crate::diag::Diagnostic;
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

/// The Dockerfile's name in messages, and its text.
fn read(file: &Path) -> Result<(String, String), ExitCode> {
    let limit = super::MAX_DOCKERFILE_BYTES as u64 + 1;
    let (name, mut reader): (String, Box<dyn Read>) = if file.as_os_str() == "-" {
        ("<stdin>".to_owned(), Box::new(std::io::stdin().lock()))
    } else {
        let name = file.display().to_string();
        let f = std::fs::File::open(file).map_err(|e| fail(&format!("cannot read {name}: {e}")))?;
        (name, Box::new(f))
    };
    let mut bytes = Vec::new();
    reader
        .by_ref()
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| fail(&format!("cannot read {name}: {e}")))?;
    if bytes.len() as u64 >= limit {
        return Err(fail(&format!(
            "{name} holds more than {} bytes, the most convert reads",
            super::MAX_DOCKERFILE_BYTES
        )));
    }
    let text = String::from_utf8(bytes).map_err(|_| fail(&format!("{name} is not UTF-8 text")))?;
    Ok((name, text))
}

fn render(name: &str, source: &str, diags: &[Diagnostic]) {
    for d in diags {
        eprintln!("{}", d.render(name, source));
    }
}

pub fn run(file: &Path, output: Option<&Path>, force: bool, syntax: &str) -> ExitCode {
    if let Some(out) = output
        && !force
        && out.exists()
    {
        return fail(&format!(
            "{} exists; add --force to replace it",
            out.display()
        ));
    }
    let (name, source) = match read(file) {
        Ok(read) => read,
        Err(code) => return code,
    };
    let opts = Options {
        syntax: syntax.to_owned(),
    };
    let converted = match convert(&source, &opts) {
        Ok(c) => c,
        Err(errors) => {
            render(&name, &source, &errors);
            let n = errors.len();
            eprintln!("{name}: {n} error{}", if n == 1 { "" } else { "s" });
            return ExitCode::FAILURE;
        }
    };
    render(&name, &source, &converted.warnings);
    // The result must read back; a file that does not is a fault of convert.
    if let Err(diags) = crate::spec::parse(converted.text.as_bytes()) {
        for d in diags {
            eprintln!("{}", d.render("<converted>", &converted.text));
        }
        return fail("the converted file does not parse; please report this with the Dockerfile");
    }
    let written = match output {
        Some(out) => std::fs::write(out, &converted.text),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(converted.text.as_bytes())
                .and_then(|_| stdout.flush())
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot write the Stagefile: {e}")),
    }
}
