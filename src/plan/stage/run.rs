//! `run` steps: the command, the args and env it receives, its mounts, network and
//! security modes; every part is checked, so a step reports all its problems.

use super::*;
use crate::spec::{CacheSpec, MountSpec, OrderedMap, SecretSpec, SshSpec, Test, Text, TmpfsSpec};

/// The keys of a `run`: a step's, or a test's, which has the same options.
pub(super) struct RunParts<'a> {
    pub run: &'a Option<Spanned<Command>>,
    pub cache: &'a Option<Spanned<OneOrMany<Short<CacheSpec>>>>,
    pub secret: &'a Option<Spanned<OneOrMany<Short<SecretSpec>>>>,
    pub ssh: &'a Option<Spanned<Short<SshSpec>>>,
    pub tmpfs: &'a Option<Spanned<OneOrMany<Short<TmpfsSpec>>>>,
    pub mount: &'a Option<Spanned<OneOrMany<MountSpec>>>,
    pub network: &'a Option<Spanned<String>>,
    pub security: &'a Option<Spanned<String>>,
    pub env: &'a OrderedMap<Option<Text>>,
    pub workdir: &'a Option<Spanned<String>>,
    pub user: &'a Option<Spanned<Text>>,
    pub args: &'a [Spanned<String>],
}

macro_rules! run_parts {
    ($s:expr) => {
        RunParts {
            run: &$s.run,
            cache: &$s.cache,
            secret: &$s.secret,
            ssh: &$s.ssh,
            tmpfs: &$s.tmpfs,
            mount: &$s.mount,
            network: &$s.network,
            security: &$s.security,
            env: &$s.env,
            workdir: &$s.workdir,
            user: &$s.user,
            args: &$s.args,
        }
    };
}

impl<'a> From<&'a Step> for RunParts<'a> {
    fn from(s: &'a Step) -> Self {
        run_parts!(s)
    }
}

impl<'a> From<&'a Test> for RunParts<'a> {
    fn from(t: &'a Test) -> Self {
        run_parts!(t)
    }
}

impl Ctx<'_> {
    pub(super) fn run(&mut self, s: &RunParts) -> Option<RunStep> {
        let run = s.run.as_ref().expect("checked by caller");
        let command = run.value.clone();
        if matches!(&command, Command::Exec(a) if a.is_empty())
            || matches!(&command, Command::Shell(t) if t.trim().is_empty())
        {
            return self.fail(
                Diagnostic::error(span_of(run), "`run` is empty")
                    .with_help("give a command to run"),
            );
        }
        // Pass exactly the args the step uses, so an unrelated arg keeps it cached.
        let text = match &command {
            Command::Shell(t) => t.clone(),
            Command::Exec(a) => a.join(" "),
        };
        let mut wanted: Vec<String> = referenced_names(&text)
            .into_iter()
            .filter(|n| self.arg_names.contains(n))
            .collect();
        for a in s.args {
            self.require_arg(a);
            wanted.push(a.value.clone());
        }
        wanted.extend(self.stage_args.iter().cloned());
        wanted.sort();
        wanted.dedup();
        let mut env: Vec<(String, EnvValue)> = wanted
            .into_iter()
            .filter_map(|n| match self.scope.get(&n) {
                Some(Some(v)) => Some((n, EnvValue::Fixed(v.clone()))),
                _ => None,
            })
            .collect();
        // The step's own env wins over an arg of the same name (one pass: both can be long).
        let own: BTreeSet<&str> = s.env.iter().map(|(k, _)| k.value.as_str()).collect();
        env.retain(|(n, _)| !own.contains(n.as_str()));
        // Every part is checked even after one fails, so a step reports all its problems.
        let mut ok = true;
        for (k, v) in s.env.iter() {
            check_env_name(self, k);
            if self.full() {
                return None;
            }
            let text = v.as_ref().map_or("", |v| v.0.as_str());
            match super::env::value(&self.scope, text, span_of(k)) {
                Ok(v) => env.push((k.value.clone(), v)),
                Err(d) => ok = self.fail::<()>(d).is_some(),
            }
        }
        let mut mounts = Vec::new();
        let mut mount = |mounted: Option<RunMount>| {
            ok &= mounted.is_some();
            mounts.extend(mounted);
        };
        if let Some(cache) = s.cache {
            for (c, span) in items(cache) {
                mount(self.cache(c, span));
            }
        }
        if let Some(secret) = s.secret {
            for (c, span) in items(secret) {
                mount(self.secret(c, span));
            }
        }
        // `ssh: false` turns forwarding off; a mapping without `id` forwards `default`.
        let ssh_off = s.ssh.as_ref().is_some_and(|ssh| {
            let spec = &ssh.value.0;
            spec.id.is_none() && spec.target.is_none() && spec.required.is_none()
        });
        if let Some(ssh) = s.ssh.as_ref().filter(|_| !ssh_off) {
            let id = match &ssh.value.0.id {
                Some(id) => self.expand(id).unwrap_or_default(),
                None => String::new(),
            };
            let id = if id.is_empty() {
                "default".to_owned()
            } else {
                id
            };
            let target = ssh.value.0.target.as_ref().and_then(|t| self.expand(t));
            let required = ssh.value.0.required.as_ref().is_some_and(|r| r.value);
            mount(Some(RunMount::Ssh(SshMount {
                id,
                target,
                required,
            })));
        }
        if let Some(tmpfs) = s.tmpfs {
            for (t, span) in items(tmpfs) {
                mount(self.tmpfs(t, span));
            }
        }
        if let Some(binds) = s.mount {
            for (m, span) in spec::items(binds) {
                mount(self.bind(m, span));
            }
        }
        let network = self.keyword(
            s.network,
            "network mode",
            &[
                ("default", Network::Default),
                ("none", Network::None),
                ("host", Network::Host),
            ],
        );
        let security = self.keyword(
            s.security,
            "security mode",
            &[
                ("sandbox", Security::Sandbox),
                ("insecure", Security::Insecure),
            ],
        );
        let workdir = s.workdir.as_ref().and_then(|w| self.expand(w));
        let user = s
            .user
            .as_ref()
            .and_then(|u| self.expand_text(&u.value.0, span_of(u)));
        if !ok {
            return None;
        }
        Some(RunStep {
            command,
            env,
            workdir,
            user,
            mounts,
            network: network?,
            security: security?,
        })
    }
}
