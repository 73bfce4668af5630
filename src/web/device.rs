//! `LocalModel.load(source, { device, cpuEngine })`: which executor runs the model, and why.
//!
//! - `"cpu"`: the CPU, on the executor `cpuEngine` names (`crate::model::engine`): tract's plan
//!   (`"tract"`, the default) or our own program (`"program"`).
//! - `"webgpu"`: our WebGPU executor (src/gpu/) on any adapter, software ones included; no WebGPU
//!   at all rejects with `webgpu_unavailable`. A model with an op the executor does not cover runs
//!   wholly on the CPU and `info.deviceReason` says which op.
//! - `"auto"` (default): WebGPU only on a hardware adapter — a software one (SwiftShader,
//!   llvmpipe, `isFallbackAdapter`) is slower than our CPU path — else the CPU; it never rejects
//!   for a GPU reason.

use super::loader::await_js;
use crate::error::{Error, Result};
use crate::gpu::{device::is_software_name, Gpu, GpuProgram};
use crate::model::CpuEngine;
use crate::pipeline::YoloModel;
use js_sys::Reflect;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};

/// The `device` load option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    /// WebGPU on a hardware adapter, else the CPU.
    Auto,
    /// WebGPU on any adapter (rejects without one).
    WebGpu,
    /// The CPU (tract).
    Cpu,
}

/// `LocalModel.load`'s options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// `device`.
    pub device: DeviceChoice,
    /// `cpuEngine`: the executor when the CPU runs the network.
    pub cpu_engine: CpuEngine,
}

impl From<DeviceChoice> for LoadOptions {
    fn from(device: DeviceChoice) -> LoadOptions {
        LoadOptions { device, cpu_engine: CpuEngine::default() }
    }
}

/// Parses `LocalModel.load`'s options: `{ device?: "auto" | "webgpu" | "cpu", cpuEngine?:
/// "tract" | "program" }`; unknown keys and other values are `invalid_argument`.
pub fn parse_load_options(options: &JsValue) -> Result<LoadOptions> {
    let device = parse_device(options)?;
    if options.is_undefined() || options.is_null() {
        return Ok(device.into());
    }
    let engine = Reflect::get(options, &"cpuEngine".into()).unwrap_or(JsValue::UNDEFINED);
    let cpu_engine = match engine.as_string() {
        None if engine.is_undefined() => CpuEngine::default(),
        name => name
            .as_deref()
            .and_then(CpuEngine::parse)
            .ok_or_else(|| Error::invalid_argument("cpuEngine", "must be \"tract\" or \"program\""))?,
    };
    Ok(LoadOptions { device, cpu_engine })
}

/// The `device` option (and the check that no key is unknown).
fn parse_device(options: &JsValue) -> Result<DeviceChoice> {
    if options.is_undefined() || options.is_null() {
        return Ok(DeviceChoice::Auto);
    }
    let object = options
        .dyn_ref::<js_sys::Object>()
        .filter(|_| !options.is_function())
        .ok_or_else(|| Error::invalid_argument("options", "load options must be an object"))?;
    for key in js_sys::Object::keys(object).iter() {
        let key = key.as_string().unwrap_or_default();
        if key != "device" && key != "cpuEngine" {
            return Err(Error::invalid_argument(&key, "unknown load option (they are `device` and `cpuEngine`)"));
        }
    }
    let device = Reflect::get(options, &"device".into()).unwrap_or(JsValue::UNDEFINED);
    if device.is_undefined() {
        return Ok(DeviceChoice::Auto);
    }
    match device.as_string().as_deref() {
        Some("auto") => Ok(DeviceChoice::Auto),
        Some("webgpu") => Ok(DeviceChoice::WebGpu),
        Some("cpu") => Ok(DeviceChoice::Cpu),
        _ => Err(Error::invalid_argument("device", "must be \"auto\", \"webgpu\" or \"cpu\"")),
    }
}

