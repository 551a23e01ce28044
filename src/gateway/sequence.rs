//! One build, from the handshake to the result: read the definition, plan each platform,
//! warn, resolve base images and inputs, lower, check the engine's caps, solve.
//!
//! Round trips that do not depend on each other overlap: the handshake with the reads of
//! the build definition, and the warnings with the base image lookups and the inputs.

use super::caps;
use super::engine::Engine;
use super::errors;
use super::images;
use super::inputs::{client_inputs, read_definition};
use super::options::Env;
use super::result::{self, Solved};
use super::subrequests::{SUBREQUESTS, subrequest};
use super::timing::{Clock, Trip};
use crate::diag::Diagnostic;
use crate::llb::SourceMap;
use crate::lower::{self, LowerOptions, TestDefinition};
use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;
use bollard_buildkit_proto::pb;
use futures_util::future::{BoxFuture, try_join_all};
use std::collections::{BTreeSet, HashMap};

/// Everything between the start and `Return`: the result to return, or the error.
pub(super) async fn build<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
) -> Result<fe::Result, Status> {
    let filename = env.filename().to_owned();
    let own_ignore = crate::ignore::own_ignore_name(&filename);
    let (pong, (stagefile, own_dockerignore, dockerignore)) = tokio::join!(
        clock.time(Trip::Ping, "", engine.ping()),
        read_definition(engine, env, clock, &filename, &own_ignore)
    );
    let pong = pong.map_err(|e| errors::from_rpc("BuildKit did not answer", &e))?;
    let caps = enabled(&pong.frontend_api_caps);
    let llb_caps = enabled(&pong.llb_caps);
    let opts = env.build_options().map_err(errors::plain)?;
    let (data, load_vertex) = stagefile.map_err(|e| {
        errors::plain(format!(
            "cannot read {filename} from the build definition: {}",
            e.message
        ))
    })?;

    let files = super::includes::gather(engine, env, clock, &filename, &data).await?;

    if let Some(request) = env.opt("requestid").filter(|r| !r.is_empty()) {
        return subrequest(request, &files, &opts).map_err(|d| match d {
            Some(diags) => errors::located(&files, &diags),
            None => errors::plain(format!(
                "the Stagefile frontend does not answer `{request}`; it answers {}",
                SUBREQUESTS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        });
    }

    // One plan per requested platform: TARGET* args and stage platforms follow each.
    let platforms = env.target_platforms().map_err(errors::plain)?;
    let mut plans = Vec::with_capacity(platforms.len());
    let mut warnings = Vec::new();
    for platform in &platforms {
        let opts = crate::plan::BuildOptions {
            target_platform: platform.clone(),
            ..opts.clone()
        };
        let (parsed, plan) =
            crate::compile::plan_files(&files, &opts).map_err(|d| errors::located(&files, &d))?;
        if plans.is_empty() {
            warnings = crate::compile::warnings(&parsed, &plan, &data);
            if let Some(failure) = crate::compile::lint_failure(&plan, &warnings) {
                return Err(errors::located(&files, &failure));
            }
        }
        plans.push(plan);
    }
    let warner = Warner {
        engine,
        clock,
        enabled: caps.contains("gateway.warnings"),
        vertex: &load_vertex,
        files: &files,
    };
    let ((), base_configs, inputs) = tokio::join!(
        warner.send(&warnings),
        images::resolve(engine, env, clock, &plans, &files),
        client_inputs(engine, env, clock, &plans)
    );
    let base_configs = base_configs?;
    let (inputs, input_configs) = inputs?;
    let excludes = crate::ignore::excludes(
        own_dockerignore.ok().as_ref().map(|(d, _)| d.as_slice()),
        dockerignore.ok().as_ref().map(|(d, _)| d.as_slice()),
        &plans[0],
    );
    let lower_opts = LowerOptions {
        session_id: Some(env.session_id.clone()).filter(|s| !s.is_empty()),
        resolve_mode: env.opt("image-resolve-mode").map(str::to_owned),
        excludes,
        source: Some(SourceMap::one(&filename, &data)),
        more_sources: files.named_data().split_off(1),
        base_configs,
        inputs,
        input_configs,
        no_merge: !llb_caps.contains("mergeop"),
        epoch: epoch(env)?,
    };

    let mut lowered_all = Vec::with_capacity(plans.len());
    for (n, plan) in plans.iter().enumerate() {
        let lowered = lower::lower(plan, &lower_opts).map_err(|d| errors::located(&files, &d))?;
        // What lowering assumed (an `input:` context without a config) is the same for
        // every platform: said once.
        if n == 0 {
            warner.send(&lowered.warnings).await;
        }
        let graphs =
            std::iter::once(&lowered.definition).chain(lowered.tests.iter().map(|t| &t.definition));
        for definition in graphs {
            if let Some((msg, line)) = caps::missing(definition, &llb_caps) {
                return Err(errors::at_line(&filename, &data, line, msg));
            }
        }
        lowered_all.push(lowered);
    }
    // Every platform's graph and tests at once: a test's failure fails the build.
    let calls: Vec<_> = lowered_all
        .iter_mut()
        .map(|lowered| -> BoxFuture<Result<fe::Ref, Status>> {
            let definition = std::mem::take(&mut lowered.definition);
            let tests = std::mem::take(&mut lowered.tests);
            Box::pin(solve_tested(engine, env, clock, definition, tests))
        })
        .collect();
    // The first failure ends the wait; the solves still running are dropped (cancelled).
    let references: Vec<fe::Ref> = try_join_all(calls).await?;
    let solved = platforms
        .iter()
        .zip(lowered_all)
        .zip(references)
        .map(|((platform, lowered), reference)| Solved {
            platform: platform.clone(),
            reference,
            image: lowered.image,
        })
        .collect();
    Ok(result::assemble(
        solved,
        env.opt("multi-platform") == Some("true"),
        lower_opts.epoch,
    ))
}

/// The ids of the enabled caps of a `Ping` answer.
fn enabled(
    caps: &[bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap],
) -> BTreeSet<String> {
    caps.iter()
        .filter(|c| c.enabled)
        .map(|c| c.id.clone())
        .collect()
}

/// `--build-arg SOURCE_DATE_EPOCH=<unix seconds>`, as BuildKit's own frontends read it.
fn epoch(env: &Env) -> Result<Option<u64>, Status> {
    match env
        .opt("build-arg:SOURCE_DATE_EPOCH")
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            errors::plain(format!(
                "SOURCE_DATE_EPOCH must be whole seconds since 1970, not `{v}`"
            ))
        }),
    }
}

