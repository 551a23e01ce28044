//! Source ops: images, local directories of the client, Git repositories and downloads,
//! each with typed options that add the capabilities they need.

use super::{Kind, Meta, Output, vertex};
use crate::platform::Platform;
use bollard_buildkit_proto::pb;
use std::collections::BTreeMap;

/// Source attribute keys, as BuildKit spells them (`source/types.go`).
pub mod attr {
    pub const IMAGE_RESOLVE_MODE: &str = "image.resolvemode";
    pub const LOCAL_SESSION: &str = "local.session";
    /// Singular, unlike the exclude key.
    pub const LOCAL_INCLUDE_PATTERNS: &str = "local.includepattern";
    pub const LOCAL_EXCLUDE_PATTERNS: &str = "local.excludepatterns";
    pub const LOCAL_FOLLOW_PATHS: &str = "local.followpaths";
    pub const LOCAL_SHARED_KEY_HINT: &str = "local.sharedkeyhint";
    pub const LOCAL_DIFFER: &str = "local.differ";
    pub const GIT_FULL_URL: &str = "git.fullurl";
    pub const GIT_CHECKSUM: &str = "git.checksum";
    pub const GIT_KEEP_GIT_DIR: &str = "git.keepgitdir";
    pub const HTTP_CHECKSUM: &str = "http.checksum";
    pub const HTTP_FILENAME: &str = "http.filename";
}

/// `docker-image://` source; `resolve_mode` is the `image-resolve-mode` option (`pull`,
/// `local`), `None` for the engine's default.
pub fn image(
    reference: &str,
    platform: &Platform,
    resolve_mode: Option<&str>,
    meta: Meta,
) -> Output {
    let mut attrs = BTreeMap::new();
    if let Some(mode) = resolve_mode {
        attrs.insert(attr::IMAGE_RESOLVE_MODE.to_owned(), mode.to_owned());
    }
    let op = pb::SourceOp {
        identifier: format!("docker-image://{reference}"),
        attrs,
    };
    vertex(
        Kind::Source(op),
        vec![],
        Some(platform.to_pb()),
        meta.cap("source.image"),
    )
}

/// How the engine decides which files of a local source changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Differ {
    /// Every file is sent again.
    None,
    Metadata,
}

/// A `local://` source: a directory the client's session serves (the build context, the
/// Stagefile's folder, a named context). Empty pattern lists are left out.
#[derive(Clone, Debug, Default)]
pub struct Local {
    pub name: String,
    /// The session that serves it; `None` for offline output.
    pub session_id: Option<String>,
    /// Lets the engine reuse an earlier transfer of the same directory.
    pub shared_key_hint: Option<String>,
    pub include_patterns: Vec<String>,
    pub exclude_patterns: Vec<String>,
    /// Only these paths (and what symlinks in them point at) are sent.
    pub follow_paths: Option<Vec<String>>,
    pub differ: Option<Differ>,
}

impl Local {
    pub fn new(name: impl Into<String>) -> Self {
        Local {
            name: name.into(),
            ..Default::default()
        }
    }

    pub fn build(self, meta: Meta) -> Output {
        let mut attrs = BTreeMap::new();
        let mut set = |key: &str, value: String| {
            attrs.insert(key.to_owned(), value);
        };
        if let Some(sid) = self.session_id {
            set(attr::LOCAL_SESSION, sid);
        }
        if let Some(hint) = self.shared_key_hint {
            set(attr::LOCAL_SHARED_KEY_HINT, hint);
        }
        if !self.include_patterns.is_empty() {
            set(
                attr::LOCAL_INCLUDE_PATTERNS,
                json_list(&self.include_patterns),
            );
        }
        if !self.exclude_patterns.is_empty() {
            set(
                attr::LOCAL_EXCLUDE_PATTERNS,
                json_list(&self.exclude_patterns),
            );
        }
        if let Some(paths) = &self.follow_paths {
            set(attr::LOCAL_FOLLOW_PATHS, json_list(paths));
        }
        if let Some(differ) = self.differ {
            let value = match differ {
                Differ::None => "none",
                Differ::Metadata => "metadata",
            };
            set(attr::LOCAL_DIFFER, value.to_owned());
        }
        local(&self.name, attrs, meta)
    }
}

/// A `local://` source from attributes assembled by the caller; each known key adds its
/// capability. `local.differ` adds none: engines without it ignore it, and requiring it
/// would refuse them (BuildKit's Go client does not require it either).
pub fn local(name: &str, attrs: BTreeMap<String, String>, meta: Meta) -> Output {
    let mut meta = meta.cap("source.local");
    for key in attrs.keys() {
        let cap = match key.as_str() {
            attr::LOCAL_SESSION => "source.local.sessionid",
            attr::LOCAL_INCLUDE_PATTERNS => "source.local.includepatterns",
            attr::LOCAL_EXCLUDE_PATTERNS => "source.local.excludepatterns",
            attr::LOCAL_FOLLOW_PATHS => "source.local.followpaths",
            attr::LOCAL_SHARED_KEY_HINT => "source.local.sharedkeyhint",
            _ => continue,
        };
        meta = meta.cap(cap);
    }
    let op = pb::SourceOp {
        identifier: format!("local://{name}"),
        attrs,
    };
    vertex(Kind::Source(op), vec![], None, meta)
}

/// A Git checkout: `git://{remote}` at `reference` (a branch, tag or commit; empty for
/// the default branch), fetched from `full_url`.
#[derive(Clone, Debug)]
pub struct Git {
    pub remote: String,
    pub reference: String,
    pub full_url: String,
    /// The commit the checkout must be.
    pub checksum: Option<String>,
    pub keep_git_dir: bool,
}

impl Git {
    pub fn build(self, meta: Meta) -> Output {
        let mut identifier = format!("git://{}", self.remote);
        if !self.reference.is_empty() {
            identifier = format!("{identifier}#{}", self.reference);
        }
        let mut attrs = BTreeMap::new();
        attrs.insert(attr::GIT_FULL_URL.to_owned(), self.full_url);
        let mut meta = meta.cap("source.git");
        if let Some(commit) = self.checksum {
            attrs.insert(attr::GIT_CHECKSUM.to_owned(), commit);
            meta = meta.cap("source.git.checksum");
        }
        if self.keep_git_dir {
            attrs.insert(attr::GIT_KEEP_GIT_DIR.to_owned(), "true".to_owned());
            meta = meta.cap("source.git.keepgitdir");
        }
        vertex(
            Kind::Source(pb::SourceOp { identifier, attrs }),
            vec![],
            None,
            meta,
        )
    }
}

/// A download, saved as `filename` in the source's root.
#[derive(Clone, Debug)]
pub struct Http {
    pub url: String,
    pub filename: String,
    /// `sha256:…` the download must have.
    pub checksum: Option<String>,
}

impl Http {
    pub fn build(self, meta: Meta) -> Output {
        let mut attrs = BTreeMap::new();
        let mut meta = meta.cap("source.http");
        if let Some(c) = self.checksum {
            attrs.insert(attr::HTTP_CHECKSUM.to_owned(), c);
            meta = meta.cap("source.http.checksum");
        }
        attrs.insert(attr::HTTP_FILENAME.to_owned(), self.filename);
        let op = pb::SourceOp {
            identifier: self.url,
            attrs,
        };
        vertex(Kind::Source(op), vec![], None, meta)
    }
}

fn json_list(items: &[String]) -> String {
    serde_json::to_string(items).expect("strings serialise")
}
