//! From a decluttered tract graph to a [`Program`]: one or more kernel dispatches per node, with
//! a convolution's or matrix product's bias `Add` and its SiLU / sigmoid fused into it.
//!
//! The graph level is tract's *decluttered* one (`into_decluttered`), not the optimised one the
//! CPU runs: optimisation lowers ops into CPU-specific forms (im2col + packed matrix products,
//! fused element-wise chains over packed panels) that mean nothing on a GPU, while the decluttered
//! ops (`Conv`, `EinSum`, `MaxPool`, `TypedBinOp`, …) are the op families a GPU kernel wants.
//! A node we do not cover makes [`lower`] fail with the reason; the caller then runs the whole
//! model on the CPU (no per-op round trips).

use super::program::{grid, Kernel, Program, Step, TensorId, TensorInfo, TensorKind};
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

/// Highest tensor rank the strided kernels take.
const MAX_RANK: usize = 6;

/// Why a graph cannot run on the GPU: the node and what about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

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

fn words(v: &[usize]) -> Lowered<Vec<u32>> {
    v.iter()
        .map(|&x| u32::try_from(x).map_err(|_| Unsupported(format!("a size or offset of {x} exceeds 32 bits"))))
        .collect()
}

/// `v` padded with `fill` to [`MAX_RANK`] entries.
fn padded(v: &[usize], fill: usize) -> Vec<usize> {
    let mut v = v.to_vec();
    v.resize(MAX_RANK, fill);
    v
}

/// A strided copy of a region: see `copy` in `layout.wgsl`.
struct CopyParams {
    shape: Vec<usize>,
    in_off: usize,
    in_strides: Vec<usize>,
    out_off: usize,
    out_strides: Vec<usize>,
    divisors: Vec<usize>,
}

impl CopyParams {
    fn words(&self) -> Lowered<Vec<u32>> {
        let n: usize = self.shape.iter().product();
        let mut w = vec![n, self.shape.len(), self.in_off, self.out_off];
        w.extend(padded(&self.shape, 1));
        w.extend(padded(&self.in_strides, 0));
        w.extend(padded(&self.out_strides, 0));
        w.extend(padded(&self.divisors, 1));
        words(&w)
    }
}

/// A 2-D image tensor (batch of one): where its channels are and how to step through it.
struct Image {
    c_axis: usize,
    c: usize,
    hw: [usize; 2],
    /// Strides of a channel, a row and a column.
    strides: [usize; 3],
}

