//! The CPU executor of our own program (issue 23): it runs the very [`Program`] the WebGPU
//! executor runs — tract still loads, types and declutters the ONNX graph, `crate::program`
//! lowers it — over buffers planned once by liveness ([`plan_buffers`]).
//!
//! Kernels: products ([`gemm`]) run on SIMD micro-kernels over weights packed at load
//! ([`microkernel`], [`pack`]), their columns split over the pool tract's plan uses
//! ([`parallel`]); grouped and depthwise convolutions row by row or pixel by pixel ([`direct`]);
//! activations through a vectorised `exp` ([`activation`]); copies and broadcasting arithmetic
//! row by row ([`strided`]); the other families, and the cases the tuned kernels do not take, on
//! the scalar references of [`reference`] (what each WGSL kernel computes, in plain loops), which
//! the tuned kernels are tested against. Still to come (DESIGN.md "Our own CPU executor"):
//! channels-last activations, the indirect k×k product, concat in place.

mod activation;
mod bounds;
mod direct;
mod gemm;
mod lanes;
mod microkernel;
mod pack;
mod parallel;
pub(crate) mod reference;
mod strided;

use crate::error::Error;
use crate::model::Output;
use crate::program::params::{Act, GemmParams, UnaryParams};
use crate::program::{const_values, plan_buffers, Params, Program, TensorKind};
use microkernel::Microkernel;

/// A program ready to run on the CPU: constants unpacked once, every buffer allocated once.
#[derive(Debug)]
pub struct CpuProgram {
    program: Program,
    /// Per tensor: the index of its buffer in `buffers` (pooled intermediates share one).
    buffer_of: Vec<usize>,
    /// The buffers: pooled slots, then one per tensor that owns its own.
    buffers: Vec<Vec<f32>>,
    /// The products' micro-kernel on this machine.
    kernel: Microkernel,
    /// Per step: a product's A packed at load (when A is a constant).
    packed_a: Vec<Option<Vec<f32>>>,
    /// Buffers the kernels reuse from step to step.
    scratch: Scratch,
    /// False: every step on the scalar references ([`Kernels::Reference`]).
    tuned: bool,
}

/// Which kernels a [`CpuProgram`] runs: the tuned ones (the default), or for tests the
/// references or the portable micro-kernel on any machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// The fastest this machine has.
    Best,
    /// The tuned kernels with the portable micro-kernel (what machines without AVX2 run).
    Portable,
    /// Every step on the scalar reference of its family.
    Reference,
}

/// Buffers the tuned kernels reuse from step to step.
#[derive(Debug, Default)]
struct Scratch {
    /// The products' packed blocks and tile.
    gemm: gemm::Scratch,
    /// One output row (or pixel) of a direct convolution.
    row: Vec<f32>,
    /// A depthwise convolution's weights, transposed.
    weights: Vec<f32>,
    /// A softmax's running maxima and sums.
    lanes: Vec<f32>,
}

impl CpuProgram {
    /// Checks every step against the tensors it binds, unpacks the constants and allocates the
    /// buffers. A step whose parameters reach past a tensor fails here, with the step's label.
    pub fn new(program: Program) -> Result<CpuProgram, Error> {
        CpuProgram::with_kernels(program, Kernels::Best)
    }

    /// [`CpuProgram::new`] on the given kernels.
    pub fn with_kernels(program: Program, kernels: Kernels) -> Result<CpuProgram, Error> {
        let (slots, sizes) = plan_buffers(&program);
        let mut buffers: Vec<Vec<f32>> = sizes.iter().map(|&len| vec![0.0; len]).collect();
        let mut buffer_of = Vec::with_capacity(program.tensors.len());
        for (t, info) in program.tensors.iter().enumerate() {
            if let Some(slot) = slots[t] {
                buffer_of.push(slot);
                continue;
            }
            let values = match &info.kind {
                TensorKind::Const(k) => const_values(k).map_err(Error::Inference)?.to_vec(),
                TensorKind::Dummy => vec![0.0],
                TensorKind::Input | TensorKind::Intermediate => vec![0.0; info.len],
            };
            buffer_of.push(buffers.len());
            buffers.push(values);
        }
        for step in &program.steps {
            let extents = bounds::extents(&step.params)
                .map_err(|e| Error::Inference(format!("step `{}` ({}): {e}", step.label, step.params.family())))?;
            if extents.len() != step.tensors.len() {
                return Err(Error::Inference(format!(
                    "step `{}` binds {} tensors, its kernel {}",
                    step.label,
                    step.tensors.len(),
                    extents.len()
                )));
            }
            for (&t, &extent) in step.tensors.iter().zip(&extents) {
                if t >= program.tensors.len() {
                    return Err(Error::Inference(format!(
                        "step `{}` binds tensor {t}, which does not exist",
                        step.label
                    )));
                }
                let have = buffers[buffer_of[t]].len();
                if extent > have {
                    return Err(Error::Inference(format!(
                        "step `{}` ({}) reaches value {extent} of a tensor of {have}",
                        step.label,
                        step.params.family()
                    )));
                }
            }
        }
        let kernel = if kernels == Kernels::Best { Microkernel::best() } else { Microkernel::portable() };
        let tuned = kernels != Kernels::Reference;
        let packed_a = program
            .steps
            .iter()
            .map(|step| match (&step.params, step.tensors.first()) {
                (Params::Gemm(p), Some(&a)) if tuned && matches!(program.tensors[a].kind, TensorKind::Const(_)) => {
                    Some(gemm::prepack_a(p, &buffers[buffer_of[a]], &kernel))
                }
                _ => None,
            })
            .collect();
        Ok(CpuProgram { program, buffer_of, buffers, kernel, packed_a, scratch: Scratch::default(), tuned })
    }

