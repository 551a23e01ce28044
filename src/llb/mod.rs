//! A small typed LLB builder: immutable outputs that chain into sources, exec and file
//! ops, marshaled deterministically into a BuildKit `Definition`.
//!
//! This room knows nothing of Stagefiles; it speaks BuildKit's op protobufs.

mod dump;
mod marshal;

pub use dump::dump;
pub use marshal::{SourceMap, buildkit_reencoding, digest_of, marshal};

use bollard_buildkit_proto::pb;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// One result of a vertex; `None` where a filesystem is meant stands for scratch.
#[derive(Clone, Debug)]
pub struct Output {
    vertex: Rc<Vertex>,
    index: i64,
}

#[derive(Debug)]
struct Vertex {
    kind: Kind,
    inputs: Vec<Output>,
    platform: Option<pb::Platform>,
    meta: Meta,
}

#[derive(Debug)]
enum Kind {
    Source(pb::SourceOp),
    Exec(Box<pb::ExecOp>),
    File(Vec<FileAction>),
    Merge,
    /// A graph marshaled elsewhere (a client's input); its ops are copied as they are.
    Raw {
        def: pb::Definition,
        digest: String,
    },
}

/// Progress name, cache control, capabilities and Stagefile location of a vertex.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub name: Option<String>,
    pub ignore_cache: bool,
    pub caps: BTreeSet<&'static str>,
    /// 1-based first and last line in the Stagefile, for source-mapped errors.
    pub lines: Option<(u32, u32)>,
}

impl Meta {
    pub fn named(name: impl Into<String>) -> Self {
        Meta {
            name: Some(name.into()),
            ..Default::default()
        }
    }

    pub fn at_line(mut self, line: u32) -> Self {
        if line > 0 {
            self.lines = Some((line, line));
        }
        self
    }

    pub fn cap(mut self, cap: &'static str) -> Self {
        self.caps.insert(cap);
        self
    }

    pub fn no_cache(mut self, ignore: bool) -> Self {
        self.ignore_cache = ignore;
        self
    }
}

/// Frees a graph without recursion: dropping the last `Rc` of a 40,000-step chain one
/// vertex inside the other would exhaust the stack.
impl Drop for Vertex {
    fn drop(&mut self) {
        fn take(v: &mut Vertex, pending: &mut Vec<Rc<Vertex>>) {
            pending.extend(v.inputs.drain(..).map(|o| o.vertex));
            if let Kind::File(actions) = &mut v.kind {
                for a in actions.drain(..) {
                    for r in std::iter::once(a.input).chain(a.secondary) {
                        if let FileRef::Output(o) = r {
                            pending.push(o.vertex);
                        }
                    }
                }
            }
        }
        let mut pending = Vec::new();
        take(self, &mut pending);
        while let Some(v) = pending.pop() {
            // Only the last owner takes the inputs apart; others just drop a count.
            if let Ok(mut inner) = Rc::try_unwrap(v) {
                take(&mut inner, &mut pending);
            }
        }
    }
}

fn vertex(kind: Kind, inputs: Vec<Output>, platform: Option<pb::Platform>, meta: Meta) -> Output {
    Output {
        vertex: Rc::new(Vertex {
            kind,
            inputs,
            platform,
            meta,
        }),
        index: 0,
    }
}

/// `docker-image://` source.
pub fn image(
    reference: &str,
    platform: &pb::Platform,
    attrs: BTreeMap<String, String>,
    meta: Meta,
) -> Output {
    let op = pb::SourceOp {
        identifier: format!("docker-image://{reference}"),
        attrs,
    };
    vertex(
        Kind::Source(op),
        vec![],
        Some(platform.clone()),
        meta.cap("source.image"),
    )
}

/// `local://` source (the build context or the Stagefile's folder).
pub fn local(name: &str, attrs: BTreeMap<String, String>, meta: Meta) -> Output {
    let mut meta = meta.cap("source.local");
    for key in attrs.keys() {
        match key.as_str() {
            "local.session" => meta = meta.cap("source.local.sessionid"),
            "local.includepattern" => meta = meta.cap("source.local.includepatterns"),
            "local.excludepatterns" => meta = meta.cap("source.local.excludepatterns"),
            "local.followpaths" => meta = meta.cap("source.local.followpaths"),
            "local.sharedkeyhint" => meta = meta.cap("source.local.sharedkeyhint"),
            _ => {}
        }
    }
    let op = pb::SourceOp {
        identifier: format!("local://{name}"),
        attrs,
    };
    vertex(Kind::Source(op), vec![], None, meta)
}

