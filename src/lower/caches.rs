//! The generated target `<stage>.caches`: the content of every cache mount the stages'
//! `run` steps use, one directory `/<key>` each, in the layout a `seed` reads back.
//!
//! Each cache is copied out by an exec op that mounts it exactly as the last step using
//! it did (same id, sharing and seed input, so BuildKit hands it the same cache), on that
//! step's root filesystem (for its `cp`), with the target's final state mounted read-only
//! so it runs after the whole target. The copies write into one output mount, each op's
//! based on the previous op's, so no merge op is needed (Docker 20.10 has none).

use super::Lowering;
use crate::llb::{Exec, ExecMount, Meta, MountKind, Output};
use crate::plan::{RunMount, RunStep, cache_key};
use crate::platform::Platform;

/// Where the export mounts the result it writes into, and the target's final state.
const OUT: &str = "/.stagefile-caches";
const TARGET: &str = "/.stagefile-target";

/// The last `run` step that used a cache: what its export needs to mount it again.
pub(super) struct Use {
    id: String,
    mount: ExecMount,
    root: Option<Output>,
    path: String,
    platform: Platform,
    line: u32,
}

impl Lowering<'_> {
    /// Notes the cache mounts of a `run` step whose exec is ready to run, for the export.
    pub(super) fn note_caches(&mut self, exec: &Exec, run: &RunStep, line: u32) {
        if !self.plan.export_caches {
            return;
        }
        let ids = run.mounts.iter().filter_map(|m| match m {
            RunMount::Cache(c) => Some(c.id.as_str()),
            _ => None,
        });
        let mounts = exec
            .mounts
            .iter()
            .filter(|m| matches!(m.kind, MountKind::Cache { .. }));
        let path = exec
            .env
            .iter()
            .find(|e| e.starts_with("PATH="))
            .cloned()
            .unwrap_or_else(|| format!("PATH={}", crate::llb::DEFAULT_PATH));
        for (id, mount) in ids.zip(mounts) {
            self.caches.insert(
                cache_key(id),
                Use {
                    id: id.to_owned(),
                    mount: mount.clone(),
                    root: exec.root.clone(),
                    path: path.clone(),
                    platform: exec.platform.clone(),
                    line,
                },
            );
        }
    }

    /// The result of `<stage>.caches`, after `target` (the stage's final state); `None`
    /// (an empty result) when no step uses a cache.
    pub(super) fn export_caches(&mut self, target: Option<&Output>, stage: &str) -> Option<Output> {
        let mut out: Option<Output> = None;
        for (key, used) in std::mem::take(&mut self.caches) {
            let mut exec = Exec::new(used.root, used.platform);
            exec.args = vec![
                "cp".to_owned(),
                "-a".to_owned(),
                used.mount.dest.clone(),
                format!("{OUT}/{key}"),
            ];
            exec.env = vec![used.path];
            exec.cwd = "/".to_owned();
            // Root reads every cache whatever its owner, and `cp -a` keeps the owners.
            exec.user = "0:0".to_owned();
            exec.mounts.push(used.mount);
            exec.mounts.push(ExecMount {
                dest: OUT.to_owned(),
                source: out.take(),
                selector: String::new(),
                readonly: false,
                kind: MountKind::Output,
            });
            if let Some(target) = target {
                exec.mounts.push(ExecMount {
                    dest: TARGET.to_owned(),
                    source: Some(target.clone()),
                    selector: String::new(),
                    readonly: true,
                    kind: MountKind::Bind,
                });
            }
            // Always run: the cache's content is not part of any cache key.
            let meta = Meta::named(format!("[{stage}.caches] export cache {}", used.id))
                .at_line(used.line)
                .no_cache(true);
            out = Some(exec.run(meta).nth(1));
        }
        out
    }
}
