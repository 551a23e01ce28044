//! A fake engine: answers the build sequence's calls from files, image configs and caps
//! set up by a test, and records every request so the test can look at what was sent.

use super::super::engine::Engine;
use bollard_buildkit_proto::moby::buildkit::v1::apicaps::ApiCap;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;
use bollard_buildkit_proto::pb;
use prost::Message;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

/// Every LLB cap the compiler may use: what a current BuildKit answers, for these tests.
pub const ALL_LLB_CAPS: &[&str] = &[
    "constraints",
    "exec",
    "exec.meta.base",
    "exec.meta.network",
    "exec.meta.proxyenv",
    "exec.meta.security",
    "exec.mount.bind",
    "exec.mount.bind.readwrite-nooutput",
    "exec.mount.cache",
    "exec.mount.cache.sharing",
    "exec.mount.secret",
    "exec.mount.selector",
    "exec.mount.ssh",
    "exec.mount.tmpfs",
    "exec.mount.tmpfs.size",
    "exec.secretenv",
    "file",
    "file.base",
    "file.copy.includeexcludepatterns",
    "mergeop",
    "meta.description",
    "meta.ignorecache",
    "platform",
    "source",
    "source.git",
    "source.git.checksum",
    "source.git.keepgitdir",
    "source.http",
    "source.http.checksum",
    "source.image",
    "source.local",
    "source.local.differ",
    "source.local.excludepatterns",
    "source.local.followpaths",
    "source.local.includepatterns",
    "source.local.sessionid",
    "source.local.sharedkeyhint",
];

/// What the fake engine knows, and what it was asked.
#[derive(Default)]
pub struct State {
    /// Files of the client's locals, by local name and path.
    pub files: BTreeMap<(String, String), Vec<u8>>,
    pub llb_caps: BTreeSet<String>,
    pub api_caps: BTreeSet<String>,
    /// Image configs by reference; any other reference gets a small Linux config.
    pub configs: BTreeMap<String, Vec<u8>>,
    /// References whose resolving fails, with the engine's error.
    pub refused: BTreeMap<String, tonic::Status>,
    pub inputs: HashMap<String, pb::Definition>,

    /// The local sources solved to read a file: ref id → (local, digest of the source op).
    pub locals: BTreeMap<String, (String, String)>,
    /// The build graphs solved, in order, with the ref id each got.
    pub solved: Vec<(pb::Definition, String)>,
    /// Whether each of `solved` was asked to be evaluated.
    pub evaluated: Vec<bool>,
    /// A solve whose graph holds this text fails with this error.
    pub failing: Option<(String, tonic::Status)>,
    pub resolves: Vec<fe::ResolveImageConfigRequest>,
    pub warns: Vec<fe::WarnRequest>,
    pub returned: Vec<fe::ReturnRequest>,
}

#[derive(Clone, Default)]
pub struct Fake(Arc<Mutex<State>>);

impl Fake {
    /// An engine with every cap and warnings, holding `stagefile` as the Stagefile.
    pub fn new(stagefile: &str) -> Self {
        let fake = Fake::default();
        {
            let mut s = fake.state();
            s.llb_caps = ALL_LLB_CAPS.iter().map(|c| c.to_string()).collect();
            s.api_caps = ["gateway.warnings".to_owned()].into();
        }
        fake.file("dockerfile", "Stagefile", stagefile)
    }

    pub fn file(self, local: &str, path: &str, contents: &str) -> Self {
        self.state().files.insert(
            (local.to_owned(), path.to_owned()),
            contents.as_bytes().to_vec(),
        );
        self
    }

    pub fn without_llb_cap(self, cap: &str) -> Self {
        self.state().llb_caps.remove(cap);
        self
    }

    pub fn without_warnings(self) -> Self {
        self.state().api_caps.remove("gateway.warnings");
        self
    }

    pub fn refusing(self, reference: &str, error: tonic::Status) -> Self {
        self.state().refused.insert(reference.to_owned(), error);
        self
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap()
    }
}

