//! The files of one build, by the id their spans carry: 0 is the Stagefile, the others
//! the files it includes, in the order they were read. Diagnostics are rendered with the
//! file they point into and the chain of includes that led there.

use crate::diag::{Diagnostic, Span};
use std::borrow::Cow;

/// One file of the build.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// How messages name it: `Stagefile`, `ci/base.yaml`, `shared:base.yaml`.
    pub name: String,
    pub data: Vec<u8>,
    /// How it came in; `None` for the Stagefile.
    pub included: Option<Inclusion>,
}

/// Where and how a file was included.
#[derive(Clone, Debug)]
pub struct Inclusion {
    /// The file whose `include` names it.
    pub parent: u32,
    /// Which entry of the parent's `include` list.
    pub entry: usize,
    /// The entry's place in the parent.
    pub at: Span,
    /// The prefix of its stages, composed with the parent's: `a.b`.
    pub prefix: String,
    /// The named context it was read from; `None` for the build context.
    pub from: Option<String>,
    /// Its path from the root of that context, normalised.
    pub path: String,
}

/// The build's files, indexed by [`Span::file`].
#[derive(Clone, Debug)]
pub struct Files {
    list: Vec<SourceFile>,
}

impl Files {
    /// A build of one file with no includes.
    pub fn single(name: &str, data: &[u8]) -> Self {
        Files {
            list: vec![SourceFile {
                name: name.to_owned(),
                data: data.to_vec(),
                included: None,
            }],
        }
    }

    pub(super) fn push(&mut self, file: SourceFile) -> u32 {
        self.list.push(file);
        (self.list.len() - 1) as u32
    }

    /// The Stagefile.
    pub fn main(&self) -> &SourceFile {
        &self.list[0]
    }

    /// File `id`; the Stagefile for an id no file has, so a stray span still renders.
    pub fn get(&self, id: u32) -> &SourceFile {
        self.list.get(id as usize).unwrap_or(&self.list[0])
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The included files with their ids, in id order (a parent before its children).
    pub fn included(&self) -> impl Iterator<Item = (u32, &SourceFile, &Inclusion)> {
        self.list
            .iter()
            .enumerate()
            .filter_map(|(i, f)| f.included.as_ref().map(|inc| (i as u32, f, inc)))
    }

    pub fn name(&self, id: u32) -> &str {
        &self.get(id).name
    }

    pub fn text(&self, id: u32) -> Cow<'_, str> {
        String::from_utf8_lossy(&self.get(id).data)
    }

    /// `file:line:col` of a span.
    pub fn place(&self, span: Span) -> String {
        format!("{}:{}:{}", self.name(span.file), span.line, span.column)
    }

    /// Where file `id` was included, innermost first: `Stagefile:3:5` for a file the
    /// Stagefile includes. Bounded by the include depth limit.
    pub fn chain(&self, id: u32) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = id;
        while let Some(inc) = &self.get(at).included {
            out.push(self.place(inc.at));
            if inc.parent >= at {
                break; // ids grow from parent to child; anything else is no chain
            }
            at = inc.parent;
        }
        out
    }

    /// `; included from a.yaml:2:3; included from Stagefile:1:3`, or nothing for the
    /// Stagefile's own problems.
    fn chain_text(&self, id: u32) -> String {
        self.chain(id)
            .iter()
            .map(|p| format!("; included from {p}"))
            .collect()
    }

    /// A diagnostic on one line, named by its file, with where that file was included.
    pub fn one_line(&self, d: &Diagnostic) -> String {
        let mut line = d.one_line(self.name(d.span.file));
        line.push_str(&self.chain_text(d.span.file));
        line
    }

    /// A diagnostic's code frame in its own file, with the chain of includes below it.
    pub fn render(&self, d: &Diagnostic) -> String {
        let id = d.span.file;
        let mut out = d.render(self.name(id), &self.text(id));
        for place in self.chain(id) {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("  = note: included from {place}"));
        }
        out
    }

    /// Every file as `(name, data)`, by id: what a definition's source map carries.
    pub fn named_data(&self) -> Vec<(&str, &[u8])> {
        self.list
            .iter()
            .map(|f| (f.name.as_str(), f.data.as_slice()))
            .collect()
    }
}
