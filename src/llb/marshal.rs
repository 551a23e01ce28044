//! Deterministic marshaling: the same graph always gives the same bytes and digests.

use super::file::FileOpFields;
use super::{Kind, Output, Vertex, proto};
use bollard_buildkit_proto::pb;
use prost::Message;
use prost::encoding::message;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// The Stagefile's text, attached so BuildKit can show the line of a failing step.
pub struct SourceMap<'a> {
    pub filename: &'a str,
    pub data: &'a [u8],
}

impl<'a> SourceMap<'a> {
    pub fn one(filename: &'a str, data: &'a [u8]) -> Self {
        SourceMap { filename, data }
    }
}

pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Serialises the graph that ends in `root` (scratch when `None`) into a `Definition`.
/// Ops are emitted inputs first, each once (identical ops share a digest), and the
/// terminal op last, as BuildKit requires.
pub fn marshal(root: Option<&Output>, source: Option<&SourceMap>) -> pb::Definition {
    marshal_with(root, source, &[])
}

/// `marshal` with further files after the Stagefile in the source map (`Meta::file` 1,
/// 2, …: the files it includes).
pub fn marshal_with(
    root: Option<&Output>,
    source: Option<&SourceMap>,
    more: &[(&str, &[u8])],
) -> pb::Definition {
    let Some(root) = root else {
        return pb::Definition::default();
    };
    let mut def = pb::Definition::default();
    let mut digests: HashMap<*const Vertex, String> = HashMap::new();
    let mut locations: BTreeMap<String, pb::Locations> = BTreeMap::new();
    // Iterative post-order walk: deep graphs must not exhaust the stack.
    let mut stack: Vec<(Rc<Vertex>, bool)> = vec![(root.vertex.clone(), false)];
    while let Some((v, expanded)) = stack.pop() {
        let key = Rc::as_ptr(&v);
        if digests.contains_key(&key) {
            continue;
        }
        if !expanded {
            stack.push((v.clone(), true));
            for input in v.inputs.iter().rev() {
                stack.push((input.vertex.clone(), false));
            }
            continue;
        }
        if let Kind::Raw { def: raw, digest } = &v.kind {
            // Copy the foreign graph's ops (all but its terminal) and their metadata.
            for bytes in &raw.def[..raw.def.len() - 1] {
                let d = digest_of(bytes);
                if let std::collections::btree_map::Entry::Vacant(slot) =
                    def.metadata.entry(d.clone())
                {
                    slot.insert(raw.metadata.get(&d).cloned().unwrap_or_default());
                    def.def.push(bytes.clone());
                }
            }
            digests.insert(key, digest.clone());
            continue;
        }
        let bytes = encode(&v, &digests);
        let digest = digest_of(&bytes);
        digests.insert(key, digest.clone());
        if def.metadata.contains_key(&digest) {
            continue; // an identical op was already emitted
        }
        def.def.push(bytes);
        def.metadata.insert(digest.clone(), metadata(&v.meta));
        if let (Some((start, end)), Some(_)) = (v.meta.lines, source) {
            // A file the map lacks cannot be shown; the Stagefile stands in.
            let file = if (v.meta.file as usize) <= more.len() {
                v.meta.file
            } else {
                0
            };
            let range = pb::Range {
                start: Some(pb::Position {
                    line: start as i32,
                    character: 0,
                }),
                end: Some(pb::Position {
                    line: end as i32,
                    character: 0,
                }),
            };
            locations.insert(
                digest,
                pb::Locations {
                    locations: vec![pb::Location {
                        source_index: file as i32,
                        ranges: vec![range],
                    }],
                },
            );
        }
    }
    let terminal = pb::Op {
        inputs: vec![pb::Input {
            digest: digests[&Rc::as_ptr(&root.vertex)].clone(),
            index: root.index,
        }],
        ..Default::default()
    };
    let bytes = terminal.encode_to_vec();
    let mut caps = BTreeMap::new();
    caps.insert("constraints".to_owned(), true);
    caps.insert("platform".to_owned(), true);
    caps.insert("meta.description".to_owned(), true);
    def.metadata.insert(
        digest_of(&bytes),
        pb::OpMetadata {
            caps,
            ..Default::default()
        },
    );
    def.def.push(bytes);
    if let Some(src) = source {
        def.source = Some(pb::Source {
            locations,
            infos: std::iter::once((src.filename, src.data))
                .chain(more.iter().copied())
                .map(|(filename, data)| pb::SourceInfo {
                    filename: filename.to_owned(),
                    data: data.to_vec(),
                    definition: None,
                    language: "Stagefile".to_owned(),
                })
                .collect(),
        });
    }
    def
}

