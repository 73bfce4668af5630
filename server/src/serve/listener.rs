//! The accept loop: hyper's HTTP/1 connections with a header-read timeout, a cap on open
//! connections, one log line per refused or failed connection, and graceful shutdown.
//!
//! `axum::serve` cannot set hyper's `header_read_timeout`, so connections are served here with
//! `hyper::server::conn::http1::Builder` directly. hyper starts that clock whenever a connection
//! waits for a request head (when it opens, and after each answer), so it is also the keep-alive
//! idle limit. Over `--max-connections`, a new connection gets a fixed 503 JSON answer in one
//! non-blocking write and is closed at once (it does not wait: a waiting socket still holds a
//! file descriptor). Handlers see the peer through axum's `ConnectInfo<SocketAddr>`.

use super::logging;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::Service;

/// Longest wait for the requests in flight after the shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Largest request head (request line and headers); larger: 431, logged.
pub const MAX_HEADER_BYTES: usize = 64 << 10;

/// Pause after a failed `accept` (e.g. out of file descriptors), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The fixed answer of a connection over the cap.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
connection: close\r\ncontent-length: 106\r\n\r\n\
{\"error\":\"Server busy: too many open connections (--max-connections); retry shortly\",\"code\":\"server_busy\"}";

/// How connections are served.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    /// hyper's header-read timeout (also the idle limit).
    pub header_timeout: Option<Duration>,
    /// Open connections at most.
    pub max_connections: usize,
}

fn builder(limits: ConnLimits) -> hyper::server::conn::http1::Builder {
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout).max_header_size(MAX_HEADER_BYTES);
    b
}

/// Serves `router` on `listener` until `shutdown` completes, then lets the requests in flight
/// finish (at most [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections.clamp(1, Semaphore::MAX_PERMITS)));
    let graceful = GracefulShutdown::new();
    let builder = builder(limits);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    logging::accept_failed(&e);
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            refuse(stream, peer, limits.max_connections);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let mut router = router.clone();
            async move { router.call(request).await }
        });
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                logging::connection_failed(peer, &e);
            }
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        logging::shutdown_cut(SHUTDOWN_GRACE);
    }
    Ok(())
}

/// Answers a connection over the cap with [`REFUSAL`] (best effort, never waiting) and closes it.
fn refuse(stream: TcpStream, peer: SocketAddr, cap: usize) {
    let _ = stream.try_write(REFUSAL);
    logging::connection_refused(peer, cap);
    drop(stream);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_well_formed_json() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.contains(&format!("content-length: {}", body.len())), "{head}");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["code"], yolo_wasm::Code::ServerBusy.as_str());
    }
}
