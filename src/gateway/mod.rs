//! The only room that talks to BuildKit: reads the Stagefile and the context's ignore
//! file, resolves base image configs, solves the compiled graph and returns the result.

mod caps;
mod errors;
mod options;
mod subrequests;
mod transport;

pub use options::Env;

use crate::image::Image;
use crate::llb::SourceMap;
use crate::lower::{self, LowerOptions};
use crate::platform::Platform;
use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;

use base64::Engine;
use bollard_buildkit_proto::pb;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::process::ExitCode;
use std::time::Instant;
use subrequests::{SUBREQUESTS, subrequest};
use transport::Client;

const CONFIG_KEY: &str = "containerimage.config";

/// Entry point of `stagefile frontend`: serve one build, then exit.
///
/// BuildKit keeps our stdin open after `Return`, and tokio's stdin reader is a blocking
/// thread, so the runtime is shut down in the background and the process exits explicitly
/// instead of waiting for that thread.
pub fn run() -> ExitCode {
    let started = Instant::now();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            log::error!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(async {
        // A panic in the build task becomes an error returned to BuildKit, not a hang.
        match tokio::spawn(serve(Env::from_process(), started)).await {
            Ok(code) => code,
            Err(e) => {
                log::error!("the frontend failed unexpectedly: {e}");
                1
            }
        }
    });
    runtime.shutdown_background();
    std::process::exit(code)
}

/// Connects, builds and returns; the exit code says whether `Return` was delivered.
/// One line in the engine's log says how long the frontend took from start to `Return`
/// (`hack/bench` reads it to split a build's time between the frontend and the engine).
async fn serve(env: Env, started: Instant) -> i32 {
    let mut client = match transport::connect().await {
        Ok(c) => c,
        Err(e) => {
            log::error!("cannot reach BuildKit over stdio: {e}");
            return 1;
        }
    };
    let outcome = match tokio::spawn(build(client.clone(), env)).await {
        Ok(r) => r,
        Err(e) => Err(errors::plain(format!(
            "internal error in the Stagefile frontend (please report it): {e}"
        ))),
    };
    let answer = if outcome.is_ok() { "result" } else { "error" };
    let request = match outcome {
        Ok(result) => fe::ReturnRequest {
            result: Some(result),
            error: None,
        },
        Err(status) => fe::ReturnRequest {
            result: None,
            error: Some(status),
        },
    };
    match client.r#return(request).await {
        Ok(_) => {
            log::info!(
                "returned the {answer} {:.1} ms after start",
                started.elapsed().as_secs_f64() * 1e3
            );
            0
        }
        Err(e) => {
            log::error!("cannot return the result to BuildKit: {e}");
            1
        }
    }
}

