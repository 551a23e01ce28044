//! From Dockerfile instructions to Stagefile stages.
//!
//! A Stagefile stage applies its `env`, `shell`, `user` and `workdir` before its first
//! step, while a Dockerfile may change them between `RUN`s. So a Dockerfile stage becomes
//! one Stagefile stage, or a chain of them when a setting changes after a step (or in an
//! order the Stagefile would apply differently, such as `USER` after `WORKDIR`, whose
//! directory Docker creates as the earlier user): `build-1`, `build-2`, …, each built
//! `from` the one before, the last keeping the Dockerfile's name. The image config
//! (`CMD`, `LABEL`, …) of the whole Dockerfile stage goes on that last part.

use super::instr::{Args, Instruction};
use super::lines::Pos;
use super::words::{self, literal, to_stagefile};
use super::yaml::{Entry, Item, Node};
use crate::diag::Diagnostic;
use std::collections::{HashMap, HashSet};

/// The automatic platform args a Stagefile defines without a declaration.
pub const PLATFORM_ARGS: [&str; 8] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// One Stagefile stage being written.
#[derive(Default)]
pub struct Part {
    pub name: String,
    pub comments: Vec<String>,
    pub from: String,
    pub platform: Option<String>,
    pub workdir: Option<String>,
    pub env: Vec<Entry>,
    pub user: Option<String>,
    pub shell: Option<Vec<String>>,
    pub args: Vec<Item>,
    pub steps: Vec<Item>,
    /// Image config entries, in the order of [`CONFIG_KEYS`].
    pub config: Vec<Entry>,
    /// Comments above a settings key (`workdir`, `user`, `shell`, `platform`).
    pub key_comments: HashMap<&'static str, Vec<String>>,
}

pub const CONFIG_KEYS: [&str; 7] = [
    "entrypoint",
    "cmd",
    "expose",
    "labels",
    "volumes",
    "stopsignal",
    "healthcheck",
];

/// What is known of a Dockerfile stage once written, for the stages built from it.
#[derive(Clone)]
struct Known {
    shell: Vec<String>,
    workdir: Option<String>,
}

/// The Dockerfile stage being converted.
pub struct Current {
    pub part: Part,
    /// The Dockerfile stage's name (`stage-N` when unnamed).
    pub name: String,
    pub next_part: usize,
    /// The shell shell-form `CMD`/`ENTRYPOINT` use at this point.
    pub shell: Vec<String>,
    /// The working directory at this point, when known to be absolute.
    pub workdir: Option<String>,
    /// Names of the `ARG`s this stage declared.
    pub args: Vec<String>,
    /// The image config, put on the last part.
    pub config: Vec<Entry>,
}

pub struct Mapper {
    pub escape: char,
    pub args: Vec<Entry>,
    /// Where each top-level arg was declared, and whether it was before the first `FROM`.
    arg_origin: HashMap<String, (Pos, bool)>,
    pub parts: Vec<Part>,
    pub current: Option<Current>,
    /// The Dockerfile's stage names, in order (`stage-N` for unnamed ones).
    pub stage_names: Vec<String>,
    known: HashMap<String, Known>,
    taken: HashSet<String>,
    pub warnings: Vec<Diagnostic>,
    pub pending: Vec<String>,
}

impl Mapper {
    pub fn new(escape: char, stage_names: Vec<String>) -> Mapper {
        let taken = stage_names.iter().cloned().collect();
        Mapper {
            escape,
            args: Vec::new(),
            arg_origin: HashMap::new(),
            parts: Vec::new(),
            current: None,
            stage_names,
            known: HashMap::new(),
            taken,
            warnings: Vec::new(),
            pending: Vec::new(),
        }
    }

    pub fn comments(&mut self) -> Vec<String> {
        std::mem::take(&mut self.pending)
    }

    /// The Stagefile text of a word, or an error at the instruction.
    pub fn word(&self, ins: &Instruction, word: &str) -> Result<String, Diagnostic> {
        to_stagefile(word, self.escape)
            .map_err(|e| ins.error(format!("{} cannot convert: {e}", ins.keyword)))
    }

