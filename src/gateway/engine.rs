//! What the build sequence asks of BuildKit, as a trait: the real gRPC client implements
//! it, and the tests drive the whole sequence through a fake engine.
//!
//! The requests and answers are BuildKit's own protobuf messages, so what is sent to a
//! real engine is decided by the build sequence, not here: this is only the wire.

use super::transport::Client;
use bollard_buildkit_proto::moby::buildkit::v1::frontend as fe;
use bollard_buildkit_proto::pb;
use std::collections::HashMap;
use std::future::Future;

/// The `LLBBridge` calls one build makes. Calls may overlap: an engine is cheap to clone
/// and every call takes `&self`.
pub trait Engine: Clone + Send + Sync + 'static {
    /// The engine's capabilities (`Ping`).
    fn ping(&self) -> impl Future<Output = Result<fe::PongResponse, tonic::Status>> + Send;

    /// Solves a graph (`Solve`); with `evaluate` unset, steps run only when BuildKit exports.
    fn solve(
        &self,
        request: fe::SolveRequest,
    ) -> impl Future<Output = Result<fe::SolveResponse, tonic::Status>> + Send;

    /// One file of a solved ref (`ReadFile`).
    fn read_file(
        &self,
        request: fe::ReadFileRequest,
    ) -> impl Future<Output = Result<Vec<u8>, tonic::Status>> + Send;

    /// A base image's config (`ResolveImageConfig`).
    fn resolve_image_config(
        &self,
        request: fe::ResolveImageConfigRequest,
    ) -> impl Future<Output = Result<fe::ResolveImageConfigResponse, tonic::Status>> + Send;

    /// The graphs the client passed as `input:` contexts (`Inputs`).
    fn inputs(
        &self,
    ) -> impl Future<Output = Result<HashMap<String, pb::Definition>, tonic::Status>> + Send;

    /// A located warning in the build's progress (`Warn`).
    fn warn(
        &self,
        request: fe::WarnRequest,
    ) -> impl Future<Output = Result<(), tonic::Status>> + Send;

    /// The build's result or error, once (`Return`).
    fn r#return(
        &self,
        request: fe::ReturnRequest,
    ) -> impl Future<Output = Result<(), tonic::Status>> + Send;
}

/// The real engine: BuildKit's `LLBBridge` over the stdio connection. Each call clones
/// the client, which shares the one HTTP/2 connection.
#[derive(Clone)]
pub struct Grpc(pub Client);

impl Engine for Grpc {
    async fn ping(&self) -> Result<fe::PongResponse, tonic::Status> {
        Ok(self.0.clone().ping(fe::PingRequest {}).await?.into_inner())
    }

    async fn solve(&self, request: fe::SolveRequest) -> Result<fe::SolveResponse, tonic::Status> {
        Ok(self.0.clone().solve(request).await?.into_inner())
    }

    async fn read_file(&self, request: fe::ReadFileRequest) -> Result<Vec<u8>, tonic::Status> {
        Ok(self.0.clone().read_file(request).await?.into_inner().data)
    }

    async fn resolve_image_config(
        &self,
        request: fe::ResolveImageConfigRequest,
    ) -> Result<fe::ResolveImageConfigResponse, tonic::Status> {
        Ok(self
            .0
            .clone()
            .resolve_image_config(request)
            .await?
            .into_inner())
    }

    async fn inputs(&self) -> Result<HashMap<String, pb::Definition>, tonic::Status> {
        Ok(self
            .0
            .clone()
            .inputs(fe::InputsRequest {})
            .await?
            .into_inner()
            .definitions)
    }

    async fn warn(&self, request: fe::WarnRequest) -> Result<(), tonic::Status> {
        self.0.clone().warn(request).await.map(|_| ())
    }

    async fn r#return(&self, request: fe::ReturnRequest) -> Result<(), tonic::Status> {
        self.0.clone().r#return(request).await.map(|_| ())
    }
}
