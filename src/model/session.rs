//! A tract session per model: parsed once, optimised and made runnable once per input shape.
//!
//! Static exports get their plan at load time (the export's fixed input shape). Dynamic exports
//! (`dynamic=True`) get one plan per letterboxed input shape, built on first use with fully
//! concrete shapes (tract optimises much better that way) and kept in a small cache.

use super::engine::{Compiled, CpuEngine};
use super::metadata::ModelInfo;
use crate::error::{Error, Result};
use crate::limits::{MAX_MODEL_INPUT as MAX_IMGSZ, MAX_TENSOR_ELEMENTS};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tract_onnx::pb::tensor_shape_proto::dimension::Value as Dim;
use tract_onnx::pb::type_proto::Value as TypeValue;
use tract_onnx::prelude::*;

/// How many input shapes of a dynamic model keep a compiled plan.
const PLAN_CACHE: usize = 4;

type Plan = Arc<TypedRunnableModel>;

/// An output tensor of the network: its shape and its values (row-major).
#[derive(Debug, Clone)]
pub struct Output {
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Values, row-major.
    pub data: Vec<f32>,
}

/// A loaded network, ready to run.
pub struct Session {
    /// The network: for an `nms=True` export, the part before its embedded NMS.
    model: InferenceModel,
    /// An `nms=True` export's embedded post-processing (src/model/embedded_nms.rs).
    tail: Option<super::embedded_nms::Tail>,
    /// Per input size, the network ready to run, most recently used last.
    plans: Mutex<Vec<((u32, u32), Compiled)>>,
    fixed_input: Option<(u32, u32)>,
    /// The CPU executor asked for (`engine.rs`).
    engine: CpuEngine,
    /// Why the last network made ready on [`CpuEngine::Program`] runs on tract's plan instead.
    fallback: Mutex<Option<String>>,
    /// Native: the threads inference may use (default: the calling thread only).
    #[cfg(not(target_arch = "wasm32"))]
    threads: super::threads::Threads,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Session");
        d.field("fixed_input", &self.fixed_input);
        d.field("tail", &self.tail);
        #[cfg(not(target_arch = "wasm32"))]
        d.field("threads", &self.threads.count());
        d.finish_non_exhaustive()
    }
}

/// Runs tract code that may panic on a malformed graph (tract 0.23.9 indexes some op attributes
/// without checking their length, e.g. a `Conv` whose `strides` are shorter than its input's
/// spatial rank; found by the `model_load` fuzz target). Natively the panic becomes an
/// `invalid_model` error naming `what`; in wasm a panic traps and the export guard
/// (`web/guard.rs`) rejects with `internal`.
fn tract_guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|panic| {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".into());
            Err(invalid(format!("{what}: tract failed on this graph ({msg})")))
        })
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = what;
        f()
    }
}

fn invalid(e: impl std::fmt::Display) -> Error {
    Error::InvalidModel(e.to_string())
}

