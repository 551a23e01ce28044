//! Stages of included files in the plan: their prefixed names, which must not collide
//! with other stages, and each file's own scope of args, filled from its `include`
//! entry's `args` rather than from the build's.

use super::{BuildOptions, Diagnostic, StageNames, expand_at, global_scope, stage_name_list};
use crate::diag::{Span, suggest};
use crate::include::Files;
use crate::plan::vars::Scope;
use crate::spec::{Spanned, Stagefile, span_of};
use std::collections::{BTreeMap, HashMap};

/// The files a Stagefile includes, parsed, in id order, with the build's file table.
pub struct Included<'a> {
    files: Option<&'a Files>,
    parsed: Vec<(u32, Stagefile)>,
}

impl<'a> Included<'a> {
    /// No included files.
    pub fn none() -> Self {
        Included {
            files: None,
            parsed: Vec::new(),
        }
    }

    /// The included files of `files`, each parsed (with its id) by the caller.
    pub fn new(files: &'a Files, parsed: Vec<(u32, Stagefile)>) -> Self {
        Included {
            files: Some(files),
            parsed,
        }
    }

    pub fn parsed(&self) -> &[(u32, Stagefile)] {
        &self.parsed
    }

    /// The prefix of file `id`'s stages (empty for the Stagefile).
    pub fn prefix(&self, id: u32) -> &str {
        self.files
            .and_then(|f| f.get(id).included.as_ref())
            .map_or("", |inc| inc.prefix.as_str())
    }

    /// Each included file with its prefix and scope, in id order.
    pub(super) fn units<'s>(
        &'s self,
        scopes: &'s [Scope],
    ) -> impl Iterator<Item = (&'s Stagefile, &'s str, &'s Scope)> {
        self.parsed
            .iter()
            .zip(scopes)
            .map(|((id, file), scope)| (file, self.prefix(*id), scope))
    }

    pub(super) fn scopes_by_file(&self, scopes: Vec<Scope>) -> BTreeMap<u32, Scope> {
        self.parsed.iter().map(|(id, _)| *id).zip(scopes).collect()
    }
}

/// `name` as the build knows it: `prefix.name` for an included file's stage.
pub(super) fn prefixed(name: &Spanned<String>, prefix: &str) -> Spanned<String> {
    if prefix.is_empty() {
        return name.clone();
    }
    Spanned {
        value: format!("{prefix}.{}", name.value),
        span: name.span,
    }
}

/// Every stage's name as the build knows it: the included files' first, then the
/// Stagefile's. A name given twice across files is an error naming both places.
pub(super) fn all_names(
    file: &Stagefile,
    included: &Included,
    diags: &mut Vec<Diagnostic>,
) -> StageNames {
    let mut list = Vec::new();
    let mut first: HashMap<String, Span> = HashMap::new();
    let units = included
        .parsed
        .iter()
        .map(|(id, f)| (f, included.prefix(*id)))
        .chain(std::iter::once((file, "")));
    for (unit, prefix) in units {
        let names = stage_name_list(unit, diags);
        for ((key, _), name) in unit.stages.value.iter().zip(names) {
            let full = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}.{name}")
            };
            let here = span_of(key);
            if let Some(earlier) = first.get(&full).copied().filter(|e| e.file != here.file)
                && let Some(files) = included.files
            {
                diags.push(
                    Diagnostic::error(here, format!("stage `{full}` is defined twice"))
                        .with_help(format!(
                            "the other is at {}{}; rename one, or include the file with another `as:`",
                            files.place(earlier),
                            files
                                .chain(earlier.file)
                                .first()
                                .map_or(String::new(), |p| format!(" (included from {p})"))
                        )),
                );
            }
            first.entry(full.clone()).or_insert(here);
            list.push(full);
        }
    }
    StageNames::from_list(list)
}

/// Each included file's scope, in id order: the platform args, then its own args with
/// the values its `include` entry passes, expanded in the including file's scope.
pub(super) fn scopes(
    file: &Stagefile,
    included: &Included,
    global: &Scope,
    opts: &BuildOptions,
) -> Result<Vec<Scope>, Vec<Diagnostic>> {
    let Some(files) = included.files else {
        return Ok(Vec::new());
    };
    let position: HashMap<u32, usize> = included
        .parsed
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let mut scopes: Vec<Scope> = Vec::with_capacity(included.parsed.len());
    let mut diags = Vec::new();
    for (id, unit) in &included.parsed {
        let Some(inc) = &files.get(*id).included else {
            scopes.push(global.clone());
            continue;
        };
        let (parent, parent_scope) = match position.get(&inc.parent) {
            Some(&i) if i < scopes.len() => (&included.parsed[i].1, &scopes[i]),
            _ => (file, global),
        };
        let mut values = BTreeMap::new();
        if let Some(entry) = parent.include.get(inc.entry) {
            let declared: Vec<&str> = unit.args.iter().map(|(k, _)| k.value.as_str()).collect();
            for (key, text) in entry.value.0.args.iter() {
                if !declared.contains(&key.value.as_str()) {
                    let d = Diagnostic::error(
                        span_of(key),
                        format!("`{}` declares no arg `{}`", files.name(*id), key.value),
                    );
                    diags.push(match suggest(&key.value, declared.iter().copied()) {
                        Some(s) => d.with_help(format!("did you mean `{s}`?")),
                        None if declared.is_empty() => d.with_help("that file has no `args`"),
                        None => d.with_help(format!("its args are: {}", declared.join(", "))),
                    });
                    continue;
                }
                match expand_at(parent_scope, &text.0, span_of(key)) {
                    Ok(v) => {
                        values.insert(key.value.clone(), v);
                    }
                    Err(d) => diags.push(d),
                }
            }
        }
        let own = BuildOptions {
            build_args: values,
            ..opts.clone()
        };
        match global_scope(unit, &own) {
            Ok(scope) => scopes.push(scope),
            Err(mut d) => {
                diags.append(&mut d);
                scopes.push(global.clone());
            }
        }
    }
    if diags.is_empty() {
        Ok(scopes)
    } else {
        Err(diags)
    }
}
