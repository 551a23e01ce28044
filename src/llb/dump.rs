//! A readable JSON view of a `Definition`, for golden tests and `stagefile llb --dump`.

use bollard_buildkit_proto::pb;
use prost::Message;
use serde_json::{Map, Value, json};

/// Each op in definition order, with inputs shown as positions in that order.
pub fn dump(def: &pb::Definition) -> Value {
    let digests: Vec<String> = def
        .def
        .iter()
        .map(|b| super::marshal::digest_of(b))
        .collect();
    let position = |d: &str| {
        digests
            .iter()
            .position(|x| x == d)
            .map_or(json!(d), |p| json!(p))
    };
    let ops: Vec<Value> = def
        .def
        .iter()
        .zip(&digests)
        .map(|(bytes, digest)| {
            let op = match pb::Op::decode(bytes.as_slice()) {
                Ok(op) => op,
                Err(e) => return json!({ "undecodable": e.to_string() }),
            };
            let mut o = Map::new();
            let meta = def.metadata.get(digest);
            if let Some(name) = meta.and_then(|m| m.description.get(super::marshal::CUSTOM_NAME)) {
                o.insert("name".into(), json!(name));
            }
            if !op.inputs.is_empty() {
                let inputs: Vec<Value> = op
                    .inputs
                    .iter()
                    .map(|i| {
                        if i.index == 0 {
                            position(&i.digest)
                        } else {
                            json!([position(&i.digest), i.index])
                        }
                    })
                    .collect();
                o.insert("inputs".into(), json!(inputs));
            }
            if let Some(p) = &op.platform {
                let mut s = format!("{}/{}", p.os, p.architecture);
                if !p.variant.is_empty() {
                    s = format!("{s}/{}", p.variant);
                }
                o.insert("platform".into(), json!(s));
            }
            match &op.op {
                Some(pb::op::Op::Source(s)) => {
                    o.insert("source".into(), json!(s.identifier));
                    if !s.attrs.is_empty() {
                        o.insert("attrs".into(), json!(s.attrs));
                    }
                }
                Some(pb::op::Op::Exec(e)) => {
                    o.insert("exec".into(), exec(e));
                }
                Some(pb::op::Op::File(f)) => {
                    o.insert(
                        "file".into(),
                        Value::Array(f.actions.iter().map(file_action).collect()),
                    );
                }
                Some(pb::op::Op::Merge(m)) => {
                    let layers: Vec<i64> = m.inputs.iter().map(|i| i.input).collect();
                    o.insert("merge".into(), json!(layers));
                }
                Some(_) => {
                    o.insert("other".into(), json!(format!("{:?}", op.op)));
                }
                None => {
                    o.insert("terminal".into(), json!(true));
                }
            }
            if let Some(m) = meta {
                if m.ignore_cache {
                    o.insert("ignore_cache".into(), json!(true));
                }
                o.insert("caps".into(), json!(m.caps.keys().collect::<Vec<_>>()));
            }
            if let Some(loc) = def.source.as_ref().and_then(|s| s.locations.get(digest)) {
                let lines: Vec<Value> = loc
                    .locations
                    .iter()
                    .flat_map(|l| &l.ranges)
                    .map(|r| json!([r.start.map_or(0, |p| p.line), r.end.map_or(0, |p| p.line)]))
                    .collect();
                o.insert("lines".into(), json!(lines));
            }
            Value::Object(o)
        })
        .collect();
    Value::Array(ops)
}

