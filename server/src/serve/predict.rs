//! `POST /` (and `POST /predict`): the HUB Inference API over a multipart form.
//!
//! Order of checks: API key (401) → rate limit (429) → body size (413) → form (400, 415) →
//! key's models (403) → model exists (404) → a free slot (503) → load, decode, infer within
//! `--timeout-s` (500, 400, 504).

use super::body;
use super::errors::ApiError;
use super::form::{self, PredictForm};
use super::models::ModelRef;
use super::rate_limit::{Bucket, RateStatus};
use super::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{request::Parts, HeaderMap};
use axum::response::{IntoResponse, Json, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::time::Instant;
use yolo_wasm::schema::Response as HubResponse;
use yolo_wasm::Code;
use yolo_wasm::Pixels;

/// The model id of a request, put in the response's extensions for the access log.
#[derive(Debug, Clone)]
pub struct LoggedModel(pub String);

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// No `--keys`: anyone on the loopback host.
    Open,
    /// The key at this index of the key store.
    Key(usize),
}

/// Checks `x-api-key` against the configured keys (any caller when the server is open).
pub fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Caller, ApiError> {
    let Some(keys) = &state.keys else { return Ok(Caller::Open) };
    let Some(presented) = headers.get("x-api-key") else {
        return Err(ApiError::unauthorized("Missing API key: send it in the `x-api-key` header"));
    };
    keys.find(presented.as_bytes()).map(Caller::Key).ok_or_else(|| ApiError::unauthorized("Invalid API key"))
}

/// The predict handler.
pub async fn predict(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let caller = match authenticate(&state, &parts.headers) {
        Ok(c) => c,
        Err(e) => {
            body::discard(body, &parts.headers, body::discard_cap(state.max_body)).await;
            return e.into_response();
        }
    };
    let (bucket, key) = match caller {
        Caller::Open => (Bucket::Ip(peer.ip()), None),
        Caller::Key(i) => (Bucket::Key(i), state.keys.as_ref().and_then(|k| k.entry(i))),
    };
    let limit = key.and_then(|k| k.rate).unwrap_or(state.rate_limit);
    let rate = state.limiter.check(bucket, limit);
    let mut response = match rate {
        Some(r) if !r.allowed => {
            body::discard(body, &parts.headers, body::discard_cap(state.max_body)).await;
            ApiError::new(Code::RateLimited, r.message()).into_response()
        }
        _ => handle(&state, caller, parts, body, started).await.unwrap_or_else(IntoResponse::into_response),
    };
    if let Some(r) = rate {
        RateStatus::apply(&r, response.headers_mut());
    }
    response
}

async fn handle(
    state: &Arc<AppState>,
    caller: Caller,
    parts: Parts,
    body: axum::body::Body,
    started: Instant,
) -> Result<Response, ApiError> {
    let bytes = body::read_limited(body, &parts.headers, state.max_body).await?;
    let form = form::parse(parts, bytes).await?;
    let model = state.models.resolve(form.model.as_deref())?;
    let logged = LoggedModel(model.id.clone());
    let result = run(state, caller, &model, form, started).await;
    let mut response = result.map(|r| Json(r).into_response()).unwrap_or_else(IntoResponse::into_response);
    response.extensions_mut().insert(logged);
    Ok(response)
}

async fn run(
    state: &Arc<AppState>,
    caller: Caller,
    model: &ModelRef,
    form: PredictForm,
    started: Instant,
) -> Result<HubResponse, ApiError> {
    if let Caller::Key(i) = caller {
        let allowed = state.keys.as_ref().and_then(|k| k.entry(i)).and_then(|e| e.models.as_ref());
        if allowed.is_some_and(|ids| !ids.contains(&model.id)) {
            return Err(ApiError::new(Code::ModelForbidden, format!("This API key may not use model {}", model.id)));
        }
    }
    state.models.check_exists(model).await?;
    let waiting = state.admission.try_enter().map_err(|_| {
        ApiError::new(
            Code::ServerBusy,
            "Server busy: every inference slot is taken and the queue is full; retry shortly",
        )
        .retry_after(1)
    })?;
    let deadline = state.timeout.map(|t| started + t);
    let timed_out = || {
        let secs = state.timeout.map_or(0.0, |t| t.as_secs_f64());
        ApiError::new(
            Code::Timeout,
            format!("Inference did not finish within the server's timeout of {secs} s (--timeout-s)"),
        )
    };
    let ticket = match deadline {
        Some(d) => tokio::time::timeout_at(d, waiting.ready()).await.map_err(|_| timed_out())?,
        None => waiting.ready().await,
    };
    // The job owns the slot: if the caller times out, the slot stays taken until the CPU work
    // really ends, so timeouts cannot pile up more work than `--concurrency`.
    let job = tokio::spawn({
        let state = state.clone();
        let model = model.clone();
        async move {
            let yolo = state.models.get(&model).await?;
            let work = tokio::task::spawn_blocking(move || {
                let _ticket = ticket;
                let rgb = crate::decode::decode_image(&form.file.bytes, "file")?;
                let px = Pixels::new(rgb.width(), rgb.height(), 3, rgb.as_raw())?;
                let image = yolo.predict(&px, &form.options)?;
                Ok::<_, yolo_wasm::Error>(yolo.response(vec![image]))
            });
            match work.await {
                Ok(r) => r.map_err(ApiError::from),
                Err(e) => Err(ApiError::new(Code::Internal, format!("inference stopped: {e}"))),
            }
        }
    });
    let joined = match deadline {
        Some(d) => tokio::time::timeout_at(d, job).await.map_err(|_| timed_out())?,
        None => job.await,
    };
    let mut response = joined.map_err(|e| ApiError::new(Code::Internal, format!("inference stopped: {e}")))??;
    let round3 = |s: f64| (s * 1e3).round() / 1e3;
    let meta = &mut response.metadata;
    meta.model = Some(model.reported.clone());
    meta.task = None;
    meta.function_time_alive = Some(round3(state.started.elapsed().as_secs_f64()));
    meta.function_time_call = Some(round3(started.elapsed().as_secs_f64()));
    Ok(response)
}
