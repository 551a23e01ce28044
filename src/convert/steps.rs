//! `RUN`, `COPY` and `ADD`: the instructions that become steps.

use super::Warn;
use super::instr::{Args, Flag, Instruction};
use super::lines::Heredoc;
use super::map::Mapper;
use super::mounts::{self, Mounts};
use super::words;
use super::yaml::{Entry, Item, Node};
use crate::diag::Diagnostic;

fn flag_error(flag: &Flag, keyword: &str, takes: &str) -> Diagnostic {
    Diagnostic::error(
        flag.at.span(flag.name.len() + 2),
        format!("{keyword} --{} has no Stagefile equivalent", flag.name),
    )
    .with_help(format!("{keyword} takes {takes}"))
}

fn push_step(m: &mut Mapper, ins: &Instruction, step: Vec<Entry>) -> Result<(), Diagnostic> {
    let mut comments = m.comments();
    comments.extend(ins.line.inner_comments.iter().cloned());
    let cur = m.cur(ins)?;
    cur.part.steps.push(Item {
        node: Node::Map(step),
        comments,
    });
    Ok(())
}

pub fn run(m: &mut Mapper, ins: &Instruction) -> Result<(), Diagnostic> {
    let workdir = m.cur(ins)?.workdir.clone();
    let mut mounts = Mounts::default();
    let mut extra = Vec::new();
    for flag in &ins.flags {
        match (flag.name.as_str(), &flag.value) {
            ("mount", Some(_)) => mounts::mount(m, ins, flag, workdir.as_deref(), &mut mounts)?,
            ("network" | "security", Some(v)) => {
                let key = if flag.name == "network" {
                    "network"
                } else {
                    "security"
                };
                extra.push(Entry::new(key, Node::Str(m.word(ins, v)?)));
            }
            _ => return Err(flag_error(flag, "RUN", "--mount, --network and --security")),
        }
    }
    let command = command(ins)?;
    warn_out_of_scope(m, ins);
    let mut step = vec![Entry::new("run", command)];
    step.extend(mounts.entries());
    step.extend(extra);
    push_step(m, ins, step)
}

/// The `run` value: exec form as a list, shell form as text, here-documents as Docker
/// runs them.
fn command(ins: &Instruction) -> Result<Node, Diagnostic> {
    let text = match &ins.args {
        Args::Json(list) => return Ok(Node::strs(list.clone())),
        Args::Text(text) => text,
    };
    if text.is_empty() {
        return Err(ins
            .error("RUN has no command")
            .with_help("remove it or give a command"));
    }
    let docs = &ins.line.heredocs;
    if docs.is_empty() {
        return Ok(folded(ins));
    }
    // `RUN <<EOF` alone: the body is the command.
    if docs.len() == 1 && words::split(text, '\\').len() == 1 {
        let body = docs[0].body.clone();
        return match body.strip_prefix("#!") {
            None => Ok(Node::Str(body)),
            Some(rest) => shebang(ins, rest, &body),
        };
    }
    // Otherwise the shell reads the here-documents itself.
    let mut script = text.clone();
    for doc in docs {
        script.push('\n');
        script.push_str(&doc.raw);
    }
    Ok(Node::Str(script))
}

/// A script with `#!`: Docker runs it as a file; a shell or Python takes it with `-c`.
fn shebang(ins: &Instruction, rest: &str, body: &str) -> Result<Node, Diagnostic> {
    let first = rest.lines().next().unwrap_or("");
    let mut program: Vec<String> = first.split_whitespace().map(str::to_owned).collect();
    let interpreter = match program.as_slice() {
        [env, name, ..] if env.ends_with("/env") => name.clone(),
        [path, ..] => path.rsplit('/').next().unwrap_or(path).to_owned(),
        [] => String::new(),
    };
    let takes_c = matches!(
        interpreter.as_str(),
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh"
    ) || interpreter.starts_with("python");
    if !takes_c || program.len() > 2 {
        return Err(ins
            .error(format!(
                "a here-document run by `{}` has no Stagefile equivalent",
                first.trim()
            ))
            .with_help("write it to a file with a `file` step and run that file"));
    }
    program.push("-c".to_owned());
    program.push(body.to_owned());
    Ok(Node::strs(program))
}

