//! The one prediction flow: pixels → letterbox (or classify crop) → tract → decode → suppression
//! → back-mapping → schema.
//!
//! Task-specific work hangs off the model's [`Task`]: classifiers take their own preprocessing
//! ([`classify`]) and report top-5 classes; the four detection-style tasks share one decode path
//! whose per-task hooks (extra values per row, suppression, what a kept row adds) are in [`heads`].

pub mod classify;
pub mod contours;
pub mod decode;
pub mod heads;
pub mod mapping;
pub mod masks;
pub mod nms;
pub mod preprocess;
pub mod rotated;

use crate::error::Result;
use crate::model::{ModelInfo, Output, Session, Task};
use crate::options::PredictOptions;
use crate::schema::{round_python, ImageResult, Metadata, Prediction, Response, Speed};
use heads::Head;
use mapping::BoxMap;
use preprocess::{Letterbox, Pixels};
use web_time::Instant;

/// Version of tract this build pins (kept equal to Cargo.toml's `=` requirement by a test).
pub const TRACT_VERSION: &str = "0.23.9";

/// A network input made by [`YoloModel::prepare`], for [`YoloModel::finish`].
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Input height.
    pub input_h: u32,
    /// Input width.
    pub input_w: u32,
    /// The `[1, 3, input_h, input_w]` tensor, row-major.
    pub tensor: Vec<f32>,
    letterbox: Option<Letterbox>,
    image: (u32, u32),
    started: Instant,
    ready: Instant,
}

/// A loaded YOLO model: its metadata and its tract session.
#[derive(Debug)]
pub struct YoloModel {
    info: ModelInfo,
    session: Session,
    name: String,
}

impl YoloModel {
    /// Loads an Ultralytics ONNX export from its bytes. `name` is reported as `metadata.model`.
    pub fn load(bytes: &[u8], name: impl Into<String>) -> Result<Self> {
        let (info, session) = Session::load(bytes)?;
        Ok(YoloModel { info, session, name: name.into() })
    }

    /// [`Self::load`] with the CPU executor chosen: tract's optimised plan (the default) or our own
    /// program (`crate::cpu`; a graph it does not cover runs on tract's plan, the reason in
    /// [`Self::cpu_engine_fallback`]). A static export is made ready here, on that engine.
    pub fn load_on(bytes: &[u8], name: impl Into<String>, engine: crate::model::CpuEngine) -> Result<Self> {
        let (info, session) = Session::load_on(bytes, engine)?;
        Ok(YoloModel { info, session, name: name.into() })
    }

