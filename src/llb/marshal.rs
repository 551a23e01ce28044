//! Deterministic marshaling: the same graph always gives the same bytes and digests.

use super::{FileAction, FileRef, Kind, Output, Vertex};
use bollard_buildkit_proto::pb;
use prost::Message;
use prost::encoding::{self, WireType, int64, message};
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// The Stagefile's text, attached so BuildKit can show the line of a failing step.
pub struct SourceMap<'a> {
    pub filename: &'a str,
    pub data: &'a [u8],
}

pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Serialises the graph that ends in `root` (scratch when `None`) into a `Definition`.
/// Ops are emitted inputs first, each once (identical ops share a digest), and the
/// terminal op last, as BuildKit requires.
pub fn marshal(root: Option<&Output>, source: Option<&SourceMap>) -> pb::Definition {
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
                        source_index: 0,
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
            infos: vec![pb::SourceInfo {
                filename: src.filename.to_owned(),
                data: src.data.to_vec(),
                definition: None,
                language: "Stagefile".to_owned(),
            }],
        });
    }
    def
}

/// The wire bytes of `v`'s `pb::Op`, written field by field in the order BuildKit's own
/// marshaller uses (regular fields ascending, then the oneof), borrowing the vertex's
/// exec, source and file parts instead of cloning them into an owned `pb::Op` first (a
/// 1,000-stage file has megabytes of them).
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
        Kind::File(actions) => encode_file_op(v, actions, &mut buf),
    }
    buf
}

// Field numbers of `pb::Op`, `pb::FileOp` and `pb::FileAction` (BuildKit's ops.proto).
const OP_INPUTS: u32 = 1;
const OP_EXEC: u32 = 2;
const OP_SOURCE: u32 = 3;
const OP_FILE: u32 = 4;
const OP_MERGE: u32 = 6;
const OP_PLATFORM: u32 = 10;
const OP_CONSTRAINTS: u32 = 11;
const FILE_OP_ACTIONS: u32 = 2;
const ACTION_INPUT: u32 = 1;
const ACTION_SECONDARY_INPUT: u32 = 2;
const ACTION_OUTPUT: u32 = 3;

/// A file action's numbered inputs and its action, borrowed unless an owner name needed
/// the input's number.
struct ActionFields<'a> {
    input: i64,
    secondary_input: i64,
    output: i64,
    action: Cow<'a, pb::file_action::Action>,
    /// The encoded length of the fields above, needed twice: for the `FileOp`'s length
    /// and for the action's own.
    body_len: usize,
}

impl<'a> ActionFields<'a> {
    /// proto3 leaves zero scalars out, as prost does.
    fn int64_len(tag: u32, value: i64) -> usize {
        if value == 0 {
            0
        } else {
            int64::encoded_len(tag, &value)
        }
    }

    fn new(
        input: i64,
        secondary_input: i64,
        output: i64,
        action: Cow<'a, pb::file_action::Action>,
    ) -> Self {
        let body_len = Self::int64_len(ACTION_INPUT, input)
            + Self::int64_len(ACTION_SECONDARY_INPUT, secondary_input)
            + Self::int64_len(ACTION_OUTPUT, output)
            + action.encoded_len();
        ActionFields {
            input,
            secondary_input,
            output,
            action,
            body_len,
        }
    }

    fn encode(&self, buf: &mut Vec<u8>) {
        for (tag, value) in [
            (ACTION_INPUT, self.input),
            (ACTION_SECONDARY_INPUT, self.secondary_input),
            (ACTION_OUTPUT, self.output),
        ] {
            if value != 0 {
                int64::encode(tag, &value, buf);
            }
        }
        self.action.encode(buf);
    }
}

/// An owner given by name is looked up in the /etc/passwd and /etc/group of the action's
/// own input (as BuildKit's Go client does), whose number is known only here.
fn with_owner_input(
    action: &pb::file_action::Action,
    input: i64,
) -> Cow<'_, pb::file_action::Action> {
    use pb::user_opt::User;
    let named = |u: &Option<pb::UserOpt>| {
        matches!(
            u,
            Some(pb::UserOpt {
                user: Some(User::ByName(_))
            })
        )
    };
    let mut action = Cow::Borrowed(action);
    if !owner_of(&action).is_some_and(|o| named(&o.user) || named(&o.group)) {
        return action;
    }
    if let Some(o) = owner_of_mut(action.to_mut()) {
        for u in [&mut o.user, &mut o.group].into_iter().flatten() {
            if let Some(User::ByName(n)) = &mut u.user {
                n.input = input;
            }
        }
    }
    action
}

fn owner_of(action: &pb::file_action::Action) -> Option<&pb::ChownOpt> {
    use pb::file_action::Action;
    match action {
        Action::Copy(c) => c.owner.as_ref(),
        Action::Mkfile(f) => f.owner.as_ref(),
        Action::Mkdir(d) => d.owner.as_ref(),
        _ => None,
    }
}

fn owner_of_mut(action: &mut pb::file_action::Action) -> Option<&mut pb::ChownOpt> {
    use pb::file_action::Action;
    match action {
        Action::Copy(c) => c.owner.as_mut(),
        Action::Mkfile(f) => f.owner.as_mut(),
        Action::Mkdir(d) => d.owner.as_mut(),
        _ => None,
    }
}

fn encode_file_op(v: &Vertex, actions: &[FileAction], buf: &mut Vec<u8>) {
    let n = v.inputs.len() as i64;
    let index_of = |r: &FileRef| -> i64 {
        match r {
            FileRef::Scratch => -1,
            FileRef::Action(k) => n + *k as i64,
            FileRef::Output(o) => v
                .inputs
                .iter()
                .position(|i| super::same(i, o))
                .map_or(-1, |p| p as i64),
        }
    };
    let last = actions.len().saturating_sub(1);
    let fields: Vec<ActionFields> = actions
        .iter()
        .enumerate()
        .map(|(k, a)| {
            let input = index_of(&a.input);
            ActionFields::new(
                input,
                a.secondary.as_ref().map_or(-1, index_of),
                if k == last { 0 } else { -1 },
                with_owner_input(&a.action, input),
            )
        })
        .collect();
    let file_op_len: usize = fields
        .iter()
        .map(|f| {
            encoding::key_len(FILE_OP_ACTIONS)
                + encoding::encoded_len_varint(f.body_len as u64)
                + f.body_len
        })
        .sum();
    encoding::encode_key(OP_FILE, WireType::LengthDelimited, buf);
    encoding::encode_varint(file_op_len as u64, buf);
    for f in &fields {
        encoding::encode_key(FILE_OP_ACTIONS, WireType::LengthDelimited, buf);
        encoding::encode_varint(f.body_len as u64, buf);
        f.encode(buf);
    }
}

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

fn metadata(meta: &super::Meta) -> pb::OpMetadata {
    let mut description = BTreeMap::new();
    if let Some(name) = &meta.name {
        description.insert("llb.customname".to_owned(), name.clone());
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
