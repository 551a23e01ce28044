//! A small typed LLB builder: immutable outputs that chain into sources, exec and file
//! ops, marshaled deterministically into a BuildKit `Definition`.
//!
//! This room knows nothing of Stagefiles; it speaks BuildKit's op protobufs, and no
//! other room but the gateway does: callers give typed options, and the defaults
//! BuildKit expects (unset timestamps, mount modes, capabilities) are set here.

mod dump;
mod exec;
mod file;
mod marshal;
mod proto;
mod source;

pub use dump::dump;
pub use exec::{
    CacheSharing, Exec, ExecMount, MountKind, Network, ProxyEnv, SecretEnv, SecretMount, Security,
};
pub use file::{Copy, FileOp, Ident, MkDir, MkFile, Owner};
pub use marshal::{SourceMap, buildkit_reencoding, digest_of, marshal, marshal_with};
pub use source::{Differ, Git, Http, Local, attr, image, local};

/// A marshaled graph, as BuildKit receives it.
pub use bollard_buildkit_proto::pb::Definition;

use bollard_buildkit_proto::pb;
use file::{FileAction, FileRef};
use std::collections::BTreeSet;
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
    /// Which file of the source map those lines are in (0: the Stagefile).
    pub file: u32,
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

    /// The lines are in file `file` of the source map.
    pub fn in_file(mut self, file: u32) -> Self {
        self.file = file;
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

impl Output {
    /// Another result of the same vertex: an exec op's output mount (see
    /// [`MountKind::Output`]).
    pub fn nth(&self, index: i64) -> Output {
        Output {
            vertex: self.vertex.clone(),
            index,
        }
    }
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
            op.mkdir(MkDir::new(format!("/d{i}")));
            fs = Some(op.done(Meta::default()));
        }
        let def = marshal(fs.as_ref(), None);
        assert_eq!(def.def.len(), 30_001);
        drop(fs);
    }
}