/// One build: everything between the handshake and `Return`.
pub async fn build(mut client: Client, env: Env) -> Result<fe::Result, Status> {
    // Round trips that do not depend on each other overlap: the handshake with the reads
    // of the build definition, and the warnings with the base image lookups.
    let filename = env.filename().to_owned();
    let own_ignore = crate::ignore::own_ignore_name(&filename);
    let mut pinger = client.clone();
    let (pong, (stagefile, own_dockerignore, dockerignore)) = tokio::join!(
        pinger.ping(fe::PingRequest {}),
        read_definition(&client, &env, &filename, &own_ignore)
    );
    let pong = pong
        .map_err(|e| errors::from_rpc("BuildKit did not answer", &e))?
        .into_inner();
    let caps: BTreeSet<String> = pong
        .frontend_api_caps
        .iter()
        .filter(|c| c.enabled)
        .map(|c| c.id.clone())
        .collect();
    let llb_caps: BTreeSet<String> = pong
        .llb_caps
        .iter()
        .filter(|c| c.enabled)
        .map(|c| c.id.clone())
        .collect();
    let opts = env.build_options().map_err(errors::plain)?;
    let (data, load_vertex) = stagefile.map_err(|e| {
        errors::plain(format!(
            "cannot read {filename} from the build definition: {}",
            e.message
        ))
    })?;

    if let Some(request) = env.opt("requestid").filter(|r| !r.is_empty()) {
        return subrequest(request, &filename, &data, &opts).map_err(|d| match d {
            Some(diags) => errors::from_diagnostics(&filename, &data, &diags),
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
        let (parsed, plan) = crate::compile::plan(&data, &opts)
            .map_err(|d| errors::from_diagnostics(&filename, &data, &d))?;
        if plans.is_empty() {
            warnings = crate::compile::warnings(&parsed, &plan, &data);
            if let Some(failure) = crate::compile::lint_failure(&plan, &warnings) {
                return Err(errors::from_diagnostics(&filename, &data, &failure));
            }
        }
        plans.push(plan);
    }
    let send_warnings = async {
        if caps.contains("gateway.warnings") {
            let mut client = client.clone();
            for w in &warnings {
                warn(&mut client, &load_vertex, &filename, &data, w).await;
            }
        }
    };
    let mut inputs_client = client.clone();
    let ((), base_configs, inputs) = tokio::join!(
        send_warnings,
        resolve_images(&client, &env, &plans, &filename, &data),
        client_inputs(&mut inputs_client, &env, &plans)
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
        source: Some(SourceMap {
            filename: &filename,
            data: &data,
        }),
        base_configs,
        inputs,
        input_configs,
        no_merge: !llb_caps.contains("mergeop"),
        epoch: epoch(&env)?,
    };

    let mut solved = Vec::with_capacity(plans.len());
    for (n, (platform, plan)) in platforms.iter().zip(&plans).enumerate() {
        let lowered = lower::lower(plan, &lower_opts)
            .map_err(|d| errors::from_diagnostics(&filename, &data, &d))?;
        // What lowering assumed (an `input:` context without a config) is the same for
        // every platform: said once.
        if n == 0 && caps.contains("gateway.warnings") {
            for w in &lowered.warnings {
                warn(&mut client, &load_vertex, &filename, &data, w).await;
            }
        }
        if let Some((msg, line)) = caps::missing(&lowered.definition, &llb_caps) {
            // The line goes in the text too: old engines do not show source details.
            let at = line.map_or(String::new(), |l| format!("{filename}:{l}: "));
            let mut status = errors::plain(format!("{at}{msg}"));
            if let Some(line) = line {
                status
                    .details
                    .push(errors::source_detail(&filename, &data, line));
            }
            return Err(status);
        }
        let reference = solve(&mut client, &env, lowered.definition).await?;
        solved.push((platform.clone(), reference, lowered.image));
    }
    let mut result = result(solved, env.opt("multi-platform") == Some("true"));
    if let Some(epoch) = lower_opts.epoch {
        result.metadata.insert(
            "source.date.epoch".to_owned(),
            epoch.to_string().into_bytes(),
        );
    }
    Ok(result)
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

/// Solves one graph (lazily: steps run when BuildKit exports) and returns its ref.
async fn solve(
    client: &mut Client,
    env: &Env,
    definition: pb::Definition,
) -> Result<fe::Ref, Status> {
    if definition.def.is_empty() {
        // The target is plain scratch: an empty ref is BuildKit's empty filesystem.
        return Ok(fe::Ref {
            id: String::new(),
            def: None,
        });
    }
    let response = client
        .solve(fe::SolveRequest {
            definition: Some(definition),
            allow_result_return: true,
            allow_result_array_ref: true,
            cache_imports: cache_imports(env),
            ..Default::default()
        })
        .await
        .map_err(|e| errors::from_rpc("solve failed", &e))?
        .into_inner();
    match response.result.and_then(|r| r.result) {
        Some(fe::result::Result::Ref(r)) => Ok(r),
        Some(fe::result::Result::RefDeprecated(id)) => Ok(fe::Ref { id, def: None }),
        _ => Err(errors::plain("BuildKit returned no result for the build")),
    }
}

/// The result BuildKit exports: one ref and config, or (for several platforms, or when
/// asked) a ref and a config per platform with the platforms list the exporter expects.
fn result(solved: Vec<(Platform, fe::Ref, Image)>, force_multi: bool) -> fe::Result {
    let mut result = fe::Result::default();
    if solved.len() == 1 && !force_multi {
        let (_, reference, image) = solved.into_iter().next().expect("one result");
        result
            .metadata
            .insert(CONFIG_KEY.to_owned(), image.to_json());
        result.result = Some(fe::result::Result::Ref(reference));
        return result;
    }
    let mut refs = HashMap::new();
    let mut listed = Vec::new();
    for (platform, reference, image) in solved {
        let id = platform.to_string();
        result
            .metadata
            .insert(format!("{CONFIG_KEY}/{id}"), image.to_json());
        let mut p = serde_json::json!({ "architecture": platform.arch, "os": platform.os });
        if let Some(v) = &platform.variant {
            p["variant"] = serde_json::json!(v);
        }
        listed.push(serde_json::json!({ "ID": id, "Platform": p }));
        refs.insert(id, reference);
    }
    let platforms = serde_json::json!({ "Platforms": listed });
    result.metadata.insert(
        "refs.platforms".to_owned(),
        serde_json::to_vec(&platforms).expect("json"),
    );
    result.result = Some(fe::result::Result::Refs(fe::RefMap { refs }));
    result
}

/// Shows a located warning in the build's progress (`N warnings found`).
async fn warn(
    client: &mut Client,
    vertex: &str,
    filename: &str,
    data: &[u8],
    w: &crate::diag::Diagnostic,
) {
    let request = fe::WarnRequest {
        digest: vertex.to_owned(),
        level: 1,
        short: w.one_line(filename).into_bytes(),
        detail: w.help.iter().map(|h| h.clone().into_bytes()).collect(),
        info: Some(errors::source_info(filename, data)),
        ranges: vec![errors::line_range(w.span.line)],
        ..Default::default()
    };
    // A warning that cannot be shown must not fail the build.
    if let Err(e) = client.warn(request).await {
        log::warn!("could not send a warning: {e}");
    }
}

/// Reads one file from a client-side local through a filtered local source.
async fn read_local(
    mut client: Client,
    env: &Env,
    local: &str,
    path: &str,
    shared_key: &str,
    name: &str,
) -> Result<(Vec<u8>, String), Status> {
    let mut attrs = BTreeMap::new();
    let paths = serde_json::to_string(&[path]).expect("json");
    attrs.insert("local.followpaths".to_owned(), paths.clone());
    attrs.insert("local.includepattern".to_owned(), paths);
    attrs.insert("local.sharedkeyhint".to_owned(), shared_key.to_owned());
    attrs.insert("local.differ".to_owned(), "none".to_owned());
    if !env.session_id.is_empty() {
        attrs.insert("local.session".to_owned(), env.session_id.clone());
    }
    let definition = {
        let source = crate::llb::local(local, attrs, crate::llb::Meta::named(name));
        crate::llb::marshal(Some(&source), None)
    };
    let vertex = crate::llb::digest_of(&definition.def[0]);
    let solved = client
        .solve(fe::SolveRequest {
            definition: Some(definition),
            allow_result_return: true,
            allow_result_array_ref: true,
            ..Default::default()
        })
        .await
        .map_err(|e| errors::from_rpc("load", &e))?
        .into_inner();
    let id = match solved.result.and_then(|r| r.result) {
        Some(fe::result::Result::Ref(r)) => r.id,
        Some(fe::result::Result::RefDeprecated(id)) => id,
        _ => {
            return Err(errors::plain(format!(
                "BuildKit returned no files for `{local}`"
            )));
        }
    };
    let data = client
        .read_file(fe::ReadFileRequest {
            r#ref: id,
            file_path: path.to_owned(),
            ..Default::default()
        })
        .await
        .map_err(|e| errors::from_rpc(path, &e))?
        .into_inner()
        .data;
    Ok((data, vertex))
}

/// Resolves every distinct base image once, concurrently.
type LocalFile = Result<(Vec<u8>, String), Status>;

/// The Stagefile, the `.dockerignore` beside it and the context's, read at the same time.
async fn read_definition(
    client: &Client,
    env: &Env,
    filename: &str,
    own_ignore: &str,
) -> (LocalFile, LocalFile, LocalFile) {
    tokio::join!(
        read_local(
            client.clone(),
            env,
            "dockerfile",
            filename,
            "dockerfile",
            "[internal] load build definition"
        ),
        read_local(
            client.clone(),
            env,
            "dockerfile",
            own_ignore,
            "dockerfile-dockerignore",
            "[internal] load .dockerignore beside the Stagefile"
        ),
        read_local(
            client.clone(),
            env,
            "context",
            ".dockerignore",
            "context-.dockerignore",
            "[internal] load .dockerignore"
        ),
    )
}

async fn resolve_images(
    client: &Client,
    env: &Env,
    plans: &[crate::plan::Plan],
    filename: &str,
    data: &[u8],
) -> Result<BTreeMap<(String, Platform), Image>, Status> {
    let images: BTreeSet<&(String, Platform)> = plans.iter().flat_map(|p| &p.images).collect();
    let plan = &plans[0];
    let mut tasks = tokio::task::JoinSet::new();
    for (reference, platform) in images {
        let mut client = client.clone();
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
        tasks.spawn(async move { (key, client.resolve_image_config(request).await) });
    }
    let mut configs = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (key, answer) =
            joined.map_err(|e| errors::plain(format!("resolving base images failed: {e}")))?;
        let response = answer.map_err(|e| {
            // Point at the first stage built from this image.
            let line = plan
                .stages
                .iter()
                .find(|s| matches!(&s.base, crate::plan::Source::Image(r) if *r == key.0))
                .map_or(0, |s| s.from_span.line);
            let mut status = errors::from_rpc(&format!("cannot load base image {}", key.0), &e);
            if line > 0 {
                status
                    .details
                    .push(errors::source_detail(filename, data, line));
            }
            status
        })?;
        let image = Image::from_json(&response.into_inner().config)
            .map_err(|e| errors::plain(format!("base image {}: {e}", key.0)))?;
        configs.insert(key, image);
    }
    Ok(configs)
}

/// The client's `input:` graphs the plan uses, with image configs from `input-metadata:`.
async fn client_inputs(
    client: &mut Client,
    env: &Env,
    plans: &[crate::plan::Plan],
) -> Result<(BTreeMap<String, pb::Definition>, BTreeMap<String, Image>), Status> {
    let used: BTreeSet<&str> = plans
        .iter()
        .flat_map(|p| &p.stages)
        .flat_map(|s| s.sources())
        .filter_map(|src| match src {
            crate::plan::Source::Input(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    if used.is_empty() {
        return Ok(Default::default());
    }
    let all = client
        .inputs(fe::InputsRequest {})
        .await
        .map_err(|e| errors::from_rpc("reading the client's inputs failed", &e))?
        .into_inner()
        .definitions;
    let mut inputs = BTreeMap::new();
    let mut configs = BTreeMap::new();
    for name in used {
        let def = all
            .get(name)
            .cloned()
            .ok_or_else(|| errors::plain(format!("the client passed no input named `{name}`")))?;
        inputs.insert(name.to_owned(), def);
        let meta = env.opt(&format!("input-metadata:{name}"));
        let config = meta
            .and_then(|m| serde_json::from_str::<BTreeMap<String, String>>(m).ok())
            .and_then(|m| m.get(CONFIG_KEY).cloned())
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .and_then(|json| Image::from_json(&json).ok());
        if let Some(c) = config {
            configs.insert(name.to_owned(), c);
        }
    }
    Ok((inputs, configs))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn reference(id: &str) -> fe::Ref {
        fe::Ref {
            id: id.into(),
            def: None,
        }
    }

    #[test]
    fn one_platform_gives_a_single_ref_and_config() {
        let p = Platform::linux_amd64();
        let r = result(vec![(p.clone(), reference("a"), Image::scratch(&p))], false);
        assert!(matches!(r.result, Some(fe::result::Result::Ref(ref x)) if x.id == "a"));
        assert!(r.metadata.contains_key(CONFIG_KEY));
        assert!(!r.metadata.contains_key("refs.platforms"));
    }

    #[test]
    fn several_platforms_give_a_ref_and_config_each() {
        let amd = Platform::linux_amd64();
        let arm = Platform::parse("linux/arm/v7").unwrap();
        let r = result(
            vec![
                (amd.clone(), reference("a"), Image::scratch(&amd)),
                (arm.clone(), reference("b"), Image::scratch(&arm)),
            ],
            false,
        );
        let Some(fe::result::Result::Refs(map)) = &r.result else {
            panic!("{:?}", r.result)
        };
        assert_eq!(map.refs["linux/amd64"].id, "a");
        assert_eq!(map.refs["linux/arm/v7"].id, "b");
        assert!(
            r.metadata
                .contains_key("containerimage.config/linux/arm/v7")
        );
        let listed: serde_json::Value =
            serde_json::from_slice(&r.metadata["refs.platforms"]).unwrap();
        assert_eq!(listed["Platforms"][1]["ID"], "linux/arm/v7");
        assert_eq!(listed["Platforms"][1]["Platform"]["variant"], "v7");
        let forced = result(
            vec![(amd.clone(), reference("a"), Image::scratch(&amd))],
            true,
        );
        assert!(matches!(forced.result, Some(fe::result::Result::Refs(_))));
    }
}
