//! Lowering of `add` steps: the source (a download, a Git checkout, or the build context)
//! and one copy of it into the stage.

use super::{Lowering, clean_abs, current_dir, dest_path, owner_opt};
use crate::image::Image;
use crate::llb::{self, FileOp, Meta, Output};
use crate::plan::{AddKind, AddStep};
use bollard_buildkit_proto::pb;
use std::collections::BTreeMap;

impl Lowering<'_> {
    pub(super) fn add(
        &mut self,
        fs: Option<Output>,
        image: &mut Image,
        add: &AddStep,
        meta: impl Fn(String) -> Meta,
    ) -> Option<Output> {
        let workdir = current_dir(image);
        let (src_fs, src, dest) = match add.kind {
            AddKind::Git => (
                git_source(add),
                "/".to_owned(),
                dest_path(&workdir, add.to.as_deref(), true),
            ),
            AddKind::Http => {
                let (source, name) = http_source(add);
                (
                    source,
                    format!("/{name}"),
                    dest_path(&workdir, add.to.as_deref(), false),
                )
            }
            AddKind::Context => (
                self.context(),
                clean_abs(&add.url),
                dest_path(&workdir, add.to.as_deref(), false),
            ),
        };
        let mut op = FileOp::on(fs);
        op.copy(
            Some(src_fs),
            pb::FileActionCopy {
                src,
                dest: dest.clone(),
                owner: add.chown.as_ref().map(owner_opt),
                mode: add.chmod.map_or(-1, |m| m as i32),
                follow_symlink: true,
                dir_copy_contents: true,
                create_dest_path: true,
                // A local archive (tar, optionally compressed) is unpacked into `dest`,
                // as Docker's ADD does; downloads and other files are copied as they are.
                attempt_unpack_docker_compatibility: add.kind == AddKind::Context,
                allow_wildcard: add.kind == AddKind::Context,
                timestamp: -1,
                ..Default::default()
            },
        );
        let shown = format!("ADD {} {dest}", add.url);
        image.add_history(format!("{shown} # stagefile"), false);
        Some(op.done(meta(shown)))
    }
}

/// A Git checkout at the ref after `#`, verified against the commit id in `checksum`.
fn git_source(add: &AddStep) -> Output {
    let (repo, reference) = add.url.split_once('#').unwrap_or((&add.url, ""));
    let remote = repo
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("git://");
    let mut id = format!("git://{remote}");
    if !reference.is_empty() {
        id = format!("{id}#{reference}");
    }
    let mut attrs = BTreeMap::new();
    attrs.insert("git.fullurl".to_owned(), repo.to_owned());
    let mut meta = Meta::named(format!("[internal] load git source {}", add.url)).cap("source.git");
    if let Some(commit) = &add.checksum {
        attrs.insert("git.checksum".to_owned(), commit.clone());
        meta = meta.cap("source.git.checksum");
    }
    if add.keep_git_dir {
        attrs.insert("git.keepgitdir".to_owned(), "true".to_owned());
        meta = meta.cap("source.git.keepgitdir");
    }
    llb::source(id, attrs, meta)
}

/// A download named after the URL's last part; its name in the source's root.
fn http_source(add: &AddStep) -> (Output, String) {
    let name = add
        .url
        .rsplit('/')
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("download")
        .to_owned();
    let mut attrs = BTreeMap::new();
    let mut meta = Meta::named(format!("[internal] download {}", add.url)).cap("source.http");
    if let Some(c) = &add.checksum {
        attrs.insert("http.checksum".to_owned(), c.clone());
        meta = meta.cap("source.http.checksum");
    }
    attrs.insert("http.filename".to_owned(), name.clone());
    (llb::source(add.url.clone(), attrs, meta), name)
}
