//! # yolo-wasm
//!
//! Ultralytics YOLO ONNX exports run with [tract](https://github.com/sonos/tract), in the browser
//! (WebAssembly) or natively, answering in the Ultralytics HUB Inference API's JSON
//! ([`schema::Response`]) with Ultralytics' own pre- and post-processing rules.
//!
//! ```no_run
//! use yolo_wasm::{PredictOptions, YoloModel, Pixels};
//! let bytes = std::fs::read("model.onnx").unwrap();
//! let model = YoloModel::load(&bytes, "model.onnx").unwrap();
//! let rgb = vec![0u8; 640 * 480 * 3];
//! let px = Pixels::new(640, 480, 3, &rgb).unwrap();
//! let image = model.predict(&px, &PredictOptions::default()).unwrap();
//! println!("{}", serde_json::to_string(&model.response(vec![image])).unwrap());
//! ```

#![warn(missing_docs)]

pub mod codes;
pub mod cpu;
pub mod error;
pub mod gpu;
pub mod hub;
pub mod limits;
pub mod model;
pub mod options;
pub mod pipeline;
pub mod png_alpha;
pub mod program;
pub mod render;
pub mod schema;
pub mod track;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use codes::Code;
pub use error::{Error, Result};
#[cfg(not(target_arch = "wasm32"))]
pub use model::Threads;
pub use model::{ModelInfo, Task};
pub use options::PredictOptions;
pub use pipeline::preprocess::Pixels;
pub use pipeline::YoloModel;
pub use schema::Response;
