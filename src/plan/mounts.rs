//! The mounts of a `run` step: caches, secrets, in-memory filesystems and bind mounts.

use super::size::parse_size;
use super::stage::Ctx;
use super::*;
use crate::diag::shorten;
use crate::spec::Spanned;

/// A mount of a `run` step.
#[derive(Debug)]
pub enum RunMount {
    Cache(CacheMount),
    Secret(SecretMount),
    Ssh(SshMount),
    Tmpfs(TmpfsMount),
    Bind(BindMount),
}

#[derive(Debug)]
pub struct CacheMount {
    pub target: String,
    pub id: String,
    pub sharing: Sharing,
    /// The directory the cache starts from: a source and a path in it.
    pub from: Option<(Source, String)>,
    /// `seed:`, the folder that travels between builds.
    pub seed: Option<Seed>,
    /// Where the mount is written, for errors that name two mounts of one cache.
    pub span: Span,
    /// Mode and owner of a fresh cache's root.
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

impl CacheMount {
    /// What the cache starts from: its `from`, or what its `seed` names.
    pub fn base(&self) -> Option<&Source> {
        match (&self.from, &self.seed) {
            (Some((from, _)), _) => Some(from),
            (None, Some(seed)) => seed.from.as_ref(),
            (None, None) => None,
        }
    }

    pub fn base_mut(&mut self) -> Option<&mut Source> {
        match (&mut self.from, &mut self.seed) {
            (Some((from, _)), _) => Some(from),
            (None, Some(seed)) => seed.from.as_mut(),
            (None, None) => None,
        }
    }
}

/// A cache's `seed`: a named context, a stage or an image whose `dir` the cache starts
/// from, or nothing at all (the name is none of these: the cache starts empty).
#[derive(Debug)]
pub struct Seed {
    /// The name as written (expanded); every mount of one cache must give the same.
    pub name: String,
    pub from: Option<Source>,
    /// The directory inside it: `source`, else `/<key>` (see [`cache_key`]).
    pub dir: String,
    pub span: Span,
}

/// The directory a cache has in a seed and in a `<stage>.caches` result: its id without
/// leading or trailing `/`, every other `/` turned into `-` (`/go/pkg/mod` → `go-pkg-mod`).
pub fn cache_key(id: &str) -> String {
    id.trim_matches('/').replace('/', "-")
}

/// A key that cannot be a directory of its own (`/`, `.`, `..`).
pub fn usable_key(key: &str) -> bool {
    !matches!(key, "" | "." | "..")
}

#[derive(Debug)]
pub struct SecretMount {
    pub id: String,
    /// Where the file goes; with neither this nor `env`, `/run/secrets/<id>`.
    pub target: Option<String>,
    /// A variable to hold the secret instead of (or besides) a file.
    pub env: Option<String>,
    pub required: bool,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

#[derive(Debug)]
pub struct SshMount {
    pub id: String,
    pub target: Option<String>,
    pub required: bool,
}

#[derive(Debug)]
pub struct TmpfsMount {
    pub target: String,
    /// Upper limit in bytes; `None` leaves it to the engine.
    pub size: Option<i64>,
}

#[derive(Debug)]
pub struct BindMount {
    pub from: Source,
    pub source: String,
    pub target: String,
    pub rw: bool,
}

/// A field's own place when the parser kept it, else the place of its item.
fn located<T>(value: &Spanned<T>, item: Span) -> Span {
    if span_of(value).is_known() {
        span_of(value)
    } else {
        item
    }
}

impl Ctx<'_> {
    pub(super) fn cache(&mut self, c: &spec::CacheSpec, span: Span) -> Option<RunMount> {
        let at = |s: &Spanned<String>| located(s, span);
        let target = self.expand_text(&c.target.value, at(&c.target))?;
        let target = self.abs_path(target, at(&c.target))?;
        let id = match &c.id {
            Some(id) => self.expand(id)?,
            None => target.clone(),
        };
        if id.is_empty() || id.len() > 256 || id.chars().any(|c| c.is_control()) {
            return self.fail(
                Diagnostic::error(
                    c.id.as_ref().map_or(at(&c.target), at),
                    format!("`{}` is not a usable cache id", shorten(&id).escape_debug()),
                )
                .with_help("use up to 256 printable characters"),
            );
        }
        let sharing = self.keyword(
            &c.sharing,
            "cache sharing mode",
            &[
                ("shared", Sharing::Shared),
                ("private", Sharing::Private),
                ("locked", Sharing::Locked),
            ],
        )?;
        // `source` is checked even without `from`: `..` is refused wherever it is written.
        let source = match &c.source {
            Some(s) => {
                let path = self.expand(s)?;
                Some(self.inside(&path, at(s))?)
            }
            None => None,
        };
        let seed = match &c.seed {
            Some(name) => Some(self.seed(name, c, &id, source.clone())?),
            None => None,
        };
        let from = c.from.as_ref().map(|f| {
            let src = self.source(f, None, false);
            (src, source.unwrap_or_else(|| "/".to_owned()))
        });
        let mode = match &c.mode {
            Some(m) => Some(self.octal(&m.value.0, span_of(m))?),
            None => None,
        };
        Some(RunMount::Cache(CacheMount {
            target,
            id,
            sharing,
            from,
            seed,
            span,
            mode,
            uid: c.uid.as_ref().map(|u| u.value),
            gid: c.gid.as_ref().map(|g| g.value),
        }))
    }

