//! The yolo-wasm core natively: image decoding for the command line, and `yolo-wasm serve`, an
//! HTTP server answering the Ultralytics HUB Inference API (see [`serve`]).

#![warn(missing_docs)]

pub mod decode;
pub mod serve;
pub mod video;