fn exec(e: &pb::ExecOp) -> Value {
    let meta = e.meta.clone().unwrap_or_default();
    let mut o = Map::new();
    o.insert("args".into(), json!(meta.args));
    o.insert("env".into(), json!(meta.env));
    o.insert("cwd".into(), json!(meta.cwd));
    if !meta.user.is_empty() {
        o.insert("user".into(), json!(meta.user));
    }
    if let Some(p) = &meta.proxy_env {
        let set: Map<String, Value> = [
            ("http_proxy", &p.http_proxy),
            ("https_proxy", &p.https_proxy),
            ("ftp_proxy", &p.ftp_proxy),
            ("no_proxy", &p.no_proxy),
            ("all_proxy", &p.all_proxy),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
        o.insert("proxy".into(), Value::Object(set));
    }
    let mounts: Vec<Value> = e
        .mounts
        .iter()
        .map(|m| {
            let mut mo = Map::new();
            mo.insert("dest".into(), json!(m.dest));
            mo.insert("input".into(), json!(m.input));
            if m.output >= 0 {
                mo.insert("output".into(), json!(m.output));
            }
            let kind = pb::MountType::try_from(m.mount_type).map_or("unknown", |k| k.as_str_name());
            mo.insert("type".into(), json!(kind.to_ascii_lowercase()));
            if !m.selector.is_empty() {
                mo.insert("selector".into(), json!(m.selector));
            }
            if m.readonly {
                mo.insert("readonly".into(), json!(true));
            }
            if let Some(c) = &m.cache_opt {
                let sharing =
                    pb::CacheSharingOpt::try_from(c.sharing).map_or("unknown", |s| s.as_str_name());
                mo.insert(
                    "cache".into(),
                    json!({ "id": c.id, "sharing": sharing.to_ascii_lowercase() }),
                );
            }
            if let Some(s) = &m.secret_opt {
                mo.insert(
                    "secret".into(),
                    json!({ "id": s.id, "mode": format!("{:o}", s.mode), "optional": s.optional }),
                );
            }
            if let Some(s) = &m.ssh_opt {
                mo.insert("ssh".into(), json!({ "id": s.id, "optional": s.optional }));
            }
            if let Some(t) = &m.tmpfs_opt {
                mo.insert("tmpfs".into(), json!({ "size": t.size }));
            }
            Value::Object(mo)
        })
        .collect();
    o.insert("mounts".into(), json!(mounts));
    if e.network != 0 {
        o.insert("network".into(), json!(e.network));
    }
    if e.security != 0 {
        o.insert("security".into(), json!(e.security));
    }
    if !e.secretenv.is_empty() {
        let s: Vec<Value> = e
            .secretenv
            .iter()
            .map(|s| json!({ "id": s.id, "name": s.name }))
            .collect();
        o.insert("secretenv".into(), json!(s));
    }
    Value::Object(o)
}

fn file_action(a: &pb::FileAction) -> Value {
    let mut o = Map::new();
    o.insert("input".into(), json!(a.input));
    if a.secondary_input != -1 {
        o.insert("from".into(), json!(a.secondary_input));
    }
    match &a.action {
        Some(pb::file_action::Action::Copy(c)) => {
            o.insert("copy".into(), json!({ "src": c.src, "dest": c.dest }));
            let mut flags = Vec::new();
            for (on, name) in [
                (c.allow_wildcard, "wildcard"),
                (c.allow_empty_wildcard, "empty-wildcard"),
                (c.create_dest_path, "create-dest"),
                (c.dir_copy_contents, "dir-contents"),
                (c.follow_symlink, "follow-symlinks"),
            ] {
                if on {
                    flags.push(name);
                }
            }
            o.insert("flags".into(), json!(flags));
            if c.mode != -1 {
                o.insert("mode".into(), json!(format!("{:o}", c.mode)));
            }
            if let Some(owner) = &c.owner {
                o.insert("owner".into(), json!(format!("{owner:?}")));
            }
            if !c.exclude_patterns.is_empty() {
                o.insert("exclude".into(), json!(c.exclude_patterns));
            }
            if !c.include_patterns.is_empty() {
                o.insert("include".into(), json!(c.include_patterns));
            }
        }
        Some(pb::file_action::Action::Mkdir(m)) => {
            o.insert("mkdir".into(), json!({ "path": m.path, "mode": format!("{:o}", m.mode), "parents": m.make_parents }));
            if let Some(owner) = &m.owner {
                o.insert("owner".into(), json!(format!("{owner:?}")));
            }
        }
        Some(pb::file_action::Action::Mkfile(m)) => {
            o.insert(
                "mkfile".into(),
                json!({ "path": m.path, "mode": format!("{:o}", m.mode), "data": String::from_utf8_lossy(&m.data) }),
            );
            if let Some(owner) = &m.owner {
                o.insert("owner".into(), json!(format!("{owner:?}")));
            }
        }
        other => {
            o.insert("action".into(), json!(format!("{other:?}")));
        }
    }
    Value::Object(o)
}
