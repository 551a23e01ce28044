//! What a build takes and offers, without building: the answers to buildx's
//! `--print=targets` / `--print=outline` (`frontend.targets`, `frontend.outline`) and to
//! `stagefile outline`. JSON shapes and keys follow BuildKit's subrequest types and their
//! json tags (`targets`, `sources`, `location`, … in lower case; a cache mount's `ID`).

use crate::diag::Span;
use crate::include::Files;
use crate::plan::{CacheMount, Command, Plan, RunMount, SecretMount, SshMount, StepKind, TestKind};
use crate::spec::{Stagefile, span_of};
use base64::Engine;
use serde_json::{Value, json};

/// Version of the subrequest formats answered here (BuildKit's 1.0.0 shapes).
pub const VERSION: &str = "1.0.0";

fn location(span: Span) -> Value {
    let pos = json!({ "line": span.line, "character": span.column.saturating_sub(1) });
    json!({ "ranges": [{ "start": pos, "end": pos }] })
}

fn sources(data: &[u8]) -> Value {
    json!([base64::engine::general_purpose::STANDARD.encode(data)])
}

/// Every stage, the default target marked (`frontend.targets`).
pub fn targets(file: &Stagefile, data: &[u8]) -> Value {
    let stages = &file.stages.value;
    let default = file
        .target
        .as_ref()
        .map(|t| t.value.clone())
        .or_else(|| stages.0.last().map(|(k, _)| k.value.clone()));
    let targets: Vec<Value> = stages
        .iter()
        .map(|(name, stage)| {
            let mut t = json!({ "name": name.value, "base": stage.from.value, "location": location(span_of(name)) });
            if Some(&name.value) == default.as_ref() {
                t["default"] = json!(true);
            }
            if let Some(d) = &stage.description {
                t["description"] = json!(d.value);
            }
            if let Some(p) = &stage.platform {
                t["platform"] = json!(p.value);
            }
            t
        })
        .collect();
    json!({ "targets": targets, "sources": sources(data) })
}

/// `targets`, with the stages of the included files under their prefixed names, each
/// located in its own file (its `sourceIndex`) and described with the file's name.
pub fn targets_in(file: &Stagefile, files: &Files) -> Value {
    let mut out = targets(file, &files.main().data);
    if files.len() == 1 {
        return out;
    }
    let Ok((_, included)) = crate::compile::parse_all(files) else {
        return out;
    };
    let mut listed = Vec::new();
    for (id, unit) in included.parsed() {
        let prefix = included.prefix(*id);
        for (name, stage) in unit.stages.value.iter() {
            let mut loc = location(span_of(name));
            loc["sourceIndex"] = json!(id);
            let from = files.name(*id);
            let description = match &stage.description {
                Some(d) => format!("{} ({from})", d.value),
                None => format!("from {from}"),
            };
            let mut t = json!({ "name": format!("{prefix}.{}", name.value), "base": stage.from.value, "location": loc, "description": description });
            if let Some(p) = &stage.platform {
                t["platform"] = json!(p.value);
            }
            listed.push(t);
        }
    }
    if let Some(list) = out["targets"].as_array_mut() {
        list.extend(listed);
    }
    out["sources"] = json!(
        files
            .named_data()
            .iter()
            .map(|(_, d)| base64::engine::general_purpose::STANDARD.encode(d))
            .collect::<Vec<_>>()
    );
    out
}

