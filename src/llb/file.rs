//! File ops: a chain of copy, mkdir and mkfile actions with their defaults, and who owns
//! what they write. Their bytes are written by hand (`encode_file_op`), borrowing the
//! actions: a file op can carry megabytes of content and patterns.

use super::proto::{self, Fields, Sink};
use super::{Meta, Output, Vertex, same, vertex};

/// A user or group: a number, or a name looked up in the /etc/passwd or /etc/group of
/// the files the action works on (the action's own input, as BuildKit's Go client does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ident {
    Id(u32),
    Name(String),
}

/// Who owns what an action writes; with no group and a named user, BuildKit takes the
/// user's own group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub user: Ident,
    pub group: Option<Ident>,
}

/// A copy from another filesystem (or scratch) into the op's (`llb.Copy` in Go; used as
/// `llb::Copy`, as the name is also the prelude's trait).
#[derive(Clone, Debug)]
pub struct Copy {
    pub src: String,
    pub dest: String,
    pub owner: Option<Owner>,
    /// `None` keeps the source's mode.
    pub mode: Option<u32>,
    pub follow_symlink: bool,
    pub dir_copy_contents: bool,
    /// Unpacks a local tar archive into `dest`, as Docker's ADD does.
    pub attempt_unpack: bool,
    pub create_dest_path: bool,
    pub allow_wildcard: bool,
    pub allow_empty_wildcard: bool,
    pub include_patterns: Vec<String>,
    pub exclude_patterns: Vec<String>,
}

impl Copy {
    /// A copy as a Dockerfile's COPY makes it: symlinks followed, a directory's contents
    /// copied, missing parents of `dest` created, `src` may be a glob that must match.
    pub fn new(src: String, dest: String) -> Self {
        Copy {
            src,
            dest,
            owner: None,
            mode: None,
            follow_symlink: true,
            dir_copy_contents: true,
            attempt_unpack: false,
            create_dest_path: true,
            allow_wildcard: true,
            allow_empty_wildcard: false,
            include_patterns: Vec::new(),
            exclude_patterns: Vec::new(),
        }
    }
}

/// A directory, with its missing parents.
#[derive(Clone, Debug)]
pub struct MkDir {
    pub path: String,
    pub mode: u32,
    pub make_parents: bool,
    pub owner: Option<Owner>,
}

impl MkDir {
    pub fn new(path: String) -> Self {
        MkDir {
            path,
            mode: 0o755,
            make_parents: true,
            owner: None,
        }
    }
}

/// A file with the given content.
#[derive(Clone, Debug)]
pub struct MkFile {
    pub path: String,
    pub mode: u32,
    pub data: Vec<u8>,
    pub owner: Option<Owner>,
}

#[derive(Debug)]
pub(super) enum Action {
    Copy(Copy),
    MkDir(MkDir),
    MkFile(MkFile),
}

/// Where a file action reads from: an output, scratch, or an earlier action of the op.
#[derive(Clone, Debug)]
pub(super) enum FileRef {
    Output(Output),
    Scratch,
    Action(usize),
}

#[derive(Debug)]
pub(super) struct FileAction {
    pub input: FileRef,
    pub secondary: Option<FileRef>,
    pub action: Action,
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

    fn push(&mut self, secondary: Option<FileRef>, action: Action) {
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

    pub fn copy(&mut self, from: Option<Output>, copy: Copy) -> &mut Self {
        let from = from.map_or(FileRef::Scratch, FileRef::Output);
        self.push(Some(from), Action::Copy(copy));
        self
    }

    pub fn mkdir(&mut self, mkdir: MkDir) -> &mut Self {
        self.push(None, Action::MkDir(mkdir));
        self
    }

    pub fn mkfile(&mut self, mkfile: MkFile) -> &mut Self {
        self.push(None, Action::MkFile(mkfile));
        self
    }

    pub fn done(self, meta: Meta) -> Output {
        let mut meta = meta.cap("file.base");
        for a in &self.actions {
            if let Action::Copy(c) = &a.action
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
        vertex(super::Kind::File(self.actions), inputs, None, meta)
    }
}

// Field numbers of BuildKit's ops.proto: `FileOp`, `FileAction` and its bodies.
const FILE_OP_ACTIONS: u32 = 2;
const ACTION_INPUT: u32 = 1;
const ACTION_SECONDARY_INPUT: u32 = 2;
const ACTION_OUTPUT: u32 = 3;
const ACTION_COPY: u32 = 4;
const ACTION_MKFILE: u32 = 5;
const ACTION_MKDIR: u32 = 6;

/// BuildKit's "not set" for a file's time: the engine picks it.
const NO_TIMESTAMP: i64 = -1;

/// The op's `FileOp` message: `actions`, numbered against the vertex's inputs.
pub(super) struct FileOpFields<'a> {
    pub vertex: &'a Vertex,
    pub actions: &'a [FileAction],
}

impl FileOpFields<'_> {
    fn index_of(&self, r: &FileRef) -> i64 {
        match r {
            FileRef::Scratch => -1,
            FileRef::Action(k) => self.vertex.inputs.len() as i64 + *k as i64,
            FileRef::Output(o) => self
                .vertex
                .inputs
                .iter()
                .position(|i| same(i, o))
                .map_or(-1, |p| p as i64),
        }
    }
}

