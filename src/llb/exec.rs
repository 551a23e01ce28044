//! Exec ops: a process on a root filesystem, with its mounts, network and security
//! modes, secrets and proxy settings; each option adds the capability it needs.

use super::{Kind, Meta, Output, same, vertex};
use crate::platform::Platform;
use bollard_buildkit_proto::pb;

/// A mount of an exec op; the root mount is given separately to [`Exec::new`].
#[derive(Clone, Debug)]
pub struct ExecMount {
    pub dest: String,
    pub source: Option<Output>,
    /// The path inside `source` that is mounted; empty for its root.
    pub selector: String,
    pub readonly: bool,
    pub kind: MountKind,
}

#[derive(Clone, Debug)]
pub enum MountKind {
    Bind,
    /// A writable bind whose content after the command is an output of the op: the
    /// first such mount (by destination) is [`Output::nth`]`(1)` of the result.
    Output,
    Cache {
        id: String,
        sharing: CacheSharing,
    },
    /// `size`: upper limit in bytes; `None` leaves it to the engine.
    Tmpfs {
        size: Option<i64>,
    },
    Secret(SecretMount),
    /// The client's SSH agent socket, owned by root with mode 0600.
    Ssh {
        id: String,
        optional: bool,
    },
}

/// How concurrent builds share a cache mount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheSharing {
    Shared,
    Private,
    Locked,
}

/// A secret mounted as a file.
#[derive(Clone, Debug)]
pub struct SecretMount {
    pub id: String,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub optional: bool,
}

/// A secret given to the process as the variable `name`.
#[derive(Clone, Debug)]
pub struct SecretEnv {
    pub id: String,
    pub name: String,
    pub optional: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Network {
    /// The engine's default (a sandboxed network).
    #[default]
    Default,
    None,
    Host,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Security {
    #[default]
    Sandbox,
    Insecure,
}

/// Proxy settings BuildKit gives a process as `HTTP_PROXY`/`http_proxy` and so on,
/// outside its cache key (Docker's predefined proxy args). Empty fields are not set.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyEnv {
    pub http_proxy: String,
    pub https_proxy: String,
    pub ftp_proxy: String,
    pub no_proxy: String,
    pub all_proxy: String,
}

/// An exec op under construction.
#[derive(Debug)]
pub struct Exec {
    pub root: Option<Output>,
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub user: String,
    pub mounts: Vec<ExecMount>,
    pub network: Network,
    pub security: Security,
    pub secret_env: Vec<SecretEnv>,
    pub proxy_env: Option<ProxyEnv>,
    pub platform: Platform,
}

impl Exec {
    pub fn new(root: Option<Output>, platform: Platform) -> Self {
        Exec {
            root,
            args: Vec::new(),
            env: Vec::new(),
            cwd: String::new(),
            user: String::new(),
            mounts: Vec::new(),
            network: Network::Default,
            security: Security::Sandbox,
            secret_env: Vec::new(),
            proxy_env: None,
            platform,
        }
    }

