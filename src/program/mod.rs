//! Our own program of steps: what tract's decluttered graph becomes once [`lower`]ed, run by the
//! WebGPU executor (`crate::gpu`) and, as issue 23 goes on, by the CPU executor. It names no
//! device: each step is a kernel family's typed parameters ([`Params`]) over planned tensors, so
//! a program is built and checked before any device is asked for, and each executor picks its
//! own tiles and dispatch shapes (the GPU's workgroups live in `gpu::kernel`).

pub mod fuse;
pub mod lower;
pub mod params;

pub use lower::{lower, Unsupported};
pub use params::Params;
use std::sync::Arc;
use tract_onnx::prelude::Tensor;

/// Index of a tensor in [`Program::tensors`].
pub type TensorId = usize;

/// Where a tensor's values come from.
#[derive(Debug, Clone)]
pub enum TensorKind {
    /// The image input, written before each run.
    Input,
    /// A weight or other constant, uploaded once at load.
    Const(Arc<Tensor>),
    /// A value computed by a step; shares a pooled buffer with others not live at once.
    Intermediate,
    /// A stand-in for an absent optional input (a bias-less convolution): one zero.
    Dummy,
}

/// A constant's values (the lowering admits only f32 constants), for an executor to upload or
/// copy once at load.
pub fn const_values(k: &Tensor) -> std::result::Result<&[f32], String> {
    k.try_as_plain_ram()
        .and_then(|v| v.as_slice::<f32>())
        .map_err(|e| format!("a weight tensor is not f32 values: {e}"))
}

/// One tensor: its length in `f32` values and where it comes from.
#[derive(Debug, Clone)]
pub struct TensorInfo {
    /// Number of `f32` values.
    pub len: usize,
    /// Where its values come from.
    pub kind: TensorKind,
}

/// One step: a kernel family run over bound tensors.
#[derive(Debug, Clone)]
pub struct Step {
    /// The kernel family's typed parameters (the variant says which family runs).
    pub params: Params,
    /// Bound tensors in binding order: inputs, then the output last.
    pub tensors: Vec<TensorId>,
    /// The tract node this step comes from (and what it fused), for profiles and errors.
    pub label: String,
    /// Multiply-adds done, for GFLOP/s in the benchmark (0 where it is not a product).
    pub macs: u64,
}

/// A lowered graph: tensors, steps in execution order, and which tensors are the outputs.
#[derive(Debug, Clone)]
pub struct Program {
    /// All tensors.
    pub tensors: Vec<TensorInfo>,
    /// Dispatches, in order.
    pub steps: Vec<Step>,
    /// The image input tensor and its shape.
    pub input: (TensorId, Vec<usize>),
    /// The graph outputs, in graph order, with their shapes.
    pub outputs: Vec<(TensorId, Vec<usize>)>,
}

/// Tensors that must own a buffer of their own across the whole run (input, outputs,
/// constants), and a buffer assignment for the rest: each intermediate gets a pooled slot that no
/// other tensor live at the same step uses; a step's output never shares a slot with its inputs.
/// Returns, per tensor, its slot and the slot sizes (in `f32` values).
pub fn plan_buffers(program: &Program) -> (Vec<Option<usize>>, Vec<usize>) {
    let n = program.tensors.len();
    let mut last_use = vec![None::<usize>; n];
    for (i, step) in program.steps.iter().enumerate() {
        for &t in &step.tensors {
            last_use[t] = Some(i);
        }
    }
    let pinned: std::collections::HashSet<TensorId> = program.outputs.iter().map(|o| o.0).collect();
    let mut slot_of = vec![None; n];
    let mut sizes: Vec<usize> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    for (i, step) in program.steps.iter().enumerate() {
        let (inputs, output) = step.tensors.split_at(step.tensors.len() - 1);
        let out = output[0];
        if matches!(program.tensors[out].kind, TensorKind::Intermediate)
            && !pinned.contains(&out)
            && slot_of[out].is_none()
        {
            let len = program.tensors[out].len.max(1);
            // Best fit among free slots; else grow the largest free one; else a new slot.
            let pick = free
                .iter()
                .enumerate()
                .filter(|(_, &s)| sizes[s] >= len)
                .min_by_key(|(_, &s)| sizes[s])
                .map(|(k, _)| k)
                .or_else(|| (!free.is_empty()).then(|| (0..free.len()).max_by_key(|&k| sizes[free[k]]).unwrap_or(0)));
            let slot = match pick {
                Some(k) => free.swap_remove(k),
                None => {
                    sizes.push(0);
                    sizes.len() - 1
                }
            };
            sizes[slot] = sizes[slot].max(len);
            slot_of[out] = Some(slot);
        }
        for &t in inputs.iter().chain(std::iter::once(&out)) {
            if last_use[t] == Some(i) {
                if let Some(s) = slot_of[t] {
                    if !free.contains(&s) {
                        free.push(s);
                    }
                }
            }
        }
    }
    (slot_of, sizes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(tensors: Vec<TensorId>) -> Step {
        let params = Params::Unary(Default::default());
        Step { params, tensors, label: String::new(), macs: 0 }
    }

    #[test]
    fn live_tensors_never_share_a_slot() {
        let t = |len| TensorInfo { len, kind: TensorKind::Intermediate };
        // 0 input → 1 → 2 → 3 (output), and 1 is read again by the last step.
        let program = Program {
            tensors: vec![TensorInfo { len: 4, kind: TensorKind::Input }, t(8), t(16), t(8)],
            steps: vec![step(vec![0, 1]), step(vec![1, 2]), step(vec![2, 1, 3])],
            input: (0, vec![4]),
            outputs: vec![(3, vec![8])],
        };
        let (slots, sizes) = plan_buffers(&program);
        assert_eq!(slots[0], None);
        assert_eq!(slots[3], None, "outputs own their buffer");
        let (a, b) = (slots[1].unwrap(), slots[2].unwrap());
        assert_ne!(a, b, "1 is live while 2 is written");
        assert!(sizes[a] >= 8 && sizes[b] >= 16);
    }

    #[test]
    fn a_slot_is_reused_once_its_tensor_is_dead() {
        let t = |len| TensorInfo { len, kind: TensorKind::Intermediate };
        let program = Program {
            tensors: vec![TensorInfo { len: 4, kind: TensorKind::Input }, t(8), t(8), t(8), t(8)],
            steps: vec![step(vec![0, 1]), step(vec![1, 2]), step(vec![2, 3]), step(vec![3, 4])],
            input: (0, vec![4]),
            outputs: vec![(4, vec![8])],
        };
        let (slots, sizes) = plan_buffers(&program);
        assert_eq!(sizes.len(), 2, "a chain needs two slots: {slots:?}");
        assert_eq!(slots[1], slots[3]);
    }
}
