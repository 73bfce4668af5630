//! `HubClient`: the Ultralytics HUB Inference API (or any compatible endpoint, such as
//! `yolo-wasm serve`) over `fetch`, answering exactly what `LocalModel.predict` answers.
//!
//! The API key goes only into the `x-api-key` header of requests to the configured URL: never
//! into a URL, a message or a log. POSTs are retried only when the caller asks (`retries`),
//! after `Retry-After` when the server gives one.

use super::bindings::to_value;
use super::errors::{describe, to_js};
use super::js_options::{self, Fields, MAX_RETRIES};
use super::source;
use crate::codes::Code;
use crate::error::RemoteError;
use crate::error::{Error, Result};
use crate::hub::{self, AnswerHeaders};
use crate::options::PredictOptions;
use crate::schema::Response;
use gloo_net::http::{Request, Response as HttpResponse};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, AbortSignal, FormData};

/// The shared HUB endpoint.
pub const SHARED_URL: &str = "https://predict.ultralytics.com";
const DEFAULT_TIMEOUT_MS: u32 = 30_000;
const CLIENT_KEYS: [&str; 4] = ["apiKey", "url", "timeoutMs", "retries"];

/// A client of the HUB Inference API (shared URL or a dedicated / self-hosted endpoint).
#[wasm_bindgen]
pub struct HubClient {
    config: Rc<Config>,
}

struct Config {
    api_key: String,
    url: String,
    shared: bool,
    timeout_ms: u32,
    retries: u32,
}

#[wasm_bindgen]
impl HubClient {
    /// `new HubClient({ apiKey, url?, timeoutMs?, retries? })`. Throws a `YoloError`
    /// (`invalid_argument`) for a missing key, a URL that is not http(s), or bad numbers.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "HubClientOptions")] options: JsValue,
    ) -> Result<HubClient, JsValue> {
        super::guard::check()?;
        Config::parse(&options).map(|c| HubClient { config: Rc::new(c) }).map_err(to_js)
    }

    /// The endpoint this client posts to.
    #[wasm_bindgen(getter)]
    pub fn url(&self) -> String {
        self.config.url.clone()
    }

    /// Sends one image; resolves to the HUB response (the shape `LocalModel.predict` returns).
    /// (Declared for TypeScript in `types.rs`.)
    #[wasm_bindgen(skip_typescript)]
    pub fn predict(&self, source: JsValue, options: Option<JsValue>) -> js_sys::Promise {
        let config = self.config.clone();
        let options = js_options::parse_remote(&options.unwrap_or(JsValue::UNDEFINED));
        super::guard::promise(async move {
            let options = options.map_err(to_js)?;
            let response = config.predict(&source, options).await.map_err(to_js)?;
            to_value(&response)
        })
    }
}

impl Config {
    fn parse(value: &JsValue) -> Result<Config> {
        let f = Fields::new(value, "options", &CLIENT_KEYS)?
            .ok_or_else(|| Error::invalid_argument("apiKey", "is required: new HubClient({ apiKey })"))?;
        let api_key = f.string("apiKey")?.map(|k| k.trim().to_string()).unwrap_or_default();
        if api_key.is_empty() {
            return Err(Error::invalid_argument("apiKey", "is required and must not be empty"));
        }
        let url = f.string("url")?.unwrap_or_else(|| SHARED_URL.to_string());
        let parsed = web_sys::Url::new(&url)
            .map_err(|_| Error::invalid_argument("url", format!("is not an absolute URL: {url:?}")))?;
        let scheme = parsed.protocol();
        if scheme != "https:" && scheme != "http:" && scheme != "data:" {
            return Err(Error::invalid_argument("url", format!("must be an http(s) URL, got {scheme}")));
        }
        let timeout_ms = match f.number("timeoutMs")? {
            None => DEFAULT_TIMEOUT_MS,
            Some(v) if v.is_finite() && v >= 1.0 && v <= u32::MAX as f64 => v as u32,
            Some(v) => return Err(Error::invalid_argument("timeoutMs", format!("must be a positive number, got {v}"))),
        };
        Ok(Config {
            api_key,
            shared: parsed.hostname() == "predict.ultralytics.com",
            url,
            timeout_ms,
            retries: f.count("retries", MAX_RETRIES)?.unwrap_or(0),
        })
    }