/// `render`, with the included files' stages listed after the Stagefile's.
pub fn render_in(file: &Stagefile, plan: &Plan, files: &Files) -> String {
    if files.len() == 1 {
        return render(file, plan);
    }
    let target = &plan.stages[plan.target].name;
    let targets = targets_in(file, files);
    let included = targets["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .skip(file.stages.value.len())
        .map(|t| {
            let mut name = t["name"].as_str().unwrap_or_default().to_owned();
            if &name == target {
                name.push_str(" (default)");
            }
            (
                name,
                t["description"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    render_with(file, plan, included)
}

/// A secret or ssh socket a step uses; `required` is left out when false, as BuildKit's
/// `omitempty` tag does.
fn secret_entry(id: &str, required: bool, location: Value) -> Value {
    let mut entry = json!({ "name": id, "location": location });
    if required {
        entry["required"] = json!(true);
    }
    entry
}

/// The args, secrets, ssh sockets and caches the target's stages use (`frontend.outline`).
pub fn outline(file: &Stagefile, plan: &Plan, data: &[u8]) -> Value {
    let args: Vec<Value> = file
        .args
        .iter()
        .map(|(name, default)| {
            let mut a = json!({ "name": name.value, "location": location(span_of(name)) });
            if let Some(v) = default {
                a["value"] = json!(v.0);
            }
            a
        })
        .collect();
    let (mut secrets, mut ssh, mut cache) = (Vec::new(), Vec::new(), Vec::new());
    for stage in &plan.stages {
        for step in &stage.steps {
            let StepKind::Run(run) = &step.kind else {
                continue;
            };
            for m in &run.mounts {
                let loc = location(step.span);
                match m {
                    RunMount::Secret(SecretMount { id, required, .. }) => {
                        secrets.push(secret_entry(id, *required, loc))
                    }
                    RunMount::Ssh(SshMount { id, required, .. }) => {
                        ssh.push(secret_entry(id, *required, loc))
                    }
                    RunMount::Cache(CacheMount { id, .. }) => {
                        cache.push(json!({ "ID": id, "location": loc }))
                    }
                    _ => {}
                }
            }
        }
    }
    let target = &plan.stages[plan.target];
    let mut out = json!({ "name": target.name, "sources": sources(data) });
    if let Some(d) = file
        .stages
        .value
        .iter()
        .find(|(k, _)| k.value == target.name)
        .and_then(|(_, s)| s.description.as_ref())
    {
        out["description"] = json!(d.value);
    }
    for (key, list) in [
        ("args", args),
        ("secrets", secrets),
        ("ssh", ssh),
        ("cache", cache),
    ] {
        if !list.is_empty() {
            out[key] = json!(list);
        }
    }
    out
}

/// The tests a build of the target runs, stage by stage: `{stage, test, line}` with the
/// test as written (`run: make test`, `stage: test`).
pub fn tests(plan: &Plan) -> Vec<Value> {
    let mut out = Vec::new();
    for stage in &plan.stages {
        for t in &stage.tests {
            let test = match &t.kind {
                TestKind::Run(r) => match &r.command {
                    Command::Shell(text) => format!("run: {}", text.trim()),
                    Command::Exec(args) => format!("run: {args:?}"),
                },
                TestKind::Stage(i) => format!("stage: {}", plan.stages[*i].name),
            };
            out.push(json!({ "stage": stage.name, "test": test, "line": t.span.line }));
        }
    }
    out
}

/// The human-readable form of both, for `stagefile outline`.
pub fn render(file: &Stagefile, plan: &Plan) -> String {
    render_with(file, plan, Vec::new())
}

/// `render` with more rows of targets after the file's own.
fn render_with(file: &Stagefile, plan: &Plan, more: Vec<(String, String)>) -> String {
    let target = &plan.stages[plan.target].name;
    let mut rows: Vec<(String, String)> = file
        .stages
        .value
        .iter()
        .map(|(name, stage)| {
            let mut label = name.value.clone();
            if &name.value == target {
                label.push_str(" (default)");
            }
            (
                label,
                stage
                    .description
                    .as_ref()
                    .map_or(String::new(), |d| d.value.clone()),
            )
        })
        .collect();
    rows.extend(more);
    let width = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0).max(6) + 2;
    let mut out = format!("{:<width$}DESCRIPTION\n", "TARGET");
    for (label, desc) in rows {
        out.push_str(format!("{label:<width$}{desc}").trim_end());
        out.push('\n');
    }
    if !file.args.is_empty() {
        out.push_str("\nARG                   DEFAULT\n");
        for (name, default) in file.args.iter() {
            let d = default.as_ref().map_or("(required)", |t| t.0.as_str());
            out.push_str(&format!("{:<22}{d}\n", name.value));
        }
    }
    let mut uses = Vec::new();
    for stage in &plan.stages {
        for step in &stage.steps {
            if let StepKind::Run(run) = &step.kind {
                for m in &run.mounts {
                    match m {
                        RunMount::Secret(SecretMount { id, required, .. }) => uses.push(format!(
                            "secret {id}{}",
                            if *required { " (required)" } else { "" }
                        )),
                        RunMount::Ssh(SshMount { id, .. }) => uses.push(format!("ssh {id}")),
                        _ => {}
                    }
                }
            }
        }
    }
    uses.sort();
    uses.dedup();
    if !uses.is_empty() {
        out.push_str("\nUSES\n");
        for u in uses {
            out.push_str(&u);
            out.push('\n');
        }
    }
    let tests = tests(plan);
    if !tests.is_empty() {
        let cell = |t: &Value, k: &str| t[k].as_str().unwrap_or_default().to_owned();
        let width = tests
            .iter()
            .map(|t| cell(t, "stage").len())
            .max()
            .unwrap_or(0)
            .max(5)
            + 2;
        out.push_str(&format!("\n{:<width$}{:<6}TEST\n", "STAGE", "LINE"));
        for t in &tests {
            let line = t["line"].as_u64().unwrap_or_default();
            let row = format!("{:<width$}{line:<6}{}", cell(t, "stage"), cell(t, "test"));
            out.push_str(row.trim_end());
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::BuildOptions;

    const SRC: &str = "args:\n  GO: '1.22'\n  TOKEN: null\nstages:\n  build:\n    from: busybox:1.35\n    description: compiles it\n    steps:\n      - run: make\n        secret: token\n        cache: /c\n  app:\n    from: scratch\n    description: the runtime\n";

    fn parsed() -> (Stagefile, Plan) {
        let file = crate::spec::parse(SRC.as_bytes()).unwrap();
        let opts = BuildOptions {
            target: Some("build".into()),
            ..Default::default()
        };
        let plan = crate::plan::plan(&file, &opts).unwrap();
        (file, plan)
    }

    #[test]
    fn targets_list_every_stage_and_the_default() {
        let (file, _) = parsed();
        let t = targets(&file, SRC.as_bytes());
        assert!(t.get("Targets").is_none() && t["sources"].is_array(), "{t}");
        assert_eq!(t["targets"][0]["name"], "build");
        assert_eq!(t["targets"][0]["description"], "compiles it");
        assert!(t["targets"][0].get("default").is_none());
        assert_eq!(t["targets"][1]["default"], true);
        assert_eq!(
            t["targets"][1]["location"]["ranges"][0]["start"]["line"],
            12
        );
    }

    #[test]
    fn outline_lists_args_secrets_and_caches_of_the_target() {
        let (file, plan) = parsed();
        let o = outline(&file, &plan, SRC.as_bytes());
        assert_eq!(o["args"][0]["name"], "GO");
        assert_eq!(o["args"][0]["value"], "1.22");
        assert!(o["args"][1].get("value").is_none());
        assert_eq!(o["secrets"][0]["name"], "token");
        assert!(
            o["secrets"][0].get("required").is_none(),
            "omitted when false"
        );
        assert!(o["secrets"][0]["location"]["ranges"].is_array());
        assert_eq!(o["cache"][0]["ID"], "/c");
        assert_eq!(o["name"], "build");
        assert_eq!(o["description"], "compiles it");
        let text = render(&file, &plan);
        assert!(text.contains("build (default)"), "{text}");
        assert!(text.contains("TOKEN                 (required)"), "{text}");
        assert!(text.contains("secret token"), "{text}");
    }
}
