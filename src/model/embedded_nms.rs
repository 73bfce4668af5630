//! Exports with post-processing in the graph (`nms=True`): the network is cut where the plain
//! export's output would be, and the export's own tail (NMS, gather, zero-padding to `max_det`)
//! runs on tract's reference interpreter.
//!
//! Ultralytics' `nms=True` wraps the model in its exporter's `NMSModel`: the detection head's
//! `[1, 4 + nc + extras, anchors]` output is transposed, filtered by the export's `conf`,
//! offset by class, suppressed (ONNX `NonMaxSuppression`; a rotated fast-NMS of plain tensor
//! ops for OBB) with the export's `iou`, and the kept rows are padded with zeros to
//! `[1, max_det, 6 + extras]`, the end2end layout. How many rows survive depends on the values,
//! so tensors after the filter have data-dependent shapes. tract's optimised (typed) graph fixes
//! every shape when it is built and fails on them (a `Slice` to `max_det` over fewer kept rows:
//! "Invalid range 0..300"). tract's *inference* graph evaluates each op on the tensors it gets,
//! data-dependent shapes included.
//!
//! So the graph is split in three:
//! - the **body**, up to where the plain export would end (the head output): what the CPU plans
//!   and the WebGPU executor run, exactly as for a plain export;
//! - the **middle**, the tail's ops whose shapes still follow from the input size (transpose,
//!   class scores, the `conf` mask; for OBB a top-k and a 1500 × 1500 rotated-IoU matrix): a
//!   typed, optimised tract plan per input size;
//! - the **rest**, from the first data-dependent shape (`NonZero`, `NonMaxSuppression`) on: op by
//!   op on tract's inference graph, on at most a few thousand rows.
//!
//! Measured natively (one thread, busy machine, 416 exports): the tail costs ~1.7 ms for detect
//! and pose, ~5 ms for segment next to a 15–40 ms body. OBB is the exception: its export's
//! rotated fast-NMS is ~100 elementwise ops over a 1500 × 1500 matrix: ~80 ms here (op by op it
//! was 0.47 s, as a plain typed plan 0.27 s before [`faster`] rewrote its `Trilu` and `Cast`s)
//! against ~20 ms in ONNX Runtime: a plain OBB export (NMS in Rust) is the fast choice.
//!
//! The export's own operators, thresholds (`conf`, `iou` are constants of its graph) and
//! `max_det` are used, not ours: the answer is the one ONNX Runtime gives Ultralytics.

use crate::error::{Error, Result};
use crate::model::Task;
use std::sync::{Arc, Mutex};
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::{Factoid, InferenceOp};

/// Detection strides of every YOLOv8 / YOLO11 head (P3, P4, P5).
const STRIDES: [usize; 3] = [8, 16, 32];

/// How many input sizes of a dynamic export keep a middle plan.
const PLAN_CACHE: usize = 4;

type InferencePlan = Arc<RunnableModel<InferenceFact, Box<dyn InferenceOp>>>;
/// Typed plans of the middle, by input size.
type Plans = Mutex<Vec<((u32, u32), Arc<TypedRunnableModel>)>>;

/// The part of an `nms=True` export after the head output, ready to run.
pub struct Tail {
    /// The static-shaped part: inputs `[image?, body outputs…]`, typed per input size.
    middle: InferenceModel,
    middle_reads_input: bool,
    plans: Plans,
    /// The data-dependent part: inputs `[image?, middle outputs…]`, op by op.
    rest: InferencePlan,
    rest_reads_input: bool,
}

impl std::fmt::Debug for Tail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tail")
            .field("middle_nodes", &self.middle.nodes().len())
            .field("rest_nodes", &self.rest.model().nodes().len())
            .finish()
    }
}

/// Splits `model` when its outputs depend on data-dependent shapes (an `nms=True` export):
/// returns the body, whose outputs are the tail's inputs, and the tail. `None` when every
/// tensor's shape follows from the input's, or when no head output can be found (the model is
/// then run whole, and refused with the shape that cannot be fixed).
pub fn split(model: &InferenceModel, hw: (u32, u32), task: Task, nc: usize) -> Result<Option<(InferenceModel, Tail)>> {
    let fact = InferenceFact::dt_shape(f32::datum_type(), tvec!(1, 3, hw.0 as usize, hw.1 as usize));
    let Ok(mut typed) = model.clone().with_input_fact(0, fact) else { return Ok(None) };
    if typed.analyse(false).is_err() {
        return Ok(None);
    }
    let order = typed.eval_order().map_err(|e| Error::InvalidModel(format!("{e:#}")))?;
    let concrete = |n: usize| (0..typed.node(n).outputs.len()).all(|s| shape_of(&typed, OutletId::new(n, s)).is_some());
    if order.iter().all(|&n| concrete(n)) {
        return Ok(None);
    }
    let Some(head) = head_output(&typed, &order, hw, task, nc) else { return Ok(None) };
    cut(model, &typed, &order, head, hw).map_err(|e| Error::InvalidModel(format!("cannot split the graph: {e:#}")))
}