    async fn predict(&self, source: &JsValue, opts: js_options::RemoteOptions) -> Result<Response> {
        if self.shared && opts.model.is_none() {
            return Err(Error::invalid_argument(
                "model",
                "is required by the shared HUB endpoint (https://hub.ultralytics.com/models/ID)",
            ));
        }
        if opts.signal.as_ref().is_some_and(AbortSignal::aborted) {
            return Err(RemoteError::new(Code::Aborted, "the request was aborted before it was sent").into());
        }
        let (file, filename) = source::upload(source).await?;
        let retries = opts.retries.unwrap_or(self.retries);
        let mut attempt = 0;
        loop {
            let form = form(&file, &filename, opts.model.as_deref(), &opts.predict)?;
            match self.attempt(form, opts.signal.as_ref()).await {
                Err(e) if attempt < retries && retryable(&e) => {
                    attempt += 1;
                    let wait = e.retry_after_seconds.unwrap_or(f64::from(1u32 << attempt.min(5)));
                    gloo_timers::future::sleep(std::time::Duration::from_secs_f64(wait.min(300.0))).await;
                    if opts.signal.as_ref().is_some_and(AbortSignal::aborted) {
                        return Err(RemoteError::new(Code::Aborted, "the request was aborted").into());
                    }
                }
                other => return other.map_err(Error::from),
            }
        }
    }

    /// One POST with its timeout and the caller's signal.
    async fn attempt(&self, form: FormData, signal: Option<&AbortSignal>) -> Result<Response, RemoteError> {
        let ctl = AbortController::new().map_err(|e| RemoteError::new(Code::Network, describe(&e)))?;
        let timed_out = Rc::new(Cell::new(false));
        let _timer = {
            let (ctl, flag) = (ctl.clone(), timed_out.clone());
            gloo_timers::callback::Timeout::new(self.timeout_ms, move || {
                flag.set(true);
                ctl.abort();
            })
        };
        let _link = signal.map(|s| Link::new(s, &ctl));
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(RemoteError::new(Code::Aborted, "the request was aborted before it was sent"));
        }
        let stopped = |e: String| -> RemoteError {
            if timed_out.get() {
                RemoteError::new(Code::Timeout, format!("no answer from {} within {} ms", self.url, self.timeout_ms))
            } else if signal.is_some_and(AbortSignal::aborted) {
                RemoteError::new(Code::Aborted, "the request was aborted")
            } else {
                RemoteError::new(Code::Network, format!("cannot reach {}: {e}", self.url))
            }
        };
        let request = Request::post(&self.url)
            .header("x-api-key", &self.api_key)
            .abort_signal(Some(&ctl.signal()))
            .body(form)
            .map_err(|e| RemoteError::new(Code::Network, e.to_string()))?;
        let resp = request.send().await.map_err(|e| stopped(e.to_string()))?;
        let headers = answer_headers(&resp);
        let body = resp.text().await.map_err(|e| stopped(e.to_string()))?;
        hub::interpret(resp.status(), &headers, &body, js_sys::Date::now() / 1000.0)
    }
}

/// Rate limits, overload and transient server or network failures are worth retrying.
fn retryable(e: &RemoteError) -> bool {
    matches!(e.code, Code::RateLimited | Code::Unavailable | Code::ServerBusy | Code::Network)
        || matches!(e.status, Some(502) | Some(504))
}

fn form(file: &web_sys::Blob, filename: &str, model: Option<&str>, o: &PredictOptions) -> Result<FormData> {
    let fail = |e: JsValue| Error::invalid_argument("file", format!("cannot build the form: {}", describe(&e)));
    let form = FormData::new().map_err(fail)?;
    if let Some(m) = model {
        form.append_with_str("model", m).map_err(fail)?;
    }
    form.append_with_blob_and_filename("file", file, filename).map_err(fail)?;
    form.append_with_str("imgsz", &o.imgsz.to_string()).map_err(fail)?;
    form.append_with_str("conf", &o.conf.to_string()).map_err(fail)?;
    form.append_with_str("iou", &o.iou.to_string()).map_err(fail)?;
    Ok(form)
}

fn answer_headers(resp: &HttpResponse) -> AnswerHeaders {
    let h = resp.headers();
    AnswerHeaders {
        retry_after: h.get("retry-after"),
        limit: h.get("x-ratelimit-limit"),
        remaining: h.get("x-ratelimit-remaining"),
        reset: h.get("x-ratelimit-reset"),
    }
}

/// Forwards the caller's abort to this attempt's controller while alive.
struct Link {
    signal: AbortSignal,
    listener: Closure<dyn FnMut()>,
}

impl Link {
    fn new(signal: &AbortSignal, ctl: &AbortController) -> Link {
        let ctl = ctl.clone();
        let listener = Closure::<dyn FnMut()>::new(move || ctl.abort());
        let _ = signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        Link { signal: signal.clone(), listener }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        let _ = self.signal.remove_event_listener_with_callback("abort", self.listener.as_ref().unchecked_ref());
    }
}
