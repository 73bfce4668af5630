//! From a decluttered tract graph to a [`Program`]: one or more kernel dispatches per node, with
//! a convolution's or matrix product's bias `Add` and its SiLU / sigmoid fused into it.
//!
//! The graph level is tract's *decluttered* one (`into_decluttered`), not the optimised one the
//! CPU runs: optimisation lowers ops into CPU-specific forms (im2col + packed matrix products,
//! fused element-wise chains over packed panels) that mean nothing on a GPU, while the decluttered
//! ops (`Conv`, `EinSum`, `MaxPool`, `TypedBinOp`, …) are the op families a GPU kernel wants.
//! A node we do not cover makes [`lower`] fail with the reason; the caller then runs the whole
//! model on tract's plan (no per-op round trips).

mod conv;
mod einsum;
mod elementwise;
mod layout;

use super::params::{
    Act, BinaryParams, ConvDirectParams, CopyParams, GemmParams, MaxPoolParams, Params, ReduceParams, SoftmaxParams,
    UnaryParams, MAX_RANK,
};
use super::{Program, Step, TensorId, TensorInfo, TensorKind};
use std::collections::HashMap;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::array::{Slice, TypedConcat};
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::change_axes::AxisOp;
use tract_onnx::tract_core::ops::cnn::{Conv, Deconv, KernelFormat, MaxPool, PaddingSpec, PoolSpec};
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::element_wise::ElementWiseOp;
use tract_onnx::tract_core::ops::konst::Const;
use tract_onnx::tract_core::ops::nn::{DataFormat, NearestUpsample, Reduce, Reducer, Softmax, SoftmaxKind};
use tract_onnx::tract_core::ops::source::TypedSource;
use tract_onnx::tract_core::ops::Downsample;

/// Why a graph cannot become a [`Program`]: the node and what about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unsupported {}

type Lowered<T> = std::result::Result<T, Unsupported>;

fn unsupported<T>(node: &TypedNode, why: impl std::fmt::Display) -> Lowered<T> {
    Err(Unsupported(format!("{} `{}`: {why}", node.op.name(), node.name)))
}

/// Row-major strides of `shape`.
fn strides_of(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// A size, stride or offset as a parameter field: sizes past 32 bits do not run on the GPU.
fn u(x: usize) -> Lowered<u32> {
    u32::try_from(x).map_err(|_| Unsupported(format!("a size or offset of {x} exceeds 32 bits")))
}

/// Per-axis values (at most [`MAX_RANK`]) as a parameter array, padded with `fill`.
fn axes(v: &[usize], fill: usize) -> Lowered<[u32; MAX_RANK]> {
    if v.len() > MAX_RANK {
        return Err(Unsupported(format!("a rank-{} tensor (at most {MAX_RANK})", v.len())));
    }
    let mut out = [u(fill)?; MAX_RANK];
    for (o, &x) in out.iter_mut().zip(v) {
        *o = u(x)?;
    }
    Ok(out)
}

/// Merges adjacent axes that every operand steps through contiguously (outer stride = inner
/// stride × inner size, a broadcast 0 = 0 too), so the kernels decompose fewer coordinates:
/// `[128, 40, 40] + [128, 1, 1]` becomes `[128, 1600]`. `strides[t][d]` is operand `t`'s stride
/// of axis `d`; `divisors` (a copy's) must be 1 on both merged axes.
fn collapse(shape: &[usize], strides: &[Vec<usize>], divisors: Option<&[usize]>) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut out_shape: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<usize>> = vec![Vec::new(); strides.len()];
    for d in 0..shape.len() {
        if shape[d] == 1 && shape.len() > 1 {
            continue;
        }
        let merge = !out_shape.is_empty()
            && divisors.is_none_or(|v| v[d] == 1)
            && strides.iter().zip(&out_strides).all(|(s, o)| o[o.len() - 1] == s[d] * shape[d]);
        if merge {
            let last = out_shape.len() - 1;
            out_shape[last] *= shape[d];
            for (s, o) in strides.iter().zip(out_strides.iter_mut()) {
                o[last] = s[d];
            }
        } else {
            out_shape.push(shape[d]);
            for (s, o) in strides.iter().zip(out_strides.iter_mut()) {
                o.push(s[d]);
            }
        }
    }
    if out_shape.is_empty() {
        return (vec![1], strides.iter().map(|_| vec![0]).collect());
    }
    (out_shape, out_strides)
}

