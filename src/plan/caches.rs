//! Caches that travel between builds: every mount of one cache agrees on its `seed`,
//! and the generated target `<stage>.caches` names the directory of each cache it exports.

use super::*;
use crate::diag::shorten;

/// The suffix of the generated target that exports a stage's caches.
pub const SUFFIX: &str = ".caches";

/// The stage a generated `<stage>.caches` target exports the caches of, unless a stage
/// has that very name (a user's stage wins over a generated target).
pub(super) fn exported_stage<'a>(wanted: &'a str, names: &StageNames) -> Option<&'a str> {
    if names.index(wanted).is_some() {
        return None;
    }
    let stage = wanted.strip_suffix(SUFFIX)?;
    names.index(stage).map(|_| stage)
}

/// Every cache mount of the stages, in build order.
fn cache_mounts(stages: &[StagePlan]) -> impl Iterator<Item = &CacheMount> {
    stages.iter().flat_map(|s| &s.steps).flat_map(|step| {
        let mounts: &[RunMount] = match &step.kind {
            StepKind::Run(r) => &r.mounts,
            _ => &[],
        };
        mounts.iter().filter_map(|m| match m {
            RunMount::Cache(c) => Some(c),
            _ => None,
        })
    })
}

/// BuildKit keys a cache that has a base by the base and the id, so two mounts of one id
/// with different seeds are two caches: refused, naming both lines.
pub(super) fn check_seeds(stages: &[StagePlan]) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&str, &CacheMount> = BTreeMap::new();
    let mut diags = Vec::new();
    for c in cache_mounts(stages) {
        let Some(seen) = first.get(c.id.as_str()) else {
            first.insert(&c.id, c);
            continue;
        };
        if seed_of(seen) == seed_of(c) {
            continue;
        }
        let span = c.seed.as_ref().map_or(c.span, |s| s.span);
        diags.push(
            Diagnostic::error(
                span,
                format!(
                    "cache `{}` is {} here but {} at line {}",
                    shorten(&c.id),
                    describe(c),
                    describe(seen),
                    seen.span.line
                ),
            )
            .with_help("BuildKit keeps one cache per seed: give every mount of this cache the same `seed` (and `source`), or each its own `id`"),
        );
    }
    diags
}

fn seed_of(c: &CacheMount) -> Option<(&str, &str)> {
    c.seed.as_ref().map(|s| (s.name.as_str(), s.dir.as_str()))
}

fn describe(c: &CacheMount) -> String {
    match &c.seed {
        Some(s) => format!("seeded from `{}` (directory `{}`)", shorten(&s.name), s.dir),
        None => "not seeded".to_owned(),
    }
}

/// The caches `<stage>.caches` exports have one directory each, `/<key>`: a key must be a
/// name, and two caches cannot share one.
pub(super) fn check_exports(stages: &[StagePlan]) -> Vec<Diagnostic> {
    let mut keys: BTreeMap<String, &CacheMount> = BTreeMap::new();
    let mut diags = Vec::new();
    for c in cache_mounts(stages) {
        let key = cache_key(&c.id);
        if !usable_key(&key) {
            diags.push(
                Diagnostic::error(
                    c.span,
                    format!(
                        "cache `{}` has no directory name to be exported under",
                        shorten(&c.id)
                    ),
                )
                .with_help("give the cache an `id` with a name in it"),
            );
            continue;
        }
        match keys.get(&key) {
            Some(other) if other.id != c.id => diags.push(
                Diagnostic::error(
                    c.span,
                    format!(
                        "caches `{}` and `{}` (line {}) would both be exported as `/{key}`",
                        shorten(&c.id),
                        shorten(&other.id),
                        other.span.line
                    ),
                )
                .with_help("give one of them another `id`"),
            ),
            Some(_) => {}
            None => {
                keys.insert(key, c);
            }
        }
    }
    diags
}

#[cfg(test)]
mod tests;