    /// The products' micro-kernel on this machine (its name and tile), for profiles.
    pub fn kernel_name(&self) -> &'static str {
        self.kernel.name
    }

    /// The program this runs.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Runs the program on one input (its values row-major, as many as the model takes) and
    /// returns the outputs in graph order.
    pub fn run(&mut self, input: &[f32]) -> Result<Vec<Output>, Error> {
        self.execute(input, None)?;
        Ok(self.outputs())
    }

    /// Runs the program once and times every step (wall clock on this thread), for finding the
    /// slow families (`cargo run --release --example cpu_profile`).
    pub fn profile(&mut self, input: &[f32]) -> Result<Vec<CpuStepTime>, Error> {
        let mut ms = vec![0.0; self.program.steps.len()];
        self.execute(input, Some(&mut ms))?;
        Ok(self
            .program
            .steps
            .iter()
            .zip(ms)
            .map(|(s, ms)| CpuStepTime { label: s.label.clone(), family: s.params.family(), ms, macs: s.macs })
            .collect())
    }

    /// Writes the input and runs every step in order; with `ms`, times each step into it (the
    /// clock is read only when profiling: in wasm each reading is a call into JS).
    fn execute(&mut self, input: &[f32], mut ms: Option<&mut [f64]>) -> Result<(), Error> {
        let (input_t, _) = self.program.input;
        let inp = &mut self.buffers[self.buffer_of[input_t]];
        if input.len() != inp.len() {
            return Err(Error::Inference(format!(
                "the input has {} values, the model takes {}",
                input.len(),
                inp.len()
            )));
        }
        inp.copy_from_slice(input);
        clear_upper_simd_state();
        for (i, step) in self.program.steps.iter().enumerate() {
            let Some((&out_t, inputs)) = step.tensors.split_last() else { continue };
            let started = ms.is_some().then(web_time::Instant::now);
            // The output's buffer is taken out for the step (the plan never gives an output
            // the buffer of one of its step's inputs), then put back.
            let out_b = self.buffer_of[out_t];
            let mut out = std::mem::take(&mut self.buffers[out_b]);
            let ins: Vec<&[f32]> = inputs.iter().map(|&t| self.buffers[self.buffer_of[t]].as_slice()).collect();
            let tuned = Tuned { kernel: &self.kernel, packed_a: self.packed_a[i].as_deref() };
            if self.tuned {
                run_step(&step.params, &ins, &mut out, &tuned, &mut self.scratch);
            } else {
                reference::run_step(&step.params, &ins, &mut out);
            }
            self.buffers[out_b] = out;
            if let (Some(ms), Some(started)) = (ms.as_deref_mut(), started) {
                ms[i] = started.elapsed().as_secs_f64() * 1e3;
            }
        }
        Ok(())
    }

    /// The program's outputs after a run, in graph order.
    fn outputs(&self) -> Vec<Output> {
        self.program
            .outputs
            .iter()
            .map(|(t, shape)| Output { shape: shape.clone(), data: self.buffers[self.buffer_of[*t]].clone() })
            .collect()
    }
}

/// One step's time in a [`CpuProgram::profile`].
#[derive(Debug, Clone)]
pub struct CpuStepTime {
    /// The tract node (and what was fused into it).
    pub label: String,
    /// The kernel family (`gemm`, `conv_direct`, …).
    pub family: &'static str,
    /// Milliseconds, wall clock.
    pub ms: f64,
    /// Multiply-adds (0 for non-products): GFLOP/s = 2 · macs / time.
    pub macs: u64,
}