impl Fields for FileOpFields<'_> {
    fn fields(&self, s: &mut dyn Sink) {
        let last = self.actions.len().saturating_sub(1);
        for (k, a) in self.actions.iter().enumerate() {
            let action = ActionFields {
                input: self.index_of(&a.input),
                secondary_input: a.secondary.as_ref().map_or(-1, |r| self.index_of(r)),
                // Only the last action's result is the op's output.
                output: if k == last { 0 } else { -1 },
                action: &a.action,
            };
            proto::message(s, FILE_OP_ACTIONS, &action);
        }
    }
}

struct ActionFields<'a> {
    input: i64,
    secondary_input: i64,
    output: i64,
    action: &'a Action,
}

impl Fields for ActionFields<'_> {
    fn fields(&self, s: &mut dyn Sink) {
        proto::int64(s, ACTION_INPUT, self.input);
        proto::int64(s, ACTION_SECONDARY_INPUT, self.secondary_input);
        proto::int64(s, ACTION_OUTPUT, self.output);
        let input = self.input;
        match self.action {
            Action::Copy(c) => proto::message(s, ACTION_COPY, &CopyFields(c, input)),
            Action::MkFile(f) => proto::message(s, ACTION_MKFILE, &MkFileFields(f, input)),
            Action::MkDir(d) => proto::message(s, ACTION_MKDIR, &MkDirFields(d, input)),
        }
    }
}

/// Each body with its action's input, where owner names are looked up. The numbers are
/// ops.proto's; `FileActionCopy` fields 14 to 16 (always replace, mode string, required
/// paths) are never set.
struct CopyFields<'a>(&'a Copy, i64);
struct MkDirFields<'a>(&'a MkDir, i64);
struct MkFileFields<'a>(&'a MkFile, i64);

impl Fields for CopyFields<'_> {
    fn fields(&self, s: &mut dyn Sink) {
        let CopyFields(c, input) = *self;
        proto::string(s, 1, &c.src);
        proto::string(s, 2, &c.dest);
        owner(s, 3, c.owner.as_ref(), input);
        proto::int32(s, 4, c.mode.map_or(-1, |m| m as i32));
        proto::bool(s, 5, c.follow_symlink);
        proto::bool(s, 6, c.dir_copy_contents);
        proto::bool(s, 7, c.attempt_unpack);
        proto::bool(s, 8, c.create_dest_path);
        proto::bool(s, 9, c.allow_wildcard);
        proto::bool(s, 10, c.allow_empty_wildcard);
        proto::int64(s, 11, NO_TIMESTAMP);
        proto::strings(s, 12, &c.include_patterns);
        proto::strings(s, 13, &c.exclude_patterns);
    }
}

impl Fields for MkDirFields<'_> {
    fn fields(&self, s: &mut dyn Sink) {
        let MkDirFields(d, input) = *self;
        proto::string(s, 1, &d.path);
        proto::int32(s, 2, d.mode as i32);
        proto::bool(s, 3, d.make_parents);
        owner(s, 4, d.owner.as_ref(), input);
        proto::int64(s, 5, NO_TIMESTAMP);
    }
}

impl Fields for MkFileFields<'_> {
    fn fields(&self, s: &mut dyn Sink) {
        let MkFileFields(f, input) = *self;
        proto::string(s, 1, &f.path);
        proto::int32(s, 2, f.mode as i32);
        proto::bytes(s, 3, &f.data);
        owner(s, 4, f.owner.as_ref(), input);
        proto::int64(s, 5, NO_TIMESTAMP);
    }
}

