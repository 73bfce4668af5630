//! A [`Program`] on a device: weights uploaded once, intermediate buffers pooled by
//! [`plan_buffers`], bind groups built once; a run writes the input, records every dispatch into
//! one command buffer, submits it once and reads back only the outputs.

use super::device::{Gpu, GpuError};
use super::kernel::{workgroups, Kernel};
use crate::model::Output;
use crate::program::{const_values, plan_buffers, Program, TensorKind};
use std::collections::HashMap;
use wgpu::util::DeviceExt;

const COMMON: &str = include_str!("wgsl/common.wgsl");

/// The WGSL module and entry point of a kernel.
pub(super) fn source(kernel: Kernel) -> (String, &'static str) {
    let with_common = |s: &str| format!("{COMMON}\n{s}");
    match kernel {
        Kernel::Gemm => (include_str!("wgsl/gemm.wgsl").to_string(), "main"),
        Kernel::GemmWide => (
            include_str!("wgsl/gemm.wgsl")
                .replace("const WX: u32 = 16u;\nconst WY: u32 = 16u;", "const WX: u32 = 32u;\nconst WY: u32 = 8u;"),
            "main",
        ),
        Kernel::ConvDirect => (with_common(include_str!("wgsl/conv_direct.wgsl")), "main"),
        Kernel::Binary => (with_common(include_str!("wgsl/binary.wgsl")), "binary"),
        Kernel::Unary => (with_common(include_str!("wgsl/unary.wgsl")), "unary"),
        Kernel::Copy => (with_common(include_str!("wgsl/copy.wgsl")), "copy"),
        Kernel::Softmax => (with_common(include_str!("wgsl/softmax.wgsl")), "softmax"),
        Kernel::Reduce => (with_common(include_str!("wgsl/reduce.wgsl")), "reduce"),
        Kernel::MaxPool => (with_common(include_str!("wgsl/maxpool.wgsl")), "maxpool"),
    }
}

/// One step's GPU time in a [`GpuProgram::profile`].
#[derive(Debug, Clone)]
pub struct StepTime {
    /// The tract node (and what was fused into it).
    pub label: String,
    /// The kernel.
    pub kernel: Kernel,
    /// Milliseconds on the GPU.
    pub ms: f64,
    /// Multiply-adds (0 for non-products): GFLOP/s = 2 · macs / time.
    pub macs: u64,
}

/// A program ready to run on one device.
pub struct GpuProgram {
    gpu: Gpu,
    program: Program,
    pipelines: HashMap<Kernel, wgpu::ComputePipeline>,
    bind_groups: Vec<wgpu::BindGroup>,
    /// Per tensor: its buffer (pooled intermediates share them).
    buffers: Vec<wgpu::Buffer>,
    /// Per output: the mappable buffer it is copied to.
    staging: Vec<wgpu::Buffer>,
}

impl std::fmt::Debug for GpuProgram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuProgram")
            .field("adapter", &self.gpu.adapter)
            .field("steps", &self.program.steps.len())
            .finish_non_exhaustive()
    }
}

fn bytes(values: usize) -> u64 {
    (values.max(1) * 4) as u64
}

async fn scoped<T>(gpu: &Gpu, what: &str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
    let oom = gpu.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let validation = gpu.device.push_error_scope(wgpu::ErrorFilter::Validation);
    let value = f();
    let v = validation.pop().await;
    let o = oom.pop().await;
    gpu.check_lost()?;
    match v.or(o) {
        Some(e) => Err(GpuError::Failed(format!("{what}: {e}"))),
        None => Ok(value),
    }
}