/// Any other source: `https://…`, `git://…`.
pub fn source(identifier: String, attrs: BTreeMap<String, String>, meta: Meta) -> Output {
    vertex(
        Kind::Source(pb::SourceOp { identifier, attrs }),
        vec![],
        None,
        meta,
    )
}

/// Wraps a `Definition` made elsewhere (e.g. a client's `input:` context) as an output.
/// `None` when it is empty (scratch) or malformed.
pub fn from_definition(def: pb::Definition) -> Option<Output> {
    use prost::Message;
    let last = def.def.last()?;
    let terminal = pb::Op::decode(last.as_slice()).ok()?;
    let input = terminal.inputs.first()?.clone();
    let rc = Rc::new(Vertex {
        kind: Kind::Raw {
            def,
            digest: input.digest,
        },
        inputs: Vec::new(),
        platform: None,
        meta: Meta::default(),
    });
    Some(Output {
        vertex: rc,
        index: input.index,
    })
}

/// Layers `layers` on top of each other, each kept as an independent layer (`copy.link`).
pub fn merge(layers: Vec<Output>, meta: Meta) -> Output {
    vertex(Kind::Merge, layers, None, meta.cap("mergeop"))
}

/// A mount of an exec op; the root mount is given separately to [`Exec::new`].
#[derive(Clone, Debug)]
pub struct ExecMount {
    pub dest: String,
    pub source: Option<Output>,
    pub selector: String,
    pub readonly: bool,
    pub kind: MountKind,
}

#[derive(Clone, Debug)]
pub enum MountKind {
    Bind,
    Cache {
        id: String,
        sharing: pb::CacheSharingOpt,
    },
    /// `size`: upper limit in bytes; `None` leaves it to the engine.
    Tmpfs {
        size: Option<i64>,
    },
    Secret(pb::SecretOpt),
    Ssh(pb::SshOpt),
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
    pub meta: pb::Meta,
    pub mounts: Vec<ExecMount>,
    pub network: pb::NetMode,
    pub security: pb::SecurityMode,
    pub secret_env: Vec<pb::SecretEnv>,
    pub proxy_env: Option<ProxyEnv>,
    pub platform: pb::Platform,
}

impl Exec {
    pub fn new(root: Option<Output>, meta: pb::Meta, platform: pb::Platform) -> Self {
        Exec {
            root,
            meta,
            mounts: Vec::new(),
            network: pb::NetMode::Unset,
            security: pb::SecurityMode::Sandbox,
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
        let mut extra = self.mounts;
        extra.sort_by_key(|m| {
            (
                matches!(m.kind, MountKind::Secret(_) | MountKind::Ssh(_)),
                m.dest.clone(),
            )
        });
        for m in &extra {
            if !m.selector.is_empty() {
                meta = meta.cap("exec.mount.selector");
            }
            let mut pm = pb::Mount {
                input: input_of(&m.source),
                selector: m.selector.clone(),
                dest: m.dest.clone(),
                output: -1,
                readonly: m.readonly,
                ..Default::default()
            };
            match &m.kind {
                MountKind::Bind => {
                    if !m.readonly {
                        meta = meta.cap("exec.mount.bind.readwrite-nooutput");
                    }
                }
                MountKind::Cache { id, sharing } => {
                    meta = meta.cap("exec.mount.cache").cap("exec.mount.cache.sharing");
                    pm.mount_type = pb::MountType::Cache as i32;
                    pm.cache_opt = Some(pb::CacheOpt {
                        id: id.clone(),
                        sharing: *sharing as i32,
                    });
                }
                MountKind::Tmpfs { size } => {
                    meta = meta.cap("exec.mount.tmpfs");
                    pm.mount_type = pb::MountType::Tmpfs as i32;
                    // As BuildKit's Go client: the option and its cap only with a size.
                    if let Some(size) = size {
                        meta = meta.cap("exec.mount.tmpfs.size");
                        pm.tmpfs_opt = Some(pb::TmpfsOpt { size: *size });
                    }
                }
                MountKind::Secret(opt) => {
                    meta = meta.cap("exec.mount.secret");
                    pm.mount_type = pb::MountType::Secret as i32;
                    pm.secret_opt = Some(opt.clone());
                    pm.output = 0;
                }
                MountKind::Ssh(opt) => {
                    meta = meta.cap("exec.mount.ssh");
                    pm.mount_type = pb::MountType::Ssh as i32;
                    pm.ssh_opt = Some(opt.clone());
                    pm.output = 0;
                }
            }
            mounts.push(pm);
        }
        if self.network != pb::NetMode::Unset {
            meta = meta.cap("exec.meta.network");
        }
        if self.security != pb::SecurityMode::Sandbox {
            meta = meta.cap("exec.meta.security");
        }
        if !self.secret_env.is_empty() {
            meta = meta.cap("exec.secretenv");
        }
        let mut exec_meta = self.meta;
        if let Some(p) = self.proxy_env {
            meta = meta.cap("exec.meta.proxyenv");
            exec_meta.proxy_env = Some(pb::ProxyEnv {
                http_proxy: p.http_proxy,
                https_proxy: p.https_proxy,
                ftp_proxy: p.ftp_proxy,
                no_proxy: p.no_proxy,
                all_proxy: p.all_proxy,
            });
        }
        let op = pb::ExecOp {
            meta: Some(exec_meta),
            mounts,
            network: self.network as i32,
            security: self.security as i32,
            secretenv: self.secret_env,
            ..Default::default()
        };
        vertex(Kind::Exec(Box::new(op)), inputs, Some(self.platform), meta)
    }
}

/// Where a file action reads from: an output, scratch, or an earlier action of the op.
#[derive(Clone, Debug)]
enum FileRef {
    Output(Output),
    Scratch,
    Action(usize),
}

#[derive(Debug)]
struct FileAction {
    input: FileRef,
    secondary: Option<FileRef>,
    action: pb::file_action::Action,
}

/// A file op: a chain of copy / mkdir / mkfile actions, each applied to the previous result.
#[derive(Debug)]
pub struct FileOp {
    actions: Vec<FileAction>,
    base: FileRef,
}

impl FileOp {
    pub fn on(base: Option<Output>) -> Self {
        FileOp {
            actions: Vec::new(),
            base: base.map_or(FileRef::Scratch, FileRef::Output),
        }
    }

