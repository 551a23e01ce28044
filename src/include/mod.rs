//! Stages from other files (`include:`): the table of a build's files, the Stagefile and
//! the files it includes (`files.rs`), and the walk that finds which files to read next,
//! with its limits and cycle check (`gather.rs`).
//!
//! Like the rest of the core, this room does no I/O: the gateway reads the files from
//! the build context or a named context, the CLI from directories, and both hand the
//! bytes to a [`Gatherer`] until it wants nothing more.

mod files;
mod gather;

pub use files::{Files, Inclusion, SourceFile};
pub use gather::{Gatherer, MAX_DEPTH, MAX_FILES, MAX_TOTAL_BYTES, Request};

use crate::diag::Span;
use crate::spec::{IncludeSpec, Short, Spanned, span_of};

/// An `include` entry's path, and where it is written (the whole entry for the short form).
pub fn entry_path(entry: &Spanned<Short<IncludeSpec>>) -> (&str, Span) {
    let path = &entry.value.0.path;
    let span = if path.span.is_known() {
        path.span
    } else {
        span_of(entry)
    };
    (path.value.as_str(), span)
}

/// Whether `name` (`base.builder`) names a stage of a file `file` includes, by the
/// prefixes of its `include` entries; for checks that see one file only.
pub fn is_included_stage(file: &crate::spec::Stagefile, name: &str) -> bool {
    file.include.iter().any(|entry| {
        let prefix = match &entry.value.0.prefix {
            Some(p) => p.value.as_str(),
            None => gather::stem(entry_path(entry).0),
        };
        name.strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.'))
    })
}

#[cfg(test)]
mod tests;
