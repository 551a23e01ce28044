//! gRPC over the process's stdin (server → us) and stdout (us → server), as BuildKit
//! runs a frontend: cleartext HTTP/2 with prior knowledge on one pipe pair.

use bollard_buildkit_proto::moby::buildkit::v1::frontend::llb_bridge_client::LlbBridgeClient;
use hyper_util::rt::TokioIo;
use std::sync::{Arc, Mutex};
use tonic::transport::{Channel, Endpoint, Uri};

pub type Client = LlbBridgeClient<Channel>;

/// Largest message accepted from BuildKit (ReadFile of a big Stagefile, configs).
const MAX_MESSAGE_BYTES: usize = 64 << 20;

/// Connects to BuildKit over stdio. The stream can be handed out once: a reconnect
/// attempt fails instead of reading someone else's bytes.
pub async fn connect() -> Result<Client, tonic::transport::Error> {
    let stdio = tokio::io::join(tokio::io::stdin(), tokio::io::stdout());
    let slot = Arc::new(Mutex::new(Some(TokioIo::new(stdio))));
    let connector = tower::service_fn(move |_: Uri| {
        let stream = slot.lock().ok().and_then(|mut s| s.take());
        async move {
            stream.ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    "the stdio connection was already used",
                )
            })
        }
    });
    let channel = Endpoint::from_static("http://localhost")
        .connect_with_connector(connector)
        .await?;
    Ok(LlbBridgeClient::new(channel)
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES))
}