    /// Native: runs this model's inferences with `threads` (tract's multithread executor; a
    /// clone of one [`crate::Threads`] shares its pool). Without it, one thread, as before.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn with_threads(mut self, threads: crate::Threads) -> Self {
        self.session.set_threads(threads);
        self
    }

    /// The CPU executor asked for.
    pub fn cpu_engine(&self) -> crate::model::CpuEngine {
        self.session.engine()
    }

    /// With [`crate::model::CpuEngine::Program`]: why this model's network runs on tract's plan
    /// instead (the node and what about it); `None` when the program runs it.
    pub fn cpu_engine_fallback(&self) -> Option<String> {
        self.session.engine_fallback()
    }

    /// Native: the threads this model's inferences may use.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn threads(&self) -> &crate::Threads {
        self.session.threads()
    }

    /// What the model's metadata says.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The name reported in `metadata.model`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Network input size and letterbox for an image, following Ultralytics: static exports run
    /// at their export size (full-square padding); dynamic exports at `imgsz` rounded up to the
    /// stride, padded only to the minimum stride-multiple rectangle.
    pub fn letterbox_for(&self, height: u32, width: u32, opts: &PredictOptions) -> Letterbox {
        let stride = self.info.stride;
        if self.info.dynamic {
            let s = opts.imgsz.div_ceil(stride) * stride;
            Letterbox::new(height, width, (s, s), true, stride)
        } else {
            Letterbox::new(height, width, (self.info.imgsz[0], self.info.imgsz[1]), false, stride)
        }
    }

    /// The square input size of a classifier: its export size, or `imgsz` for dynamic exports.
    pub fn classify_size(&self, opts: &PredictOptions) -> u32 {
        if self.info.dynamic {
            opts.imgsz
        } else {
            self.info.imgsz[0]
        }
    }

    /// Predicts one image.
    pub fn predict(&self, px: &Pixels, opts: &PredictOptions) -> Result<ImageResult> {
        let input = self.prepare(px, opts)?;
        let t1 = Instant::now();
        let outputs = self.session.run(input.input_h, input.input_w, input.tensor.clone())?;
        self.finish(input, t1, &outputs, opts)
    }

    /// The first half of [`Self::predict`]: validates the options and makes the network's
    /// input tensor (letterbox or classify crop). An executor that must be awaited (WebGPU) runs
    /// the network on [`Prepared::tensor`] and hands its outputs to [`Self::finish`].
    pub fn prepare(&self, px: &Pixels, opts: &PredictOptions) -> Result<Prepared> {
        opts.validate()?;
        let t0 = Instant::now();
        let (input_h, input_w, tensor, letterbox) = if self.info.task == Task::Classify {
            let size = self.classify_size(opts);
            (size, size, classify::classify_tensor(px, size), None)
        } else {
            let lb = self.letterbox_for(px.height, px.width, opts);
            (lb.input_h, lb.input_w, preprocess::letterbox_tensor(px, &lb), Some(lb))
        };
        Ok(Prepared {
            input_h,
            input_w,
            tensor,
            letterbox,
            image: (px.height, px.width),
            started: t0,
            ready: Instant::now(),
        })
    }

    /// The second half of [`Self::predict`]: decodes the network's outputs (run from
    /// `inference_started` until now) into the image's results. For an `nms=True` export the
    /// outputs are the network's before its embedded NMS, which runs here first and counts as
    /// inference, as it does in Ultralytics' timing.
    pub fn finish(
        &self,
        input: Prepared,
        inference_started: Instant,
        outputs: &[Output],
        opts: &PredictOptions,
    ) -> Result<ImageResult> {
        let completed = self.session.complete(input.input_h, input.input_w, &input.tensor, outputs)?;
        let outputs = completed.as_deref().unwrap_or(outputs);
        let t2 = Instant::now();
        let (height, width) = input.image;
        let results = match input.letterbox {
            None => self.classes(outputs)?,
            Some(lb) => {
                let map = BoxMap::new(&lb, height, width);
                let size = (lb.input_h as usize, lb.input_w as usize);
                Head::new(&self.info, outputs)?.predictions(&map, size, opts)?
            }
        };
        let t3 = Instant::now();
        let ms = |a: Instant, b: Instant| round_python((b - a).as_secs_f64() * 1e3);
        Ok(ImageResult {
            results,
            shape: [height, width],
            speed: Speed {
                preprocess: ms(input.started, input.ready),
                inference: ms(inference_started, t2),
                postprocess: ms(t2, t3),
            },
        })
    }

    /// The graph for this model's input size, for the WebGPU executor (src/gpu/). Static
    /// exports only: a dynamic export would need one GPU program per input shape.
    pub fn gpu_program(&self) -> std::result::Result<crate::program::Program, crate::program::Unsupported> {
        let Some((h, w)) = self.session.fixed_input() else {
            return Err(crate::program::Unsupported(
                "a dynamic export (WebGPU runs fixed-size exports; export with dynamic=False)".into(),
            ));
        };
        self.program(h, w)
    }

    /// The network (for an `nms=True` export, its part before the embedded NMS) lowered into our
    /// own program for an `h` × `w` input (`crate::program`), for either executor.
    pub fn program(&self, h: u32, w: u32) -> std::result::Result<crate::program::Program, crate::program::Unsupported> {
        self.session.lowered(h, w)
    }

    /// Top-5 classes of a classifier's output.
    fn classes(&self, outputs: &[Output]) -> Result<Vec<Prediction>> {
        let out = outputs.first().ok_or_else(|| crate::Error::UnsupportedModel("the model has no output".into()))?;
        Ok(classify::top_k(out, self.info.num_classes())?
            .into_iter()
            .map(|(class, p)| Prediction {
                bbox: None,
                class,
                confidence: round_python(p as f64),
                keypoints: None,
                name: self.info.name_of(class),
                segments: None,
                track_id: None,
            })
            .collect())
    }

    /// Wraps per-image results into a full response with this model's metadata.
    pub fn response(&self, images: Vec<ImageResult>) -> Response {
        let version = [("yolo-wasm", env!("CARGO_PKG_VERSION")), ("tract", TRACT_VERSION)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Response {
            metadata: Metadata {
                image_count: images.len() as u32,
                model: Some(self.name.clone()),
                task: Some(self.info.task.as_str().to_string()),
                version,
                ..Metadata::default()
            },
            images,
        }
    }
}
