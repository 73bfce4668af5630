//! `yolo-wasm serve`: the HUB Inference API (`POST /` multipart → HUB JSON) run natively with
//! the same core as the browser package, on axum + tokio.
//!
//! Build a [`Server`] from a [`Config`] (usually [`ServeArgs::into_config`]), read its address,
//! then [`Server::run`] it: integration tests do exactly that in-process on `127.0.0.1:0`.

pub mod admission;
pub mod body;
pub mod budget;
pub mod config;
pub mod errors;
pub mod form;
pub mod keys;
pub mod listener;
pub mod logging;
pub mod models;
pub mod predict;
pub mod rate_limit;
pub mod static_files;
pub mod video_job;

pub use config::{Config, ModelSource, ServeArgs};

use admission::Admission;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderName, Method};
use axum::response::{IntoResponse, Json, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use budget::Budget;
use errors::ApiError;
use keys::KeyStore;
use models::Models;
use rate_limit::RateLimiter;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use yolo_wasm::Code;

/// Headers a browser page may read from our responses.
pub const EXPOSED_HEADERS: [&str; 5] =
    ["x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "x-request-id"];

/// Everything the handlers share.
#[derive(Debug)]
pub struct AppState {
    /// Where models come from.
    pub models: Models,
    /// API keys (`None`: open server).
    pub keys: Option<KeyStore>,
    /// Per-key / per-IP request counters.
    pub limiter: RateLimiter,
    /// Requests per hour when a key sets none (0 = off).
    pub rate_limit: u32,
    /// Largest request body (bytes).
    pub max_body: usize,
    /// Inference slots and queue.
    pub admission: Admission,
    /// Per-request timeout, counted from the moment the body is read.
    pub timeout: Option<Duration>,
    /// Body-read timeout (see [`body::BodyLimits::timeout`]).
    pub body_timeout: Option<Duration>,
    /// Bytes of request bodies held in memory, across all requests.
    pub budget: Budget,
    /// What the inference jobs did.
    pub jobs: JobStats,
    /// When the server started (`functionTimeAlive`).
    pub started: Instant,
    /// Whether `/www` is mounted (`GET /` redirects there).
    pub www: bool,
    /// Limits of video uploads.
    pub video: crate::video::VideoLimits,
    /// Whether `ffmpeg` and `ffprobe` were found at start (else videos get 415).
    pub video_decoder: bool,
}

/// Counters of the inference jobs (observable by tests and tools).
#[derive(Debug, Default)]
pub struct JobStats {
    /// Images decoded.
    pub decoded: AtomicU64,
    /// Inferences started.
    pub inferences: AtomicU64,
    /// Jobs skipped because their answer could no longer be sent (client gone, deadline passed).
    pub skipped: AtomicU64,
}

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    router: Router,
    state: Arc<AppState>,
    limits: listener::ConnLimits,
}

impl Server {
    /// Resolves and binds the address, refusing an open server on a non-loopback host, and loads
    /// the dedicated model if any.
    pub async fn bind(config: Config) -> Result<Server, String> {
        let host = config.host.as_str();
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, config.port))
            .await
            .map_err(|e| format!("cannot resolve --host {host}: {e}"))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("--host {host} resolves to no address"));
        }
        if config.keys.is_none() && !addrs.iter().all(|a| a.ip().is_loopback()) {
            return Err(format!(
                "refusing to serve without --keys on {host}, which is not a loopback address: \
                 anyone on the network could use it. Pass --keys FILE, or bind to 127.0.0.1"
            ));
        }
        // One pool for the whole server, shared by every slot and model (see Config::pool_threads).
        let threads = yolo_wasm::Threads::new(config.pool_threads()).map_err(|e| e.to_string())?;
        let run = models::RunOn { threads, engine: config.cpu_engine };
        let models = match &config.source {
            ModelSource::Shared(dir) => Models::shared(dir.clone(), run),
            ModelSource::Dedicated(file) => Models::dedicated(file.clone(), run).await?,
        };
        let listener =
            TcpListener::bind(&addrs[..]).await.map_err(|e| format!("cannot bind {host}:{}: {e}", config.port))?;
        let state = Arc::new(AppState {
            models,
            keys: config.keys,
            limiter: RateLimiter::new(),
            rate_limit: config.rate_limit,
            max_body: config.max_body,
            admission: Admission::new(config.concurrency, config.queue),
            timeout: config.timeout,
            body_timeout: config.body_timeout,
            budget: Budget::new(config.max_buffered),
            jobs: JobStats::default(),
            started: Instant::now(),
            www: config.mounts.iter().any(|m| m.prefix == "/www"),
            video: config.video,
            video_decoder: crate::video::available(),
        });
        let router = router(state.clone(), &config.cors_origins, &config.mounts, config.cross_origin_isolation);
        let limits =
            listener::ConnLimits { header_timeout: config.header_timeout, max_connections: config.max_connections };
        Ok(Server { listener, router, state, limits })
    }

    /// The bound address (the real port when `--port 0`).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Whether the server runs without API keys.
    pub fn is_open(&self) -> bool {
        self.state.keys.is_none()
    }

    /// The shared state (e.g. [`AppState::admission`] to occupy slots in tests).
    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight (at most
    /// [`listener::SHUTDOWN_GRACE`]).
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        listener::serve(self.listener, self.router, self.limits, shutdown).await
    }
}

/// The application: API routes, static mounts (`isolate`: with the cross-origin isolation
/// headers), CORS, access log.
pub fn router(
    state: Arc<AppState>,
    cors_origins: &[axum::http::HeaderValue],
    mounts: &[static_files::Mount],
    isolate: bool,
) -> Router {
    let api = Router::new()
        .route("/", post(predict::predict).get(root))
        .route("/predict", post(predict::predict))
        .route("/health", get(health))
        .layer(DefaultBodyLimit::disable())
        .with_state(state);
    let origins = if cors_origins.is_empty() { AllowOrigin::any() } else { AllowOrigin::list(cors_origins.to_vec()) };
    let cors = CorsLayer::new()
        .allow_origin(origins)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([HeaderName::from_static("x-api-key"), header::CONTENT_TYPE])
        .expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static))
        .max_age(Duration::from_secs(600));
    api.merge(static_files::router(mounts, isolate))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(cors)
        .layer(axum::middleware::from_fn(logging::access_log))
}

async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn root(State(state): State<Arc<AppState>>) -> Response {
    if state.www {
        return Redirect::temporary("/www/").into_response();
    }
    ApiError::new(Code::MethodNotAllowed, "POST a multipart form (model, file, imgsz, conf, iou) to / to run inference")
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(Code::NotFound, "No such path: POST / (or /predict) runs inference, GET /health")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(Code::MethodNotAllowed, "Method not allowed on this path")
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