/// Clears the upper halves of the AVX registers (`vzeroupper`) when this CPU has AVX. tract's
/// AVX kernels return with them dirty, and on the machines we measure every later SSE
/// instruction (the rest of the crate is built for baseline x86-64) then pays a transition
/// penalty: our CPU program ran 3.5 s instead of 0.8 s after one run of tract's plan (our
/// pre- and post-processing measured no change: their loops are short). Called before our
/// program runs and after tract's plan; a no-op without AVX and off x86-64.
pub fn clear_upper_simd_state() {
    #[cfg(target_arch = "x86_64")]
    {
        #[target_feature(enable = "avx")]
        unsafe fn zero_upper() {
            std::arch::x86_64::_mm256_zeroupper();
        }
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has AVX (checked just above), all `vzeroupper` needs.
            unsafe { zero_upper() }
        }
    }
}

/// What the tuned kernels of one step need besides its tensors.
struct Tuned<'a> {
    kernel: &'a Microkernel,
    /// The step's A, packed at load.
    packed_a: Option<&'a [f32]>,
}

/// One step on the tuned kernels; `ins` are its input tensors in binding order. With the AVX2
/// micro-kernel, the whole step (packing, epilogue, activations, copies) is compiled for AVX2
/// and FMA too: the kernels' loops are `#[inline(always)]` into [`run_step_avx2`], so LLVM
/// vectorises them 8 wide instead of baseline x86-64's 4.
fn run_step(params: &Params, ins: &[&[f32]], out: &mut [f32], tuned: &Tuned, scratch: &mut Scratch) {
    #[cfg(target_arch = "x86_64")]
    if tuned.kernel.avx2 {
        // SAFETY: `Microkernel::best` chose the AVX2 kernel only after detecting AVX2 and FMA.
        unsafe { run_step_avx2(params, ins, out, tuned, scratch) };
        return;
    }
    run_step_tuned(params, ins, out, tuned, scratch);
}

/// [`run_step_tuned`] compiled for AVX2 and FMA.
///
/// # Safety
/// The CPU has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_step_avx2(params: &Params, ins: &[&[f32]], out: &mut [f32], tuned: &Tuned, scratch: &mut Scratch) {
    run_step_tuned(params, ins, out, tuned, scratch);
}

/// The body of [`run_step`].
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn run_step_tuned(params: &Params, ins: &[&[f32]], out: &mut [f32], tuned: &Tuned, scratch: &mut Scratch) {
    match (params, ins) {
        (Params::Gemm(p), [a, b, bias]) if p.k > 0 && has_bias(p, bias) => {
            gemm::gemm(p, tuned.kernel, a, tuned.packed_a, b, bias, out, &mut scratch.gemm)
        }
        (Params::ConvDirect(p), [x, w, bias]) if direct::handles(p) => {
            direct::conv_direct(p, x, w, bias, out, &mut scratch.row)
        }
        (Params::ConvDirect(p), [x, w, bias]) if direct::handles_channels_last(p) => {
            direct::depthwise_channels_last(p, x, w, bias, out, &mut scratch.weights, &mut scratch.row)
        }
        (Params::Unary(p), [a]) if matches!(p.op, UnaryParams::SILU | UnaryParams::SIGMOID) => {
            let n = p.count as usize;
            out[..n].copy_from_slice(&a[..n]);
            let act = if p.op == UnaryParams::SILU { Act::Silu } else { Act::Sigmoid };
            activation::apply(act as u32, &mut out[..n]);
        }
        (Params::Softmax(p), [x]) => lanes::softmax(p, x, out, &mut scratch.lanes),
        (Params::MaxPool(p), [x]) if lanes::handles_max_pool(p) => lanes::max_pool(p, x, out),
        (Params::Binary(p), [a, b]) => strided::binary(p, a, b, out),
        (Params::Copy(p), [x]) => strided::copy(p, x, out),
        // The other families, and the cases the tuned kernels above do not take.
        _ => reference::run_step(params, ins, out),
    }
}

/// Whether a product's bias tensor holds what its mode reads (`bounds.rs` checks the same; the
/// tuned product slices it by rows and columns).
fn has_bias(p: &GemmParams, bias: &[f32]) -> bool {
    match p.bias_mode {
        GemmParams::BIAS_PER_ROW => bias.len() >= p.m as usize,
        GemmParams::BIAS_PER_COLUMN => bias.len() >= p.n as usize,
        _ => true,
    }
}
