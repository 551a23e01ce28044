//! A stage's image-config keys applied to its image, and the argv a command becomes in
//! that image (its shell for the shell form).

use crate::image::{Healthcheck as ImageHealthcheck, Image};
use crate::plan::{Command, StagePlan};
use std::collections::BTreeMap;

/// Stage-level image config: what the stage sets overrides what it inherited.
pub(super) fn apply_config(image: &mut Image, stage: &StagePlan) {
    let c = &stage.config;
    if let Some(e) = &c.entrypoint {
        let args = argv(image, e);
        image.add_history(format!("ENTRYPOINT {args:?}"), true);
        image.config.entrypoint = Some(args);
        // As in a Dockerfile, a new entrypoint drops the inherited command.
        if c.cmd.is_none() {
            image.config.cmd = None;
        }
    }
    if let Some(cmd) = &c.cmd {
        let args = argv(image, cmd);
        image.add_history(format!("CMD {args:?}"), true);
        image.config.cmd = Some(args);
    }
    for exposed in &c.expose {
        for port in &exposed.ports {
            image
                .config
                .exposed_ports
                .insert(port.clone(), serde_json::json!({}));
        }
        image.add_history(format!("EXPOSE {}", exposed.spec), true);
    }
    if !c.labels.is_empty() {
        let labels = image.config.labels.get_or_insert_with(BTreeMap::new);
        for (k, v) in &c.labels {
            labels.insert(k.clone(), v.clone());
        }
        image.add_history(
            format!(
                "LABEL {}",
                c.labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v:?}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            true,
        );
    }
    for v in &c.volumes {
        image
            .config
            .volumes
            .insert(v.clone(), serde_json::json!({}));
        image.add_history(format!("VOLUME {v}"), true);
    }
    if let Some(s) = &c.stopsignal {
        image.config.stop_signal = s.clone();
        image.add_history(format!("STOPSIGNAL {s}"), true);
    }
    if let Some(h) = &c.healthcheck {
        let test = h.test.to_docker();
        image.config.healthcheck = Some(ImageHealthcheck {
            test: test.clone(),
            interval: h.interval_ns.unwrap_or(0),
            timeout: h.timeout_ns.unwrap_or(0),
            start_period: h.start_period_ns.unwrap_or(0),
            start_interval: h.start_interval_ns.unwrap_or(0),
            retries: h.retries.unwrap_or(0),
        });
        image.add_history(format!("HEALTHCHECK {test:?}"), true);
    }
}

/// A command's argv: exec form as written, shell form through the image's shell.
pub(super) fn argv(image: &Image, cmd: &Command) -> Vec<String> {
    match cmd {
        Command::Exec(a) => a.clone(),
        Command::Shell(text) => {
            let mut a = image
                .config
                .shell
                .clone()
                .unwrap_or_else(|| vec!["/bin/sh".into(), "-c".into()]);
            a.push(text.clone());
            a
        }
    }
}
