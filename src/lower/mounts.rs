//! The mounts of a `run` step, one function per kind: caches, secrets, the SSH agent,
//! in-memory filesystems and bind mounts.

use super::Lowering;
use super::paths::{basename, clean_abs};
use crate::llb::{self, Exec, ExecMount, FileOp, Ident, Meta, MkDir, MountKind};
use crate::plan::{BindMount, CacheMount, RunMount, SecretMount, Sharing, SshMount, TmpfsMount};
use crate::platform::Platform;

impl Lowering<'_> {
    pub(super) fn mount(&mut self, exec: &mut Exec, mount: &RunMount) {
        match mount {
            RunMount::Cache(c) => {
                let m = self.cache(c, &exec.platform);
                exec.mounts.push(m);
            }
            RunMount::Secret(s) => secret(exec, s),
            RunMount::Ssh(s) => ssh(exec, s),
            RunMount::Tmpfs(t) => exec.mounts.push(tmpfs(t)),
            RunMount::Bind(b) => {
                let m = self.bind(b, &exec.platform);
                exec.mounts.push(m);
            }
        }
    }

    fn cache(&mut self, c: &CacheMount, platform: &Platform) -> ExecMount {
        let sharing = match c.sharing {
            Sharing::Shared => llb::CacheSharing::Shared,
            Sharing::Private => llb::CacheSharing::Private,
            Sharing::Locked => llb::CacheSharing::Locked,
        };
        let seeded = c.mode.is_some() || c.uid.is_some() || c.gid.is_some();
        let seed = c.seed.as_ref().and_then(|s| Some((s.from.as_ref()?, s)));
        let (source, selector) = match &c.from {
            Some((src, path)) => (self.source_fs(src, platform), selector(path)),
            None if seed.is_some() => {
                let (from, seed) = seed.expect("checked by the guard");
                let base = self.source_fs(from, platform);
                match selector(&seed.dir) {
                    root if root.is_empty() => (base, root),
                    dir => {
                        // A seed without the cache's directory (nothing saved yet) must
                        // not fail the build: the directory is made when it is missing.
                        let mut op = FileOp::on(base);
                        op.mkdir(MkDir {
                            mode: c.mode.unwrap_or(0o755),
                            owner: seeded.then(|| llb::Owner {
                                user: Ident::Id(c.uid.unwrap_or(0)),
                                group: Some(Ident::Id(c.gid.unwrap_or(0))),
                            }),
                            ..MkDir::new(dir.clone())
                        });
                        let name = format!("[internal] seed cache {} from {}", c.id, seed.name);
                        (Some(op.done(Meta::named(name))), dir)
                    }
                }
            }
            None if seeded => {
                // Ownership and mode of a fresh cache come from a seed directory.
                let mut op = FileOp::on(None);
                op.mkdir(MkDir {
                    mode: c.mode.unwrap_or(0o755),
                    owner: Some(llb::Owner {
                        user: Ident::Id(c.uid.unwrap_or(0)),
                        group: Some(Ident::Id(c.gid.unwrap_or(0))),
                    }),
                    ..MkDir::new("/cache".to_owned())
                });
                (Some(op.done(Meta::default())), "/cache".to_owned())
            }
            None => (None, String::new()),
        };
        ExecMount {
            dest: c.target.clone(),
            source,
            selector,
            readonly: false,
            kind: MountKind::Cache {
                id: c.id.clone(),
                sharing,
            },
        }
    }

    fn bind(&mut self, b: &BindMount, platform: &Platform) -> ExecMount {
        ExecMount {
            dest: b.target.clone(),
            source: self.source_fs(&b.from, platform),
            selector: selector(&b.source),
            readonly: !b.rw,
            kind: MountKind::Bind,
        }
    }
}

/// A secret as a file, as a variable, or both.
fn secret(exec: &mut Exec, s: &SecretMount) {
    if let Some(name) = &s.env {
        exec.secret_env.push(llb::SecretEnv {
            id: s.id.clone(),
            name: name.clone(),
            optional: !s.required,
        });
    }
    if s.target.is_some() || s.env.is_none() {
        let dest = s
            .target
            .clone()
            .unwrap_or_else(|| format!("/run/secrets/{}", basename(&s.id)));
        exec.mounts.push(ExecMount {
            dest,
            source: None,
            selector: String::new(),
            readonly: true,
            kind: MountKind::Secret(llb::SecretMount {
                id: s.id.clone(),
                uid: s.uid,
                gid: s.gid,
                mode: s.mode,
                optional: !s.required,
            }),
        });
    }
}

/// The SSH agent's socket; the first one is what `SSH_AUTH_SOCK` names.
fn ssh(exec: &mut Exec, s: &SshMount) {
    let sockets = exec
        .mounts
        .iter()
        .filter(|m| matches!(m.kind, MountKind::Ssh { .. }))
        .count();
    let dest = s
        .target
        .clone()
        .unwrap_or_else(|| format!("/run/buildkit/ssh_agent.{sockets}"));
    if sockets == 0 {
        exec.env
            .retain(|e| e.split_once('=').is_none_or(|(n, _)| n != "SSH_AUTH_SOCK"));
        exec.env.push(format!("SSH_AUTH_SOCK={dest}"));
    }
    exec.mounts.push(ExecMount {
        dest,
        source: None,
        selector: String::new(),
        readonly: true,
        kind: MountKind::Ssh {
            id: s.id.clone(),
            optional: !s.required,
        },
    });
}

fn tmpfs(t: &TmpfsMount) -> ExecMount {
    ExecMount {
        dest: t.target.clone(),
        source: None,
        selector: String::new(),
        readonly: false,
        kind: MountKind::Tmpfs { size: t.size },
    }
}

/// The mounted path inside a source; its root is the empty selector.
fn selector(path: &str) -> String {
    match clean_abs(path) {
        root if root == "/" => String::new(),
        p => p,
    }
}
