//! Calls made at the same time: the build's graphs are solved together, and the first
//! failure ends the wait.

use bollard_buildkit_proto::google::rpc::Status;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// A call in flight, borrowed from the build.
pub(super) type Call<'a, T> = Pin<Box<dyn Future<Output = Result<T, Status>> + Send + 'a>>;

/// Every call's value in the order given, or the first error to arrive. The calls still
/// running then are dropped, which cancels them: the build fails anyway.
pub(super) async fn all<T>(calls: Vec<Call<'_, T>>) -> Result<Vec<T>, Status> {
    let mut calls: Vec<Option<Call<'_, T>>> = calls.into_iter().map(Some).collect();
    let mut values: Vec<Option<T>> = calls.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut running = false;
        for (slot, value) in calls.iter_mut().zip(values.iter_mut()) {
            let Some(call) = slot else { continue };
            match call.as_mut().poll(cx) {
                Poll::Ready(Ok(v)) => {
                    *value = Some(v);
                    *slot = None;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => running = true,
            }
        }
        if running {
            Poll::Pending
        } else {
            Poll::Ready(Ok(()))
        }
    })
    .await?;
    Ok(values.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(message: &str) -> Status {
        Status {
            code: 2,
            message: message.into(),
            details: Vec::new(),
        }
    }

    #[tokio::test]
    async fn values_come_in_the_order_given() {
        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        let calls: Vec<Call<u32>> = vec![
            Box::pin(async move { Ok(rx.await.unwrap()) }),
            Box::pin(async move {
                tx.send(1).unwrap();
                Ok(2)
            }),
        ];
        assert_eq!(all(calls).await.unwrap(), [1, 2]);
    }

    #[tokio::test]
    async fn the_first_failure_ends_the_wait() {
        let calls: Vec<Call<u32>> = vec![
            Box::pin(std::future::pending()),
            Box::pin(async { Err(status("test failed")) }),
        ];
        assert_eq!(all(calls).await.unwrap_err().message, "test failed");
    }
}
