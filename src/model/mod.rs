//! Model loading: ONNX metadata and the tract session.

pub mod metadata;
pub mod pylit;
pub mod session;

pub use metadata::{ModelInfo, Task};
pub use session::{Output, Session};
