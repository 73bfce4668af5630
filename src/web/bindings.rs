//! `LocalModel`: an ONNX export run in the browser, answering in the HUB JSON.

use super::device::{self, DeviceChoice, DeviceReport, LoadOptions};
use super::errors::to_js;
use super::{guard, js_options, loader, source, tracking};
use crate::gpu::{Gpu, GpuProgram};
use crate::pipeline::preprocess::Pixels;
use crate::pipeline::YoloModel;
use crate::track::Tracker;
use serde::Serialize;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

/// Serialises a response (or info) into the plain JS objects the TypeScript types describe.
pub(super) fn to_value<T: Serialize>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .map_err(|e| to_js(crate::Error::Inference(format!("cannot convert the result to JS: {e}"))))
}

/// A YOLO ONNX export loaded into tract, run locally: nothing leaves the machine.
///
/// `free()` (generated) releases the model's memory (and its GPU device and buffers) at once;
/// otherwise it is released when the JS object is garbage-collected.
#[wasm_bindgen]
pub struct LocalModel {
    inner: Arc<YoloModel>,
    /// The tracker of `track()` (persists across calls, like Ultralytics' `persist=True`).
    tracker: Rc<RefCell<Tracker>>,
    /// The WebGPU executor, when it runs the model.
    gpu: Rc<RefCell<GpuState>>,
    /// What `info` reports about the device.
    device: DeviceReport,
}

/// The WebGPU program of a model, or the fact that its device was lost (the next call makes a
/// new one).
struct GpuState {
    program: Option<Rc<GpuProgram>>,
    lost: bool,
}

/// `info`: the model's metadata, the device report and the CPU executor, one object.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InfoView<'a> {
    #[serde(flatten)]
    info: &'a crate::ModelInfo,
    #[serde(flatten)]
    device: &'a DeviceReport,
    /// The CPU executor asked for (`cpuEngine`): `"tract"` or `"program"`.
    cpu_engine: &'static str,
    /// With `"program"`: why tract's plan runs the network instead (the op and the node).
    #[serde(skip_serializing_if = "Option::is_none")]
    cpu_engine_reason: Option<String>,
}

#[wasm_bindgen]
impl LocalModel {
    /// Loads an Ultralytics ONNX export from a URL, `ArrayBuffer`, `Uint8Array` or `Blob`/`File`.
    /// `options.device`: `"auto"` (default: WebGPU on a hardware adapter, else the CPU),
    /// `"webgpu"` or `"cpu"`; `info.device` says which runs it and `info.deviceReason` why not
    /// WebGPU. Rejects with a `YoloError` (`invalid_model`, `not_yolo_model`,
    /// `unsupported_model`, `network`, `invalid_argument`, `webgpu_unavailable`, `internal`).
    #[wasm_bindgen(unchecked_return_type = "Promise<LocalModel>")]
    pub fn load(
        #[wasm_bindgen(unchecked_param_type = "ModelSource")] source: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "LoadOptions")] options: Option<JsValue>,
    ) -> js_sys::Promise {
        let options = device::parse_load_options(&options.unwrap_or(JsValue::UNDEFINED));
        guard::promise(async move {
            let options = options.map_err(to_js)?;
            LocalModel::from_source_with(source, options).await.map(JsValue::from)
        })
    }

    /// The model's metadata: task, class names, export size, stride…
    #[wasm_bindgen(getter, unchecked_return_type = "ModelInfo")]
    pub fn info(&self) -> Result<JsValue, JsValue> {
        guard::check()?;
        to_value(&InfoView {
            info: self.inner.info(),
            device: &self.device,
            cpu_engine: self.inner.cpu_engine().name(),
            cpu_engine_reason: self.inner.cpu_engine_fallback(),
        })
    }

    /// Predicts one image; resolves to the HUB response object. Options are validated before
    /// any work (`invalid_argument` naming the field).
    /// (Declared for TypeScript in `types.rs`, where `options` can be marked optional.)
    #[wasm_bindgen(skip_typescript)]
    pub fn predict(&self, source: JsValue, options: Option<JsValue>) -> js_sys::Promise {
        let options = js_options::parse(&options.unwrap_or(JsValue::UNDEFINED));
        self.run(source, options, None)
    }

