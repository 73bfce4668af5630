//! The WebGPU executor: tract loads, types and declutters the ONNX graph; [`lower`] turns the
//! decluttered graph into a [`Program`] of our own WGSL kernels; [`GpuProgram`] runs it on a
//! device (the browser's WebGPU, or Vulkan natively, where the kernel tests run on lavapipe).
//! Pre- and post-processing (letterbox, decode, NMS, masks) stay on the CPU, unchanged.
//! DESIGN.md "WebGPU" explains the choices.

pub mod device;
pub mod exec;
pub mod lower;
pub mod params;
pub mod program;

pub use device::{AdapterSummary, Gpu, GpuError};
pub use exec::{GpuProgram, StepTime};
pub use lower::{lower, Unsupported};
pub use params::Params;
pub use program::{Kernel, Program, Step};
