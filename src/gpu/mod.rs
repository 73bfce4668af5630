//! The WebGPU executor: tract loads, types and declutters the ONNX graph; `crate::program`
//! lowers the decluttered graph into a [`Program`] of steps; [`kernel`] maps each step to one of
//! our WGSL kernels and its workgroups; [`GpuProgram`] runs it on a device (the browser's
//! WebGPU, or Vulkan natively, where the kernel tests run on lavapipe). Pre- and post-processing
//! (letterbox, decode, NMS, masks) stay on the CPU, unchanged. DESIGN.md "WebGPU" explains the
//! choices.

pub mod device;
pub mod exec;
pub mod kernel;

pub use crate::program::{lower, Params, Program, Step, Unsupported};
pub use device::{AdapterSummary, Gpu, GpuError};
pub use exec::{GpuProgram, StepTime};
pub use kernel::Kernel;
