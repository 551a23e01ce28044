//! The files a Stagefile includes, read from the client: paths in the build context
//! from the `context` local, paths in a named context from that context (a local
//! directory, or an image), one transfer per context and round, then a `ReadFile` each.

use super::engine::Engine;
use super::errors;
use super::inputs::read_local;
use super::options::Env;
use super::timing::{Clock, Trip};
use crate::include::{Files, Gatherer, Request};
use crate::plan::Source;
use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;
use std::collections::BTreeMap;

type Answers = BTreeMap<Request, Result<Vec<u8>, String>>;

/// The Stagefile and every file it includes; an include that cannot be read, or breaks a
/// limit, fails the build at its line.
pub(super) async fn gather<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
    filename: &str,
    data: &[u8],
) -> Result<Files, Status> {
    // A Stagefile that never writes the word is not parsed here (see `Gatherer`): the
    // common case asks for nothing more.
    let mut g = Gatherer::new(filename, data, Some(filename))
        .map_err(|d| errors::located(&Files::single(filename, data), &d))?;
    let mut named = None;
    loop {
        let wanted = g.wanted();
        if wanted.is_empty() {
            return Ok(g.finish());
        }
        let named = named.get_or_insert_with(|| {
            env.build_options()
                .map(|o| o.named_contexts)
                .unwrap_or_default()
        });
        let mut by_context: BTreeMap<Option<String>, Vec<Request>> = BTreeMap::new();
        for r in wanted {
            by_context.entry(r.from.clone()).or_default().push(r);
        }
        // Usually one context: its reads share one transfer.
        let mut answers = Answers::new();
        for (from, requests) in by_context {
            answers.extend(read_from(engine, env, clock, named, from, requests).await);
        }
        g.supply(&answers)
            .map_err(|d| errors::located(g.files(), &d))?;
    }
}

/// One context's files of this round.
async fn read_from<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
    named: &BTreeMap<String, Source>,
    from: Option<String>,
    requests: Vec<Request>,
) -> Answers {
    let paths: Vec<&str> = requests.iter().map(|r| r.path.as_str()).collect();
    let read: Result<Vec<Result<Vec<u8>, String>>, String> = match from.as_deref() {
        None => Ok(local(engine, env, clock, "context", &paths).await),
        Some(name) => match named.get(name) {
            Some(Source::Local(local_name)) => {
                Ok(local(engine, env, clock, local_name, &paths).await)
            }
            Some(Source::Image(reference)) => image(engine, env, clock, reference, &paths).await,
            Some(_) => Err(format!(
                "files are read from a directory or an image; `{name}` is neither"
            )),
            None => Err(format!(
                "the build has no context named `{name}` (--build-context {name}=DIR)"
            )),
        },
    };
    match read {
        Ok(files) => requests.into_iter().zip(files).collect(),
        Err(why) => requests
            .into_iter()
            .map(|r| (r, Err(why.clone())))
            .collect(),
    }
}

async fn local<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
    local_name: &str,
    paths: &[&str],
) -> Vec<Result<Vec<u8>, String>> {
    let name = format!("[internal] load included files from {local_name}");
    read_local(
        engine,
        env,
        clock,
        local_name,
        paths,
        &format!("{local_name}-include"),
        &name,
    )
    .await
    .into_iter()
    .map(|r| r.map(|(data, _)| data).map_err(|s| s.message))
    .collect()
}

/// Files of an image: the image's filesystem solved, then read.
async fn image<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
    reference: &str,
    paths: &[&str],
) -> Result<Vec<Result<Vec<u8>, String>>, String> {
    let meta = crate::llb::Meta::named(format!("[internal] load included files from {reference}"));
    let platform = env
        .build_options()
        .map(|o| o.build_platform)
        .unwrap_or_else(|_| crate::platform::Platform::linux_amd64());
    // The graph holds `Rc`s: made and marshalled before the first await.
    let definition = {
        let source = crate::llb::image(reference, &platform, env.opt("image-resolve-mode"), meta);
        crate::llb::marshal(Some(&source), None)
    };
    let solved = clock
        .time(
            Trip::Transfer,
            reference,
            engine.solve(fe::SolveRequest {
                definition: Some(definition),
                allow_result_return: true,
                allow_result_array_ref: true,
                ..Default::default()
            }),
        )
        .await
        .map_err(|e| e.message().to_owned())?;
    let id = match solved.result.and_then(|r| r.result) {
        Some(fe::result::Result::Ref(r)) => r.id,
        Some(fe::result::Result::RefDeprecated(id)) => id,
        _ => return Err(format!("BuildKit returned no files for `{reference}`")),
    };
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let read = engine.read_file(fe::ReadFileRequest {
            r#ref: id.clone(),
            file_path: (*path).to_owned(),
            ..Default::default()
        });
        out.push(
            clock
                .time(Trip::Read, path, read)
                .await
                .map_err(|e| e.message().to_owned()),
        );
    }
    Ok(out)
}