    pub fn cur(&mut self, ins: &Instruction) -> Result<&mut Current, Diagnostic> {
        self.current.as_mut().ok_or_else(|| {
            ins.error(format!("{} comes before any FROM", ins.keyword))
                .with_help("start the first stage with FROM")
        })
    }

    /// A name for `--from` and `FROM`: a stage (by index or name, any case) gives its
    /// Stagefile name, an image without tag or digest gets `:latest` (which Docker
    /// assumes; a Stagefile takes a bare word for a misspelt stage), anything else stays.
    pub fn source_name(&self, text: &str) -> String {
        if let Ok(index) = text.parse::<usize>()
            && let Some(name) = self.stage_names.get(index)
        {
            return name.clone();
        }
        let lower = text.to_ascii_lowercase();
        if self.stage_names.contains(&lower) {
            return lower;
        }
        if text == "scratch"
            || text.contains('$')
            || text.contains('@')
            || text
                .rsplit('/')
                .next()
                .is_some_and(|last| last.contains(':'))
        {
            return text.to_owned();
        }
        format!("{text}:latest")
    }

    pub fn from(&mut self, ins: &Instruction, index: usize) -> Result<(), Diagnostic> {
        self.finish_stage();
        let mut platform = None;
        for flag in &ins.flags {
            match (flag.name.as_str(), &flag.value) {
                ("platform", Some(v)) => platform = Some(self.word(ins, v)?),
                _ => {
                    return Err(Diagnostic::error(
                        flag.at.span(flag.name.len() + 2),
                        format!("FROM --{} has no Stagefile equivalent", flag.name),
                    )
                    .with_help("FROM takes only --platform"));
                }
            }
        }
        let words = words::split(ins.text(), self.escape);
        let image = match words.as_slice() {
            [(_, image)] => image,
            [(_, image), (_, as_), _] if as_.eq_ignore_ascii_case("as") => image,
            _ => {
                return Err(ins
                    .error("FROM takes an image and optionally `AS name`")
                    .with_help("write `FROM image [AS name]`"));
            }
        };
        let image = self.word(ins, image)?;
        let name = self.stage_names[index].clone();
        let base = self.source_name(&image);
        let known = self.known.get(&base).cloned().unwrap_or(Known {
            shell: vec!["/bin/sh".into(), "-c".into()],
            workdir: None,
        });
        let mut part = Part {
            from: base,
            platform,
            comments: self.comments(),
            ..Part::default()
        };
        part.comments
            .extend(ins.line.inner_comments.iter().cloned());
        self.current = Some(Current {
            part,
            name,
            next_part: 1,
            shell: known.shell,
            workdir: known.workdir,
            args: Vec::new(),
            config: Vec::new(),
        });
        Ok(())
    }

    /// Ends the current part and starts the next one from it.
    pub fn split(&mut self) {
        let Some(cur) = self.current.as_mut() else {
            return;
        };
        let mut name = format!("{}-{}", cur.name, cur.next_part);
        while self.taken.contains(&name) {
            cur.next_part += 1;
            name = format!("{}-{}", cur.name, cur.next_part);
        }
        cur.next_part += 1;
        self.taken.insert(name.clone());
        let args: Vec<Item> = cur
            .args
            .iter()
            .map(|a| Node::str(a.clone()).into())
            .collect();
        let next = Part {
            from: name.clone(),
            args,
            ..Part::default()
        };
        let mut done = std::mem::replace(&mut cur.part, next);
        done.name = name;
        self.parts.push(done);
    }

    pub fn finish_stage(&mut self) {
        if let Some(mut cur) = self.current.take() {
            cur.part.name = cur.name.clone();
            cur.part.config = std::mem::take(&mut cur.config);
            self.known.insert(
                cur.name.clone(),
                Known {
                    shell: cur.shell,
                    workdir: cur.workdir,
                },
            );
            self.parts.push(cur.part);
        }
    }