/// The lowering state: tensors so far and the tract outlet each value lives in.
struct Lowering<'m> {
    model: &'m TypedModel,
    tensors: Vec<TensorInfo>,
    steps: Vec<Step>,
    values: HashMap<OutletId, TensorId>,
    dummy: Option<TensorId>,
    outputs: std::collections::HashSet<OutletId>,
    /// Nodes swallowed by a fused epilogue.
    fused: std::collections::HashSet<usize>,
}

impl<'m> Lowering<'m> {
    fn shape(&self, outlet: OutletId) -> Lowered<Vec<usize>> {
        let fact = self.model.outlet_fact(outlet).map_err(|e| Unsupported(e.to_string()))?;
        if fact.datum_type != f32::datum_type() {
            return Err(Unsupported(format!("a tensor of {:?} (only f32 runs on the GPU)", fact.datum_type)));
        }
        let shape =
            fact.shape.as_concrete().ok_or_else(|| Unsupported(format!("a symbolic shape {:?}", fact.shape)))?;
        if shape.len() > MAX_RANK {
            return Err(Unsupported(format!("a rank-{} tensor (at most {MAX_RANK})", shape.len())));
        }
        Ok(shape.to_vec())
    }

    fn konst(&self, outlet: OutletId) -> Option<Arc<Tensor>> {
        self.model.outlet_fact(outlet).ok().and_then(|f| f.konst.clone())
    }

    fn new_tensor(&mut self, len: usize, kind: TensorKind) -> TensorId {
        self.tensors.push(TensorInfo { len, kind });
        self.tensors.len() - 1
    }

    /// The tensor holding `outlet`'s value: a constant is uploaded the first time it is used.
    fn input(&mut self, node: &TypedNode, slot: usize) -> Lowered<TensorId> {
        let outlet = node.inputs[slot];
        if let Some(&t) = self.values.get(&outlet) {
            return Ok(t);
        }
        match self.konst(outlet) {
            Some(k) => {
                if k.datum_type() != f32::datum_type() {
                    return unsupported(node, format!("input {slot} is a {:?} constant", k.datum_type()));
                }
                let t = self.new_tensor(k.len(), TensorKind::Const(k));
                self.values.insert(outlet, t);
                Ok(t)
            }
            None => unsupported(node, format!("input {slot} has no value on the GPU")),
        }
    }

    fn dummy(&mut self) -> TensorId {
        if let Some(d) = self.dummy {
            return d;
        }
        let d = self.new_tensor(1, TensorKind::Dummy);
        self.dummy = Some(d);
        d
    }

    fn output(&mut self, node: &TypedNode) -> Lowered<(TensorId, Vec<usize>)> {
        let shape = self.shape(OutletId::new(node.id, 0)).or_else(|e| unsupported(node, e))?;
        let t = self.new_tensor(shape.iter().product(), TensorKind::Intermediate);
        self.values.insert(OutletId::new(node.id, 0), t);
        Ok((t, shape))
    }

    /// Every step binds as many tensors as its kernel reads (its parameters are typed: they
    /// cannot be short).
    fn check_steps(&self) -> Lowered<()> {
        for s in &self.steps {
            if s.tensors.len() != s.params.tensor_count() {
                return Err(Unsupported(format!(
                    "internal: step `{}` gives {} {} tensors",
                    s.label,
                    s.params.family(),
                    s.tensors.len()
                )));
            }
        }
        Ok(())
    }

    fn push(&mut self, params: Params, tensors: Vec<TensorId>, label: &str, macs: u64) {
        self.steps.push(Step { params, tensors, label: label.to_string(), macs });
    }

    /// A batched product step.
    fn push_gemm(
        &mut self,
        params: GemmParams,
        batch: usize,
        tensors: Vec<TensorId>,
        label: &str,
        macs: u64,
    ) -> Lowered<()> {
        let params = GemmParams { batches: u(batch)?, ..params };
        self.push(Params::Gemm(params), tensors, label, macs);
        Ok(())
    }

