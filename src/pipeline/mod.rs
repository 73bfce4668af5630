//! The one prediction flow: pixels → letterbox → tract → decode → NMS → back-mapping → schema.
//!
//! Task-specific work hangs off [`Task`] at two points only: how many extra values each
//! prediction row carries, and what a kept row adds to its [`Prediction`].

pub mod decode;
pub mod nms;
pub mod preprocess;

use crate::error::{Error, Result};
use crate::model::{ModelInfo, Session, Task};
use crate::options::{PredictOptions, MAX_DET};
use crate::schema::{round_python, BoxCoords, ImageResult, Metadata, Prediction, RectBox, Response, Speed};
use decode::Table;
use nms::Candidate;
use preprocess::{Letterbox, Pixels};
use web_time::Instant;

/// Version of tract this build pins (kept equal to Cargo.toml's `=` requirement by a test).
pub const TRACT_VERSION: &str = "0.23.9";

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
        if info.task != Task::Detect {
            return Err(Error::UnsupportedModel(format!(
                "task `{}` is not supported by this version yet (detect models are)",
                info.task
            )));
        }
        Ok(YoloModel { info, session, name: name.into() })
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

    /// Predicts one image.
    pub fn predict(&self, px: &Pixels, opts: &PredictOptions) -> Result<ImageResult> {
        opts.validate()?;
        let t0 = Instant::now();
        let lb = self.letterbox_for(px.height, px.width, opts);
        let tensor = preprocess::letterbox_tensor(px, &lb);
        let t1 = Instant::now();
        let outputs = self.session.run(lb.input_h, lb.input_w, tensor)?;
        let t2 = Instant::now();
        let results = self.postprocess(&outputs, &lb, px, opts)?;
        let t3 = Instant::now();
        let ms = |a: Instant, b: Instant| round_python((b - a).as_secs_f64() * 1e3);
        Ok(ImageResult {
            results,
            shape: [px.height, px.width],
            speed: Speed { preprocess: ms(t0, t1), inference: ms(t1, t2), postprocess: ms(t2, t3) },
        })
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

    fn postprocess(
        &self,
        outputs: &[crate::model::Output],
        lb: &Letterbox,
        px: &Pixels,
        opts: &PredictOptions,
    ) -> Result<Vec<Prediction>> {
        let out0 = outputs.first().ok_or_else(|| Error::UnsupportedModel("the model has no output".into()))?;
        let nc = self.info.num_classes();
        let end2end = self.info.end2end;
        let features = if end2end { 6 } else { 4 + nc };
        let table = Table::new(out0, features, end2end, self.info.task.as_str())?;
        let kept: Vec<Candidate> = if end2end {
            decode::end2end_candidates(&table, nc, opts.conf, MAX_DET)?
        } else {
            nms::greedy(decode::dense_candidates(&table, nc, opts.conf), opts.iou, MAX_DET)
        };
        let map = BoxMap::new(lb, px.height, px.width);
        Ok(kept
            .iter()
            .map(|c| {
                let [x1, y1, x2, y2] = map.apply(c.bbox);
                Prediction {
                    bbox: Some(BoxCoords::Rect(RectBox {
                        x1: round_python(x1 as f64),
                        y1: round_python(y1 as f64),
                        x2: round_python(x2 as f64),
                        y2: round_python(y2 as f64),
                    })),
                    class: c.class,
                    confidence: round_python(c.score as f64),
                    keypoints: None,
                    name: self.info.name_of(c.class),
                    segments: None,
                }
            })
            .collect())
    }
}

/// Ultralytics' `scale_boxes`: from network-input pixels back to original pixels, recomputing
/// gain and padding from the two shapes (per-axis gain of the rounded resized size), then
/// clipping to the image. Arithmetic in float32 like the reference tensors.
#[derive(Debug, Clone, Copy)]
pub struct BoxMap {
    pad: [f32; 2],
    gain: [f32; 2],
    limit: [f32; 2],
}

impl BoxMap {
    /// The mapping for a letterboxed input of an `orig_h × orig_w` image.
    pub fn new(lb: &Letterbox, orig_h: u32, orig_w: u32) -> Self {
        let (ih, iw, h0, w0) = (lb.input_h as f64, lb.input_w as f64, orig_h as f64, orig_w as f64);
        let gain = (ih / h0).min(iw / w0);
        let new_h = (h0 * gain).round_ties_even().max(1.0);
        let new_w = (w0 * gain).round_ties_even().max(1.0);
        let pad_x = ((iw - new_w) / 2.0 - 0.1).round_ties_even();
        let pad_y = ((ih - new_h) / 2.0 - 0.1).round_ties_even();
        BoxMap {
            pad: [pad_x as f32, pad_y as f32],
            gain: [(new_w / w0) as f32, (new_h / h0) as f32],
            limit: [orig_w as f32, orig_h as f32],
        }
    }

    /// Maps and clips an `xyxy` box.
    pub fn apply(&self, b: [f32; 4]) -> [f32; 4] {
        let mut o = [0f32; 4];
        for (i, v) in b.iter().enumerate() {
            let axis = i % 2;
            o[i] = ((v - self.pad[axis]) / self.gain[axis]).clamp(0.0, self.limit[axis]);
        }
        o
    }
}