/// The last tensor in evaluation order shaped like a plain export's head output,
/// `[1, 4 + nc + extras, anchors]`, from which a data-dependent shape follows.
fn head_output(model: &InferenceModel, order: &[usize], hw: (u32, u32), task: Task, nc: usize) -> Option<OutletId> {
    let (h, w) = (hw.0 as usize, hw.1 as usize);
    let anchors: usize = STRIDES.iter().map(|s| h.div_ceil(*s) * w.div_ceil(*s)).sum();
    let min_features = 4 + nc + usize::from(task == Task::Obb);
    order
        .iter()
        .rev()
        .flat_map(|&n| (0..model.node(n).outputs.len()).map(move |s| OutletId::new(n, s)))
        .find(|&o| matches!(shape_of(model, o).as_deref(), Some(&[1, f, a]) if f >= min_features && a == anchors))
}

/// The shape of `o` once analysed, when every dimension is a number.
fn shape_of(model: &InferenceModel, o: OutletId) -> Option<Vec<usize>> {
    let shape = model.outlet_fact(o).ok()?.shape.concretize()?;
    shape.iter().map(|d| d.to_i64().ok().and_then(|v| usize::try_from(v).ok())).collect()
}

/// `true` for `head` and every node it depends on.
fn ancestors(model: &InferenceModel, head: OutletId) -> Vec<bool> {
    let mut seen = vec![false; model.nodes().len()];
    let mut stack = vec![head.node];
    while let Some(n) = stack.pop() {
        if !std::mem::replace(&mut seen[n], true) {
            stack.extend(model.node(n).inputs.iter().map(|i| i.node));
        }
    }
    seen
}

/// The tensors made inside `inside` that the rest of the graph reads: `first` first, then in
/// evaluation order, then graph outputs made inside. Constants and the image input are not
/// counted (each part reads them itself).
fn crossing(model: &InferenceModel, order: &[usize], inside: &[bool], first: Option<OutletId>) -> Vec<OutletId> {
    let is_const = |n: usize| model.node(n).inputs.is_empty();
    let mut out: Vec<OutletId> = first.into_iter().collect();
    for &n in order.iter().filter(|&&n| !inside[n]) {
        for &i in &model.node(n).inputs {
            if inside[i.node] && !is_const(i.node) && !out.contains(&i) {
                out.push(i);
            }
        }
    }
    for &o in model.output_outlets().into_iter().flatten() {
        if inside[o.node] && !out.contains(&o) {
            out.push(o);
        }
    }
    out
}

/// `model` with the nodes of `drop` removed: the tensors `cut` (made inside `drop`) become
/// sources, the inputs are `[image, sources…]` (the image only when read), the outputs are
/// `outputs` (cut tensors among them read from their sources). Returns the model and whether it
/// reads the image.
fn graft(
    model: &InferenceModel,
    typed: &InferenceModel,
    drop: &[bool],
    cut: &[OutletId],
    outputs: &[OutletId],
) -> TractResult<(InferenceModel, bool)> {
    let image = model.input_outlets()?[0];
    let mut m = model.clone();
    let mut sources = vec![image];
    let mut outputs = outputs.to_vec();
    for (ix, &outlet) in cut.iter().enumerate() {
        let Some(dt) = typed.outlet_fact(outlet)?.datum_type.concretize() else {
            return Err(TractError::msg(format!("tensor {outlet:?} has no known type")));
        };
        let source = m.add_source(format!("embedded_nms.{}.{ix}", outlet.node), InferenceFact::dt(dt))?;
        for inlet in m.outlet_successors(outlet).to_vec() {
            if !drop[inlet.node] {
                m.add_edge(source, inlet)?;
            }
        }
        outputs.iter_mut().filter(|o| **o == outlet).for_each(|o| *o = source);
        sources.push(source);
    }
    m.select_output_outlets(&outputs)?;
    m.set_input_outlets(&sources)?;
    let mut m = m.into_compact()?;
    let image = m.input_outlets()?[0];
    let reads_image = !m.outlet_successors(image).is_empty();
    if reads_image {
        // Any input size (a dynamic export reads its shape); the body checked it already.
        m.set_outlet_fact(image, InferenceFact::dt(f32::datum_type()))?;
    } else {
        let sources = m.input_outlets()?[1..].to_vec();
        m.set_input_outlets(&sources)?;
        m.compact()?;
    }
    Ok((m, reads_image))
}

