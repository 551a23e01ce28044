//! Which files to read next: each file's `include` entries, checked (path, prefix,
//! cycles, limits) and turned into requests; the caller reads them and supplies the bytes.
//! A file that does not parse includes nothing here: planning reports its errors.

use super::files::{Files, Inclusion, SourceFile};
use crate::diag::{Diagnostic, Limit, Span};
use crate::spec::{self, MAX_FILE_BYTES};
use std::collections::BTreeMap;

/// How deep includes nest: the Stagefile's includes are depth 1.
pub const MAX_DEPTH: usize = 16;
/// How many files a build includes in all (a file included twice counts twice).
pub const MAX_FILES: usize = 256;
/// How many bytes the included files hold together.
pub const MAX_TOTAL_BYTES: usize = MAX_FILE_BYTES;

/// A file to read: a path from the root of the build context, or of a named context.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Request {
    pub from: Option<String>,
    pub path: String,
}

impl Request {
    /// `shared:base.yaml` for a named context, the path for the build context.
    pub fn display(&self) -> String {
        match &self.from {
            Some(from) => format!("{from}:{}", self.path),
            None => self.path.clone(),
        }
    }
}

/// An include entry waiting for its file.
struct Pending {
    request: Request,
    inclusion: Inclusion,
}

/// Gathers a build's files, one round of reads at a time.
pub struct Gatherer {
    files: Files,
    /// The Stagefile's own path in the build context, when it is there (cycles back to it).
    main_path: Option<String>,
    pending: Vec<Pending>,
    total_bytes: usize,
}

impl Gatherer {
    /// Starts from the Stagefile; `main_path` is its path in the build context, if any.
    pub fn new(name: &str, data: &[u8], main_path: Option<&str>) -> Result<Self, Vec<Diagnostic>> {
        let mut g = Gatherer {
            files: Files::single(name, data),
            main_path: main_path.map(normalize_lossy),
            pending: Vec::new(),
            total_bytes: 0,
        };
        g.queue(0)?;
        Ok(g)
    }

    /// The files gathered so far, for rendering errors.
    pub fn files(&self) -> &Files {
        &self.files
    }

    pub fn finish(self) -> Files {
        self.files
    }

    /// The distinct files the next round reads; empty when gathering is done.
    pub fn wanted(&self) -> Vec<Request> {
        let mut out: Vec<Request> = self.pending.iter().map(|p| p.request.clone()).collect();
        out.sort();
        out.dedup();
        out
    }

    /// Takes one round's answers (each request's bytes, or why it could not be read),
    /// adds the files and queues their includes.
    pub fn supply(
        &mut self,
        answers: &BTreeMap<Request, Result<Vec<u8>, String>>,
    ) -> Result<(), Vec<Diagnostic>> {
        let round = std::mem::take(&mut self.pending);
        let mut diags = Vec::new();
        let mut added = Vec::new();
        for p in round {
            let at = p.inclusion.at;
            let data = match answers.get(&p.request) {
                Some(Ok(data)) => data,
                Some(Err(why)) => {
                    diags.push(self.unreadable(&p.request, at, why));
                    continue;
                }
                None => {
                    diags.push(self.unreadable(&p.request, at, "it was not read"));
                    continue;
                }
            };
            if self.files.len() > MAX_FILES {
                diags.push(
                    Diagnostic::error(at, format!("more than {MAX_FILES} files are included"))
                        .with_help("include fewer files; a file included from several places counts each time")
                        .with_limit(Limit::IncludeFiles),
                );
                break;
            }
            self.total_bytes += data.len();
            if self.total_bytes > MAX_TOTAL_BYTES {
                diags.push(
                    Diagnostic::error(
                        at,
                        format!(
                            "the included files hold more than {MAX_TOTAL_BYTES} bytes together"
                        ),
                    )
                    .with_help("include fewer or smaller files")
                    .with_limit(Limit::IncludeBytes),
                );
                break;
            }
            added.push(self.files.push(SourceFile {
                name: p.request.display(),
                data: data.clone(),
                included: Some(p.inclusion),
            }));
        }
        if !diags.is_empty() {
            return Err(diags);
        }
        for id in added {
            self.queue(id)?;
        }
        Ok(())
    }

    fn unreadable(&self, request: &Request, at: Span, why: &str) -> Diagnostic {
        let place = match &request.from {
            Some(from) => format!("the named context `{from}`"),
            None => "the build context".to_owned(),
        };
        Diagnostic::error(
            at,
            format!("cannot read `{}` from {place}: {why}", request.path),
        )
        .with_help(
            "the path is from the root of the context; check it, and that the file is not ignored",
        )
    }