/// Solves a platform's graph and, at the same time, its tests' graphs. Without tests
/// the graph is solved lazily (its steps run when BuildKit exports it); with tests every
/// graph is evaluated before the result is returned, so a failing test fails the build
/// with BuildKit's error, its vertex and its line in the Stagefile.
async fn solve_tested<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
    definition: pb::Definition,
    tests: Vec<TestDefinition>,
) -> Result<fe::Ref, Status> {
    if tests.is_empty() {
        return solve(engine, env, clock, definition, Evaluate::Lazily, "build").await;
    }
    let mut calls: Vec<BoxFuture<Result<Option<fe::Ref>, Status>>> =
        Vec::with_capacity(tests.len() + 1);
    calls.push(Box::pin(async move {
        solve(engine, env, clock, definition, Evaluate::Now, "build")
            .await
            .map(Some)
    }));
    for test in tests {
        calls.push(Box::pin(async move {
            let what = format!("test {}", test.name);
            solve(engine, env, clock, test.definition, Evaluate::Now, &what).await?;
            Ok(None)
        }));
    }
    let mut refs = try_join_all(calls).await?;
    Ok(refs
        .swap_remove(0)
        .expect("the build's own graph gives its ref"))
}

/// Whether a solve runs the graph's steps before it answers.
#[derive(Clone, Copy, PartialEq)]
enum Evaluate {
    Lazily,
    Now,
}

/// Solves one graph and returns its ref.
async fn solve<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
    definition: pb::Definition,
    evaluate: Evaluate,
    what: &str,
) -> Result<fe::Ref, Status> {
    if definition.def.is_empty() {
        // The target is plain scratch: an empty ref is BuildKit's empty filesystem.
        return Ok(fe::Ref {
            id: String::new(),
            def: None,
        });
    }
    let request = fe::SolveRequest {
        definition: Some(definition),
        allow_result_return: true,
        allow_result_array_ref: true,
        cache_imports: cache_imports(env),
        evaluate: evaluate == Evaluate::Now,
        ..Default::default()
    };
    let response = clock
        .time(Trip::Solve, what, engine.solve(request))
        .await
        .map_err(|e| errors::from_rpc("solve failed", &e))?;
    match response.result.and_then(|r| r.result) {
        Some(fe::result::Result::Ref(r)) => Ok(r),
        Some(fe::result::Result::RefDeprecated(id)) => Ok(fe::Ref { id, def: None }),
        _ => Err(errors::plain("BuildKit returned no result for the build")),
    }
}

/// The cache sources the client asked for (`--cache-from`), passed on with each solve.
fn cache_imports(env: &Env) -> Vec<fe::CacheOptionsEntry> {
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(rename = "Type")]
        kind: String,
        #[serde(rename = "Attrs", default)]
        attrs: HashMap<String, String>,
    }
    env.opt("cache-imports")
        .and_then(|j| serde_json::from_str::<Vec<Entry>>(j).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|e| fe::CacheOptionsEntry {
            r#type: e.kind,
            attrs: e.attrs,
        })
        .collect()
}

/// Shows located warnings in the build's progress (`N warnings found`), attached to the
/// vertex that loaded the Stagefile, when the engine takes warnings.
struct Warner<'a, E> {
    engine: &'a E,
    clock: &'a Clock,
    enabled: bool,
    vertex: &'a str,
    files: &'a crate::include::Files,
}

impl<E: Engine> Warner<'_, E> {
    async fn send(&self, warnings: &[Diagnostic]) {
        if !self.enabled {
            return;
        }
        for w in warnings {
            let file = self.files.get(w.span.file);
            let request = fe::WarnRequest {
                digest: self.vertex.to_owned(),
                level: 1,
                short: self.files.one_line(w).into_bytes(),
                detail: w.help.iter().map(|h| h.clone().into_bytes()).collect(),
                info: Some(errors::source_info(&file.name, &file.data)),
                ranges: vec![errors::line_range(w.span.line)],
                ..Default::default()
            };
            let what = format!("line {}", w.span.line);
            // A warning that cannot be shown must not fail the build.
            if let Err(e) = self
                .clock
                .time(Trip::Warn, &what, self.engine.warn(request))
                .await
            {
                log::warn!("could not send a warning: {e}");
            }
        }
    }
}