/// The body (what `head` needs; outputs: the tail's inputs) and the tail of `model` (`typed`:
/// the same graph, analysed for the input size `hw`; `order`: its evaluation order). `None` if a
/// tensor crossing into the tail is not `f32` (the network's outputs travel as `f32`: `Output`,
/// the WebGPU executor's buffers), or if the middle cannot be planned at `hw` (the model is then
/// refused as before).
fn cut(
    model: &InferenceModel,
    typed: &InferenceModel,
    order: &[usize],
    head: OutletId,
    hw: (u32, u32),
) -> TractResult<Option<(InferenceModel, Tail)>> {
    let in_body = ancestors(model, head);
    let from_body = crossing(model, order, &in_body, Some(head));
    if from_body
        .iter()
        .any(|&o| typed.outlet_fact(o).ok().and_then(|f| f.datum_type.concretize()) != Some(f32::datum_type()))
    {
        return Ok(None);
    }
    // Data-dependent: a node with an output of unknown shape (NonZero, NonMaxSuppression…) and
    // everything after it.
    let mut dynamic = vec![false; model.nodes().len()];
    for &n in order {
        let node = typed.node(n);
        let after_dynamic = node.inputs.iter().any(|i| dynamic[i.node]);
        let unknown = (0..node.outputs.len()).any(|s| shape_of(typed, OutletId::new(n, s)).is_none());
        dynamic[n] = after_dynamic || unknown;
    }
    let is_static: Vec<bool> = dynamic.iter().map(|d| !d).collect();
    let from_static = crossing(model, order, &is_static, None);

    let mut body = model.clone();
    body.select_output_outlets(&from_body)?;
    let body = body.into_compact()?;
    let (middle, middle_reads_input) = graft(model, typed, &in_body, &from_body, &from_static)?;
    let outputs = model.output_outlets()?.to_vec();
    let (rest, rest_reads_input) = graft(model, typed, &is_static, &from_static, &outputs)?;
    let tail = Tail {
        middle,
        middle_reads_input,
        plans: Mutex::new(Vec::new()),
        rest: rest.into_runnable()?,
        rest_reads_input,
    };
    let Some(shapes) = from_body.iter().map(|&o| shape_of(typed, o)).collect::<Option<Vec<_>>>() else {
        return Ok(None);
    };
    Ok(tail.middle_plan(hw, &shapes).is_ok().then_some((body, tail)))
}

impl Tail {
    /// Whether [`Self::run`] needs the image tensor (a dynamic export's tail reads its shape).
    pub fn reads_input(&self) -> bool {
        self.middle_reads_input || self.rest_reads_input
    }

    /// The middle's plan for an `h × w` input whose body outputs have `shapes`.
    fn middle_plan(&self, hw: (u32, u32), shapes: &[Vec<usize>]) -> TractResult<Arc<TypedRunnableModel>> {
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, plan)) = plans.iter().find(|(k, _)| *k == hw) {
            return Ok(plan.clone());
        }
        let mut m = self.middle.clone();
        let skip = usize::from(self.middle_reads_input);
        if self.middle_reads_input {
            m = m.with_input_fact(
                0,
                InferenceFact::dt_shape(f32::datum_type(), tvec!(1, 3, hw.0 as usize, hw.1 as usize)),
            )?;
        }
        for (ix, shape) in shapes.iter().enumerate() {
            m = m.with_input_fact(ix + skip, InferenceFact::dt_shape(f32::datum_type(), shape.clone()))?;
        }
        let plan = faster(m.into_typed()?.into_decluttered()?)?.into_optimized()?.into_runnable()?;
        if plans.len() >= PLAN_CACHE {
            plans.remove(0);
        }
        plans.push((hw, plan.clone()));
        Ok(plan)
    }

    /// Runs the tail for an `h × w` input on the image (`None` when [`Self::reads_input`] is
    /// false) and the body's outputs (in the body's output order); returns the model's outputs
    /// in graph order.
    pub fn run(&self, hw: (u32, u32), image: Option<TValue>, body: TVec<TValue>) -> Result<TVec<TValue>> {
        let shapes: Vec<Vec<usize>> = body.iter().map(|v| v.shape().to_vec()).collect();
        let plan = self.middle_plan(hw, &shapes).map_err(inference)?;
        let with_image = |read: bool, values: TVec<TValue>| -> Result<TVec<TValue>> {
            match (read, &image) {
                (false, _) => Ok(values),
                (true, Some(i)) => Ok(std::iter::once(i.clone()).chain(values).collect()),
                (true, None) => Err(inference("the image tensor is needed")),
            }
        };
        let middle = plan.run(with_image(self.middle_reads_input, body)?).map_err(inference)?;
        self.rest.run(with_image(self.rest_reads_input, middle)?).map_err(inference)
    }
}

