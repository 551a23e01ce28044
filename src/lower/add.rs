//! `add` steps: the source (a download, a Git checkout, or the build context) and one
//! copy of it into the stage.

use super::paths::{clean_abs, current_dir, dest_path};
use super::{Lowering, Step, owner};
use crate::llb::{self, FileOp, Meta, Output};
use crate::plan::{AddKind, AddStep};

impl Lowering<'_> {
    pub(super) fn add(&mut self, step: &mut Step, add: &AddStep) {
        let workdir = current_dir(step.image);
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
        let local = add.kind == AddKind::Context;
        let mut op = FileOp::on(step.fs.take());
        op.copy(
            Some(src_fs),
            llb::Copy {
                owner: add.chown.as_ref().map(owner),
                mode: add.chmod,
                // A local archive (tar, optionally compressed) is unpacked into `dest`,
                // as Docker's ADD does; downloads and other files are copied as they are.
                attempt_unpack: local,
                allow_wildcard: local,
                ..llb::Copy::new(src, dest.clone())
            },
        );
        let shown = format!("ADD {} {dest}", add.url);
        step.image
            .add_history(format!("{shown} # stagefile"), false);
        step.fs = Some(op.done(step.meta(&shown)));
    }
}

/// A Git checkout at the ref after `#`, verified against the commit id in `checksum`.
fn git_source(add: &AddStep) -> Output {
    let (repo, reference) = add.url.split_once('#').unwrap_or((&add.url, ""));
    let remote = repo
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("git://");
    llb::Git {
        remote: remote.to_owned(),
        reference: reference.to_owned(),
        full_url: repo.to_owned(),
        checksum: add.checksum.clone(),
        keep_git_dir: add.keep_git_dir,
    }
    .build(Meta::named(format!(
        "[internal] load git source {}",
        add.url
    )))
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
    let source = llb::Http {
        url: add.url.clone(),
        filename: name.clone(),
        checksum: add.checksum.clone(),
    }
    .build(Meta::named(format!("[internal] download {}", add.url)));
    (source, name)
}