    pub fn env(&mut self, ins: &Instruction) -> Result<(), Diagnostic> {
        let pairs = words::pairs(ins.text(), self.escape, true);
        if pairs.is_empty() {
            return Err(ins
                .error("ENV names no variable")
                .with_help("write `ENV NAME=value`"));
        }
        let mut comments = self.comments();
        comments.extend(ins.line.inner_comments.iter().cloned());
        for (offset, key, value) in pairs {
            let Some(value) = value else {
                return Err(Diagnostic::error(
                    ins.pos_in_args(offset).span(key.len()),
                    format!("ENV `{key}` has no value"),
                )
                .with_help("write `NAME=value`"));
            };
            let key = literal(&key, self.escape).map_err(|e| ins.error(e))?;
            let value = self.word(ins, &value)?;
            let cur = self.cur(ins)?;
            let p = &cur.part;
            let later = |v: &Option<String>| v.as_deref().is_some_and(|t| t.contains('$'));
            if !p.steps.is_empty()
                || p.env.iter().any(|e| e.key == key)
                || later(&p.workdir)
                || later(&p.user)
            {
                self.split();
            }
            let cur = self.cur(ins)?;
            cur.part.env.push(Entry {
                key,
                value: Node::Str(value),
                comments: std::mem::take(&mut comments),
            });
        }
        Ok(())
    }

    pub fn user(&mut self, ins: &Instruction) -> Result<(), Diagnostic> {
        let user = self.word(ins, ins.text())?;
        let comments = self.comments();
        let p = &self.cur(ins)?.part;
        if !p.steps.is_empty() || p.user.is_some() || p.workdir.is_some() {
            self.split();
        }
        let p = &mut self.cur(ins)?.part;
        p.user = Some(user);
        p.key_comments.entry("user").or_default().extend(comments);
        Ok(())
    }

    pub fn workdir(&mut self, ins: &Instruction) -> Result<(), Diagnostic> {
        let dir = self.word(ins, ins.text())?;
        let comments = self.comments();
        let p = &self.cur(ins)?.part;
        let absolute = dir.starts_with('/');
        if !p.steps.is_empty() || (p.workdir.is_some() && absolute) {
            self.split();
        }
        let cur = self.cur(ins)?;
        let joined = match (&cur.part.workdir, absolute) {
            (Some(prev), false) => format!("{}/{dir}", prev.trim_end_matches('/')),
            _ => dir,
        };
        cur.workdir = if joined.starts_with('/') {
            Some(joined.clone())
        } else {
            cur.workdir
                .as_ref()
                .map(|w| format!("{}/{joined}", w.trim_end_matches('/')))
        };
        cur.part.workdir = Some(joined);
        cur.part
            .key_comments
            .entry("workdir")
            .or_default()
            .extend(comments);
        Ok(())
    }

    pub fn shell(&mut self, ins: &Instruction) -> Result<(), Diagnostic> {
        let Args::Json(shell) = &ins.args else {
            return Err(ins
                .error("SHELL takes a JSON array")
                .with_help("write `SHELL [\"/bin/bash\", \"-c\"]`"));
        };
        if shell.is_empty() {
            return Err(ins.error("SHELL is empty").with_help("name a program"));
        }
        let comments = self.comments();
        let p = &self.cur(ins)?.part;
        if !p.steps.is_empty() || p.shell.is_some() {
            self.split();
        }
        let cur = self.cur(ins)?;
        cur.shell = shell.clone();
        cur.part.shell = Some(shell.clone());
        cur.part
            .key_comments
            .entry("shell")
            .or_default()
            .extend(comments);
        Ok(())
    }