    /// Finishes the op; the result is the root filesystem after the command ran.
    pub fn run(self, meta: Meta) -> Output {
        let mut meta = meta.cap("exec.meta.base").cap("exec.mount.bind");
        let mut inputs: Vec<Output> = Vec::new();
        let mut input_of = |o: &Option<Output>| -> i64 {
            match o {
                None => -1,
                Some(o) => match inputs.iter().position(|i| same(i, o)) {
                    Some(p) => p as i64,
                    None => {
                        inputs.push(o.clone());
                        inputs.len() as i64 - 1
                    }
                },
            }
        };
        let mut mounts = vec![pb::Mount {
            input: input_of(&self.root),
            dest: "/".into(),
            output: 0,
            ..Default::default()
        }];
        // Stable order: by destination, with secrets and ssh last, as BuildKit's Go client does.
        let mut outputs = 0;
        let mut extra = self.mounts;
        extra.sort_by_key(|m| {
            (
                matches!(m.kind, MountKind::Secret(_) | MountKind::Ssh { .. }),
                m.dest.clone(),
            )
        });
        for m in extra {
            if !m.selector.is_empty() {
                meta = meta.cap("exec.mount.selector");
            }
            let mut pm = pb::Mount {
                input: input_of(&m.source),
                selector: m.selector,
                dest: m.dest,
                output: -1,
                readonly: m.readonly,
                ..Default::default()
            };
            match m.kind {
                MountKind::Bind => {
                    if !m.readonly {
                        meta = meta.cap("exec.mount.bind.readwrite-nooutput");
                    }
                }
                MountKind::Output => {
                    outputs += 1;
                    pm.output = outputs;
                    pm.readonly = false;
                }
                MountKind::Cache { id, sharing } => {
                    meta = meta.cap("exec.mount.cache").cap("exec.mount.cache.sharing");
                    pm.mount_type = pb::MountType::Cache as i32;
                    let sharing = match sharing {
                        CacheSharing::Shared => pb::CacheSharingOpt::Shared,
                        CacheSharing::Private => pb::CacheSharingOpt::Private,
                        CacheSharing::Locked => pb::CacheSharingOpt::Locked,
                    };
                    pm.cache_opt = Some(pb::CacheOpt {
                        id,
                        sharing: sharing as i32,
                    });
                }
                MountKind::Tmpfs { size } => {
                    meta = meta.cap("exec.mount.tmpfs");
                    pm.mount_type = pb::MountType::Tmpfs as i32;
                    // As BuildKit's Go client: the option and its cap only with a size.
                    if let Some(size) = size {
                        meta = meta.cap("exec.mount.tmpfs.size");
                        pm.tmpfs_opt = Some(pb::TmpfsOpt { size });
                    }
                }
                MountKind::Secret(s) => {
                    meta = meta.cap("exec.mount.secret");
                    pm.mount_type = pb::MountType::Secret as i32;
                    pm.secret_opt = Some(pb::SecretOpt {
                        id: s.id,
                        uid: s.uid,
                        gid: s.gid,
                        mode: s.mode,
                        optional: s.optional,
                    });
                    pm.output = 0;
                }
                MountKind::Ssh { id, optional } => {
                    meta = meta.cap("exec.mount.ssh");
                    pm.mount_type = pb::MountType::Ssh as i32;
                    pm.ssh_opt = Some(pb::SshOpt {
                        id,
                        uid: 0,
                        gid: 0,
                        mode: 0o600,
                        optional,
                    });
                    pm.output = 0;
                }
            }
            mounts.push(pm);
        }
        let network = match self.network {
            Network::Default => pb::NetMode::Unset,
            Network::None => pb::NetMode::None,
            Network::Host => pb::NetMode::Host,
        };
        if network != pb::NetMode::Unset {
            meta = meta.cap("exec.meta.network");
        }
        let security = match self.security {
            Security::Sandbox => pb::SecurityMode::Sandbox,
            Security::Insecure => pb::SecurityMode::Insecure,
        };
        if security != pb::SecurityMode::Sandbox {
            meta = meta.cap("exec.meta.security");
        }
        if !self.secret_env.is_empty() {
            meta = meta.cap("exec.secretenv");
        }
        let proxy_env = match self.proxy_env {
            None => None,
            Some(p) => {
                meta = meta.cap("exec.meta.proxyenv");
                Some(pb::ProxyEnv {
                    http_proxy: p.http_proxy,
                    https_proxy: p.https_proxy,
                    ftp_proxy: p.ftp_proxy,
                    no_proxy: p.no_proxy,
                    all_proxy: p.all_proxy,
                })
            }
        };
        let op = pb::ExecOp {
            meta: Some(pb::Meta {
                args: self.args,
                env: self.env,
                cwd: self.cwd,
                user: self.user,
                proxy_env,
                // Mount points the engine had to create are removed again, as the Go client asks.
                remove_mount_stubs_recursive: true,
                ..Default::default()
            }),
            mounts,
            network: network as i32,
            security: security as i32,
            secretenv: self
                .secret_env
                .into_iter()
                .map(|e| pb::SecretEnv {
                    id: e.id,
                    name: e.name,
                    optional: e.optional,
                })
                .collect(),
            ..Default::default()
        };
        vertex(
            Kind::Exec(Box::new(op)),
            inputs,
            Some(self.platform.to_pb()),
            meta,
        )
    }
}