/// `ChownOpt{user=1, group=2}`.
fn owner(s: &mut dyn Sink, tag: u32, owner: Option<&Owner>, input: i64) {
    struct ChownFields<'a>(&'a Owner, i64);
    impl Fields for ChownFields<'_> {
        fn fields(&self, s: &mut dyn Sink) {
            let ChownFields(o, input) = *self;
            proto::message(s, 1, &UserFields(&o.user, input));
            if let Some(g) = &o.group {
                proto::message(s, 2, &UserFields(g, input));
            }
        }
    }
    if let Some(o) = owner {
        proto::message(s, tag, &ChownFields(o, input));
    }
}

/// `UserOpt{oneof byName=1 NamedUserOpt{name=1, input=2} | byID=2}`.
struct UserFields<'a>(&'a Ident, i64);

impl Fields for UserFields<'_> {
    fn fields(&self, s: &mut dyn Sink) {
        struct NamedFields<'a>(&'a str, i64);
        impl Fields for NamedFields<'_> {
            fn fields(&self, s: &mut dyn Sink) {
                proto::string(s, 1, self.0);
                proto::int64(s, 2, self.1);
            }
        }
        match self.0 {
            Ident::Name(name) => proto::message(s, 1, &NamedFields(name, self.1)),
            // A oneof member is written even when zero (root).
            Ident::Id(id) => proto::uint32_always(s, 2, *id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llb::{Local, marshal};
    use bollard_buildkit_proto::pb;
    use prost::Message;

    /// The hand-written bytes decode to the message prost would have written, with the
    /// defaults in place: no timestamp, a kept mode, an owner name read from the
    /// action's own input, and a root id written although it is zero.
    #[test]
    fn actions_encode_as_buildkit_messages() {
        use pb::file_action::Action as A;
        use pb::user_opt::User;
        let base = Local::new("a").build(Meta::default());
        let from = Local::new("b").build(Meta::default());
        let mut op = FileOp::on(Some(base));
        op.mkdir(MkDir::new("/d".into()));
        op.copy(
            Some(from),
            Copy {
                owner: Some(Owner {
                    user: Ident::Name("app".into()),
                    group: Some(Ident::Id(0)),
                }),
                attempt_unpack: true,
                exclude_patterns: vec!["*.md".into(), String::new()],
                ..Copy::new("/src".into(), "/dst/".into())
            },
        );
        op.mkfile(MkFile {
            path: "/d/f".into(),
            mode: 0o600,
            data: b"hi".to_vec(),
            owner: None,
        });
        let out = op.done(Meta::default());
        let def = marshal(Some(&out), None);
        let file_op =
            def.def
                .iter()
                .find_map(|bytes| match pb::Op::decode(bytes.as_slice()).unwrap().op {
                    Some(pb::op::Op::File(f)) => Some(f),
                    _ => None,
                });
        let actions = file_op.expect("a file op").actions;
        let numbers: Vec<(i64, i64, i64)> = actions
            .iter()
            .map(|a| (a.input, a.secondary_input, a.output))
            .collect();
        // Inputs: the base (0) and the copy's source (1); actions follow them (2, 3).
        assert_eq!(numbers, [(0, -1, -1), (2, 1, -1), (3, -1, 0)]);
        let Some(A::Copy(copy)) = &actions[1].action else {
            panic!("{:?}", actions[1]);
        };
        let user = |u: User| Some(pb::UserOpt { user: Some(u) });
        let expected = pb::FileActionCopy {
            src: "/src".into(),
            dest: "/dst/".into(),
            owner: Some(pb::ChownOpt {
                user: user(User::ByName(pb::NamedUserOpt {
                    name: "app".into(),
                    input: 2,
                })),
                group: user(User::ById(0)),
            }),
            mode: -1,
            follow_symlink: true,
            dir_copy_contents: true,
            attempt_unpack_docker_compatibility: true,
            create_dest_path: true,
            allow_wildcard: true,
            timestamp: -1,
            exclude_patterns: vec!["*.md".into(), String::new()],
            ..Default::default()
        };
        assert_eq!(*copy, expected);
        let Some(A::Mkfile(file)) = &actions[2].action else {
            panic!("{:?}", actions[2]);
        };
        assert_eq!(
            (file.mode, file.timestamp, &file.data[..]),
            (0o600, -1, &b"hi"[..])
        );
        let Some(A::Mkdir(dir)) = &actions[0].action else {
            panic!("{:?}", actions[0]);
        };
        assert_eq!(
            (dir.mode, dir.make_parents, dir.timestamp),
            (0o755, true, -1)
        );
        // And the bytes are the ones prost writes for the decoded op.
        for bytes in &def.def {
            let op = pb::Op::decode(bytes.as_slice()).unwrap();
            assert_eq!(crate::llb::buildkit_reencoding(&op), *bytes);
        }
    }
}