    /// The single consumer of `node`'s output when there is exactly one and the output is not
    /// a graph output (so a fused op may swallow it).
    fn sole_successor(&self, node: &TypedNode) -> Option<&'m TypedNode> {
        let outlet = OutletId::new(node.id, 0);
        if self.outputs.contains(&outlet) || node.outputs.len() != 1 {
            return None;
        }
        match node.outputs[0].successors.as_slice() {
            [inlet] => Some(self.model.node(inlet.node)),
            _ => None,
        }
    }

    /// A `+ bias` following a product, when the bias is a constant varying only along output
    /// axis `axis` (length `len`): returns the Add node and the bias values.
    fn fusable_bias(&self, node: &TypedNode, axis: usize, len: usize) -> Option<(&'m TypedNode, Arc<Tensor>)> {
        let next = self.sole_successor(node)?;
        let bin = next.op_as::<TypedBinOp>()?;
        if bin.0.name() != "Add" {
            return None;
        }
        let mine = OutletId::new(node.id, 0);
        let other = *next.inputs.iter().find(|&&i| i != mine)?;
        let k = self.konst(other)?;
        let rank = self.model.outlet_fact(mine).ok()?.rank();
        if k.datum_type() != f32::datum_type() || k.rank() > rank || k.len() != len {
            return None;
        }
        // Right-aligned against the output: every axis but `axis` has size one.
        let offset = rank - k.rank();
        let only_axis = k.shape().iter().enumerate().all(|(i, &d)| d == 1 || i + offset == axis);
        (only_axis && (len == 1 || k.shape().get(axis.wrapping_sub(offset)) == Some(&len))).then_some((next, k))
    }

    /// A SiLU or sigmoid following `node`.
    fn fusable_act(&self, node: &TypedNode) -> Option<(&'m TypedNode, Act)> {
        let next = self.sole_successor(node)?;
        let ew = next.op_as::<ElementWiseOp>()?;
        match ew.0.name().as_ref() {
            "Silu" => Some((next, Act::Silu)),
            "Sigmoid" => Some((next, Act::Sigmoid)),
            _ => None,
        }
    }

    /// Fuses the bias Add and the activation that follow `node`. `bias` is the op's own bias
    /// (a convolution's, along candidate 0); without one, an Add of a constant varying only along
    /// one of the candidate output axes `(axis, length)` is fused. Returns the bias tensor and
    /// the index of its candidate (if any), the activation, the last fused node (whose output the
    /// step writes) and a label; fused nodes are marked so they are not lowered again.
    fn epilogue(
        &mut self,
        node: &'m TypedNode,
        bias: Option<TensorId>,
        candidates: &[(usize, usize)],
    ) -> (Option<(TensorId, usize)>, Act, &'m TypedNode, String) {
        let mut last = node;
        let mut label = node.name.clone();
        let mut bias = bias.map(|t| (t, 0));
        if bias.is_none() {
            if let Some((i, (add, k))) = candidates
                .iter()
                .enumerate()
                .find_map(|(i, &(axis, len))| Some((i, self.fusable_bias(node, axis, len)?)))
            {
                let t = self.new_tensor(k.len(), TensorKind::Const(k));
                bias = Some((t, i));
                last = add;
                self.fused.insert(add.id);
                label.push_str(" +bias");
            }
        }
        let mut act = Act::None;
        if let Some((n, a)) = self.fusable_act(last) {
            act = a;
            last = n;
            self.fused.insert(n.id);
            label.push_str(if a == Act::Silu { " +silu" } else { " +sigmoid" });
        }
        (bias, act, last, label)
    }

    /// Registers `tensor` as the value of `last`'s output (the end of a fused chain).
    fn bind_output(&mut self, last: &TypedNode, tensor: TensorId) {
        self.values.insert(OutletId::new(last.id, 0), tensor);
    }

    fn lower_node(&mut self, node: &'m TypedNode) -> Lowered<()> {
        let op = &node.op;
        if op.is::<TypedSource>() || op.is::<Const>() {
            return Ok(());
        }
        if let Some(conv) = op.downcast_ref::<Conv>() {
            return self.conv(node, conv);
        }
        if let Some(deconv) = op.downcast_ref::<Deconv>() {
            return self.deconv(node, deconv);
        }
        if let Some(e) = op.downcast_ref::<EinSum>() {
            return self.einsum(node, e);
        }
        if let Some(b) = op.downcast_ref::<TypedBinOp>() {
            return self.binary(node, b.0.name());
        }
        if let Some(e) = op.downcast_ref::<ElementWiseOp>() {
            return self.unary(node, &e.0.name());
        }
        if let Some(p) = op.downcast_ref::<MaxPool>() {
            if p.with_index_outputs.is_some() {
                return unsupported(node, "max pool with index outputs");
            }
            return self.maxpool(node, &p.pool_spec);
        }
        if let Some(s) = op.downcast_ref::<Softmax>() {
            if s.kind != SoftmaxKind::Softmax || s.quant_output_dt.is_some() {
                return unsupported(node, "only a plain float softmax is lowered");
            }
            return self.softmax(node, &s.axes);
        }
        if let Some(r) = op.downcast_ref::<Reduce>() {
            return self.reduce(node, &r.axes, &r.reducer);
        }
        if let Some(c) = op.downcast_ref::<TypedConcat>() {
            return self.concat(node, c.axis);
        }
        if let Some(s) = op.downcast_ref::<Slice>() {
            let bound = |d: &TDim| d.to_i64().ok().and_then(|v| usize::try_from(v).ok());
            let (Some(start), Some(end)) = (bound(&s.start), bound(&s.end)) else {
                return unsupported(node, "a symbolic slice");
            };
            return self.slice(node, s.axis, start, end);
        }
        if let Some(u) = op.downcast_ref::<NearestUpsample>() {
            return self.upsample(node, &u.scales);
        }
        if let Some(a) = op.downcast_ref::<AxisOp>() {
            return self.axis_op(node, a);
        }
        if let Some(d) = op.downcast_ref::<Downsample>() {
            return self.downsample(node, d);
        }
        unsupported(node, "our program has no kernel for this op")
    }
}