fn caps(ids: &BTreeSet<String>) -> Vec<ApiCap> {
    ids.iter()
        .map(|id| ApiCap {
            id: id.clone(),
            enabled: true,
            ..Default::default()
        })
        .collect()
}

fn answer(id: String) -> fe::SolveResponse {
    fe::SolveResponse {
        result: Some(fe::Result {
            result: Some(fe::result::Result::Ref(fe::Ref { id, def: None })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The `local://NAME` a read's graph loads, if it is such a graph.
fn local_name(def: &pb::Definition) -> Option<String> {
    let op = pb::Op::decode(def.def.first()?.as_slice()).ok()?;
    match op.op? {
        pb::op::Op::Source(s) => s.identifier.strip_prefix("local://").map(str::to_owned),
        _ => None,
    }
}

impl Engine for Fake {
    async fn ping(&self) -> Result<fe::PongResponse, tonic::Status> {
        let s = self.state();
        Ok(fe::PongResponse {
            frontend_api_caps: caps(&s.api_caps),
            llb_caps: caps(&s.llb_caps),
            workers: Vec::new(),
        })
    }

    async fn solve(&self, request: fe::SolveRequest) -> Result<fe::SolveResponse, tonic::Status> {
        let def = request.definition.clone().unwrap_or_default();
        let mut s = self.state();
        let id = format!("ref-{}", s.locals.len() + s.solved.len());
        match local_name(&def) {
            Some(local) => {
                let digest = crate::llb::digest_of(&def.def[0]);
                s.locals.insert(id.clone(), (local, digest));
            }
            None => {
                if let Some((text, error)) = &s.failing {
                    let holds = |b: &Vec<u8>| b.windows(text.len()).any(|w| w == text.as_bytes());
                    if def.def.iter().any(holds) {
                        return Err(error.clone());
                    }
                }
                s.evaluated.push(request.evaluate);
                s.solved.push((def, id.clone()))
            }
        }
        Ok(answer(id))
    }

    async fn read_file(&self, request: fe::ReadFileRequest) -> Result<Vec<u8>, tonic::Status> {
        let s = self.state();
        let (local, _) = s
            .locals
            .get(&request.r#ref)
            .ok_or_else(|| tonic::Status::not_found("no such ref"))?;
        s.files
            .get(&(local.clone(), request.file_path.clone()))
            .cloned()
            .ok_or_else(|| tonic::Status::not_found(format!("{}: not found", request.file_path)))
    }

    async fn resolve_image_config(
        &self,
        request: fe::ResolveImageConfigRequest,
    ) -> Result<fe::ResolveImageConfigResponse, tonic::Status> {
        let mut s = self.state();
        s.resolves.push(request.clone());
        if let Some(error) = s.refused.get(&request.r#ref) {
            return Err(error.clone());
        }
        let arch = request
            .platform
            .as_ref()
            .map_or("amd64".to_owned(), |p| p.architecture.clone());
        let config = s.configs.get(&request.r#ref).cloned().unwrap_or_else(|| {
            serde_json::to_vec(&serde_json::json!({
                "architecture": arch,
                "os": "linux",
                "config": { "Env": ["PATH=/usr/bin:/bin"] },
                "rootfs": { "type": "layers", "diff_ids": [] },
            }))
            .unwrap()
        });
        Ok(fe::ResolveImageConfigResponse {
            digest: String::new(),
            config,
            r#ref: request.r#ref,
        })
    }

    async fn inputs(&self) -> Result<HashMap<String, pb::Definition>, tonic::Status> {
        Ok(self.state().inputs.clone())
    }

    async fn warn(&self, request: fe::WarnRequest) -> Result<(), tonic::Status> {
        self.state().warns.push(request);
        Ok(())
    }

    async fn r#return(&self, request: fe::ReturnRequest) -> Result<(), tonic::Status> {
        self.state().returned.push(request);
        Ok(())
    }
}
