//! Lint rules: legal Stagefiles that build slowly, leak, or surprise. Each finding names
//! its rule, points at the line, and says how to fix it in one line.

pub mod control;

use crate::diag::{Code, Diagnostic, Span};
use crate::plan::vars::referenced_names;
use crate::plan::{Plan, Source};
use crate::spec::{Command, Stagefile, span_of};

/// One finding: the rule that made it and the located message.
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static str,
    pub diagnostic: Diagnostic,
}

/// Rule names and what each checks, for `frontend.lint` and the docs.
pub const RULES: &[(&str, &str)] = &[
    (
        "SecretsInArgOrEnv",
        "A build arg or env var whose name looks like it holds a secret",
    ),
    ("RootUser", "The final image runs as root"),
    (
        "UnpinnedBaseImage",
        "A base image without a tag, or tagged latest",
    ),
    (
        "InstallWithoutCache",
        "A package install step without a cache mount",
    ),
    ("UnusedArg", "An arg no field or step uses"),
    (
        "UnusedStage",
        "A stage neither the default target nor any other stage uses",
    ),
    (
        "ContextBeforeInstall",
        "The whole context is copied before dependencies are installed",
    ),
];

fn finding(rule: &'static str, span: Span, message: String, fix: &str) -> Finding {
    Finding {
        rule,
        diagnostic: Diagnostic::warning(span, message)
            .with_help(fix)
            .with_code(Code::Lint(rule)),
    }
}

/// Runs every rule the plan's lint settings do not skip. `plan` is the plan for the
/// default target.
pub fn lint(file: &Stagefile, plan: &Plan, text: &str) -> Vec<Finding> {
    let mut out = Vec::new();
    secrets(file, &mut out);
    root_user(file, plan, &mut out);
    unpinned(file, &mut out);
    installs(file, &mut out);
    unused_args(file, text, &mut out);
    unused_stages(file, plan, &mut out);
    out.retain(|f| plan.lint.runs(f.rule));
    out.sort_by_key(|f| (f.diagnostic.span.line, f.diagnostic.span.column));
    out
}

fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "ACCESS_KEY",
    ]
    .iter()
    .any(|w| upper.contains(w))
}

fn secrets(file: &Stagefile, out: &mut Vec<Finding>) {
    let fix =
        "pass it with --secret and a `secret:` on the step; args and env are stored in the image";
    for (name, _) in file.args.iter().filter(|(n, _)| looks_secret(&n.value)) {
        out.push(finding(
            "SecretsInArgOrEnv",
            span_of(name),
            format!("arg `{}` looks like a secret", name.value),
            fix,
        ));
    }
    for (_, stage) in file.stages.value.iter() {
        let step_env = stage.steps.iter().flat_map(|s| s.value.env.iter());
        for (name, _) in stage
            .env
            .iter()
            .chain(step_env)
            .filter(|(n, _)| looks_secret(&n.value))
        {
            out.push(finding(
                "SecretsInArgOrEnv",
                span_of(name),
                format!("env `{}` looks like a secret", name.value),
                fix,
            ));
        }
    }
}

fn root_user(file: &Stagefile, plan: &Plan, out: &mut Vec<Finding>) {
    // A `<stage>.caches` result is a folder of caches, not an image anyone runs.
    if plan.export_caches {
        return;
    }
    // Walk the target's chain of stage bases: any `user` on it is inherited.
    let mut i = plan.target;
    loop {
        let stage = &plan.stages[i];
        if let Some(u) = &stage.user {
            if matches!(u.as_str(), "root" | "0" | "0:0" | "root:root") {
                break;
            }
            return;
        }
        match stage.base {
            Source::Stage(b) => i = b,
            _ => break,
        }
    }
    let target = &plan.stages[plan.target];
    let span = file
        .stages
        .value
        .iter()
        .find(|(k, _)| k.value == target.name)
        .map_or(target.span, |(_, s)| {
            s.user.as_ref().map_or(target.span, span_of)
        });
    out.push(finding(
        "RootUser",
        span,
        format!("the final image (stage `{}`) runs as root", target.name),
        "add `user: \"65532:65532\"` (or another non-root uid) to the final stage",
    ));
}