    /// Predicts the next frame of a video or stream and tracks it with this model's tracker:
    /// results gain `track_id` (as Ultralytics' `model.track(persist=True)`). `conf` defaults to
    /// 0.1. Classification models have no boxes to track (`invalid_argument`).
    #[wasm_bindgen(skip_typescript)]
    pub fn track(&self, source: JsValue, options: Option<JsValue>) -> js_sys::Promise {
        let options = tracking::track_options(&options.unwrap_or(JsValue::UNDEFINED));
        self.run(source, options, Some(self.tracker.clone()))
    }

    /// Diagnostics: the GPU time of every WebGPU dispatch of one inference on `source`, in
    /// order (`[{ label, kernel, ms, macs }]`, `macs` = multiply-adds, so GFLOP/s = 2·macs/ms/1e6),
    /// from the adapter's `timestamp-query` feature. Resolves to `null` when the CPU runs the
    /// model or the adapter has no timestamps.
    #[wasm_bindgen(js_name = gpuProfile, unchecked_return_type = "Promise<GpuStepTime[] | null>")]
    pub fn gpu_profile(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImageSource")] source: JsValue,
    ) -> js_sys::Promise {
        let model = self.inner.clone();
        let gpu = self.gpu.clone();
        guard::promise(async move {
            let Some(program) = gpu_program(&gpu, &model).await.map_err(to_js)? else {
                return Ok(JsValue::NULL);
            };
            let rgba = source::pixels(&source).await.map_err(to_js)?;
            let input = guard::sync(move || {
                let px = Pixels::new(rgba.width, rgba.height, 4, &rgba.data)?;
                model.prepare(&px, &crate::PredictOptions::default())
            })
            .and_then(|r| r)
            .map_err(to_js)?;
            let times = program.profile(&input.tensor).await.map_err(|e| to_js(e.into()))?;
            #[derive(Serialize)]
            struct StepTime {
                label: String,
                kernel: String,
                ms: f64,
                macs: f64,
            }
            let times: Option<Vec<StepTime>> = times.map(|t| {
                t.into_iter()
                    .map(|s| StepTime {
                        label: s.label,
                        kernel: format!("{:?}", s.kernel),
                        ms: s.ms,
                        macs: s.macs as f64,
                    })
                    .collect()
            });
            to_value(&times)
        })
    }