impl GpuProgram {
    /// Compiles the kernels the program uses, uploads its constants and allocates its buffers.
    pub async fn new(gpu: Gpu, program: Program) -> Result<GpuProgram, GpuError> {
        let (slots, sizes) = plan_buffers(&program);
        let limit = gpu.device.limits().max_storage_buffer_binding_size as usize / 4;
        if let Some(t) = program.tensors.iter().find(|t| t.len > limit) {
            return Err(GpuError::Unavailable(format!(
                "a tensor of {} values exceeds this device's {limit}-value storage binding limit",
                t.len
            )));
        }
        let weights = program
            .tensors
            .iter()
            .map(|t| match &t.kind {
                TensorKind::Const(k) => const_values(k).map(|v| Some(v.to_vec())).map_err(GpuError::Failed),
                _ => Ok(None),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let device = &gpu.device;
        let storage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
        let (pipelines, buffers, staging, bind_groups) = scoped(&gpu, "preparing the model", || {
            let mut pipelines = HashMap::new();
            let mut used: Vec<Kernel> = program.steps.iter().map(|s| Kernel::of(&s.params)).collect();
            used.sort();
            used.dedup();
            for kernel in used {
                let (code, entry) = source(kernel);
                let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(entry),
                    source: wgpu::ShaderSource::Wgsl(code.into()),
                });
                let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(entry),
                    layout: None,
                    module: &module,
                    entry_point: Some(entry),
                    compilation_options: Default::default(),
                    cache: None,
                });
                pipelines.insert(kernel, pipeline);
            }
            let pool: Vec<wgpu::Buffer> = sizes
                .iter()
                .map(|&n| {
                    device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("pooled"),
                        size: bytes(n),
                        usage: storage,
                        mapped_at_creation: false,
                    })
                })
                .collect();
            let buffers: Vec<wgpu::Buffer> = program
                .tensors
                .iter()
                .enumerate()
                .map(|(i, t)| match (&t.kind, slots[i]) {
                    (TensorKind::Intermediate, Some(s)) => pool[s].clone(),
                    (TensorKind::Const(_), _) => device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("weights"),
                        contents: bytemuck::cast_slice(weights[i].as_deref().unwrap_or(&[0.0])),
                        usage: storage,
                    }),
                    (TensorKind::Dummy, _) => device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("absent"),
                        contents: bytemuck::cast_slice(&[0f32]),
                        usage: storage,
                    }),
                    _ => device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("io"),
                        size: bytes(t.len),
                        usage: storage,
                        mapped_at_creation: false,
                    }),
                })
                .collect();
            let staging = program
                .outputs
                .iter()
                .map(|(t, _)| {
                    device.create_buffer(&wgpu::BufferDescriptor {
                        label: Some("readback"),
                        size: bytes(program.tensors[*t].len),
                        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                        mapped_at_creation: false,
                    })
                })
                .collect();
            let bind_groups = program
                .steps
                .iter()
                .map(|step| {
                    let params = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                        label: Some("params"),
                        contents: step.params.bytes(),
                        usage: wgpu::BufferUsages::STORAGE,
                    });
                    let mut entries = vec![wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() }];
                    for (i, &t) in step.tensors.iter().enumerate() {
                        entries.push(wgpu::BindGroupEntry {
                            binding: i as u32 + 1,
                            resource: buffers[t].as_entire_binding(),
                        });
                    }
                    device.create_bind_group(&wgpu::BindGroupDescriptor {
                        label: Some(&step.label),
                        layout: &pipelines[&Kernel::of(&step.params)].get_bind_group_layout(0),
                        entries: &entries,
                    })
                })
                .collect();
            (pipelines, buffers, staging, bind_groups)
        })
        .await?;
        Ok(GpuProgram { gpu, program, pipelines, bind_groups, buffers, staging })
    }

    /// The adapter this program runs on.
    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }

    /// The lowered program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Runs the network on the input tensor (its full `[1, 3, h, w]` values) and returns the
    /// outputs in graph order.
    pub async fn run(&self, input: &[f32]) -> Result<Vec<Output>, GpuError> {
        self.gpu.check_lost()?;
        let (input_t, _) = self.program.input;
        if input.len() != self.program.tensors[input_t].len {
            return Err(GpuError::Failed(format!(
                "the input has {} values, the model takes {}",
                input.len(),
                self.program.tensors[input_t].len
            )));
        }
        scoped(&self.gpu, "running the model", || {
            self.gpu.queue.write_buffer(&self.buffers[input_t], 0, bytemuck::cast_slice(input));
            let mut encoder =
                self.gpu.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("inference") });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("network"),
                    timestamp_writes: None,
                });
                for (step, group) in self.program.steps.iter().zip(&self.bind_groups) {
                    pass.set_pipeline(&self.pipelines[&Kernel::of(&step.params)]);
                    pass.set_bind_group(0, group, &[]);
                    let [x, y, z] = workgroups(&step.params);
                    pass.dispatch_workgroups(x, y, z);
                }
            }
            for ((t, _), staging) in self.program.outputs.iter().zip(&self.staging) {
                encoder.copy_buffer_to_buffer(&self.buffers[*t], 0, staging, 0, bytes(self.program.tensors[*t].len));
            }
            self.gpu.queue.submit([encoder.finish()]);
        })
        .await?;
        let mut outputs = Vec::with_capacity(self.staging.len());
        for ((t, shape), staging) in self.program.outputs.iter().zip(&self.staging) {
            let data = self.read(staging, self.program.tensors[*t].len).await?;
            outputs.push(Output { shape: shape.clone(), data });
        }
        Ok(outputs)
    }

    /// Maps a readback buffer and copies its bytes out.
    async fn read_bytes(&self, buffer: &wgpu::Buffer) -> Result<Vec<u8>, GpuError> {
        let (tx, rx) = futures_channel::oneshot::channel();
        buffer.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.gpu
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Failed(format!("waiting for the GPU: {e}")))?;
        let mapped = rx.await.map_err(|_| GpuError::Lost("the readback was dropped".into()))?;
        mapped.map_err(|e| {
            self.gpu.check_lost().err().unwrap_or_else(|| GpuError::Failed(format!("reading back: {e}")))
        })?;
        let data = buffer.get_mapped_range(..).map_err(|e| GpuError::Failed(format!("reading back: {e}")))?.to_vec();
        buffer.unmap();
        Ok(data)
    }

    /// GPU time of every step, in its order: one compute pass per step with timestamps at its
    /// start and end (the `timestamp-query` feature). `None` where the adapter has no timestamps.
    pub async fn profile(&self, input: &[f32]) -> Result<Option<Vec<StepTime>>, GpuError> {
        if !self.gpu.device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
            return Ok(None);
        }
        self.run(input).await?;
        let steps = &self.program.steps;
        let count = (steps.len() * 2) as u32;
        let device = &self.gpu.device;
        let (set, resolve, readback) = scoped(&self.gpu, "profiling the model", || {
            let set = device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("steps"),
                ty: wgpu::QueryType::Timestamp,
                count,
            });
            let size = count as u64 * 8;
            let resolve = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("timestamps"),
                size,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            let readback = device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("timestamps readback"),
                size,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            });
            let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("profile") });
            for (i, (step, group)) in steps.iter().zip(&self.bind_groups).enumerate() {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some(&step.label),
                    timestamp_writes: Some(wgpu::ComputePassTimestampWrites {
                        query_set: &set,
                        beginning_of_pass_write_index: Some(2 * i as u32),
                        end_of_pass_write_index: Some(2 * i as u32 + 1),
                    }),
                });
                pass.set_pipeline(&self.pipelines[&Kernel::of(&step.params)]);
                pass.set_bind_group(0, group, &[]);
                let [x, y, z] = workgroups(&step.params);
                pass.dispatch_workgroups(x, y, z);
            }
            encoder.resolve_query_set(&set, 0..count, &resolve, 0);
            encoder.copy_buffer_to_buffer(&resolve, 0, &readback, 0, size);
            self.gpu.queue.submit([encoder.finish()]);
            (set, resolve, readback)
        })
        .await?;
        let bytes = self.read_bytes(&readback).await?;
        drop((set, resolve));
        let period = self.gpu.queue.get_timestamp_period() as f64;
        let ticks: Vec<u64> =
            bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
        Ok(Some(
            steps
                .iter()
                .enumerate()
                .map(|(i, s)| StepTime {
                    label: s.label.clone(),
                    kernel: Kernel::of(&s.params),
                    ms: ticks[2 * i + 1].saturating_sub(ticks[2 * i]) as f64 * period / 1e6,
                    macs: s.macs,
                })
                .collect(),
        ))
    }

    /// Maps a readback buffer and copies its values out.
    async fn read(&self, buffer: &wgpu::Buffer, len: usize) -> Result<Vec<f32>, GpuError> {
        let bytes = self.read_bytes(buffer).await?;
        Ok(bytes.chunks_exact(4).take(len).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
    }

    /// Releases the device and every buffer at once (`model.free()`); later runs fail with
    /// [`GpuError::Lost`].
    pub fn destroy(&self) {
        for b in self.buffers.iter().chain(&self.staging) {
            b.destroy();
        }
        self.gpu.destroy();
    }
}

impl Drop for GpuProgram {
    fn drop(&mut self) {
        self.destroy();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wide_gemm_is_the_gemm_with_its_other_tile() {
        let (wide, _) = source(Kernel::GemmWide);
        let (gemm, _) = source(Kernel::Gemm);
        assert!(wide.contains("const WX: u32 = 32u;\nconst WY: u32 = 8u;"), "the tile lines of gemm.wgsl changed");
        // Workgroup memory: 16 k × (WX + WY) vec4 = 16 · (WX + WY) · 16 bytes of tiles and
        // 2 × 16 vec3 (16-byte stride) of im2col taps, within WebGPU's default 16384-byte limit
        // for both tiles (16 × 16 and 32 × 8).
        assert!(gemm.contains("var<workgroup> taps: array<array<vec3<i32>, 16>, 2>;"));
        for (wx, wy) in [(16, 16), (32, 8)] {
            assert!(16 * (wx + wy) * 16 + 2 * 16 * 16 <= 16384, "{wx}×{wy}");
            assert_eq!(wx * wy, 256);
        }
        assert!(!wide.contains("const WX: u32 = 16u;") && gemm.contains("const WX: u32 = 16u;\nconst WY: u32 = 16u;"));
    }
}