    /// A cache's `seed`: refused beside `from`; its directory is `source` or `/<key>`.
    fn seed(
        &mut self,
        name: &Spanned<String>,
        c: &spec::CacheSpec,
        id: &str,
        source: Option<String>,
    ) -> Option<Seed> {
        let span = span_of(name);
        if c.from.is_some() {
            return self.fail(
                Diagnostic::error(span, "a cache has `seed` or `from`, not both")
                    .with_help("`seed` names a folder that travels between builds, `from` a stage whose files start the cache; keep one"),
            );
        }
        let text = self.expand(name)?;
        let key = cache_key(id);
        let dir = match source {
            Some(dir) => dir,
            None if usable_key(&key) => format!("/{key}"),
            None => {
                return self.fail(
                    Diagnostic::error(span, format!("cache id `{}` gives no directory name to seed it from", shorten(id).escape_debug()))
                        .with_help("give the cache an `id` with a name in it, or the seed's directory as `source`"),
                );
            }
        };
        let from = self.seed_source(&text, span);
        Some(Seed {
            name: text,
            from,
            dir,
            span,
        })
    }

    pub(super) fn secret(&mut self, c: &spec::SecretSpec, span: Span) -> Option<RunMount> {
        let id = self.expand_text(&c.id.value, span)?;
        if id.is_empty() {
            return self.fail(Diagnostic::error(span, "a secret needs an `id`"));
        }
        let target = match &c.target {
            Some(t) => {
                let path = self.expand(t)?;
                Some(self.abs_path(path, span_of(t))?)
            }
            None => None,
        };
        let mode = match &c.mode {
            Some(m) => self.octal(&m.value.0, span_of(m))?,
            None => 0o400,
        };
        Some(RunMount::Secret(SecretMount {
            id,
            target,
            env: match &c.env {
                Some(e) => Some(self.expand(e)?),
                None => None,
            },
            required: c.required.as_ref().is_some_and(|r| r.value),
            mode,
            uid: c.uid.as_ref().map_or(0, |u| u.value),
            gid: c.gid.as_ref().map_or(0, |g| g.value),
        }))
    }

    pub(super) fn tmpfs(&mut self, t: &spec::TmpfsSpec, span: Span) -> Option<RunMount> {
        let target_span = located(&t.target, span);
        let target = self.expand_text(&t.target.value, target_span)?;
        let target = self.abs_path(target, target_span)?;
        let size = match &t.size {
            None => None,
            Some(size) => {
                let at = located(size, span);
                let text = self.expand_text(&size.value.0, at)?;
                match parse_size(&text) {
                    Ok(bytes) => Some(bytes),
                    Err(help) => {
                        return self.fail(
                            Diagnostic::error(at, format!("`{}` is not a size", shorten(&text)))
                                .with_help(help),
                        );
                    }
                }
            }
        };
        Some(RunMount::Tmpfs(TmpfsMount { target, size }))
    }

    pub(super) fn bind(&mut self, m: &spec::MountSpec, span: Span) -> Option<RunMount> {
        let from = match &m.from {
            Some(f) => self.source(f, None, true),
            None => Source::Context,
        };
        let source = match &m.source {
            Some(src) => self.expand_text(&src.value, located(src, span))?,
            None => "/".to_owned(),
        };
        let source_span = m.source.as_ref().map_or(span, |s| located(s, span));
        let source = self.inside(&source, source_span)?;
        let target_span = located(&m.target, span);
        let target = self.expand_text(&m.target.value, target_span)?;
        let target = self.abs_path(target, target_span)?;
        Some(RunMount::Bind(BindMount {
            from,
            source,
            target,
            rw: m.rw.as_ref().is_some_and(|r| r.value),
        }))
    }
}
