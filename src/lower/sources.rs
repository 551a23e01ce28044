//! The sources a stage reads: base images, the build context (made once, filtered to
//! what the reachable stages read), named local contexts and the client's input graphs.

use super::Lowering;
use crate::llb::{self, Meta, Output};
use crate::plan::Source;
use crate::platform::Platform;

impl Lowering<'_> {
    pub(super) fn image_source(&self, reference: &str, platform: &Platform, meta: Meta) -> Output {
        let mode = self.opts.resolve_mode.as_deref();
        llb::image(reference, platform, mode.filter(|m| *m != "default"), meta)
    }

    /// The build context, filtered to what the reachable stages read.
    pub(super) fn context(&mut self) -> Output {
        if let Some(c) = &self.context {
            return c.clone();
        }
        let c = llb::Local {
            session_id: self.opts.session_id.clone(),
            shared_key_hint: Some("context".to_owned()),
            follow_paths: self.plan.context_paths.clone(),
            exclude_patterns: self.opts.excludes.clone(),
            ..llb::Local::new("context")
        }
        .build(Meta::named("[internal] load build context"));
        self.context = Some(c.clone());
        c
    }

    /// The filesystem of `source`; `None` for scratch (or an empty input graph).
    pub(super) fn source_fs(&mut self, source: &Source, platform: &Platform) -> Option<Output> {
        match source {
            Source::Scratch => None,
            Source::Stage(i) => self.results[*i].fs.clone(),
            Source::Context => Some(self.context()),
            Source::Image(r) => {
                Some(self.image_source(r, platform, Meta::named(format!("[internal] load {r}"))))
            }
            Source::Local(name) => {
                let local = llb::Local {
                    session_id: self.opts.session_id.clone(),
                    shared_key_hint: Some(name.clone()),
                    ..llb::Local::new(name.as_str())
                };
                Some(local.build(Meta::named(format!("[internal] load build context {name}"))))
            }
            Source::Input(name) => self
                .opts
                .inputs
                .get(name)
                .cloned()
                .and_then(llb::from_definition),
        }
    }
}