    fn push(&mut self, secondary: Option<FileRef>, action: pb::file_action::Action) {
        let input = match self.actions.len() {
            0 => self.base.clone(),
            n => FileRef::Action(n - 1),
        };
        self.actions.push(FileAction {
            input,
            secondary,
            action,
        });
    }

    pub fn copy(&mut self, from: Option<Output>, copy: pb::FileActionCopy) -> &mut Self {
        let from = from.map_or(FileRef::Scratch, FileRef::Output);
        self.push(Some(from), pb::file_action::Action::Copy(copy));
        self
    }

    pub fn mkdir(&mut self, mkdir: pb::FileActionMkDir) -> &mut Self {
        self.push(None, pb::file_action::Action::Mkdir(mkdir));
        self
    }

    pub fn mkfile(&mut self, mkfile: pb::FileActionMkFile) -> &mut Self {
        self.push(None, pb::file_action::Action::Mkfile(mkfile));
        self
    }

    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    pub fn done(self, meta: Meta) -> Output {
        let mut meta = meta.cap("file.base");
        for a in &self.actions {
            if let pb::file_action::Action::Copy(c) = &a.action
                && (!c.include_patterns.is_empty() || !c.exclude_patterns.is_empty())
            {
                meta = meta.cap("file.copy.includeexcludepatterns");
            }
        }
        let mut inputs: Vec<Output> = Vec::new();
        for a in &self.actions {
            for r in std::iter::once(&a.input).chain(a.secondary.iter()) {
                if let FileRef::Output(o) = r
                    && !inputs.iter().any(|i| same(i, o))
                {
                    inputs.push(o.clone());
                }
            }
        }
        vertex(Kind::File(self.actions), inputs, None, meta)
    }
}

fn same(a: &Output, b: &Output) -> bool {
    Rc::ptr_eq(&a.vertex, &b.vertex) && a.index == b.index
}

/// Default search path for exec ops whose image sets none (imported images often don't).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain far longer than the stack allows recursion for, marshaled and
    /// freed on a test thread's small stack.
    #[test]
    fn a_very_long_chain_marshals_and_drops_without_recursion() {
        let mut fs: Option<Output> = None;
        for i in 0..30_000 {
            let mut op = FileOp::on(fs.take());
            op.mkdir(pb::FileActionMkDir {
                path: format!("/d{i}"),
                ..Default::default()
            });
            fs = Some(op.done(Meta::default()));
        }
        let def = marshal(fs.as_ref(), None);
        assert_eq!(def.def.len(), 30_001);
        drop(fs);
    }
}