    /// Test builds only (`--features test-hooks`): destroys this model's GPU device the way a
    /// driver reset would, and resolves once the browser reported the loss.
    #[cfg(feature = "test-hooks")]
    #[wasm_bindgen(js_name = "__testLoseDevice", skip_typescript)]
    pub fn test_lose_device(&self) -> js_sys::Promise {
        let program = self.gpu.borrow().program.clone();
        guard::promise(async move {
            if let Some(p) = program {
                p.gpu().device.destroy();
                while p.gpu().check_lost().is_ok() {
                    gloo_timers::future::TimeoutFuture::new(5).await;
                }
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Starts this model's tracking over (IDs from 1), with `bytetrack.yaml`'s settings or
    /// those given. Throws `invalid_argument` for a bad setting (the tracker is then unchanged).
    #[wasm_bindgen(js_name = resetTracker, skip_typescript)]
    pub fn reset_tracker(&self, options: Option<JsValue>) -> Result<(), JsValue> {
        guard::check()?;
        let options = tracking::tracker_options(&options.unwrap_or(JsValue::UNDEFINED)).map_err(to_js)?;
        *self.tracker.borrow_mut() = Tracker::new(options);
        Ok(())
    }
}

impl LocalModel {
    /// Decodes, infers (on the pool in the threaded build) and, with a tracker, tracks one frame.
    fn run(
        &self,
        source: JsValue,
        options: crate::Result<crate::PredictOptions>,
        tracker: Option<Rc<RefCell<Tracker>>>,
    ) -> js_sys::Promise {
        let model = self.inner.clone();
        let tracking = tracker.is_some();
        let gpu = self.gpu.clone();
        guard::promise(async move {
            let options = options.map_err(to_js)?;
            if tracking && model.info().task == crate::Task::Classify {
                return Err(to_js(crate::Error::invalid_argument(
                    "model",
                    "a classification model has no boxes to track",
                )));
            }
            let rgba = source::pixels(&source).await.map_err(to_js)?;
            let mut response = match gpu_program(&gpu, &model).await.map_err(to_js)? {
                Some(program) => on_gpu(&gpu, &program, model, rgba, options).await.map_err(to_js)?,
                None => heavy(true, move || {
                    let px = Pixels::new(rgba.width, rgba.height, 4, &rgba.data)?;
                    let image = model.predict(&px, &options)?;
                    Ok(model.response(vec![image]))
                })
                .await
                .and_then(|r: crate::Result<_>| r)
                .map_err(to_js)?,
            };
            if let Some(t) = tracker {
                // Frames are tracked in the order their inferences finish.
                response = tracking::track_response(&mut t.borrow_mut(), response).map_err(to_js)?;
            }
            to_value(&response)
        })
    }
}

/// The model's WebGPU program (`None`: the CPU runs it). After a device loss a new device and
/// program are made here, so the call after the one that failed with `device_lost` works again.
async fn gpu_program(gpu: &Rc<RefCell<GpuState>>, model: &YoloModel) -> crate::Result<Option<Rc<GpuProgram>>> {
    let lost = gpu.borrow().lost;
    if !lost {
        return Ok(gpu.borrow().program.clone());
    }
    let program = model.gpu_program().map_err(|e| crate::Error::DeviceLost(e.to_string()))?;
    let program = Rc::new(GpuProgram::new(Gpu::request().await?, program).await?);
    let mut state = gpu.borrow_mut();
    state.program = Some(program.clone());
    state.lost = false;
    Ok(Some(program))
}

/// One frame on the GPU: letterbox here, the network on the device, decoding here.
async fn on_gpu(
    gpu: &Rc<RefCell<GpuState>>,
    program: &GpuProgram,
    model: Arc<YoloModel>,
    rgba: source::Rgba,
    options: crate::PredictOptions,
) -> crate::Result<crate::Response> {
    let (m, o) = (model.clone(), options);
    let input = guard::sync(move || {
        let px = Pixels::new(rgba.width, rgba.height, 4, &rgba.data)?;
        m.prepare(&px, &o)
    })??;
    let started = web_time::Instant::now();
    let outputs = match program.run(&input.tensor).await {
        Ok(o) => o,
        Err(e) => {
            if matches!(e, crate::gpu::GpuError::Lost(_)) {
                let mut state = gpu.borrow_mut();
                state.program = None;
                state.lost = true;
            }
            return Err(e.into());
        }
    };
    guard::sync(move || {
        let image = model.finish(input, started, &outputs, &options)?;
        Ok(model.response(vec![image]))
    })?
}

/// Runs the CPU-heavy part of a call through the trap trampoline: in the threaded build, once
/// `initThreadPool` has run, on the pool (this thread awaits without blocking; a pool still
/// starting is waited for unless `wait` is false); else right here.
async fn heavy<T: Send + 'static>(wait: bool, f: impl FnOnce() -> T + Send + 'static) -> crate::Result<T> {
    #[cfg(feature = "threads")]
    {
        if wait {
            super::pool::run(f).await
        } else {
            super::pool::run_now(f).await
        }
    }
    #[cfg(not(feature = "threads"))]
    {
        let _ = wait;
        guard::sync(f)
    }
}

impl LocalModel {
    /// What `LocalModel.load` resolves to with the default device (`"auto"`), for Rust callers
    /// (tests).
    pub async fn from_source(source: JsValue) -> Result<LocalModel, JsValue> {
        LocalModel::from_source_on(source, DeviceChoice::Auto).await
    }

    /// What `LocalModel.load` resolves to, for Rust callers (tests): reads the bytes, parses and
    /// plans the model inside the trap guard, then sets up the device `choice` asks for.
    pub async fn from_source_on(source: JsValue, choice: DeviceChoice) -> Result<LocalModel, JsValue> {
        LocalModel::from_source_with(source, choice.into()).await
    }

    /// What `LocalModel.load` resolves to with every load option, for Rust callers (tests).
    pub async fn from_source_with(source: JsValue, options: LoadOptions) -> Result<LocalModel, JsValue> {
        let (choice, engine) = (options.device, options.cpu_engine);
        let (bytes, name) = loader::model_bytes(&source).await.map_err(to_js)?;
        // In the threaded build this runs on the pool too once it is up (the calling thread then
        // never runs tract while pool threads may hold tract's locks); while the pool is still
        // starting (no pool thread runs tract yet) it runs here, overlapping the start.
        let load = move || YoloModel::load_on(&bytes, name, engine);
        let model = heavy(false, load).await.and_then(|r| r).map_err(to_js)?;
        let (program, device) = device::choose(choice, &model).await.map_err(to_js)?;
        Ok(LocalModel {
            inner: Arc::new(model),
            tracker: Rc::new(RefCell::new(Tracker::new(Default::default()))),
            gpu: Rc::new(RefCell::new(GpuState { program: program.map(Rc::new), lost: false })),
            device,
        })
    }
}