/// `[h, w]` of the image input when both are fixed numbers, `None` when symbolic.
fn input_hw(proto: &tract_onnx::pb::ModelProto) -> Result<Option<(u32, u32)>> {
    let graph = proto.graph.as_ref().ok_or_else(|| invalid("the ONNX file has no graph"))?;
    let inits: std::collections::HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let inputs: Vec<_> = graph.input.iter().filter(|i| !inits.contains(i.name.as_str())).collect();
    let [input] = inputs.as_slice() else {
        return Err(Error::UnsupportedModel(format!("expected one image input, the graph has {}", inputs.len())));
    };
    let Some(TypeValue::TensorType(t)) = input.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err(Error::UnsupportedModel(format!("input `{}` is not a tensor", input.name)));
    };
    let dims: Vec<Option<u32>> = t
        .shape
        .as_ref()
        .map(|s| {
            s.dim
                .iter()
                .map(|d| match d.value {
                    Some(Dim::DimValue(v)) => u32::try_from(v).ok().filter(|&v| v > 0),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if dims.len() != 4 {
        return Err(Error::UnsupportedModel(format!(
            "input `{}` has rank {}, expected an NCHW image tensor",
            input.name,
            dims.len()
        )));
    }
    match (dims[2], dims[3]) {
        (Some(h), Some(w)) if h > MAX_IMGSZ || w > MAX_IMGSZ => Err(Error::UnsupportedModel(format!(
            "input `{}` is {h}×{w}, larger than the supported {MAX_IMGSZ}×{MAX_IMGSZ}",
            input.name
        ))),
        (Some(h), Some(w)) => Ok(Some((h, w))),
        _ => Ok(None),
    }
}

/// Whether the graph has an operator whose output shape depends on the values it reads (what an
/// `nms=True` export's embedded NMS uses): only then is it worth looking for a tail to split off.
fn has_data_dependent_shapes(proto: &tract_onnx::pb::ModelProto) -> bool {
    const OPS: [&str; 3] = ["NonZero", "NonMaxSuppression", "Compress"];
    proto.graph.as_ref().is_some_and(|g| g.node.iter().any(|n| OPS.contains(&n.op_type.as_str())))
}

/// Refuses a graph output that no node, input or initializer defines: tract 0.23.9 panics on one
/// (`outlets_by_name[name]` in `tract-onnx/src/model.rs`; found by the `model_load` fuzz target).
fn check_outputs_defined(proto: &tract_onnx::pb::ModelProto) -> Result<()> {
    let Some(graph) = proto.graph.as_ref() else { return Ok(()) };
    let defined = |name: &str| {
        graph.input.iter().any(|i| i.name == name)
            || graph.initializer.iter().any(|t| t.name == name)
            || graph.node.iter().any(|n| n.output.iter().any(|o| o == name))
    };
    match graph.output.iter().find(|o| !defined(&o.name)) {
        Some(o) => Err(invalid(format!("graph output `{}` is not produced by any node", o.name))),
        None => Ok(()),
    }
}

/// Refuses a graph with a tensor over [`MAX_TENSOR_ELEMENTS`] values (a corrupt or hostile model
/// declaring a huge output or intermediate), before running it allocates that tensor. Symbolic
/// shapes cannot remain once the input is fixed; one that does is refused too.
fn check_tensor_sizes(model: &TypedModel, h: u32, w: u32) -> Result<()> {
    for node in model.nodes() {
        for (slot, outlet) in node.outputs.iter().enumerate() {
            let volume = outlet.fact.shape.as_concrete().map(|s| s.iter().try_fold(1usize, |v, &d| v.checked_mul(d)));
            match volume {
                Some(Some(v)) if v <= MAX_TENSOR_ELEMENTS => {}
                Some(_) => {
                    return Err(Error::UnsupportedModel(format!(
                        "tensor `{}`:{slot} of shape {:?} for a {h}×{w} input has more than the limit of \
                         {MAX_TENSOR_ELEMENTS} values",
                        node.name, outlet.fact.shape
                    )))
                }
                None => {
                    return Err(Error::UnsupportedModel(format!(
                        "tensor `{}`:{slot} has no fixed shape ({:?}) for a {h}×{w} input",
                        node.name, outlet.fact.shape
                    )))
                }
            }
        }
    }
    Ok(())
}

/// Every Softmax over one axis that is not the last becomes move-axis → Softmax over the last
/// axis → move-axis back, on the optimised graph. tract 0.23.9 runs a non-trailing softmax lane
/// by lane through ndarray views (YOLO's DFL softmax, axis 1 of [4, 16, 8400]: more than half of
/// a YOLO11n inference) but a trailing one with its SIMD row kernel; the two moves cost ~1 ms.
/// Applied after `into_optimized` because decluttering would fold the moves back into the op.
/// Public for the native per-op profile (`benches/pipeline.rs`).
pub fn softmax_last_axis(mut model: TypedModel) -> TractResult<TypedModel> {
    use tract_onnx::tract_core::ops::change_axes::AxisOp;
    use tract_onnx::tract_core::ops::nn::Softmax;
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(op) = node.op_as::<Softmax>() else { continue };
        let rank = model.outlet_fact(node.inputs[0])?.rank();
        let &[axis] = op.axes.as_slice() else { continue };
        if axis + 1 == rank {
            continue;
        }
        let (name, op, input) = (node.name.clone(), op.clone(), node.inputs[0]);
        let mut patch = TypedModelPatch::default();
        let x = patch.tap_model(&model, input)?;
        let x = patch.wire_node(format!("{name}.to_last"), AxisOp::Move(axis, rank - 1), &[x])?;
        let x = patch.wire_node(format!("{name}.last"), Softmax { axes: tvec!(rank - 1), ..op }, &x)?;
        let x = patch.wire_node(format!("{name}.from_last"), AxisOp::Move(rank - 1, axis), &x)?;
        patch.shunt_outside(&model, id.into(), x[0])?;
        patch.apply(&mut model)?;
    }
    Ok(model)
}

impl Session {
    /// Parses ONNX bytes: returns the model's YOLO metadata and a session on tract's plan.
    pub fn load(bytes: &[u8]) -> Result<(ModelInfo, Session)> {
        Session::load_on(bytes, CpuEngine::default())
    }

    /// Parses ONNX bytes into a session on `engine` (a static export is made ready on it here).
    pub fn load_on(bytes: &[u8], engine: CpuEngine) -> Result<(ModelInfo, Session)> {
        if bytes.is_empty() {
            return Err(invalid("the model is empty (0 bytes)"));
        }
        // Declared intermediate and output shapes of dynamic exports carry symbols (`batch`,
        // `anchors`) that clash with the concrete input we set: let tract infer them instead.
        let onnx = tract_onnx::onnx().with_ignore_output_shapes(true).with_ignore_value_info(true);
        let proto = onnx
            .proto_model_for_read(&mut &bytes[..])
            .map_err(|e| invalid(format!("not a readable ONNX file ({} bytes): {e:#}", bytes.len())))?;
        if proto.graph.as_ref().is_none_or(|g| g.node.is_empty()) {
            return Err(invalid("the ONNX file has no graph (truncated or not an ONNX model?)"));
        }
        let props: BTreeMap<String, String> =
            proto.metadata_props.iter().map(|p| (p.key.clone(), p.value.clone())).collect();
        check_outputs_defined(&proto)?;
        let fixed = input_hw(&proto)?;
        let mut info = ModelInfo::from_props(&props, fixed.is_none())?;
        if let Some((h, w)) = fixed {
            info.imgsz = [h, w];
        }
        let model = tract_guarded("tract cannot read this graph", || {
            onnx.model_for_proto_model(&proto).map_err(|e| invalid(format!("tract cannot read this graph: {e:#}")))
        })?;
        let (model, tail) = if has_data_dependent_shapes(&proto) {
            let hw = fixed.unwrap_or((info.imgsz[0], info.imgsz[1]));
            let split = tract_guarded("cannot split the graph", || {
                super::embedded_nms::split(&model, hw, info.task, info.names.len())
            })?;
            match split {
                Some((body, tail)) => (body, Some(tail)),
                None => (model, None),
            }
        } else {
            (model, None)
        };
        let session = Session {
            model,
            tail,
            plans: Mutex::new(Vec::new()),
            fixed_input: fixed,
            engine,
            fallback: Mutex::new(None),
            #[cfg(not(target_arch = "wasm32"))]
            threads: super::threads::Threads::default(),
        };
        if let Some((h, w)) = fixed {
            session.compiled(h, w)?;
        }
        Ok((info, session))
    }

    /// Native: runs every later inference with `threads` (a clone shares its pool).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn set_threads(&mut self, threads: super::threads::Threads) {
        self.threads = threads;
    }

    /// Native: the threads inference may use.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn threads(&self) -> &super::threads::Threads {
        &self.threads
    }

    /// The CPU executor asked for.
    pub fn engine(&self) -> CpuEngine {
        self.engine
    }

    /// With [`CpuEngine::Program`]: why the network made ready last runs on tract's plan
    /// instead (the node and what about it), `None` when the program runs it.
    pub fn engine_fallback(&self) -> Option<String> {
        self.fallback.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The network for an input of `h × w` on the chosen executor, made ready on first use.
    fn compiled(&self, h: u32, w: u32) -> Result<Compiled> {
        if let Some((fh, fw)) = self.fixed_input {
            if (fh, fw) != (h, w) {
                return Err(Error::Inference(format!("this model takes {fh}×{fw} inputs, got {h}×{w}")));
            }
        }
        let mut plans = self.plans.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = plans.iter().position(|(k, _)| *k == (h, w)) {
            let entry = plans.remove(i);
            let compiled = entry.1.clone();
            plans.push(entry);
            return Ok(compiled);
        }
        let compiled = match self.engine {
            CpuEngine::Tract => Compiled::Tract(self.plan(h, w)?),
            CpuEngine::Program => match self.program(h, w) {
                Ok(program) => {
                    *self.fallback.lock().unwrap_or_else(|e| e.into_inner()) = None;
                    Compiled::Program(Arc::new(Mutex::new(program)))
                }
                Err(why) => {
                    *self.fallback.lock().unwrap_or_else(|e| e.into_inner()) = Some(why);
                    Compiled::Tract(self.plan(h, w)?)
                }
            },
        };
        if plans.len() >= PLAN_CACHE {
            plans.remove(0);
        }
        plans.push(((h, w), compiled.clone()));
        Ok(compiled)
    }

    /// The network (for an `nms=True` export, its part before the embedded NMS) lowered into our
    /// own program for an `h × w` input (`crate::program`), for either executor, or why not.
    pub fn lowered(&self, h: u32, w: u32) -> std::result::Result<crate::program::Program, crate::program::Unsupported> {
        let graph = self.decluttered(h, w).map_err(|e| crate::program::Unsupported(e.to_string()))?;
        crate::program::lower(&graph)
    }

    /// Our own program for an `h × w` input on the CPU executor, or why not.
    fn program(&self, h: u32, w: u32) -> std::result::Result<crate::cpu::CpuProgram, String> {
        let program = self.lowered(h, w).map_err(|e| e.to_string())?;
        crate::cpu::CpuProgram::new(program).map_err(|e| e.to_string())
    }

    /// tract's runnable plan for an input of `h × w`.
    fn plan(&self, h: u32, w: u32) -> Result<Plan> {
        let fact = InferenceFact::dt_shape(f32::datum_type(), tvec!(1, 3, h as usize, w as usize));
        let what = format!("cannot prepare the graph for a {h}×{w} input");
        let plan = tract_guarded(&what, || {
            self.model
                .clone()
                .with_input_fact(0, fact)
                .and_then(|m| m.into_optimized())
                .and_then(softmax_last_axis)
                .and_then(|m| m.into_runnable())
                .map_err(|e| invalid(format!("{what}: {e:#}")))
        })?;
        check_tensor_sizes(plan.model(), h, w)?;
        Ok(plan)
    }

    /// The graph for an `h × w` input, typed and decluttered but not optimised for the CPU: what
    /// the WebGPU executor lowers (src/program/lower/).
    pub fn decluttered(&self, h: u32, w: u32) -> Result<TypedModel> {
        let fact = InferenceFact::dt_shape(f32::datum_type(), tvec!(1, 3, h as usize, w as usize));
        let what = format!("cannot prepare the graph for a {h}×{w} input");
        let model = tract_guarded(&what, || {
            self.model
                .clone()
                .with_input_fact(0, fact)
                .and_then(|m| m.into_typed())
                .and_then(|m| m.into_decluttered())
                .map_err(|e| invalid(format!("{what}: {e:#}")))
        })?;
        check_tensor_sizes(&model, h, w)?;
        Ok(model)
    }

    /// The input size of a static export (`None` for a dynamic one).
    pub fn fixed_input(&self) -> Option<(u32, u32)> {
        self.fixed_input
    }

    /// Applies an `nms=True` export's embedded post-processing to the network's outputs (what
    /// [`Self::run`] or the WebGPU executor gave for the `[1, 3, h, w]` tensor `input`): the
    /// model's own outputs, in graph order. `None` for every other export (the outputs are final).
    pub fn complete(&self, h: u32, w: u32, input: &[f32], outputs: &[Output]) -> Result<Option<Vec<Output>>> {
        let Some(tail) = &self.tail else { return Ok(None) };
        let image = match tail.reads_input() {
            true => Some(
                Tensor::from_shape(&[1, 3, h as usize, w as usize], input)
                    .map_err(|e| Error::Inference(format!("input tensor: {e}")))?
                    .into_tvalue(),
            ),
            false => None,
        };
        let body = outputs
            .iter()
            .map(|o| Tensor::from_shape(&o.shape, &o.data).map(IntoTValue::into_tvalue))
            .collect::<TractResult<TVec<_>>>()
            .map_err(|e| Error::Inference(format!("network output: {e}")))?;
        let outputs = tail.run((h, w), image, body);
        #[cfg(not(target_arch = "wasm32"))]
        crate::cpu::clear_upper_simd_state();
        to_outputs(outputs?).map(Some)
    }

    /// Runs the network on a `[1, 3, h, w]` tensor and returns its outputs in graph order (for
    /// an `nms=True` export: the head's, before its embedded NMS; see [`Self::complete`]).
    pub fn run(&self, h: u32, w: u32, input: Vec<f32>) -> Result<Vec<Output>> {
        let plan = match self.compiled(h, w)? {
            Compiled::Tract(plan) => plan,
            Compiled::Program(program) => {
                // The program's products split over the same pool as tract's plan (`cpu::parallel`).
                let run = || program.lock().unwrap_or_else(|e| e.into_inner()).run(&input);
                #[cfg(not(target_arch = "wasm32"))]
                return self.threads.install(run);
                #[cfg(all(target_arch = "wasm32", feature = "threads"))]
                return super::web_pool::install(run);
                #[cfg(all(target_arch = "wasm32", not(feature = "threads")))]
                return run();
            }
        };
        let tensor = tract_ndarray::Array4::from_shape_vec((1, 3, h as usize, w as usize), input)
            .map_err(|e| Error::Inference(format!("input tensor: {e}")))?
            .into_tensor();
        let run = || plan.run(tvec!(tensor.into()));
        #[cfg(not(target_arch = "wasm32"))]
        let outputs = self.threads.install(run);
        #[cfg(not(target_arch = "wasm32"))]
        crate::cpu::clear_upper_simd_state();
        #[cfg(all(target_arch = "wasm32", feature = "threads"))]
        let outputs = super::web_pool::install(run);
        #[cfg(all(target_arch = "wasm32", not(feature = "threads")))]
        let outputs = run();
        to_outputs(outputs.map_err(|e| Error::Inference(format!("{e:#}")))?)
    }
}

/// tract's output values as [`Output`]s (numeric values cast to `f32`).
fn to_outputs(outputs: TVec<TValue>) -> Result<Vec<Output>> {
    outputs
        .into_iter()
        .map(|v| {
            let t = v.into_tensor();
            let t = t.cast_to::<f32>().map_err(|e| Error::Inference(format!("output is not numeric: {e}")))?;
            let data = t
                .try_as_plain_ram()
                .and_then(|v| v.as_slice::<f32>().map(<[f32]>::to_vec))
                .map_err(|e| Error::Inference(e.to_string()))?;
            Ok(Output { shape: t.shape().to_vec(), data })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source_of(shape: &[usize]) -> TypedModel {
        let mut model = TypedModel::default();
        model.add_source("x", f32::fact(shape)).unwrap();
        model
    }

    #[test]
    fn tensors_over_the_limit_are_refused_before_running() {
        assert!(check_tensor_sizes(&source_of(&[1, 3, 640, 640]), 640, 640).is_ok());
        assert!(check_tensor_sizes(&source_of(&[MAX_TENSOR_ELEMENTS]), 1, 1).is_ok());
        let err = check_tensor_sizes(&source_of(&[2, MAX_TENSOR_ELEMENTS]), 1, 1).unwrap_err();
        assert_eq!(err.code(), "unsupported_model");
        assert!(err.to_string().contains(&MAX_TENSOR_ELEMENTS.to_string()), "{err}");
        // A volume that overflows usize is refused, not wrapped.
        assert!(check_tensor_sizes(&source_of(&[usize::MAX / 2, 4]), 1, 1).is_err());
    }
}
