//! Model loading: ONNX metadata and the tract session.

pub mod embedded_nms;
pub mod engine;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod gemm;
pub mod metadata;
pub mod pylit;
pub mod session;
#[cfg(not(target_arch = "wasm32"))]
pub mod threads;
#[cfg(all(target_arch = "wasm32", feature = "threads"))]
pub mod web_pool;

pub use engine::CpuEngine;
pub use metadata::{ModelInfo, Task};
pub use session::{Output, Session};
#[cfg(not(target_arch = "wasm32"))]
pub use threads::Threads;