/// The wire bytes of `v`'s `pb::Op`, written field by field in the order BuildKit's own
/// marshaller uses (regular fields ascending, then the oneof), borrowing the vertex's
/// exec, source and file parts instead of cloning them into an owned `pb::Op` first (a
/// 1,000-stage file has megabytes of them). File ops are written field by field
/// (`file.rs`), as their owners' names need the number of the action's input.
fn encode(v: &Vertex, digests: &HashMap<*const Vertex, String>) -> Vec<u8> {
    let mut buf = Vec::with_capacity(256);
    for o in &v.inputs {
        let input = pb::Input {
            digest: digests[&Rc::as_ptr(&o.vertex)].clone(),
            index: o.index,
        };
        message::encode(OP_INPUTS, &input, &mut buf);
    }
    // BuildKit (v0.18+) re-encodes every op with vtprotobuf, which writes a message's
    // regular fields first and its oneof last; writing the same order keeps our digests
    // the ones BuildKit names its vertices by.
    if let Some(platform) = &v.platform {
        message::encode(OP_PLATFORM, platform, &mut buf);
    }
    message::encode(OP_CONSTRAINTS, &pb::WorkerConstraints::default(), &mut buf);
    match &v.kind {
        Kind::Raw { .. } => unreachable!("raw graphs are copied, not encoded"),
        Kind::Merge => {
            let merge = pb::MergeOp {
                inputs: (0..v.inputs.len() as i64)
                    .map(|input| pb::MergeInput { input })
                    .collect(),
            };
            message::encode(OP_MERGE, &merge, &mut buf);
        }
        Kind::Source(s) => message::encode(OP_SOURCE, s, &mut buf),
        Kind::Exec(e) => message::encode(OP_EXEC, &**e, &mut buf),
        Kind::File(actions) => {
            let file_op = FileOpFields { vertex: v, actions };
            proto::message(&mut buf, OP_FILE, &file_op);
        }
    }
    buf
}

// Field numbers of `pb::Op` (BuildKit's ops.proto).
const OP_INPUTS: u32 = 1;
const OP_EXEC: u32 = 2;
const OP_SOURCE: u32 = 3;
const OP_FILE: u32 = 4;
const OP_MERGE: u32 = 6;
const OP_PLATFORM: u32 = 10;
const OP_CONSTRAINTS: u32 = 11;

/// An op as BuildKit v0.18+ re-encodes it, built the slow way from a decoded op: prost
/// writes the regular fields, then the oneof body as a message of its own. `encode`
/// must give the same bytes; the property tests and the fuzz target check it against this.
pub fn buildkit_reencoding(op: &pb::Op) -> Vec<u8> {
    let regular = pb::Op {
        op: None,
        ..op.clone()
    };
    let body = pb::Op {
        op: op.op.clone(),
        ..Default::default()
    };
    let mut bytes = regular.encode_to_vec();
    body.encode_raw(&mut bytes);
    bytes
}

/// The op metadata's description key for its progress name.
pub(super) const CUSTOM_NAME: &str = "llb.customname";

fn metadata(meta: &super::Meta) -> pb::OpMetadata {
    let mut description = BTreeMap::new();
    if let Some(name) = &meta.name {
        description.insert(CUSTOM_NAME.to_owned(), name.clone());
    }
    let mut caps: BTreeMap<String, bool> =
        meta.caps.iter().map(|c| (c.to_string(), true)).collect();
    if meta.ignore_cache {
        caps.insert("meta.ignorecache".to_owned(), true);
    }
    pb::OpMetadata {
        ignore_cache: meta.ignore_cache,
        description,
        caps,
        ..Default::default()
    }
}