/// Rewrites two ops tract runs slowly on the OBB export's 1500 × 1500 matrix (together 60 % of
/// its middle): `Trilu` with a constant `k` on a fixed-size matrix becomes a select against a
/// constant mask (tract's `Trilu` walks the matrix element by element), and a `Cast` to `TDim`
/// whose every reader casts on to a number (`Cast(bool → TDim) → Cast(TDim → i64)`, how
/// tract-onnx types an ONNX `Cast` to int64) becomes one `Cast` to that number (a `TDim` is a
/// symbolic expression per element).
fn faster(mut model: TypedModel) -> TractResult<TypedModel> {
    use tract_onnx::tract_core::ops::array::Trilu;
    use tract_onnx::tract_core::ops::cast::{cast, Cast};
    use tract_onnx::tract_core::ops::logic::Iff;
    for id in model.eval_order()? {
        let node = model.node(id);
        if let Some(op) = node.op_as::<Trilu>() {
            let fact = model.outlet_fact(node.inputs[0])?.clone();
            let k = model.outlet_fact(node.inputs[1])?.konst.clone();
            let (Some(shape), Some(k)) = (fact.shape.as_concrete(), k) else { continue };
            let Some(&[r, c]) = shape.get(shape.len().saturating_sub(2)..) else { continue };
            let (k, upper) = (k.cast_to_scalar::<i64>()?, op.upper);
            let keep = move |(i, j): (usize, usize)| {
                let d = j as i64 - i as i64;
                if upper {
                    d >= k
                } else {
                    d <= k
                }
            };
            let mut mask = tract_ndarray::Array2::from_shape_fn((r, c), keep).into_tensor();
            let mut zero = Tensor::zero_dt(fact.datum_type, &[1, 1])?;
            for _ in 2..shape.len() {
                mask.insert_axis(0)?;
                zero.insert_axis(0)?;
            }
            let (name, input) = (node.name.clone(), node.inputs[0]);
            let mut patch = TypedModelPatch::default();
            let x = patch.tap_model(&model, input)?;
            let mask = patch.add_const(format!("{name}.mask"), mask)?;
            let zero = patch.add_const(format!("{name}.zero"), zero)?;
            let out = patch.wire_node(format!("{name}.select"), Iff, &[mask, x, zero])?[0];
            patch.shunt_outside(&model, id.into(), out)?;
            patch.apply(&mut model)?;
        } else if node.op_as::<Cast>().is_some_and(|c| c.to == TDim::datum_type()) {
            let input = node.inputs[0];
            if model.outlet_fact(input)?.datum_type == TDim::datum_type() {
                continue;
            }
            let readers: Vec<usize> = node.outputs[0].successors.iter().map(|s| s.node).collect();
            let to: Vec<Option<DatumType>> = readers
                .iter()
                .map(|&r| model.node(r).op_as::<Cast>().map(|c| c.to).filter(|t| *t != TDim::datum_type()))
                .collect();
            if readers.is_empty() || to.iter().any(Option::is_none) {
                continue;
            }
            let mut patch = TypedModelPatch::default();
            let x = patch.tap_model(&model, input)?;
            for (&r, to) in readers.iter().zip(to.into_iter().flatten()) {
                let name = format!("{}.direct", model.node(r).name);
                let out = patch.wire_node(name, cast(to), &[x])?[0];
                patch.shunt_outside(&model, OutletId::new(r, 0), out)?;
            }
            patch.apply(&mut model)?;
        }
    }
    model.into_compact()
}

fn inference(e: impl std::fmt::Display) -> Error {
    Error::Inference(format!("the export's embedded NMS: {e:#}"))
}