/// Shell-form text: one line, or folded at the continuation lines when that keeps the
/// command the same (a break outside quotes, with blanks around it).
fn folded(ins: &Instruction) -> Node {
    let text = ins.text();
    let joins: Vec<usize> = ins
        .line
        .joins()
        .filter(|&j| j > ins.args_offset)
        .map(|j| j - ins.args_offset)
        .collect();
    let mut pieces: Vec<String> = Vec::new();
    let mut piece = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut next_join = joins.iter().peekable();
    for (i, c) in text.char_indices() {
        if next_join.peek().is_some_and(|&&j| j == i) {
            next_join.next();
            let blank = piece.ends_with([' ', '\t']) || c == ' ' || c == '\t';
            if quote.is_none() && !escaped && blank && !piece.trim().is_empty() {
                pieces.push(piece.trim_end().to_owned());
                piece.clear();
            }
        }
        if piece.is_empty() && pieces.last().is_some() && (c == ' ' || c == '\t') {
            continue;
        }
        piece.push(c);
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (None, '\'' | '"') => quote = Some(c),
            (Some('"'), '"') => quote = None,
            _ => {}
        }
    }
    pieces.push(piece);
    if pieces.len() == 1 {
        Node::Str(pieces.remove(0))
    } else {
        Node::Folded(pieces)
    }
}

/// A `RUN` that names an arg declared only before the first FROM: Docker gives it no
/// value there, the Stagefile gives it the arg's.
fn warn_out_of_scope(m: &mut Mapper, ins: &Instruction) {
    let text = match &ins.args {
        Args::Json(list) => list.join(" "),
        Args::Text(t) => t.clone(),
    };
    let names: Vec<String> = m
        .out_of_scope_args()
        .into_iter()
        .filter(|name| text.contains(&format!("${name}")) || text.contains(&format!("${{{name}")))
        .map(str::to_owned)
        .collect();
    for name in names {
        m.warnings.push(
            ins.error(format!(
                "RUN uses ${name}, declared before the first FROM but not in this stage: Docker leaves it empty here, the Stagefile step receives its value"
            ))
            .with_help(format!("add `ARG {name}` to the stage if the step should see it"))
            .into_warning(),
        );
    }
}

/// The flags `COPY` and `ADD` share, read once.
#[derive(Default)]
struct CopyFlags {
    from: Option<String>,
    chown: Option<String>,
    chmod: Option<String>,
    link: Option<bool>,
    parents: Option<bool>,
    exclude: Vec<String>,
    checksum: Option<String>,
    keep_git_dir: Option<bool>,
}

fn copy_flags(m: &mut Mapper, ins: &Instruction, add: bool) -> Result<CopyFlags, Diagnostic> {
    let mut f = CopyFlags::default();
    let takes = if add {
        "--chown, --chmod, --checksum, --keep-git-dir and --link"
    } else {
        "--from, --chown, --chmod, --link, --parents and --exclude"
    };
    for flag in &ins.flags {
        let bool_value = || match flag.value.as_deref() {
            None | Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(v) => Err(Diagnostic::error(
                flag.at.span(flag.name.len() + 2),
                format!("`--{}={v}` is not true or false", flag.name),
            )),
        };
        let value = || {
            flag.value.as_deref().ok_or_else(|| {
                Diagnostic::error(
                    flag.at.span(flag.name.len() + 2),
                    format!("--{} needs a value", flag.name),
                )
            })
        };
        match (flag.name.as_str(), add) {
            ("from", false) => f.from = Some(m.source_name(&m.word(ins, value()?)?)),
            ("chown", _) => f.chown = Some(m.word(ins, value()?)?),
            ("chmod", _) => {
                let mode = value()?;
                let digits = mode.strip_prefix("0o").unwrap_or(mode);
                if digits.is_empty() || !digits.chars().all(|c| ('0'..='7').contains(&c)) {
                    return Err(Diagnostic::error(
                        flag.at.span(flag.name.len() + 2),
                        format!(
                            "--chmod={mode} is not an octal mode, the only kind a Stagefile takes"
                        ),
                    )
                    .with_help("write the mode in octal, such as 0755"));
                }
                f.chmod = Some(mode.to_owned());
            }
            ("link", _) => f.link = Some(bool_value()?),
            ("parents", false) => f.parents = Some(bool_value()?),
            ("exclude", false) => f.exclude.push(m.word(ins, value()?)?),
            ("checksum", true) => f.checksum = Some(m.word(ins, value()?)?),
            ("keep-git-dir", true) => f.keep_git_dir = Some(bool_value()?),
            _ => return Err(flag_error(flag, &ins.keyword, takes)),
        }
    }
    if add && f.link == Some(true) {
        m.warnings.push(
            ins.error("ADD --link is dropped: a Stagefile `add` always writes in place; the files are the same")
                .with_help("use COPY --link for a context file that should keep its own layer")
                .into_warning(),
        );
    }
    Ok(f)
}

