//! Base image configs: every distinct image and platform the plans name is resolved once,
//! all at the same time; a failure points at the `from` line of the first stage using it.

use super::engine::Engine;
use super::errors;
use super::options::Env;
use super::timing::{Clock, Trip};
use crate::image::Image;
use crate::platform::Platform;
use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;
use std::collections::{BTreeMap, BTreeSet};

/// The configs of the base images, by reference and platform.
pub(super) type BaseConfigs = BTreeMap<(String, Platform), Image>;

pub(super) async fn resolve<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
    plans: &[crate::plan::Plan],
    files: &crate::include::Files,
) -> Result<BaseConfigs, Status> {
    let images: BTreeSet<&(String, Platform)> = plans.iter().flat_map(|p| &p.images).collect();
    let mut tasks = tokio::task::JoinSet::new();
    for (reference, platform) in images {
        let request = fe::ResolveImageConfigRequest {
            r#ref: reference.clone(),
            platform: Some(platform.to_pb()),
            resolve_mode: env
                .opt("image-resolve-mode")
                .unwrap_or("default")
                .to_owned(),
            log_name: format!("[internal] load metadata for {reference}"),
            session_id: env.session_id.clone(),
            ..Default::default()
        };
        let key = (reference.clone(), platform.clone());
        let (engine, clock) = (engine.clone(), clock.clone());
        tasks.spawn(async move {
            let what = format!("{} {}", key.0, key.1);
            let answer = clock
                .time(Trip::Resolve, &what, engine.resolve_image_config(request))
                .await;
            (key, answer)
        });
    }
    let mut configs = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (key, answer) =
            joined.map_err(|e| errors::plain(format!("resolving base images failed: {e}")))?;
        let response = answer.map_err(|e| {
            let mut status = errors::from_rpc(&format!("cannot load base image {}", key.0), &e);
            if let Some(at) = from_line(&plans[0], &key.0) {
                let file = files.get(at.file);
                status
                    .details
                    .push(errors::source_detail(&file.name, &file.data, at.line));
            }
            status
        })?;
        let image = Image::from_json(&response.config)
            .map_err(|e| errors::plain(format!("base image {}: {e}", key.0)))?;
        configs.insert(key, image);
    }
    Ok(configs)
}

/// The `from` of the first stage built from this image.
fn from_line(plan: &crate::plan::Plan, reference: &str) -> Option<crate::diag::Span> {
    plan.stages
        .iter()
        .find(|s| matches!(&s.base, crate::plan::Source::Image(r) if r == reference))
        .map(|s| s.from_span)
        .filter(|at| at.line > 0)
}
