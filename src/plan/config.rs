//! A stage's image-config keys: `entrypoint`, `cmd`, `expose`, `labels`, `volumes`,
//! `stopsignal` and `healthcheck`.

use super::healthcheck::{self, parse_duration};
use super::ports;
use super::stage::Ctx;
use super::*;
use crate::spec::Spanned;

/// Ports one stage may expose, counting each port of a range: every port of every
/// protocol once. A hostile file's ranges cost no more than that.
const MAX_EXPOSED: usize = 3 * 65_535;

impl Ctx<'_> {
    pub(super) fn config(&mut self, stage: &spec::Stage) -> ConfigEdits {
        let mut c = ConfigEdits {
            entrypoint: stage.entrypoint.as_ref().map(|e| e.value.clone()),
            cmd: stage.cmd.as_ref().map(|e| e.value.clone()),
            ..Default::default()
        };
        self.expose(stage, &mut c);
        for (k, v) in stage.labels.iter() {
            if let Some(v) = self.expand_text(&v.0, span_of(k)) {
                c.labels.push((k.value.clone(), v));
            }
        }
        for (v, span) in stage.volumes.iter().flat_map(spec::items) {
            if let Some(v) = self.expand_text(v, span) {
                c.volumes.push(v);
            }
        }
        c.stopsignal = stage
            .stopsignal
            .as_ref()
            .and_then(|s| self.expand_text(&s.value.0, span_of(s)));
        if let Some(h) = &stage.healthcheck {
            c.healthcheck = self.healthcheck(&h.value);
        }
        c
    }

    fn expose(&mut self, stage: &spec::Stage, c: &mut ConfigEdits) {
        let mut count = 0;
        for (port, span) in stage.expose.iter().flat_map(spec::items) {
            let Some(text) = self.expand_text(&port.0, span) else {
                continue;
            };
            match ports::parse(&text) {
                Ok(exposed) => {
                    count += exposed.ports.len();
                    if count > MAX_EXPOSED {
                        self.diags.push(
                            Diagnostic::error(span, "the stage exposes too many ports")
                                .with_help("a stage can expose each port of each protocol once; merge the ranges")
                                .with_limit(crate::diag::Limit::ExposedPorts),
                        );
                        return;
                    }
                    c.expose.push(exposed);
                }
                Err(e) => self
                    .diags
                    .push(Diagnostic::error(span, e.message).with_help(e.help)),
            }
        }
    }

    fn healthcheck(&mut self, h: &spec::Healthcheck) -> Option<Healthcheck> {
        let mut duration = |d: &Option<Spanned<String>>| {
            d.as_ref().and_then(|d| match parse_duration(&d.value) {
                Some(ns) => Some(ns),
                None => self.fail(
                    Diagnostic::error(span_of(d), format!("`{}` is not a duration", d.value))
                        .with_help("write e.g. 30s, 1m30s or 500ms"),
                ),
            })
        };
        let interval_ns = duration(&h.interval);
        let timeout_ns = duration(&h.timeout);
        let start_period_ns = duration(&h.start_period);
        let start_interval_ns = duration(&h.start_interval);
        let test = match healthcheck::test(&h.test.value) {
            Ok(test) => test,
            Err(e) => {
                return self.fail(Diagnostic::error(span_of(&h.test), e.message).with_help(e.help));
            }
        };
        Some(Healthcheck {
            test,
            interval_ns,
            timeout_ns,
            start_period_ns,
            start_interval_ns,
            retries: h.retries.as_ref().map(|r| r.value),
        })
    }
}
