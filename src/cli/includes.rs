//! The files a Stagefile includes, read from disk for the offline commands: the build
//! context's from `--context`, a named context's from `--build-context NAME=DIR`.

use crate::diag::Diagnostic;
use crate::include::{Files, Gatherer, Request};
use crate::spec::MAX_FILE_BYTES;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Where included files are read from.
#[derive(Clone, Debug, Default)]
pub struct Dirs {
    /// The build context.
    pub context: PathBuf,
    /// Named contexts given as directories, by name.
    pub named: BTreeMap<String, PathBuf>,
}

/// The Stagefile and every file it includes, or the problems with their includes and
/// the files read so far (to render them).
pub fn gather(
    name: &str,
    bytes: &[u8],
    file: &Path,
    dirs: &Dirs,
) -> Result<Files, (Files, Vec<Diagnostic>)> {
    let main_path = std::fs::canonicalize(file)
        .ok()
        .zip(std::fs::canonicalize(&dirs.context).ok())
        .and_then(|(f, c)| Some(f.strip_prefix(c).ok()?.to_string_lossy().into_owned()));
    let mut g = Gatherer::new(name, bytes, main_path.as_deref())
        .map_err(|d| (Files::single(name, bytes), d))?;
    loop {
        let wanted = g.wanted();
        if wanted.is_empty() {
            return Ok(g.finish());
        }
        let answers: BTreeMap<Request, Result<Vec<u8>, String>> = wanted
            .into_iter()
            .map(|r| {
                let read = read(&r, dirs);
                (r, read)
            })
            .collect();
        if let Err(d) = g.supply(&answers) {
            return Err((g.files().clone(), d));
        }
    }
}

fn read(request: &Request, dirs: &Dirs) -> Result<Vec<u8>, String> {
    let root = match &request.from {
        None => &dirs.context,
        Some(name) => dirs
            .named
            .get(name)
            .ok_or_else(|| format!("no directory is given for it (--build-context {name}=DIR)"))?,
    };
    let path = root.join(&request.path);
    let meta = std::fs::metadata(&path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(format!(
            "it is {} bytes; a Stagefile may be at most {MAX_FILE_BYTES}",
            meta.len()
        ));
    }
    std::fs::read(&path).map_err(|e| e.to_string())
}
