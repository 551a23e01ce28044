//! The instructions that set the image config: `CMD`, `ENTRYPOINT`, `EXPOSE`, `LABEL`,
//! `VOLUME`, `STOPSIGNAL`, `HEALTHCHECK` and `MAINTAINER`.

use super::Warn;
use super::instr::{Args, Instruction, json_array};
use super::map::Mapper;
use super::words;
use super::yaml::{Entry, Node};
use crate::diag::Diagnostic;

/// `CMD` and `ENTRYPOINT`: the exec form as is; the shell form after the shell in force,
/// as Docker records it.
pub fn command(m: &mut Mapper, ins: &Instruction, key: &'static str) -> Result<(), Diagnostic> {
    let value = match &ins.args {
        Args::Json(list) => Node::strs(list.clone()),
        Args::Text(text) => {
            let mut list = m.cur(ins)?.shell.clone();
            list.push(text.clone());
            Node::strs(list)
        }
    };
    m.config(ins, key, value, false)
}

pub fn expose(m: &mut Mapper, ins: &Instruction) -> Result<(), Diagnostic> {
    let mut ports = Vec::new();
    for (_, word) in words::split(ins.text(), m.escape) {
        let port = m.word(ins, &word)?;
        ports.push(match port.parse::<u16>() {
            Ok(n) => Node::Int(n.into()),
            Err(_) => Node::Str(port),
        });
    }
    if ports.is_empty() {
        return Err(ins
            .error("EXPOSE names no port")
            .with_help("write `EXPOSE 8080`"));
    }
    m.config(ins, "expose", Node::seq(ports), true)
}

pub fn labels(m: &mut Mapper, ins: &Instruction) -> Result<(), Diagnostic> {
    let mut labels = Vec::new();
    for (offset, key, value) in words::pairs(ins.text(), m.escape, true) {
        let Some(value) = value else {
            return Err(Diagnostic::error(
                ins.pos_in_args(offset).span(key.len()),
                format!("LABEL `{key}` has no value"),
            )
            .with_help("write `LABEL name=value`"));
        };
        let key = words::literal(&key, m.escape).map_err(|e| ins.error(e))?;
        labels.push(Entry::new(key, Node::Str(m.word(ins, &value)?)));
    }
    if labels.is_empty() {
        return Err(ins
            .error("LABEL names no label")
            .with_help("write `LABEL name=value`"));
    }
    m.config(ins, "labels", Node::Map(labels), true)
}

pub fn maintainer(m: &mut Mapper, ins: &Instruction) -> Result<(), Diagnostic> {
    m.warnings.push(
        ins.error("MAINTAINER sets the image's author, which a Stagefile cannot set: it is written as the label `maintainer`")
            .with_help("Docker recommends that label instead of MAINTAINER")
            .into_warning(),
    );
    let name = m.word(ins, ins.text())?;
    m.config(
        ins,
        "labels",
        Node::Map(vec![Entry::new("maintainer", Node::Str(name))]),
        true,
    )
}

pub fn volumes(m: &mut Mapper, ins: &Instruction) -> Result<(), Diagnostic> {
    let raw: Vec<String> = match &ins.args {
        Args::Json(list) => list.clone(),
        Args::Text(t) => words::split(t, m.escape)
            .into_iter()
            .map(|(_, w)| w)
            .collect(),
    };
    let mut paths = Vec::new();
    for word in raw {
        paths.push(Node::Str(m.word(ins, &word)?));
    }
    if paths.is_empty() {
        return Err(ins
            .error("VOLUME names no path")
            .with_help("write `VOLUME /data`"));
    }
    m.config(ins, "volumes", Node::seq(paths), true)
}

pub fn stopsignal(m: &mut Mapper, ins: &Instruction) -> Result<(), Diagnostic> {
    let signal = m.word(ins, ins.text())?;
    m.config(ins, "stopsignal", Node::Str(signal), false)
}

const HEALTH_FLAGS: [&str; 5] = [
    "interval",
    "timeout",
    "start-period",
    "start-interval",
    "retries",
];

pub fn healthcheck(m: &mut Mapper, ins: &Instruction) -> Result<(), Diagnostic> {
    let text = ins.text();
    let (word, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let rest = rest.trim();
    let test = match word.to_ascii_uppercase().as_str() {
        "NONE" if rest.is_empty() => Node::strs(["NONE"]),
        "CMD" if !rest.is_empty() => match json_array(rest) {
            Some(list) => {
                let docker_word = list
                    .first()
                    .is_some_and(|w| matches!(w.as_str(), "CMD" | "CMD-SHELL" | "NONE"));
                if docker_word {
                    Node::strs(std::iter::once("CMD".to_owned()).chain(list))
                } else {
                    Node::strs(list)
                }
            }
            None => Node::Str(rest.to_owned()),
        },
        _ => {
            return Err(ins
                .error("HEALTHCHECK takes `NONE` or `CMD` and a command")
                .with_help("write `HEALTHCHECK [options] CMD command`"));
        }
    };
    let mut check = vec![Entry::new("test", test)];
    for flag in &ins.flags {
        let at = flag.at.span(flag.name.len() + 2);
        if !HEALTH_FLAGS.contains(&flag.name.as_str()) {
            return Err(Diagnostic::error(
                at,
                format!("HEALTHCHECK --{} is not an option", flag.name),
            )
            .with_help(format!("it takes --{}", HEALTH_FLAGS.join(", --"))));
        }
        let value = flag
            .value
            .clone()
            .ok_or_else(|| Diagnostic::error(at, format!("--{} needs a value", flag.name)))?;
        let node = if flag.name == "retries" {
            Node::Int(value.parse().map_err(|_| {
                Diagnostic::error(at, format!("--retries={value} is not a whole number"))
            })?)
        } else {
            Node::Str(value)
        };
        check.push(Entry::new(flag.name.clone(), node));
    }
    m.config(ins, "healthcheck", Node::Map(check), false)
}