/// `info.device`, `info.adapter` and `info.deviceReason`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceReport {
    /// `"webgpu"` or `"cpu"`: what runs the network.
    pub device: &'static str,
    /// The WebGPU adapter's description (vendor / architecture), when one was looked at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
    /// Why the CPU runs it, when it is the CPU.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_reason: Option<String>,
}

impl DeviceReport {
    fn cpu(adapter: Option<String>, reason: impl Into<String>) -> DeviceReport {
        DeviceReport { device: "cpu", adapter, device_reason: Some(reason.into()) }
    }
}

/// What `navigator.gpu.requestAdapter()` says, read straight from JS (wgpu only passes the
/// description on, not `vendor` / `architecture`, which name SwiftShader).
struct Probe {
    text: String,
    fallback: bool,
}

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// The adapter's description, or why there is none (no `navigator.gpu`, no adapter).
async fn probe() -> Result<std::result::Result<Probe, String>> {
    let gpu = get(&get(&js_sys::global(), "navigator"), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Ok(Err("this browser exposes no WebGPU (`navigator.gpu` is missing)".into()));
    }
    let request = get(&gpu, "requestAdapter");
    let Some(request) = request.dyn_ref::<js_sys::Function>() else {
        return Ok(Err("`navigator.gpu.requestAdapter` is not a function".into()));
    };
    let promise = request.call0(&gpu).map_err(|e| Error::WebGpuUnavailable(super::errors::describe(&e)))?;
    let promise =
        promise.dyn_into::<js_sys::Promise>().map_err(|_| Error::WebGpuUnavailable("requestAdapter".into()))?;
    let adapter = await_js(promise, Error::WebGpuUnavailable).await?;
    if adapter.is_null() || adapter.is_undefined() {
        return Ok(Err("the browser has WebGPU but gives no adapter (GPU blocklisted or disabled)".into()));
    }
    let info = get(&adapter, "info");
    let field = |k: &str| get(&info, k).as_string().unwrap_or_default();
    let text = [field("vendor"), field("architecture"), field("description")]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let fallback = get(&info, "isFallbackAdapter").as_bool().or_else(|| get(&adapter, "isFallbackAdapter").as_bool());
    Ok(Ok(Probe { text, fallback: fallback.unwrap_or(false) }))
}

/// Picks the executor for `model` as `choice` asks; returns the GPU program (when WebGPU runs
/// it) and the report for `info`.
pub async fn choose(choice: DeviceChoice, model: &YoloModel) -> Result<(Option<GpuProgram>, DeviceReport)> {
    if choice == DeviceChoice::Cpu {
        return Ok((None, DeviceReport::cpu(None, "`device: \"cpu\"` was asked for")));
    }
    let probe = match probe().await? {
        Ok(p) => p,
        Err(why) if choice == DeviceChoice::WebGpu => return Err(Error::WebGpuUnavailable(why)),
        Err(why) => return Ok((None, DeviceReport::cpu(None, why))),
    };
    let adapter = Some(probe.text.clone()).filter(|s| !s.is_empty());
    if choice == DeviceChoice::Auto && (probe.fallback || is_software_name(&probe.text)) {
        let name = adapter.clone().unwrap_or_else(|| "a fallback adapter".into());
        let why = format!(
            "the WebGPU adapter is a software one ({name}), slower than the CPU path; ask for `device: \"webgpu\"` to use it anyway"
        );
        return Ok((None, DeviceReport::cpu(adapter, why)));
    }
    let program = match model.gpu_program() {
        Ok(p) => p,
        Err(why) => return Ok((None, DeviceReport::cpu(adapter, format!("the WebGPU executor does not cover {why}")))),
    };
    let made = async {
        let gpu = Gpu::request().await?;
        GpuProgram::new(gpu, program).await
    };
    match made.await {
        Ok(run) => Ok((Some(run), DeviceReport { device: "webgpu", adapter, device_reason: None })),
        Err(e) if choice == DeviceChoice::WebGpu => Err(e.into()),
        Err(e) => Ok((None, DeviceReport::cpu(adapter, e.to_string()))),
    }
}