    /// Queues file `id`'s include entries, checked.
    fn queue(&mut self, id: u32) -> Result<(), Vec<Diagnostic>> {
        // A file that never writes the word includes nothing: not parsing it here keeps
        // the one parse planning does (a large Stagefile would otherwise be read twice).
        let data = &self.files.get(id).data;
        if !data.windows(b"include".len()).any(|w| w == b"include") {
            return Ok(());
        }
        let Ok(parsed) = spec::parse_in(data, id) else {
            return Ok(());
        };
        let parent = self.files.get(id).included.clone();
        let depth = self.files.chain(id).len() + 1;
        let mut diags = Vec::new();
        let mut prefixes: BTreeMap<String, Span> = BTreeMap::new();
        for (entry, spec_entry) in parsed.include.iter().enumerate() {
            let spec = &spec_entry.value.0;
            let (raw, at) = super::entry_path(spec_entry);
            if depth > MAX_DEPTH {
                diags.push(
                    Diagnostic::error(
                        at,
                        format!("includes nest more than {MAX_DEPTH} levels deep"),
                    )
                    .with_help("include the deeper files from a file nearer the Stagefile")
                    .with_limit(Limit::IncludeDepth),
                );
                break;
            }
            let path = match normalize(raw) {
                Ok(p) => p,
                Err(why) => {
                    diags.push(
                        Diagnostic::error(at, why)
                            .with_help("write a path inside the context, such as `ci/base.yaml`"),
                    );
                    continue;
                }
            };
            // A nested include without `from` reads from the same context as its file.
            let from = match &spec.from {
                Some(f) => Some(f.value.clone()),
                None => parent.as_ref().and_then(|p| p.from.clone()),
            };
            let request = Request { from, path };
            if let Some(d) = self.cycle(id, &request, at) {
                diags.push(d);
                continue;
            }
            let own = match &spec.prefix {
                Some(p) => (p.value.clone(), p.span),
                None => (stem(&request.path).to_owned(), at),
            };
            if !crate::plan::valid_stage_name(&own.0) {
                let d = match &spec.prefix {
                    Some(_) => Diagnostic::error(own.1, format!("`{}` is not a valid prefix", own.0))
                        .with_help("a prefix is written like a stage name: lowercase letters, digits, `.`, `_` and `-`"),
                    None => Diagnostic::error(own.1, format!("the file name `{}` is no valid prefix for its stages", own.0))
                        .with_help("name one with `as:`, e.g. `{path: ..., as: base}`"),
                };
                diags.push(d);
                continue;
            }
            if let Some(first) = prefixes.insert(own.0.clone(), own.1) {
                diags.push(
                    Diagnostic::error(own.1, format!("two includes use the prefix `{}`", own.0))
                        .with_help(format!(
                            "the other is at {}; give one of them another with `as:`",
                            self.files.place(first)
                        )),
                );
                continue;
            }
            let prefix = match &parent {
                Some(p) => format!("{}.{}", p.prefix, own.0),
                None => own.0,
            };
            self.pending.push(Pending {
                inclusion: Inclusion {
                    parent: id,
                    entry,
                    at,
                    prefix,
                    from: request.from.clone(),
                    path: request.path.clone(),
                },
                request,
            });
        }
        if diags.is_empty() { Ok(()) } else { Err(diags) }
    }

    /// The error for a request that names a file already on the way from the Stagefile
    /// to file `id` (itself included), with each include of the loop.
    fn cycle(&self, id: u32, request: &Request, at: Span) -> Option<Diagnostic> {
        let mut loop_places = vec![self.files.place(at)];
        let mut current = id;
        loop {
            let file = self.files.get(current);
            let same = match &file.included {
                Some(inc) => inc.from == request.from && inc.path == request.path,
                None => request.from.is_none() && self.main_path.as_deref() == Some(&request.path),
            };
            if same {
                loop_places.reverse();
                return Some(
                    Diagnostic::error(
                        at,
                        format!("`{}` includes itself: {}", request.display(), loop_places.join(" → ")),
                    )
                    .with_help("an included file may not include, directly or not, a file that includes it"),
                );
            }
            let inc = file.included.as_ref()?;
            loop_places.push(self.files.place(inc.at));
            current = inc.parent;
        }
    }
}

/// A path from a context's root, `./` and `..` resolved; one that leaves the root, or
/// names nothing, is refused.
fn normalize(raw: &str) -> Result<String, String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!("`{raw}` leaves the context"));
                }
            }
            p => parts.push(p),
        }
    }
    if parts.is_empty() || raw.ends_with('/') {
        return Err(format!("`{raw}` names no file"));
    }
    Ok(parts.join("/"))
}

fn normalize_lossy(raw: &str) -> String {
    normalize(raw).unwrap_or_else(|_| raw.to_owned())
}

/// The file name without its directory and last extension: `ci/base.yaml` → `base`.
pub(super) fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.rfind('.') {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    }
}

#[cfg(test)]
pub(super) fn normalize_for_tests(raw: &str) -> Result<String, String> {
    normalize(raw)
}
