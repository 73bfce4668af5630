//! `POST /` (and `POST /predict`): the HUB Inference API over a multipart form.
//!
//! Order of checks: API key (401) → rate limit (429) → body size (413), buffer budget (503) and
//! body read time (408) → form (400, 415) → key's models (403) → model exists (404) → a place in
//! the queue (503) → wait for a slot, load, decode, infer within `--timeout-s` of the body's end
//! (500, 400, 413, 504). A video (by type or extension) is decoded and inferred frame by frame
//! ([`super::video_job`]) under the same slot, timeout and cancellation; it counts once against
//! the rate limit, as the HUB counts a call.
//!
//! Work is skipped once its answer can no longer be sent: when the client goes away (hyper drops
//! the handler, whose drop guard cancels the job) or the deadline passes, the job stops waiting
//! for a slot, and checks again before decoding and before inference. An inference already
//! running is not interrupted (the core's `YoloModel::predict` has no cancellation point); it
//! keeps its slot until it ends, so abandoned work never exceeds `--concurrency`.

use super::admission::Waiting;
use super::body::{self, BodyLimits};
use super::budget::Reservation;
use super::errors::ApiError;
use super::form::{self, PredictForm};
use super::logging::{self, RequestId};
use super::models::ModelRef;
use super::rate_limit::{Bucket, RateStatus};
use super::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{request::Parts, HeaderMap};
use axum::response::{IntoResponse, Json, Response};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use yolo_wasm::schema::Response as HubResponse;
use yolo_wasm::Code;

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
    let cap = body::discard_cap(state.max_body);
    let caller = match authenticate(&state, &parts.headers) {
        Ok(c) => c,
        Err(e) => return body::refuse(body, &parts.headers, cap, e).await.into_response(),
    };
    let (bucket, key) = match caller {
        Caller::Open => (Bucket::Ip(peer.ip()), None),
        Caller::Key(i) => (Bucket::Key(i), state.keys.as_ref().and_then(|k| k.entry(i))),
    };
    let limit = key.and_then(|k| k.rate).unwrap_or(state.rate_limit);
    let rate = state.limiter.check(bucket, limit);
    let mut response = match rate {
        Some(r) if !r.allowed => {
            let e = ApiError::new(Code::RateLimited, r.message());
            body::refuse(body, &parts.headers, cap, e).await.into_response()
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
    let limits = BodyLimits { max: state.max_body, timeout: state.body_timeout, budget: &state.budget };
    let (bytes, reservation) = body::read_limited(body, &parts.headers, limits).await?;
    // `--timeout-s` counts from here: the upload's speed is the client's, not the server's.
    let received = Instant::now();
    let request_id = parts.extensions.get::<RequestId>().map_or_else(|| "-".to_string(), |r| r.0.clone());
    let form = form::parse(parts, bytes).await?;
    let model = state.models.resolve(form.model.as_deref())?;
    let logged = LoggedModel(model.id.clone());
    let job = Job { state: state.clone(), model, form, reservation, request_id };
    let result = run(state, caller, job, started, received).await;
    let mut response = result.map(|r| Json(r).into_response()).unwrap_or_else(IntoResponse::into_response);
    response.extensions_mut().insert(logged);
    Ok(response)
}

/// One request's work, moved into the task that runs it.
struct Job {
    state: Arc<AppState>,
    model: ModelRef,
    form: PredictForm,
    /// The upload's share of the buffer budget, given back once the image is decoded.
    reservation: Reservation,
    request_id: String,
}

/// Counts and logs a job whose answer can no longer be sent; the error is never seen.
fn skipped(state: &AppState, request_id: &str, stage: &str) -> ApiError {
    state.jobs.skipped.fetch_add(1, Ordering::Relaxed);
    logging::job_skipped(request_id, stage);
    ApiError::new(Code::Timeout, "the answer can no longer be sent")
}

async fn run(
    state: &Arc<AppState>,
    caller: Caller,
    job: Job,
    started: Instant,
    received: Instant,
) -> Result<HubResponse, ApiError> {
    let model = job.model.clone();
    if let Caller::Key(i) = caller {
        let allowed = state.keys.as_ref().and_then(|k| k.entry(i)).and_then(|e| e.models.as_ref());
        if allowed.is_some_and(|ids| !ids.contains(&model.id)) {
            return Err(ApiError::new(Code::ModelForbidden, format!("This API key may not use model {}", model.id)));
        }
    }
    state.models.check_exists(&model).await?;
    let waiting = state.admission.try_enter().map_err(|_| {
        ApiError::new(
            Code::ServerBusy,
            "Server busy: every inference slot is taken and the queue is full; retry shortly",
        )
        .retry_after(1)
    })?;
    let cancel = CancellationToken::new();
    // Dropped when this handler is dropped (the client went away) or returns: the job then
    // stops at its next check.
    let _cancel_on_drop = cancel.clone().drop_guard();
    // The job owns its place and then its slot: if the caller times out, a running inference
    // keeps the slot until the CPU work really ends, so timeouts cannot pile up more work than
    // `--concurrency`.
    let handle = tokio::spawn(execute(job, waiting, cancel.clone()));
    let joined = match state.timeout.map(|t| received + t) {
        Some(deadline) => match tokio::time::timeout_at(deadline, handle).await {
            Ok(j) => j,
            Err(_) => {
                cancel.cancel();
                let secs = state.timeout.map_or(0.0, |t| t.as_secs_f64());
                return Err(ApiError::new(
                    Code::Timeout,
                    format!("Inference did not finish within {secs} s of the upload's end (--timeout-s)"),
                ));
            }
        },
        None => handle.await,
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

/// Waits for a slot, loads the model, decodes and infers, checking `cancel` before each step.
async fn execute(job: Job, waiting: Waiting, cancel: CancellationToken) -> Result<HubResponse, ApiError> {
    let Job { state, model, form, reservation, request_id } = job;
    let ticket = tokio::select! {
        biased;
        () = cancel.cancelled() => return Err(skipped(&state, &request_id, "waiting for a slot")),
        t = waiting.ready() => t,
    };
    let yolo = state.models.get(&model).await?;
    if cancel.is_cancelled() {
        return Err(skipped(&state, &request_id, "model loaded"));
    }
    let work = tokio::task::spawn_blocking(move || {
        let _ticket = ticket;
        let PredictForm { file, options, video, vid_stride, track, .. } = form;
        if cancel.is_cancelled() {
            return Err(skipped(&state, &request_id, "before decoding"));
        }
        if video {
            let req = super::video_job::VideoRequest { file, options, vid_stride, track, cancel: &cancel };
            return super::video_job::run(
                &state,
                &yolo,
                req,
                move || drop(reservation),
                |stage| skipped(&state, &request_id, stage),
            );
        }
        let decoded = crate::decode::decode_pixels(&file.bytes, "file")?;
        state.jobs.decoded.fetch_add(1, Ordering::Relaxed);
        // The upload is not needed any more: give its memory and its budget back.
        drop(file);
        drop(reservation);
        if cancel.is_cancelled() {
            return Err(skipped(&state, &request_id, "before inference"));
        }
        state.jobs.inferences.fetch_add(1, Ordering::Relaxed);
        let mut image = yolo.predict(&decoded.pixels()?, &options)?;
        if track {
            // An image is a one-frame video: its detections get IDs from 1.
            image = yolo_wasm::track::Tracker::new(yolo_wasm::track::TrackerOptions::default()).update(image)?;
        }
        Ok(yolo.response(vec![image]))
    });
    match work.await {
        Ok(r) => r,
        Err(e) => Err(ApiError::new(Code::Internal, format!("inference stopped: {e}"))),
    }
}