    pub fn arg(&mut self, ins: &Instruction) -> Result<(), Diagnostic> {
        let pairs = words::pairs(ins.text(), self.escape, false);
        if pairs.is_empty() {
            return Err(ins
                .error("ARG names no arg")
                .with_help("write `ARG NAME[=default]`"));
        }
        let mut comments = self.comments();
        let global = self.current.is_none();
        for (offset, name, default) in pairs {
            let at = ins.pos_in_args(offset);
            let name = literal(&name, self.escape).map_err(|e| ins.error(e))?;
            let default = default.map(|d| self.word(ins, &d)).transpose()?;
            if !PLATFORM_ARGS.contains(&name.as_str()) {
                self.declare(&name, default, at, global, std::mem::take(&mut comments))?;
            }
            if let Some(cur) = self.current.as_mut()
                && !cur.args.contains(&name)
            {
                cur.args.push(name.clone());
                cur.part.args.push(Item {
                    node: Node::Str(name),
                    comments: std::mem::take(&mut comments),
                });
            }
        }
        Ok(())
    }

    /// Adds a top-level arg, or checks that a later declaration agrees with it.
    fn declare(
        &mut self,
        name: &str,
        default: Option<String>,
        at: Pos,
        global: bool,
        comments: Vec<String>,
    ) -> Result<(), Diagnostic> {
        match self.args.iter_mut().find(|e| e.key == name) {
            None => {
                self.arg_origin.insert(name.to_owned(), (at, global));
                self.args.push(Entry {
                    key: name.to_owned(),
                    value: default.map_or(Node::Null, Node::Str),
                    comments,
                });
            }
            Some(entry) => {
                let Some(default) = default else {
                    return Ok(());
                };
                match &entry.value {
                    Node::Str(old) if *old != default => {
                        let (first, _) = self.arg_origin[name];
                        return Err(Diagnostic::error(
                            at.span(name.len()),
                            format!(
                                "ARG {name} has the default `{default}` here and `{old}` at line {}; a Stagefile gives each arg one default",
                                first.line
                            ),
                        )
                        .with_help("give both declarations the same default, or rename one of the args"));
                    }
                    Node::Str(_) => {}
                    _ => entry.value = Node::Str(default),
                }
                entry.comments.extend(comments);
            }
        }
        Ok(())
    }

    /// Names of args declared before the first FROM and not in the current stage.
    pub fn out_of_scope_args(&self) -> Vec<&str> {
        let stage_args = self
            .current
            .as_ref()
            .map(|c| c.args.as_slice())
            .unwrap_or(&[]);
        self.args
            .iter()
            .map(|e| e.key.as_str())
            .filter(|k| self.arg_origin.get(*k).is_some_and(|(_, global)| *global))
            .filter(|k| !stage_args.iter().any(|a| a == k))
            .collect()
    }

    /// Sets or extends an image config key of the current Dockerfile stage.
    pub fn config(
        &mut self,
        ins: &Instruction,
        key: &'static str,
        value: Node,
        merge: bool,
    ) -> Result<(), Diagnostic> {
        let mut comments = self.comments();
        comments.extend(ins.line.inner_comments.iter().cloned());
        let cur = self.cur(ins)?;
        match cur.config.iter_mut().find(|e| e.key == key) {
            Some(entry) => {
                entry.comments.extend(comments);
                match (&mut entry.value, value, merge) {
                    (Node::Seq(old), Node::Seq(new), true) => old.extend(new),
                    (Node::Map(old), Node::Map(new), true) => {
                        for e in new {
                            match old.iter_mut().find(|o| o.key == e.key) {
                                Some(o) => o.value = e.value,
                                None => old.push(e),
                            }
                        }
                    }
                    (slot, value, _) => *slot = value,
                }
            }
            None => {
                let rank = |k: &str| CONFIG_KEYS.iter().position(|c| *c == k);
                let at = cur
                    .config
                    .iter()
                    .position(|e| rank(&e.key) > rank(key))
                    .unwrap_or(cur.config.len());
                cur.config.insert(
                    at,
                    Entry {
                        key: key.to_owned(),
                        value,
                        comments,
                    },
                );
            }
        }
        Ok(())
    }
}
