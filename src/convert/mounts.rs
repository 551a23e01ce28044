//! `RUN --mount=…`: each mount type becomes the `run` step option of the same meaning.

use super::instr::{Flag, Instruction};
use super::map::Mapper;
use super::yaml::{Entry, Node};
use crate::diag::Diagnostic;

/// The options a step's mounts become, in the order they are written.
#[derive(Default)]
pub struct Mounts {
    pub cache: Vec<Node>,
    pub secret: Vec<Node>,
    pub ssh: Option<Node>,
    pub tmpfs: Vec<Node>,
    pub mount: Vec<Node>,
}

impl Mounts {
    pub fn entries(self) -> Vec<Entry> {
        let mut out = Vec::new();
        for (key, nodes) in [
            ("cache", self.cache),
            ("secret", self.secret),
            ("tmpfs", self.tmpfs),
            ("mount", self.mount),
        ] {
            match nodes.len() {
                0 => {}
                1 => out.push(Entry::new(
                    key,
                    nodes.into_iter().next().unwrap_or(Node::Null),
                )),
                _ => out.push(Entry::new(key, Node::seq(nodes))),
            }
            if key == "secret"
                && let Some(ssh) = &self.ssh
            {
                out.push(Entry::new("ssh", ssh.clone()));
            }
        }
        out
    }
}

/// `key=value` fields of a mount, split at commas outside quotes.
fn fields(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    for c in text.chars().chain(std::iter::once(',')) {
        match (quote, c) {
            (None, '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, ',') => {
                let field = std::mem::take(&mut cur);
                if !field.is_empty() {
                    match field.split_once('=') {
                        Some((k, v)) => out.push((k.to_ascii_lowercase(), Some(v.to_owned()))),
                        None => out.push((field.to_ascii_lowercase(), None)),
                    }
                }
            }
            _ => cur.push(c),
        }
    }
    out
}

struct Spec<'a> {
    flag: &'a Flag,
    kind: String,
    fields: Vec<(String, Option<String>)>,
}

impl Spec<'_> {
    fn err(&self, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.flag.at.span(7), msg.into())
    }

    fn get(&self, names: &[&str]) -> Option<&str> {
        self.fields
            .iter()
            .rev()
            .find(|(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.as_deref().unwrap_or("true"))
    }

    fn bool(&self, names: &[&str]) -> Result<Option<bool>, Diagnostic> {
        match self.get(names) {
            None => Ok(None),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "" => Ok(Some(true)),
                "false" | "0" => Ok(Some(false)),
                _ => Err(self.err(format!("`{}={v}` is not true or false", names[0]))),
            },
        }
    }

    fn int(&self, name: &str) -> Result<Option<Node>, Diagnostic> {
        match self.get(&[name]) {
            None => Ok(None),
            Some(v) => v
                .parse::<u32>()
                .map(|n| Some(Node::Int(n.into())))
                .map_err(|_| self.err(format!("`{name}={v}` must be a number for a Stagefile"))),
        }
    }

    fn known(&self, allowed: &[&str]) -> Result<(), Diagnostic> {
        for (k, _) in &self.fields {
            if k != "type" && !allowed.contains(&k.as_str()) {
                return Err(self
                    .err(format!(
                        "a `type={}` mount with `{k}` has no Stagefile equivalent",
                        self.kind
                    ))
                    .with_help(format!("it takes {}", allowed.join(", "))));
            }
        }
        Ok(())
    }
}