pub fn copy(m: &mut Mapper, ins: &Instruction, add: bool) -> Result<(), Diagnostic> {
    let flags = copy_flags(m, ins, add)?;
    let raw: Vec<String> = match &ins.args {
        Args::Json(list) => list.clone(),
        Args::Text(t) => words::split(t, m.escape)
            .into_iter()
            .map(|(_, w)| w)
            .collect(),
    };
    if raw.len() < 2 {
        return Err(ins
            .error(format!("{} needs a source and a destination", ins.keyword))
            .with_help(format!("write `{} SOURCE... DEST`", ins.keyword)));
    }
    let dest = m.word(ins, &raw[raw.len() - 1])?;
    let mut docs = ins.line.heredocs.iter();
    let mut sources = Vec::new();
    let mut files = Vec::new();
    for word in &raw[..raw.len() - 1] {
        let is_doc = word
            .trim_start_matches(|c: char| c.is_ascii_digit())
            .starts_with("<<");
        match docs.next().filter(|_| is_doc) {
            Some(doc) => files.push(doc),
            None => sources.push(m.word(ins, word)?),
        }
    }
    let single = raw.len() == 2;
    let to = (!matches!(dest.as_str(), "." | "./")).then(|| dest.clone());
    if !sources.is_empty() {
        if add {
            for source in sources {
                let mut step = vec![Entry::new("add", Node::Str(source))];
                put_opt(&mut step, "to", to.clone());
                put_opt(&mut step, "checksum", flags.checksum.clone());
                put_opt(&mut step, "chown", flags.chown.clone());
                put_opt(&mut step, "chmod", flags.chmod.clone());
                if let Some(k) = flags.keep_git_dir {
                    step.push(Entry::new("keep-git-dir", Node::Bool(k)));
                }
                push_step(m, ins, step)?;
            }
        } else {
            let copy = if sources.len() == 1 {
                Node::Str(sources.remove(0))
            } else {
                Node::strs(sources)
            };
            let mut step = vec![Entry::new("copy", copy)];
            put_opt(&mut step, "from", flags.from.clone());
            put_opt(&mut step, "to", to);
            put_opt(&mut step, "chown", flags.chown.clone());
            put_opt(&mut step, "chmod", flags.chmod.clone());
            match flags.exclude.len() {
                0 => {}
                1 => step.push(Entry::new("exclude", Node::Str(flags.exclude[0].clone()))),
                _ => step.push(Entry::new("exclude", Node::strs(flags.exclude.clone()))),
            }
            for (key, value) in [("link", flags.link), ("parents", flags.parents)] {
                if let Some(v) = value {
                    step.push(Entry::new(key, Node::Bool(v)));
                }
            }
            push_step(m, ins, step)?;
        }
    }
    for doc in files {
        let path = if single && !dest.ends_with('/') && !matches!(dest.as_str(), "." | "./") {
            dest.clone()
        } else {
            format!("{}/{}", dest.trim_end_matches('/'), doc.name)
        };
        push_step(m, ins, file_step(path, doc, &flags))?;
    }
    Ok(())
}

fn put_opt(step: &mut Vec<Entry>, key: &str, value: Option<String>) {
    if let Some(v) = value {
        step.push(Entry::new(key, Node::Str(v)));
    }
}

/// A here-document of `COPY`/`ADD` as a `file` step.
fn file_step(path: String, doc: &Heredoc, flags: &CopyFlags) -> Vec<Entry> {
    let mut step = vec![Entry::new("file", Node::Str(path))];
    put_opt(&mut step, "mode", flags.chmod.clone());
    put_opt(&mut step, "chown", flags.chown.clone());
    if doc.expand {
        step.push(Entry::new("content", Node::Str(heredoc_text(&doc.body))));
    } else {
        step.push(Entry::new("expand", Node::Bool(false)));
        step.push(Entry::new("content", Node::Str(doc.body.clone())));
    }
    step
}

/// An expanded here-document: its variables kept, every other `$` written `$$`.
fn heredoc_text(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' {
            let next = chars.get(i + 1).copied();
            if next.is_some_and(|c| c == '{' || c.is_ascii_alphabetic() || c == '_') {
                out.push('$');
            } else {
                out.push_str("$$");
            }
        } else {
            out.push(chars[i]);
        }
        i += 1;
    }
    out
}