/// Activation fused after a product (`activate` in the WGSL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    None = 0,
    Silu = 1,
    Sigmoid = 2,
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

    /// Every step's parameter and binding counts are what its kernel reads (a short parameter
    /// buffer would be read out of bounds, which WebGPU clamps silently).
    fn check_steps(&self) -> Lowered<()> {
        for s in &self.steps {
            if s.params.len() != s.kernel.param_words() || s.tensors.len() != s.kernel.tensor_bindings() {
                return Err(Unsupported(format!(
                    "internal: step `{}` gives {:?} {} parameters and {} tensors",
                    s.label,
                    s.kernel,
                    s.params.len(),
                    s.tensors.len()
                )));
            }
        }
        Ok(())
    }

    fn push(
        &mut self,
        kernel: Kernel,
        params: Vec<u32>,
        tensors: Vec<TensorId>,
        workgroups: [u32; 3],
        label: &str,
        macs: u64,
    ) {
        self.steps.push(Step { kernel, params, tensors, workgroups, label: label.to_string(), macs });
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
    /// (a convolution's); without one, an Add of a constant varying only along output axis
    /// `bias_axis.0` (of length `bias_axis.1`) is fused. Returns the bias tensor (if any), the
    /// activation, the last fused node (whose output the step writes) and a label; fused nodes
    /// are marked so they are not lowered again.
    fn epilogue(
        &mut self,
        node: &'m TypedNode,
        bias: Option<TensorId>,
        bias_axis: Option<(usize, usize)>,
    ) -> (Option<TensorId>, Act, &'m TypedNode, String) {
        let mut last = node;
        let mut label = node.name.clone();
        let mut bias = bias;
        if let (None, Some((axis, len))) = (bias, bias_axis) {
            if let Some((add, k)) = self.fusable_bias(node, axis, len) {
                let t = self.new_tensor(k.len(), TensorKind::Const(k));
                bias = Some(t);
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
            return self.binary(node, &b.0.name());
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
                return unsupported(node, "only plain float softmax runs on the GPU");
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
        unsupported(node, "no WebGPU kernel for this op")
    }

    /// Spatial geometry shared by convolution and pooling: the input's and output's channel
    /// axis, sizes and strides (channels first or last).
    fn geometry(
        &self,
        node: &TypedNode,
        spec: &PoolSpec,
        input: &[usize],
        output: &[usize],
    ) -> Lowered<(Image, Image)> {
        let (c_axis, h_axis) = match spec.data_format {
            DataFormat::NCHW => (1, 2),
            DataFormat::CHW => (0, 1),
            DataFormat::NHWC => (3, 1),
            DataFormat::HWC => (2, 0),
        };
        if input.len() != output.len()
            || input.len() != spec.data_format.has_n() as usize + 3
            || spec.kernel_shape.len() != 2
        {
            return unsupported(node, "only 2-D images");
        }
        if spec.data_format.has_n() && input[0] != 1 {
            return unsupported(node, "a batch larger than one");
        }
        let image = |shape: &[usize]| {
            let st = strides_of(shape);
            Image {
                c_axis,
                c: shape[c_axis],
                hw: [shape[h_axis], shape[h_axis + 1]],
                strides: [st[c_axis], st[h_axis], st[h_axis + 1]],
            }
        };
        Ok((image(input), image(output)))
    }

    fn conv(&mut self, node: &'m TypedNode, conv: &Conv) -> Lowered<()> {
        if conv.q_params.is_some() {
            return unsupported(node, "a quantized convolution");
        }
        if conv.kernel_fmt != KernelFormat::OIHW {
            return unsupported(node, format!("kernel format {:?} (only OIHW)", conv.kernel_fmt));
        }
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let out_shape = self.shape(OutletId::new(node.id, 0)).or_else(|e| unsupported(node, e))?;
        let spec = &conv.pool_spec;
        let (src, dst) = self.geometry(node, spec, &in_shape, &out_shape)?;
        let ([h, w], [oh, ow], c_axis) = (src.hw, dst.hw, dst.c_axis);
        let pads = spec.computed_padding(&[h, w]);
        let (cin, cout) = (src.c, dst.c);
        let (kh, kw) = (spec.kernel_shape[0], spec.kernel_shape[1]);
        let x = self.input(node, 0)?;
        let wt = self.input(node, 1)?;
        if self.tensors[wt].len != cout * (cin / conv.group.max(1)) * kh * kw {
            return unsupported(node, "the kernel's size does not match its geometry");
        }
        let bias = if node.inputs.len() > 2 && self.konst(node.inputs[2]).is_some_and(|k| k.len() == cout) {
            Some(self.input(node, 2)?)
        } else if node.inputs.len() > 2 {
            let k = self.konst(node.inputs[2]);
            if k.as_ref().is_some_and(|k| k.len() == 1 && k.cast_to_scalar::<f32>().ok() == Some(0.0)) {
                None
            } else {
                return unsupported(node, "a bias that is not a per-channel constant");
            }
        } else {
            None
        };
        let (bias, act, last, label) = self.epilogue(node, bias, Some((c_axis, cout)));
        let (y, _) = self.output(node)?;
        self.bind_output(last, y);
        let bias_t = bias.unwrap_or_else(|| self.dummy());
        let (sh, sw) = (spec.stride(0), spec.stride(1));
        let (dh, dw) = (spec.dilation(0), spec.dilation(1));
        let (ph, pw) = (pads[0].pad_before, pads[1].pad_before);
        let k_len = (cin / conv.group) * kh * kw;
        let macs = (cout * oh * ow * k_len) as u64;
        if conv.group == 1 {
            let n = oh * ow;
            let p = [
                cout,
                n,
                k_len,
                0,
                k_len,
                1,
                0,
                0,
                0,
                0,
                dst.strides[0],
                dst.strides[2],
                usize::from(bias.is_some()),
                act as usize,
                1,
                cin,
                h,
                w,
                kh,
                kw,
                sh,
                sw,
                ph,
                pw,
                dh,
                dw,
                ow,
                src.strides[0],
                src.strides[1],
                src.strides[2],
            ];
            let wg = [n.div_ceil(64) as u32, cout.div_ceil(64) as u32, 1];
            self.push(Kernel::Gemm, words(&p)?, vec![wt, x, bias_t, y], wg, &label, macs);
        } else {
            let total = cout * oh * ow;
            let mut p = vec![
                total,
                cin,
                h,
                w,
                cout,
                oh,
                ow,
                kh,
                kw,
                sh,
                sw,
                ph,
                pw,
                dh,
                dw,
                conv.group,
                usize::from(bias.is_some()),
                act as usize,
                0,
            ];
            p.extend(src.strides);
            p.extend(dst.strides);
            self.push(Kernel::ConvDirect, words(&p)?, vec![x, wt, bias_t, y], grid(total), &label, macs);
        }
        Ok(())
    }

    fn deconv(&mut self, node: &'m TypedNode, d: &Deconv) -> Lowered<()> {
        if d.kernel_format != KernelFormat::OIHW {
            return unsupported(node, format!("kernel format {:?} (only OIHW)", d.kernel_format));
        }
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let out_shape = self.shape(OutletId::new(node.id, 0)).or_else(|e| unsupported(node, e))?;
        let spec = &d.pool_spec;
        let (src, dst) = self.geometry(node, spec, &in_shape, &out_shape)?;
        let ([h, w], [oh, ow], c_axis) = (src.hw, dst.hw, dst.c_axis);
        let (ph, pw) = match &spec.padding {
            PaddingSpec::Valid => (0, 0),
            PaddingSpec::Explicit(before, _) if before.len() == 2 => (before[0], before[1]),
            p => return unsupported(node, format!("padding {p:?} (only explicit)")),
        };
        let (cin, cout) = (src.c, dst.c);
        let (kh, kw) = (spec.kernel_shape[0], spec.kernel_shape[1]);
        let x = self.input(node, 0)?;
        let wt = self.input(node, 1)?;
        if self.tensors[wt].len != cout * (cin / d.group.max(1)) * kh * kw {
            return unsupported(node, "the kernel's size does not match its geometry");
        }
        let bias = match node.inputs.get(2).and_then(|&i| self.konst(i)) {
            Some(k) if k.len() == cout => Some(self.input(node, 2)?),
            Some(k) if k.len() == 1 && k.cast_to_scalar::<f32>().ok() == Some(0.0) => None,
            None if node.inputs.len() <= 2 => None,
            _ => return unsupported(node, "a bias that is not a per-channel constant"),
        };
        let (bias, act, last, label) = self.epilogue(node, bias, Some((c_axis, cout)));
        let (y, _) = self.output(node)?;
        self.bind_output(last, y);
        let bias_t = bias.unwrap_or_else(|| self.dummy());
        let total = cout * oh * ow;
        let mut p = vec![
            total,
            cin,
            h,
            w,
            cout,
            oh,
            ow,
            kh,
            kw,
            spec.stride(0),
            spec.stride(1),
            ph,
            pw,
            spec.dilation(0),
            spec.dilation(1),
            d.group,
            usize::from(bias.is_some()),
            act as usize,
            1,
        ];
        p.extend(src.strides);
        p.extend(dst.strides);
        let macs = (cin * h * w * (cout / d.group) * kh * kw) as u64;
        self.push(Kernel::ConvDirect, words(&p)?, vec![x, wt, bias_t, y], grid(total), &label, macs);
        Ok(())
    }

    fn einsum(&mut self, node: &'m TypedNode, e: &EinSum) -> Lowered<()> {
        if e.q_params.is_some() || e.operating_dt != f32::datum_type() || node.inputs.len() != 2 {
            return unsupported(node, "only float einsums of two inputs run on the GPU");
        }
        let a_shape = self.shape(node.inputs[0]).or_else(|er| unsupported(node, er))?;
        let b_shape = self.shape(node.inputs[1]).or_else(|er| unsupported(node, er))?;
        let c_shape = self.shape(OutletId::new(node.id, 0)).or_else(|er| unsupported(node, er))?;
        let (sa, sb, sc) = (strides_of(&a_shape), strides_of(&b_shape), strides_of(&c_shape));
        // Each axis: (size, stride in A, B, C) and its role.
        #[derive(Clone, Copy, PartialEq)]
        enum Role {
            Batch,
            M,
            N,
            K,
        }
        let mut groups: [Vec<(usize, [usize; 3], usize)>; 4] = Default::default();
        for axis in e.axes.iter_all_axes() {
            let one = |v: &TVec<usize>| -> Lowered<Option<usize>> {
                match v.as_slice() {
                    [] => Ok(None),
                    [p] => Ok(Some(*p)),
                    _ => Err(Unsupported(format!("EinSum `{}`: a repeated axis (a diagonal)", node.name))),
                }
            };
            let (pa, pb, pc) = (one(&axis.inputs[0])?, one(&axis.inputs[1])?, one(&axis.outputs[0])?);
            let size = pc.map(|p| c_shape[p]).or(pa.map(|p| a_shape[p])).or(pb.map(|p| b_shape[p])).unwrap_or(1);
            if size == 1 {
                continue;
            }
            let st = [pa.map_or(0, |p| sa[p]), pb.map_or(0, |p| sb[p]), pc.map_or(0, |p| sc[p])];
            let role = match (pa.is_some(), pb.is_some(), pc.is_some()) {
                (_, _, false) => Role::K,
                (true, true, true) | (false, false, true) => Role::Batch,
                (true, false, true) => Role::M,
                (false, true, true) => Role::N,
            };
            // Order within a group: by position in C (or in A / B for the summed axes).
            let order = pc.or(pa).or(pb).unwrap_or(0);
            groups[role as usize].push((size, st, order));
        }
        // Each group becomes one axis: consecutive axes merge when the inner one is contiguous
        // with the outer one in every tensor. An m or n group that does not merge may lend its
        // outer axes to an empty batch (`HIW,I->NHW`: h is a batch, w the m axis).
        let merge = |axes: &mut Vec<(usize, [usize; 3], usize)>| -> Vec<(usize, [usize; 3])> {
            axes.sort_by_key(|a| a.2);
            let mut out: Vec<(usize, [usize; 3])> = Vec::new();
            for &(s2, st2, _) in axes.iter() {
                match out.last_mut() {
                    Some((size, st)) if (0..3).all(|t| st[t] == st2[t] * s2) => {
                        *size *= s2;
                        *st = st2;
                    }
                    _ => out.push((s2, st2)),
                }
            }
            out
        };
        let mut merged_groups: Vec<Vec<(usize, [usize; 3])>> = groups.iter_mut().map(merge).collect();
        for g in [Role::M as usize, Role::N as usize] {
            if merged_groups[g].len() == 2 && merged_groups[Role::Batch as usize].is_empty() {
                let outer = merged_groups[g].remove(0);
                merged_groups[Role::Batch as usize].push(outer);
            }
        }
        let mut merged = [(1usize, [0usize; 3]); 4];
        for (g, axes) in merged_groups.iter().enumerate() {
            match axes.as_slice() {
                [] => {}
                [one] => merged[g] = *one,
                _ => return unsupported(node, format!("axes {} cannot be grouped into one matrix product", e.axes)),
            }
        }
        let [(batch, bs), (m, ms), (n, ns), (k, ks)] = merged;
        let a = self.input(node, 0)?;
        let b = self.input(node, 1)?;
        // The bias may be fused when the m group is one output axis (the channels of a 1×1 conv).
        let m_axis = groups[Role::M as usize].first().map(|g| g.2);
        let bias_axis = m_axis.filter(|_| groups[Role::M as usize].len() == 1).map(|axis| (axis, m));
        let (bias, act, last, label) = self.epilogue(node, None, bias_axis);
        let (c, _) = self.output(node)?;
        self.bind_output(last, c);
        let bias_t = bias.unwrap_or_else(|| self.dummy());
        let p = [
            m,
            n,
            k,
            bs[0],
            ms[0],
            ks[0],
            bs[1],
            ks[1],
            ns[1],
            bs[2],
            ms[2],
            ns[2],
            usize::from(bias.is_some()),
            act as usize,
            0,
        ];
        let mut p = words(&p)?;
        p.resize(Kernel::Gemm.param_words(), 0);
        if batch > 65_535 {
            return unsupported(node, format!("a batch of {batch} products"));
        }
        let wg = [n.div_ceil(64) as u32, m.div_ceil(64) as u32, batch as u32];
        self.push(Kernel::Gemm, p, vec![a, b, bias_t, c], wg, &label, (batch * m * n * k) as u64);
        Ok(())
    }

    fn binary(&mut self, node: &'m TypedNode, name: &str) -> Lowered<()> {
        let code = match name {
            "Add" => 0,
            "Sub" => 1,
            "Mul" => 2,
            "Div" => 3,
            "Pow" => 4,
            "Max" => 5,
            "Min" => 6,
            other => return unsupported(node, format!("binary op {other}")),
        };
        let a_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let b_shape = self.shape(node.inputs[1]).or_else(|e| unsupported(node, e))?;
        let a = self.input(node, 0)?;
        let b = self.input(node, 1)?;
        let (out, shape) = self.output(node)?;
        let rank = shape.len();
        let broadcast = |s: &[usize]| -> Lowered<Vec<usize>> {
            let st = strides_of(s);
            let off =
                rank.checked_sub(s.len()).ok_or_else(|| Unsupported(format!("{} `{}`: rank", name, node.name)))?;
            Ok((0..rank).map(|i| if i < off || s[i - off] == 1 { 0 } else { st[i - off] }).collect())
        };
        let n: usize = shape.iter().product();
        let mut p = vec![n, rank, code];
        p.extend(padded(&shape, 1));
        p.extend(padded(&broadcast(&a_shape)?, 0));
        p.extend(padded(&broadcast(&b_shape)?, 0));
        self.push(Kernel::Binary, words(&p)?, vec![a, b, out], grid(n), &node.name, 0);
        Ok(())
    }

    fn unary(&mut self, node: &'m TypedNode, name: &str) -> Lowered<()> {
        let code = match name {
            "Silu" => 0,
            "Sigmoid" => 1,
            "Sin" => 2,
            "Cos" => 3,
            "Exp" => 4,
            "Tanh" => 5,
            "Neg" => 6,
            "Abs" => 7,
            "Sqrt" => 8,
            "Recip" => 9,
            "Ln" => 10,
            other => return unsupported(node, format!("element-wise op {other}")),
        };
        let a = self.input(node, 0)?;
        let (out, shape) = self.output(node)?;
        let n: usize = shape.iter().product();
        self.push(Kernel::Unary, words(&[n, code])?, vec![a, out], grid(n), &node.name, 0);
        Ok(())
    }

    fn maxpool(&mut self, node: &'m TypedNode, spec: &PoolSpec) -> Lowered<()> {
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let out_shape = self.shape(OutletId::new(node.id, 0)).or_else(|e| unsupported(node, e))?;
        let (src, dst) = self.geometry(node, spec, &in_shape, &out_shape)?;
        let ([h, w], [oh, ow]) = (src.hw, dst.hw);
        let pads = spec.computed_padding(&[h, w]);
        let x = self.input(node, 0)?;
        let (y, _) = self.output(node)?;
        let total = dst.c * oh * ow;
        let mut p = vec![
            total,
            h,
            w,
            oh,
            ow,
            spec.kernel_shape[0],
            spec.kernel_shape[1],
            spec.stride(0),
            spec.stride(1),
            pads[0].pad_before,
            pads[1].pad_before,
            spec.dilation(0),
            spec.dilation(1),
        ];
        p.extend(src.strides);
        p.extend(dst.strides);
        self.push(Kernel::MaxPool, words(&p)?, vec![x, y], grid(total), &node.name, 0);
        Ok(())
    }

    /// `[outer, axis, inner]` around consecutive `axes` of `shape`.
    fn split_around(node: &TypedNode, shape: &[usize], axes: &[usize]) -> Lowered<(usize, usize, usize)> {
        let mut axes = axes.to_vec();
        axes.sort_unstable();
        let (Some(&lo), Some(&hi)) = (axes.first(), axes.last()) else {
            return unsupported(node, "no axis");
        };
        if hi - lo + 1 != axes.len() || hi >= shape.len() {
            return unsupported(node, format!("axes {axes:?} are not consecutive"));
        }
        Ok((shape[..lo].iter().product(), shape[lo..=hi].iter().product(), shape[hi + 1..].iter().product()))
    }

    fn softmax(&mut self, node: &'m TypedNode, axes: &[usize]) -> Lowered<()> {
        let shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let (outer, len, inner) = Self::split_around(node, &shape, axes)?;
        let x = self.input(node, 0)?;
        let (y, _) = self.output(node)?;
        self.push(
            Kernel::Softmax,
            words(&[outer * inner, len, inner])?,
            vec![x, y],
            grid(outer * inner),
            &node.name,
            0,
        );
        Ok(())
    }

    fn reduce(&mut self, node: &'m TypedNode, axes: &[usize], reducer: &Reducer) -> Lowered<()> {
        let op = match reducer {
            Reducer::Sum => 0,
            Reducer::Max => 2,
            Reducer::Min => 3,
            Reducer::Prod => 4,
            r => return unsupported(node, format!("reducer {r:?}")),
        };
        let shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let (outer, len, inner) = Self::split_around(node, &shape, axes)?;
        let x = self.input(node, 0)?;
        let (y, _) = self.output(node)?;
        self.push(
            Kernel::Reduce,
            words(&[outer * inner, len, inner, op])?,
            vec![x, y],
            grid(outer * inner),
            &node.name,
            0,
        );
        Ok(())
    }

    fn copy(&mut self, node: &TypedNode, from: TensorId, to: TensorId, params: CopyParams) -> Lowered<()> {
        let n: usize = params.shape.iter().product();
        if n == 0 {
            return Ok(());
        }
        let words = params.words()?;
        self.push(Kernel::Copy, words, vec![from, to], grid(n), &node.name, 0);
        Ok(())
    }

    fn concat(&mut self, node: &'m TypedNode, axis: usize) -> Lowered<()> {
        let (out, shape) = self.output(node)?;
        let out_strides = strides_of(&shape);
        let mut offset = 0;
        for slot in 0..node.inputs.len() {
            let part = self.shape(node.inputs[slot]).or_else(|e| unsupported(node, e))?;
            let t = self.input(node, slot)?;
            let params = CopyParams {
                in_strides: strides_of(&part),
                in_off: 0,
                out_off: offset * out_strides[axis],
                out_strides: out_strides.clone(),
                divisors: vec![1; part.len()],
                shape: part.clone(),
            };
            offset += part[axis];
            self.copy(node, t, out, params)?;
        }
        Ok(())
    }

    fn slice(&mut self, node: &'m TypedNode, axis: usize, start: usize, end: usize) -> Lowered<()> {
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let x = self.input(node, 0)?;
        let (y, shape) = self.output(node)?;
        let in_strides = strides_of(&in_shape);
        if end < start || end > in_shape[axis] {
            return unsupported(node, "a slice out of range");
        }
        let params = CopyParams {
            in_off: start * in_strides[axis],
            in_strides,
            out_off: 0,
            out_strides: strides_of(&shape),
            divisors: vec![1; shape.len()],
            shape,
        };
        self.copy(node, x, y, params)
    }

    /// Every `stride`-th value along an axis from `modulo` (what a strided 1×1 convolution
    /// declutters into, before its product).
    fn downsample(&mut self, node: &'m TypedNode, d: &Downsample) -> Lowered<()> {
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let Ok(stride) = usize::try_from(d.stride) else {
            return unsupported(node, "a negative stride");
        };
        let x = self.input(node, 0)?;
        let (y, shape) = self.output(node)?;
        let mut in_strides = strides_of(&in_shape);
        let in_off = d.modulo * in_strides[d.axis];
        in_strides[d.axis] *= stride;
        let params = CopyParams {
            in_off,
            in_strides,
            out_off: 0,
            out_strides: strides_of(&shape),
            divisors: vec![1; shape.len()],
            shape,
        };
        self.copy(node, x, y, params)
    }

    fn upsample(&mut self, node: &'m TypedNode, scales: &[usize]) -> Lowered<()> {
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let x = self.input(node, 0)?;
        let (y, shape) = self.output(node)?;
        if scales.len() != shape.len() || scales.contains(&0) {
            return unsupported(node, "scales do not match the rank");
        }
        let params = CopyParams {
            in_strides: strides_of(&in_shape),
            in_off: 0,
            out_off: 0,
            out_strides: strides_of(&shape),
            divisors: scales.to_vec(),
            shape,
        };
        self.copy(node, x, y, params)
    }

    fn axis_op(&mut self, node: &'m TypedNode, op: &AxisOp) -> Lowered<()> {
        let in_shape = self.shape(node.inputs[0]).or_else(|e| unsupported(node, e))?;
        let x = self.input(node, 0)?;
        let (y, shape) = self.output(node)?;
        let params = match op {
            // Row-major data is unchanged by adding, removing or regrouping axes.
            AxisOp::Add(_) | AxisOp::Rm(_) | AxisOp::Reshape(..) => {
                let n = shape.iter().product();
                CopyParams {
                    shape: vec![n],
                    in_off: 0,
                    in_strides: vec![1],
                    out_off: 0,
                    out_strides: vec![1],
                    divisors: vec![1],
                }
            }
            AxisOp::Move(from, to) => {
                // Output axis i reads input axis perm[i].
                let mut perm: Vec<usize> = (0..in_shape.len()).collect();
                let a = perm.remove(*from);
                perm.insert(*to, a);
                let in_strides = strides_of(&in_shape);
                CopyParams {
                    in_strides: perm.iter().map(|&p| in_strides[p]).collect(),
                    in_off: 0,
                    out_off: 0,
                    out_strides: strides_of(&shape),
                    divisors: vec![1; shape.len()],
                    shape,
                }
            }
        };
        self.copy(node, x, y, params)
    }
}

/// Lowers a decluttered graph with fully concrete shapes, or says which node cannot run.
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
    Ok(Program { tensors: l.tensors, steps: l.steps, input: (input_t, input_shape), outputs: outs })
}