/// Lowers a decluttered graph with fully concrete shapes, then fuses element-wise steps into the
/// products before them (`super::fuse`), or says which node cannot run.
pub fn lower(model: &TypedModel) -> std::result::Result<Program, Unsupported> {
    let [input] = model.inputs.as_slice() else {
        return Err(Unsupported(format!("{} inputs (one image input expected)", model.inputs.len())));
    };
    let outputs: std::collections::HashSet<OutletId> = model.outputs.iter().copied().collect();
    let mut l = Lowering {
        model,
        tensors: Vec::new(),
        steps: Vec::new(),
        values: HashMap::new(),
        dummy: None,
        outputs,
        fused: Default::default(),
    };
    let input_shape = l.shape(*input)?;
    let input_t = l.new_tensor(input_shape.iter().product(), TensorKind::Input);
    l.values.insert(*input, input_t);
    let order = model.eval_order().map_err(|e| Unsupported(e.to_string()))?;
    for id in order {
        if !l.fused.contains(&id) {
            l.lower_node(model.node(id))?;
        }
    }
    l.check_steps()?;
    let mut outs = Vec::new();
    for o in &model.outputs {
        let t = *l.values.get(o).ok_or_else(|| Unsupported(format!("output {o:?} is not computed on the GPU")))?;
        if !matches!(l.tensors[t].kind, TensorKind::Intermediate) {
            return Err(Unsupported(format!("output {o:?} is a constant or the input")));
        }
        outs.push((t, l.shape(*o)?));
    }
    let mut program = Program { tensors: l.tensors, steps: l.steps, input: (input_t, input_shape), outputs: outs };
    super::fuse::fuse(&mut program);
    Ok(program)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_axes_merge_and_broadcast_axes_stay() {
        // [128, 40, 40] + [128, 1, 1]: the image axes merge, the channel stays apart.
        let (shape, st) = collapse(&[128, 40, 40], &[vec![1600, 40, 1], vec![1, 0, 0]], None);
        assert_eq!(shape, vec![128, 1600]);
        assert_eq!(st, vec![vec![1600, 1], vec![1, 0]]);
        // Same shapes: one flat axis.
        let (shape, st) = collapse(&[2, 3, 4], &[vec![12, 4, 1], vec![12, 4, 1]], None);
        assert_eq!((shape, st), (vec![24], vec![vec![1], vec![1]]));
        // A transpose does not merge; size-one axes vanish; a scalar keeps one axis.
        let (shape, _) = collapse(&[3, 1, 4], &[vec![1, 0, 3], vec![4, 4, 1]], None);
        assert_eq!(shape, vec![3, 4]);
        assert_eq!(collapse(&[1, 1], &[vec![1, 1]], None).0, vec![1]);
    }
}
