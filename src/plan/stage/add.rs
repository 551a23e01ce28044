//! `add` steps: a download, a Git repository, or a file of the build context that is
//! unpacked when it is an archive, as Docker's ADD does. Pins are verified or refused,
//! never dropped.

use super::Ctx;
use crate::diag::Diagnostic;
use crate::plan::{AddKind, AddStep};
use crate::spec::{Spanned, Step, span_of};

impl Ctx<'_> {
    pub(super) fn add(&mut self, s: &Step) -> Option<AddStep> {
        let add = s.add.as_ref().expect("checked by caller");
        let url = self.expand(add)?;
        let kind = kind_of(&url);
        let url = match kind {
            AddKind::Context => self.inside(&url, span_of(add))?,
            _ => url,
        };
        // Every option is checked even after one fails, so the step reports all of them.
        let checksum = s.checksum.as_ref().map(|c| self.checksum(c, kind));
        let keep_git_dir = s.keep_git_dir.as_ref().is_some_and(|k| k.value);
        if let Some(k) = s.keep_git_dir.as_ref().filter(|_| kind != AddKind::Git) {
            self.diags.push(
                Diagnostic::error(span_of(k), "`keep-git-dir` is only for a Git repository")
                    .with_help("remove it, or add a `.git` URL"),
            );
        }
        let chmod = s.chmod.as_ref().map(|m| self.octal(&m.value.0, span_of(m)));
        let to = s.to.as_ref().and_then(|t| self.expand(t));
        let chown = s.chown.as_ref().and_then(|c| self.chown(c));
        if matches!(checksum, Some(None)) || matches!(chmod, Some(None)) {
            return None;
        }
        Some(AddStep {
            url,
            kind,
            to,
            checksum: checksum.flatten(),
            keep_git_dir,
            chown,
            chmod: chmod.flatten(),
        })
    }

    /// A download is pinned by `sha256:<hex>` of its bytes, a Git repository by its
    /// commit id (what Docker's `ADD --checksum` takes); a context file needs no pin.
    fn checksum(&mut self, c: &Spanned<String>, kind: AddKind) -> Option<String> {
        let text = self.expand(c)?;
        let hex = |t: &str, lengths: &[usize]| {
            lengths.contains(&t.len()) && t.bytes().all(|b| b.is_ascii_hexdigit())
        };
        let problem = match kind {
            AddKind::Http if !text.starts_with("sha256:") => Some((
                "`checksum` must be sha256:<hex>",
                "the download's SHA-256, e.g. from `sha256sum`",
            )),
            AddKind::Git if !hex(&text, &[40, 64]) => Some((
                "`checksum` of a Git repository is the commit id it must resolve to",
                "write the full commit id (40 hex digits, or 64 for a SHA-256 repository)",
            )),
            AddKind::Context => Some((
                "`checksum` pins a download or a Git commit; a file of the build context has none",
                "remove `checksum`",
            )),
            _ => None,
        };
        match problem {
            Some((message, help)) => {
                self.fail(Diagnostic::error(span_of(c), message).with_help(help))
            }
            None => Some(text),
        }
    }
}

/// Git when it looks like a repository URL, a download when it is HTTP(S), otherwise a
/// path in the build context.
fn kind_of(url: &str) -> AddKind {
    let git = url.ends_with(".git")
        || url.contains(".git#")
        || url.starts_with("git@")
        || url.starts_with("git://");
    if git {
        AddKind::Git
    } else if url.starts_with("https://") || url.starts_with("http://") {
        AddKind::Http
    } else {
        AddKind::Context
    }
}