/// Reads one `--mount` flag into `mounts`.
pub fn mount(
    m: &Mapper,
    ins: &Instruction,
    flag: &Flag,
    workdir: Option<&str>,
    mounts: &mut Mounts,
) -> Result<(), Diagnostic> {
    let text = flag.value.as_deref().unwrap_or("");
    let fields = fields(text);
    let kind = fields
        .iter()
        .find(|(k, _)| k == "type")
        .and_then(|(_, v)| v.clone())
        .unwrap_or_else(|| "bind".to_owned());
    let spec = Spec { flag, kind, fields };
    let word = |v: &str| m.word(ins, v);
    let target = || -> Result<Option<String>, Diagnostic> {
        let Some(t) = spec.get(&["target", "dst", "destination"]) else {
            return Ok(None);
        };
        let t = word(t)?;
        if t.starts_with('/') {
            return Ok(Some(t));
        }
        match workdir {
            Some(w) => Ok(Some(format!("{}/{t}", w.trim_end_matches('/')))),
            None => Err(spec
                .err(format!(
                    "the mount target `{t}` is relative and the working directory is not known"
                ))
                .with_help("give an absolute target")),
        }
    };
    let mut map: Vec<Entry> = Vec::new();
    let mut put = |k: &str, n: Node| map.push(Entry::new(k, n));
    match spec.kind.as_str() {
        "cache" => {
            spec.known(&[
                "target",
                "dst",
                "destination",
                "id",
                "sharing",
                "from",
                "source",
                "src",
                "mode",
                "uid",
                "gid",
                "ro",
                "readonly",
            ])?;
            if spec.bool(&["ro", "readonly"])? == Some(true) {
                return Err(spec
                    .err("a read-only cache mount has no Stagefile equivalent")
                    .with_help("drop `ro`"));
            }
            let target = target()?.ok_or_else(|| spec.err("a cache mount needs a target"))?;
            put("target", Node::Str(target));
            if let Some(id) = spec.get(&["id"]) {
                put("id", Node::Str(word(id)?));
            }
            if let Some(s) = spec.get(&["sharing"]) {
                put("sharing", Node::Str(word(s)?));
            }
            if let Some(from) = spec.get(&["from"]) {
                put("from", Node::Str(m.source_name(&word(from)?)));
            }
            if let Some(src) = spec.get(&["source", "src"]) {
                put("source", Node::Str(word(src)?));
            }
            if let Some(mode) = spec.get(&["mode"]) {
                put("mode", Node::Str(word(mode)?));
            }
            for id in ["uid", "gid"] {
                if let Some(n) = spec.int(id)? {
                    put(id, n);
                }
            }
            mounts.cache.push(shorthand(map, "target"));
        }
        "secret" => {
            spec.known(&[
                "id",
                "target",
                "dst",
                "destination",
                "env",
                "required",
                "mode",
                "uid",
                "gid",
            ])?;
            let target = target()?;
            let id = match (spec.get(&["id"]), &target) {
                (Some(id), _) => word(id)?,
                (None, Some(t)) => t.rsplit('/').next().unwrap_or(t).to_owned(),
                (None, None) => return Err(spec.err("a secret mount needs an id or a target")),
            };
            put("id", Node::Str(id.clone()));
            let env = spec.get(&["env"]).map(str::to_owned);
            // Docker's default file is /run/secrets/<id>, the Stagefile's /run/secrets/<last
            // part of id>; with `env` and no target, both make no file.
            let file = target.or_else(|| env.is_none().then(|| format!("/run/secrets/{id}")));
            let own_default = format!("/run/secrets/{}", id.rsplit('/').next().unwrap_or(&id));
            if let Some(file) = file
                && (env.is_some() || file != own_default)
            {
                put("target", Node::Str(file));
            }
            if let Some(env) = env {
                put("env", Node::Str(env));
            }
            if let Some(r) = spec.bool(&["required"])? {
                put("required", Node::Bool(r));
            }
            if let Some(mode) = spec.get(&["mode"]) {
                put("mode", Node::Str(word(mode)?));
            }
            for id in ["uid", "gid"] {
                if let Some(n) = spec.int(id)? {
                    put(id, n);
                }
            }
            mounts.secret.push(shorthand(map, "id"));
        }
        "ssh" => {
            spec.known(&["id", "target", "dst", "destination", "required"])?;
            if mounts.ssh.is_some() {
                return Err(spec
                    .err("a Stagefile step forwards one SSH agent")
                    .with_help("keep one ssh mount"));
            }
            let id = spec.get(&["id"]).map(&word).transpose()?;
            let target = target()?;
            let required = spec.bool(&["required"])?;
            mounts.ssh = Some(match (id, target, required) {
                (None, None, None) => Node::Bool(true),
                (Some(id), None, None) => Node::Str(id),
                (id, target, required) => {
                    if let Some(id) = id {
                        put("id", Node::Str(id));
                    }
                    if let Some(t) = target {
                        put("target", Node::Str(t));
                    }
                    if let Some(r) = required {
                        put("required", Node::Bool(r));
                    }
                    Node::Map(map)
                }
            });
        }
        "tmpfs" => {
            spec.known(&["target", "dst", "destination", "size"])?;
            let target = target()?.ok_or_else(|| spec.err("a tmpfs mount needs a target"))?;
            put("target", Node::Str(target));
            if let Some(size) = spec.get(&["size"]) {
                put("size", Node::Str(word(size)?));
            }
            mounts.tmpfs.push(shorthand(map, "target"));
        }
        "bind" => {
            spec.known(&[
                "target",
                "dst",
                "destination",
                "from",
                "source",
                "src",
                "rw",
                "readwrite",
                "ro",
                "readonly",
            ])?;
            if let Some(from) = spec.get(&["from"]) {
                put("from", Node::Str(m.source_name(&word(from)?)));
            }
            if let Some(src) = spec.get(&["source", "src"]) {
                put("source", Node::Str(word(src)?));
            }
            let target = target()?.ok_or_else(|| spec.err("a bind mount needs a target"))?;
            put("target", Node::Str(target));
            if spec.bool(&["rw", "readwrite"])? == Some(true) {
                put("rw", Node::Bool(true));
            }
            mounts.mount.push(Node::Map(map));
        }
        other => {
            return Err(spec
                .err(format!("`type={other}` is not a mount type"))
                .with_help("use bind, cache, tmpfs, secret or ssh"));
        }
    }
    Ok(())
}

/// `{target: /x}` alone is written `/x`.
fn shorthand(map: Vec<Entry>, key: &str) -> Node {
    if map.len() == 1 && map[0].key == key {
        map.into_iter().next().map_or(Node::Null, |e| e.value)
    } else {
        Node::Map(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_outside_quotes() {
        let f = fields("type=cache,target=\"/a,b\",ro");
        assert_eq!(f[1], ("target".into(), Some("/a,b".into())));
        assert_eq!(f[2], ("ro".into(), None));
    }
}