fn unpinned(file: &Stagefile, out: &mut Vec<Finding>) {
    let stage_names: Vec<&str> = file
        .stages
        .value
        .iter()
        .map(|(k, _)| k.value.as_str())
        .collect();
    for (_, stage) in file.stages.value.iter() {
        let from = stage.from.value.as_str();
        if from == "scratch"
            || stage_names.contains(&from)
            || crate::include::is_included_stage(file, from)
            || from.contains('$')
            || from.contains('@')
        {
            continue;
        }
        let last = from.rsplit('/').next().unwrap_or(from);
        let message = match last.split_once(':') {
            None => format!("`{from}` has no tag, so it means `latest`"),
            Some((_, "latest")) => format!("`{from}` follows `latest`"),
            _ => continue,
        };
        out.push(finding(
            "UnpinnedBaseImage",
            span_of(&stage.from),
            message,
            "pin a version tag (e.g. debian:bookworm) or a digest, so rebuilds get the same base",
        ));
    }
}

/// Package managers' commands, the cache each wants, and whether it installs
/// dependencies (as opposed to compiling the project, which needs the sources).
const INSTALLERS: &[(&str, &str, bool)] = &[
    ("apt-get install", "/var/cache/apt", true),
    ("apt install", "/var/cache/apt", true),
    ("apk add", "/var/cache/apk", true),
    ("pip install", "/root/.cache/pip", true),
    ("pip3 install", "/root/.cache/pip", true),
    ("npm install", "/root/.npm", true),
    ("npm ci", "/root/.npm", true),
    ("go mod download", "/go/pkg/mod", true),
    ("go build", "/root/.cache/go-build", false),
    ("cargo build", "/usr/local/cargo/registry", false),
    ("cargo fetch", "/usr/local/cargo/registry", true),
    ("cargo install", "/usr/local/cargo/registry", true),
];

fn installer(cmd: &Command) -> Option<(&'static str, &'static str, bool)> {
    let text = match cmd {
        Command::Shell(t) => t.clone(),
        Command::Exec(a) => a.join(" "),
    };
    let squashed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    INSTALLERS
        .iter()
        .copied()
        .find(|(needle, _, _)| squashed.contains(needle))
}

fn installs(file: &Stagefile, out: &mut Vec<Finding>) {
    for (_, stage) in file.stages.value.iter() {
        let mut whole_context: Option<Span> = None;
        for step in &stage.steps {
            let s = &step.value;
            if let Some(copy) = &s.copy
                && s.from.is_none()
                && copy
                    .value
                    .0
                    .iter()
                    .any(|(p, _)| matches!(p.trim_end_matches('/'), "." | "./" | "" | "/"))
            {
                whole_context.get_or_insert(span_of(copy));
            }
            let Some(run) = &s.run else { continue };
            let Some((tool, cache, dependencies)) = installer(&run.value) else {
                continue;
            };
            if s.cache.is_none() {
                out.push(finding(
                    "InstallWithoutCache",
                    span_of(run),
                    format!(
                        "`{tool}` runs without a cache mount, so every rebuild downloads again"
                    ),
                    &format!("add `cache: {cache}` to the step"),
                ));
            }
            if !dependencies {
                continue;
            }
            if let Some(copied) = whole_context.take() {
                out.push(finding(
                    "ContextBeforeInstall",
                    copied,
                    format!("the whole context is copied before `{tool}`, so any file change re-runs the install"),
                    "copy only the dependency manifests before installing, and the rest after",
                ));
            }
        }
    }
}

fn unused_args(file: &Stagefile, text: &str, out: &mut Vec<Finding>) {
    let used = referenced_names(text);
    let listed = |name: &str| {
        file.stages.value.iter().any(|(_, s)| {
            s.args.iter().any(|a| a.value == name)
                || s.steps
                    .iter()
                    .any(|st| st.value.args.iter().any(|a| a.value == name))
        })
    };
    for (name, _) in file.args.iter() {
        if !used.contains(&name.value) && !listed(&name.value) {
            out.push(finding(
                "UnusedArg",
                span_of(name),
                format!("arg `{}` is never used", name.value),
                "use it as ${NAME} in a field or step, or remove it",
            ));
        }
    }
}

fn unused_stages(file: &Stagefile, plan: &Plan, out: &mut Vec<Finding>) {
    let built: std::collections::HashSet<&str> =
        plan.stages.iter().map(|s| s.name.as_str()).collect();
    for (name, stage) in file.stages.value.iter() {
        if built.contains(name.value.as_str()) || stage.description.is_some() {
            continue;
        }
        out.push(finding(
            "UnusedStage",
            span_of(name),
            format!(
                "stage `{}` is not built for the target and no stage uses it",
                name.value
            ),
            "give it a `description` if it is meant for --target, or remove it",
        ));
    }
}

#[cfg(test)]
mod tests;
