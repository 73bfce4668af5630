//! Getting a WebGPU device (the browser's `navigator.gpu`, or Vulkan natively) and telling a
//! software adapter (SwiftShader, llvmpipe / lavapipe, a fallback adapter) from a real GPU.

use std::sync::{Arc, Mutex};

/// A failure of the GPU path, typed for the JS error codes (`src/codes.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GpuError {
    /// No WebGPU here (no `navigator.gpu`, no adapter, or the device request failed).
    Unavailable(String),
    /// The device was lost (driver reset, `free()`, tab backgrounded…): reload the model.
    Lost(String),
    /// WebGPU refused a buffer, pipeline or dispatch (validation, out of memory).
    Failed(String),
}

impl std::fmt::Display for GpuError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GpuError::Unavailable(m) => write!(f, "WebGPU is not available: {m}"),
            GpuError::Lost(m) => write!(f, "the GPU device was lost ({m}); load the model again"),
            GpuError::Failed(m) => write!(f, "WebGPU failed: {m}"),
        }
    }
}

impl std::error::Error for GpuError {}

/// What the adapter says about itself, as `model.info.device` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSummary {
    /// The adapter's description (may be empty: browsers may hide it).
    pub name: String,
    /// Whether it is a software rasteriser (SwiftShader, llvmpipe, lavapipe, a fallback adapter).
    pub software: bool,
}

impl AdapterSummary {
    /// Classifies an adapter from its description and type.
    pub fn from_info(info: &wgpu::AdapterInfo) -> AdapterSummary {
        let text = format!("{} {}", info.name, info.driver).to_lowercase();
        let software = info.device_type == wgpu::DeviceType::Cpu || is_software_name(&text);
        AdapterSummary { name: info.name.clone(), software }
    }
}

/// Whether an adapter's description, vendor or architecture names a software implementation.
pub fn is_software_name(text: &str) -> bool {
    let text = text.to_lowercase();
    ["swiftshader", "llvmpipe", "lavapipe", "software", "microsoft basic render"].iter().any(|s| text.contains(s))
}

/// A device and its queue, with the first error it reported outside an error scope and
/// whether it was lost.
pub struct Gpu {
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// The adapter it came from.
    pub adapter: AdapterSummary,
    /// Set by the device-lost callback.
    lost: Arc<Mutex<Option<String>>>,
}

impl std::fmt::Debug for Gpu {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gpu").field("adapter", &self.adapter).finish_non_exhaustive()
    }
}

impl Gpu {
    /// Asks for the default adapter (high performance) and a device with its full buffer
    /// limits.
    pub async fn request() -> Result<Gpu, GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
            backends: wgpu::Backends::BROWSER_WEBGPU | wgpu::Backends::VULKAN,
            ..wgpu::InstanceDescriptor::new_without_display_handle()
        });
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                force_fallback_adapter: false,
                compatible_surface: None,
                apply_limit_buckets: false,
            })
            .await
            .map_err(|e| GpuError::Unavailable(format!("no adapter ({e})")))?;
        let summary = AdapterSummary::from_info(&adapter.get_info());
        let have = adapter.limits();
        let limits = wgpu::Limits {
            max_storage_buffer_binding_size: have.max_storage_buffer_binding_size,
            max_buffer_size: have.max_buffer_size,
            max_storage_buffers_per_shader_stage: have.max_storage_buffers_per_shader_stage.max(5),
            ..wgpu::Limits::downlevel_defaults()
        };
        // Per-dispatch GPU times for the profile (`GpuProgram::profile`), where the adapter has them.
        let features = adapter.features() & wgpu::Features::TIMESTAMP_QUERY;
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("yolo-wasm"),
                required_features: features,
                required_limits: limits,
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::Unavailable(format!("the device request failed ({e})")))?;
        let lost = Arc::new(Mutex::new(None));
        let flag = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut l) = flag.lock() {
                *l = Some(format!("{reason:?}: {message}"));
            }
        });
        // Errors outside an error scope must not panic (wgpu's default): they are logged, and
        // every operation that matters runs in a scope whose error is returned.
        device.on_uncaptured_error(Arc::new(|e: wgpu::Error| {
            #[cfg(target_arch = "wasm32")]
            web_sys::console::warn_1(&format!("yolo-wasm: WebGPU error outside a scope: {e}").into());
            #[cfg(not(target_arch = "wasm32"))]
            eprintln!("yolo-wasm: WebGPU error outside a scope: {e}");
        }));
        Ok(Gpu { device, queue, adapter: summary, lost })
    }

    /// `Err(Lost)` once the device is lost.
    pub fn check_lost(&self) -> Result<(), GpuError> {
        match self.lost.lock().ok().and_then(|l| l.clone()) {
            Some(why) => Err(GpuError::Lost(why)),
            None => Ok(()),
        }
    }

    /// Destroys the device (its buffers go with it); later runs fail with `Lost`.
    pub fn destroy(&self) {
        if let Ok(mut l) = self.lost.lock() {
            l.get_or_insert_with(|| "the model was freed".into());
        }
        self.device.destroy();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn software_adapters_are_recognised_by_name() {
        for name in ["SwiftShader Device (Subzero)", "llvmpipe (LLVM 15.0.6, 256 bits)", "lavapipe", "swiftshader"] {
            assert!(is_software_name(name), "{name}");
        }
        for name in ["NVIDIA GeForce RTX 4090", "Apple M4", "AMD Radeon RX 7900", "Intel(R) UHD Graphics 630", ""] {
            assert!(!is_software_name(name), "{name}");
        }
    }
}
