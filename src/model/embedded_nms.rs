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
//! So the graph is split where the plain export would end — the head output — and:
//! - the **body** (everything the head output needs) is what the CPU plans and the WebGPU
//!   executor run, exactly as for a plain export;
//! - the **tail** (everything after it) runs op by op on tract's inference graph: a few hundred
//!   small ops on at most `anchors` rows, under a millisecond next to the body.
//!
//! The export's own operators, thresholds (`conf`, `iou` are constants of its graph) and
//! `max_det` are used, not ours: the answer is the one ONNX Runtime gives Ultralytics.

use crate::error::{Error, Result};
use crate::model::Task;
use std::sync::Arc;
use tract_onnx::prelude::*;
use tract_onnx::tract_hir::infer::{Factoid, InferenceOp};

/// Detection strides of every YOLOv8 / YOLO11 head (P3, P4, P5).
const STRIDES: [usize; 3] = [8, 16, 32];

/// The part of an `nms=True` export after the head output, ready to run.
pub struct Tail {
    plan: Arc<RunnableModel<InferenceFact, Box<dyn InferenceOp>>>,
    /// Whether the tail reads the image input (a dynamic export reads its shape).
    reads_input: bool,
}

impl std::fmt::Debug for Tail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tail").field("nodes", &self.plan.model().nodes().len()).finish()
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
    let concrete = |o: OutletId| shape_of(&typed, o).is_some();
    let order = typed.eval_order().map_err(|e| Error::InvalidModel(format!("{e:#}")))?;
    if order.iter().all(|&n| (0..typed.node(n).outputs.len()).all(|s| concrete(OutletId::new(n, s)))) {
        return Ok(None);
    }
    let Some(head) = head_output(&typed, &order, hw, task, nc) else { return Ok(None) };
    cut(model, &typed, head).map_err(|e| Error::InvalidModel(format!("cannot split the graph: {e:#}")))
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

/// The body (what `head` needs, outputs: the tail's inputs) and the tail of `model` (`typed`:
/// the same graph, analysed for one input size). `None` if a tensor crossing the cut is not
/// `f32`: the network's outputs travel as `f32` (`Output`, the WebGPU executor's buffers).
fn cut(model: &InferenceModel, typed: &InferenceModel, head: OutletId) -> TractResult<Option<(InferenceModel, Tail)>> {
    let input = model.input_outlets()?[0];
    // The body: `head` and its ancestors.
    let mut in_body = vec![false; model.nodes().len()];
    let mut stack = vec![head.node];
    while let Some(n) = stack.pop() {
        if !std::mem::replace(&mut in_body[n], true) {
            stack.extend(model.node(n).inputs.iter().map(|i| i.node));
        }
    }
    // Body tensors the rest of the graph reads (constants and the input are read in place).
    let is_const = |n: usize| model.node(n).inputs.is_empty();
    let needed = model.eval_order()?;
    let mut crossing: Vec<OutletId> = vec![head];
    for &n in needed.iter().filter(|&&n| !in_body[n]) {
        for &i in &model.node(n).inputs {
            if in_body[i.node] && !is_const(i.node) && !crossing.contains(&i) {
                crossing.push(i);
            }
        }
    }
    for &o in model.output_outlets()? {
        if in_body[o.node] && !crossing.contains(&o) {
            crossing.push(o);
        }
    }
    if crossing
        .iter()
        .any(|&o| typed.outlet_fact(o).ok().and_then(|f| f.datum_type.concretize()) != Some(f32::datum_type()))
    {
        return Ok(None);
    }
    let mut body = model.clone();
    body.select_output_outlets(&crossing)?;
    let body = body.into_compact()?;

    let mut tail = model.clone();
    let mut sources = vec![input];
    for (ix, &outlet) in crossing.iter().enumerate() {
        let source = tail.add_source(format!("embedded_nms.input{ix}"), InferenceFact::dt(f32::datum_type()))?;
        let successors: Vec<InletId> = tail.outlet_successors(outlet).to_vec();
        for inlet in successors {
            if !in_body[inlet.node] {
                tail.add_edge(source, inlet)?;
            }
        }
        let outputs: Vec<OutletId> =
            tail.output_outlets()?.iter().map(|&o| if o == outlet { source } else { o }).collect();
        tail.select_output_outlets(&outputs)?;
        sources.push(source);
    }
    tail.set_input_outlets(&sources)?;
    let mut tail = tail.into_compact()?;
    let input = tail.input_outlets()?[0];
    let reads_input = !tail.outlet_successors(input).is_empty();
    if reads_input {
        // Any input size (a dynamic export's tail reads it); the body checked the input already.
        tail.set_outlet_fact(input, InferenceFact::dt(f32::datum_type()))?;
    } else {
        let sources = tail.input_outlets()?[1..].to_vec();
        tail.set_input_outlets(&sources)?;
        tail.compact()?;
    }
    Ok(Some((body, Tail { plan: tail.into_runnable()?, reads_input })))
}

impl Tail {
    /// Whether [`Self::run`] needs the image tensor (a dynamic export's tail reads its shape).
    pub fn reads_input(&self) -> bool {
        self.reads_input
    }

    /// Runs the tail on the image input (`None` when it does not read it) and the body's outputs
    /// (in the body's output order); returns the model's outputs in graph order.
    pub fn run(&self, input: Option<TValue>, body: TVec<TValue>) -> Result<TVec<TValue>> {
        let mut inputs: TVec<TValue> = input.into_iter().collect();
        inputs.extend(body);
        self.plan.run(inputs).map_err(inference)
    }
}

fn inference(e: impl std::fmt::Display) -> Error {
    Error::Inference(format!("the export's embedded NMS: {e:#}"))
}
