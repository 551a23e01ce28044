//! `run` steps: one exec op with the step's command, environment, user, working
//! directory, network and security modes, and its mounts (`mounts.rs`).

use super::budget::cost;
use super::config::argv;
use super::paths::{current_dir, join};
use super::{Lowering, Step};
use crate::llb::{Exec, Network, Security};
use crate::plan::{self, Command, RunStep};

impl Lowering<'_> {
    /// `run_env`: the args the step uses and its own `env`, resolved.
    pub(super) fn run(&mut self, step: &mut Step, run: &RunStep, run_env: &[(String, String)]) {
        let shown = shown(&run.command);
        let mut exec = Exec::new(step.fs.take(), step.platform.clone());
        exec.args = argv(step.image, &run.command);
        exec.env = step.image.process_env();
        // The step's args and env replace inherited variables of the same name; one pass,
        // as both lists can be long.
        let own: std::collections::BTreeSet<&str> =
            run_env.iter().map(|(k, _)| k.as_str()).collect();
        exec.env
            .retain(|e| e.split_once('=').is_none_or(|(n, _)| !own.contains(n)));
        exec.env
            .extend(run_env.iter().map(|(k, v)| format!("{k}={v}")));
        self.graph_bytes += exec
            .args
            .iter()
            .chain(&exec.env)
            .map(|s| cost(s))
            .sum::<usize>();
        exec.cwd = match &run.workdir {
            Some(w) => join(&current_dir(step.image), w),
            None => current_dir(step.image),
        };
        exec.user = run
            .user
            .clone()
            .unwrap_or_else(|| step.image.config.user.clone());
        exec.proxy_env = self.proxy.clone();
        for m in &run.mounts {
            self.mount(&mut exec, m);
        }
        exec.network = match run.network {
            plan::Network::Default => Network::Default,
            plan::Network::None => Network::None,
            plan::Network::Host => Network::Host,
        };
        exec.security = match run.security {
            plan::Security::Sandbox => Security::Sandbox,
            plan::Security::Insecure => Security::Insecure,
        };
        // History shows the command with the args it received, as Dockerfile history does.
        let args_note: Vec<String> = run_env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let prefix = if args_note.is_empty() {
            String::new()
        } else {
            format!("|{} {} ", args_note.len(), args_note.join(" "))
        };
        step.image
            .add_history(format!("{prefix}{shown} # stagefile"), false);
        self.note_caches(&exec, run, step.line);
        step.fs = Some(exec.run(step.meta(&shown)));
    }
}

/// How progress and history show a `run` command.
pub(super) fn shown(command: &Command) -> String {
    match command {
        Command::Shell(text) => format!("RUN {}", text.trim()),
        Command::Exec(a) => format!("RUN {a:?}"),
    }
}
