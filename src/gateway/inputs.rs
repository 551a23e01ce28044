//! What the build reads from the client: the Stagefile and the ignore files beside it and
//! in the context, and the graphs and image configs the client passed as `input:` contexts.

use super::engine::Engine;
use super::errors;
use super::options::Env;
use super::timing::{Clock, Trip};
use crate::image::Image;
use base64::Engine as _;
use bollard_buildkit_proto::google::rpc::Status;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;
use bollard_buildkit_proto::pb;
use std::collections::{BTreeMap, BTreeSet};

/// The result metadata key of an image config, also used in `input-metadata:`.
pub(super) const CONFIG_KEY: &str = "containerimage.config";

/// A file read from a client-side local, with the digest of the op that loaded it (the
/// vertex warnings about the file are attached to).
pub(super) type LocalFile = Result<(Vec<u8>, String), Status>;

/// The Stagefile, the `.dockerignore` beside it and the context's, read at the same time.
/// The first two come from one transfer of the `dockerfile` local (a transfer is the
/// slow part of a read: BuildKit fetches the files from the client's session when the
/// first of them is read), the third from the `context` local.
pub(super) async fn read_definition<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
    filename: &str,
    own_ignore: &str,
) -> (LocalFile, LocalFile, LocalFile) {
    let beside = [filename, own_ignore];
    // The one place a build's progress names the frontend's version.
    let definition_name = format!(
        "[internal] load build definition from {filename} (stagefile {})",
        env!("STAGEFILE_VERSION")
    );
    let (definition, dockerignore) = tokio::join!(
        read_local(
            engine,
            env,
            clock,
            "dockerfile",
            &beside,
            "dockerfile",
            &definition_name
        ),
        read_local(
            engine,
            env,
            clock,
            "context",
            &[".dockerignore"],
            "context-.dockerignore",
            "[internal] load .dockerignore"
        ),
    );
    let mut definition = definition.into_iter();
    let mut dockerignore = dockerignore.into_iter();
    let missing = || Err(errors::plain("BuildKit returned no file"));
    (
        definition.next().unwrap_or_else(missing),
        definition.next().unwrap_or_else(missing),
        dockerignore.next().unwrap_or_else(missing),
    )
}

/// Reads files from a client-side local through one local source filtered to `paths`:
/// one transfer, then a `ReadFile` for each path (a missing one is an error of its own).
pub(super) async fn read_local<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
    local: &str,
    paths: &[&str],
    shared_key: &str,
    name: &str,
) -> Vec<LocalFile> {
    let mut attrs = BTreeMap::new();
    let listed = serde_json::to_string(paths).expect("json");
    attrs.insert("local.followpaths".to_owned(), listed.clone());
    attrs.insert("local.includepattern".to_owned(), listed);
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
    let transfer = async {
        let solved = engine
            .solve(fe::SolveRequest {
                definition: Some(definition),
                allow_result_return: true,
                allow_result_array_ref: true,
                ..Default::default()
            })
            .await
            .map_err(|e| errors::from_rpc("load", &e))?;
        match solved.result.and_then(|r| r.result) {
            Some(fe::result::Result::Ref(r)) => Ok(r.id),
            Some(fe::result::Result::RefDeprecated(id)) => Ok(id),
            _ => Err(errors::plain(format!(
                "BuildKit returned no files for `{local}`"
            ))),
        }
    };
    let id = match clock.time(Trip::Transfer, local, transfer).await {
        Ok(id) => id,
        Err(status) => return paths.iter().map(|_| Err(status.clone())).collect(),
    };
    let reads = paths.iter().map(|path| {
        let read = engine.read_file(fe::ReadFileRequest {
            r#ref: id.clone(),
            file_path: (*path).to_owned(),
            ..Default::default()
        });
        async {
            clock
                .time(Trip::Read, path, read)
                .await
                .map(|data| (data, vertex.clone()))
                .map_err(|e| errors::from_rpc(path, &e))
        }
    });
    let mut files = Vec::with_capacity(paths.len());
    for read in reads {
        files.push(read.await);
    }
    files
}

/// The client's `input:` graphs the plans use, with image configs from `input-metadata:`.
pub(super) async fn client_inputs<E: Engine>(
    engine: &E,
    env: &Env,
    clock: &Clock,
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
    let all = clock
        .time(Trip::Inputs, "", engine.inputs())
        .await
        .map_err(|e| errors::from_rpc("reading the client's inputs failed", &e))?;
    let mut inputs = BTreeMap::new();
    let mut configs = BTreeMap::new();
    for name in used {
        let def = all
            .get(name)
            .cloned()
            .ok_or_else(|| errors::plain(format!("the client passed no input named `{name}`")))?;
        inputs.insert(name.to_owned(), def);
        if let Some(config) = input_config(env, name) {
            configs.insert(name.to_owned(), config);
        }
    }
    Ok((inputs, configs))
}

/// The image config the client sent with an input, base64 JSON in `input-metadata:NAME`.
fn input_config(env: &Env, name: &str) -> Option<Image> {
    let meta = env.opt(&format!("input-metadata:{name}"))?;
    let keys = serde_json::from_str::<BTreeMap<String, String>>(meta).ok()?;
    let json = base64::engine::general_purpose::STANDARD
        .decode(keys.get(CONFIG_KEY)?)
        .ok()?;
    Image::from_json(&json).ok()
}
