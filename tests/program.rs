//! Our own program on both of its executors natively — the WebGPU one on this machine's Vulkan
//! (Mesa's lavapipe in CI) and the CPU one (`yolo_wasm::cpu`):
//! - each kernel family against tract's result on random shapes (property tests: odd sizes,
//!   strides, padding, dilations, groups, broadcasting), through the same lowering the models
//!   use (a one-op tract graph, decluttered, lowered, run on each executor);
//! - every fixture model's outputs on each executor against tract's, and the GPU's predictions
//!   against Ultralytics' goldens under the parity tolerances.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use proptest::prelude::*;
use std::collections::{BTreeMap, HashMap};
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::binary::TypedBinOp;
use tract_onnx::tract_core::ops::cnn::{Conv, Deconv, KernelFormat, MaxPool, PaddingSpec, PoolSpec};
use tract_onnx::tract_core::ops::einsum::EinSum;
use tract_onnx::tract_core::ops::nn::{DataFormat, Softmax, SoftmaxKind};
use yolo_wasm::cpu::{CpuProgram, Kernels};
use yolo_wasm::gpu::{lower, Gpu, GpuProgram, Kernel};
use yolo_wasm::{Pixels, PredictOptions, YoloModel};

/// A device on this machine. None fails the test: a skipped GPU test must not count as passing.
fn gpu() -> Gpu {
    pollster::block_on(Gpu::request())
        .unwrap_or_else(|e| panic!("{e}: install Mesa's Vulkan drivers (mesa-vulkan-drivers, scripts/setup.sh)"))
}

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn tensor(shape: &[usize], seed: u64) -> Tensor {
    tract_ndarray::ArrayD::from_shape_vec(shape, values(shape.iter().product(), seed)).unwrap().into_tensor()
}

/// Runs `model` (one f32 input of `shape`) with tract's plan and through the lowering on both
/// executors (the CPU one on its tuned kernels, with the portable micro-kernel and on the scalar
/// references), and asserts every output agrees within `tol` (absolute, scaled by the magnitude).
fn same_as_tract(model: TypedModel, shape: &[usize], seed: u64, tol: f32) {
    let input = tensor(shape, seed);
    let theirs = model.clone().into_runnable().unwrap().run(tvec!(input.clone().into())).unwrap();
    let graph = model.into_decluttered().unwrap();
    let program = lower(&graph).unwrap_or_else(|e| panic!("not lowered: {e}"));
    let data = input.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec();
    let on_gpu = pollster::block_on(GpuProgram::new(gpu(), program.clone())).unwrap();
    let on_gpu = pollster::block_on(on_gpu.run(&data)).unwrap();
    let on_cpu = |kernels| CpuProgram::with_kernels(program.clone(), kernels).unwrap().run(&data).unwrap();
    let executors = [
        ("gpu", on_gpu),
        ("cpu", on_cpu(Kernels::Best)),
        ("cpu portable", on_cpu(Kernels::Portable)),
        ("cpu reference", on_cpu(Kernels::Reference)),
    ];
    for (executor, ours) in executors {
        assert_eq!(ours.len(), theirs.len());
        for (o, c) in ours.iter().zip(&theirs) {
            let c = c.clone().into_tensor();
            assert_eq!(o.shape, c.shape(), "{executor}: output shape");
            let c = c.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec();
            for (i, (a, b)) in o.data.iter().zip(&c).enumerate() {
                let close = (a - b).abs() <= tol * (1.0 + b.abs());
                assert!(close, "value {i}: {executor} {a} vs tract {b} (shape {:?})", o.shape);
            }
        }
    }
}

fn source(model: &mut TypedModel, shape: &[usize]) -> OutletId {
    model.add_source("x", f32::fact(shape)).unwrap()
}

fn konst(model: &mut TypedModel, name: &str, shape: &[usize], seed: u64) -> OutletId {
    model.add_const(name, tensor(shape, seed)).unwrap()
}

fn finish(mut model: TypedModel, out: OutletId) -> TypedModel {
    model.select_output_outlets(&[out]).unwrap();
    model
}

/// The input shape of a batch of one, channels first or last.
fn image_shape(c: usize, h: usize, w: usize, channels_last: bool) -> Vec<usize> {
    if channels_last {
        vec![1, h, w, c]
    } else {
        vec![1, c, h, w]
    }
}

/// Convolution geometry drawn so the output has at least one pixel.
#[derive(Debug, Clone)]
struct Geometry {
    h: usize,
    w: usize,
    k: (usize, usize),
    stride: (usize, usize),
    pad: (usize, usize, usize, usize),
    dil: (usize, usize),
}

fn geometry() -> impl Strategy<Value = Geometry> {
    (
        1usize..14,
        1usize..14,
        1usize..5,
        1usize..5,
        1usize..4,
        1usize..4,
        0usize..3,
        0usize..3,
        0usize..3,
        0usize..3,
        1usize..3,
        1usize..3,
    )
        .prop_map(|(h, w, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw)| Geometry {
            h,
            w,
            k: (kh, kw),
            stride: (sh, sw),
            pad: (pt, pl, pb, pr),
            dil: (dh, dw),
        })
        .prop_filter("an output pixel", |g| {
            g.h + g.pad.0 + g.pad.2 > g.dil.0 * (g.k.0 - 1) && g.w + g.pad.1 + g.pad.3 > g.dil.1 * (g.k.1 - 1)
        })
}

fn pool_spec(g: &Geometry, cin: usize, cout: usize, channels_last: bool) -> PoolSpec {
    PoolSpec {
        data_format: if channels_last { DataFormat::NHWC } else { DataFormat::NCHW },
        kernel_shape: tvec!(g.k.0, g.k.1),
        padding: PaddingSpec::Explicit(tvec!(g.pad.0, g.pad.1), tvec!(g.pad.2, g.pad.3)),
        dilations: Some(tvec!(g.dil.0, g.dil.1)),
        strides: Some(tvec!(g.stride.0, g.stride.1)),
        input_channels: cin,
        output_channels: cout,
    }
}

fn silu(model: &mut TypedModel, x: OutletId) -> OutletId {
    model.wire_node("act", tract_onnx::tract_core::ops::nn::silu::silu(), &[x]).unwrap()[0]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Dense (implicit GEMM), grouped and depthwise (direct) convolutions, channels first or
    /// last, bias and SiLU fused.
    #[test]
    fn convolution_equals_tract(g in geometry(), groups in 1usize..4, icg in 1usize..5, ocg in 1usize..6,
                                depthwise in any::<bool>(), act in any::<bool>(), last in any::<bool>(), seed in any::<u64>()) {
        let (groups, icg, ocg) = if depthwise { (groups * 3, 1, 1) } else { (groups, icg, ocg) };
        let (cin, cout) = (groups * icg, groups * ocg);
        let shape = image_shape(cin, g.h, g.w, last);
        let mut m = TypedModel::default();
        let x = source(&mut m, &shape);
        let k = konst(&mut m, "k", &[cout, icg, g.k.0, g.k.1], seed ^ 1);
        let b = konst(&mut m, "b", &[cout], seed ^ 2);
        let conv = Conv { pool_spec: pool_spec(&g, cin, cout, last), kernel_fmt: KernelFormat::OIHW, group: groups, q_params: None };
        let mut y = m.wire_node("conv", conv, &[x, k, b]).unwrap()[0];
        if act {
            y = silu(&mut m, y);
        }
        same_as_tract(finish(m, y), &shape, seed, 1e-4);
    }

    /// Transposed convolutions (the segmentation head's 2×2 / stride-2 upsampling and others).
    #[test]
    fn transposed_convolution_equals_tract(h in 1usize..9, w in 1usize..9, k in 1usize..4, s in 1usize..4,
                                           pad in 0usize..2, cin in 1usize..5, cout in 1usize..5, seed in any::<u64>()) {
        prop_assume!(pad < k);
        let g = Geometry { h, w, k: (k, k), stride: (s, s), pad: (pad, pad, pad, pad), dil: (1, 1) };
        prop_assume!((h - 1) * s + k > 2 * pad);
        let mut m = TypedModel::default();
        let x = source(&mut m, &[1, cin, h, w]);
        let kk = konst(&mut m, "k", &[cout, cin, k, k], seed ^ 1);
        let b = konst(&mut m, "b", &[cout], seed ^ 2);
        let op = Deconv { pool_spec: pool_spec(&g, cin, cout, false), kernel_format: KernelFormat::OIHW, adjustments: tvec!(0, 0), group: 1 };
        let y = m.wire_node("deconv", op, &[x, kk, b]).unwrap()[0];
        same_as_tract(finish(m, y), &[1, cin, h, w], seed, 1e-4);
    }

    /// Transposed convolutions whose kernel equals their stride (the segmentation proto's 2×2 /
    /// stride 2): one scattered matrix product per kernel tap, non-square kernels, channel counts
    /// across the product's tile edges, channels first or last, SiLU fused.
    #[test]
    fn tiling_transposed_convolution_equals_tract(h in 1usize..12, w in 1usize..12, kh in 1usize..4, kw in 1usize..4,
                                                  cin in 1usize..40, cout in 1usize..70, act in any::<bool>(),
                                                  last in any::<bool>(), seed in any::<u64>()) {
        let g = Geometry { h, w, k: (kh, kw), stride: (kh, kw), pad: (0, 0, 0, 0), dil: (1, 1) };
        let shape = image_shape(cin, h, w, last);
        let mut m = TypedModel::default();
        let x = source(&mut m, &shape);
        let kk = konst(&mut m, "k", &[cout, cin, kh, kw], seed ^ 1);
        let b = konst(&mut m, "b", &[cout], seed ^ 2);
        let op = Deconv { pool_spec: pool_spec(&g, cin, cout, last), kernel_format: KernelFormat::OIHW, adjustments: tvec!(0, 0), group: 1 };
        let mut y = m.wire_node("deconv", op, &[x, kk, b]).unwrap()[0];
        if act {
            y = silu(&mut m, y);
        }
        let model = finish(m, y);
        let steps = lower(&model.clone().into_decluttered().unwrap()).unwrap().steps;
        prop_assert!(steps.len() == 1 && matches!(Kernel::of(&steps[0].params), Kernel::Gemm | Kernel::GemmWide), "{steps:?}");
        same_as_tract(model, &shape, seed, 1e-4);
    }

    /// Max pooling with explicit and "same" padding, channels first or last.
    #[test]
    fn max_pool_equals_tract(g in geometry(), c in 1usize..5, same in any::<bool>(), last in any::<bool>(), seed in any::<u64>()) {
        prop_assume!(g.pad.0 < g.k.0 && g.pad.1 < g.k.1 && g.pad.2 < g.k.0 && g.pad.3 < g.k.1);
        let shape = image_shape(c, g.h, g.w, last);
        let mut spec = pool_spec(&g, c, c, last);
        if same {
            spec.padding = PaddingSpec::SameUpper;
            spec.dilations = None;
        }
        let mut m = TypedModel::default();
        let x = source(&mut m, &shape);
        let y = m.wire_node("pool", MaxPool { pool_spec: spec, with_index_outputs: None }, &[x]).unwrap()[0];
        same_as_tract(finish(m, y), &shape, seed, 1e-6);
    }

    /// Batched matrix products through the einsum grouping: plain, transposed operands, a
    /// weight on either side, a batch, and the attention block's forms.
    #[test]
    fn einsum_equals_tract(expr in prop::sample::select(vec![
        ("mk,kn->mn", 0), ("km,kn->mn", 0), ("mk,nk->mn", 0), ("bmk,bkn->bmn", 0), ("bkm,bkan->bman", 0),
        ("bmak,bnak->bmn", 0), ("ihw,oi->ohw", 1), ("hiw,i->hw", 0),
    ]), sizes in prop::collection::vec(1usize..70, 6), weight_first in any::<bool>(), seed in any::<u64>()) {
        let (expr, _) = expr;
        let axes: tract_onnx::tract_core::axes::AxesMapping = expr.parse().unwrap();
        let labels: Vec<char> = "bmknaiohw".chars().collect();
        let size_of = |c: char| sizes[labels.iter().position(|&l| l == c).unwrap() % 6];
        let (ins, _) = expr.split_once("->").unwrap();
        let (a, b) = ins.split_once(',').unwrap();
        let shape = |s: &str| s.chars().map(size_of).collect::<Vec<usize>>();
        let (sa, sb) = (shape(a), shape(b));
        let mut m = TypedModel::default();
        let (x, y) = if weight_first {
            let w = konst(&mut m, "w", &sa, seed ^ 3);
            (w, source(&mut m, &sb))
        } else {
            let x = source(&mut m, &sa);
            (x, konst(&mut m, "w", &sb, seed ^ 3))
        };
        let z = m.wire_node("einsum", EinSum::new(axes, f32::datum_type()), &[x, y]).unwrap()[0];
        let input = if weight_first { sb } else { sa };
        same_as_tract(finish(m, z), &input, seed, 1e-4);
    }

    /// Broadcasting arithmetic against a constant of any broadcastable shape (typed graphs have
    /// equal ranks), either side.
    #[test]
    fn binary_ops_equal_tract(shape in prop::collection::vec(1usize..7, 1..5), mask in any::<u8>(),
                              op in 0usize..4, swap in any::<bool>(), seed in any::<u64>()) {
        let other: Vec<usize> = shape.iter().enumerate().map(|(i, &d)| if mask >> i & 1 == 1 { 1 } else { d }).collect();
        let mini: Box<dyn tract_onnx::tract_core::ops::binary::BinMiniOp> = match op {
            0 => Box::new(tract_onnx::tract_core::ops::math::Add),
            1 => Box::new(tract_onnx::tract_core::ops::math::Sub),
            2 => Box::new(tract_onnx::tract_core::ops::math::Mul),
            _ => Box::new(tract_onnx::tract_core::ops::math::Max),
        };
        let mut m = TypedModel::default();
        let x = source(&mut m, &shape);
        let k = konst(&mut m, "k", &other, seed ^ 5);
        let inputs = if swap { [k, x] } else { [x, k] };
        let y = m.wire_node("bin", TypedBinOp(mini, None), &inputs).unwrap()[0];
        same_as_tract(finish(m, y), &shape, seed, 1e-5);
    }

    /// Softmax over any one axis.
    #[test]
    fn softmax_equals_tract(shape in prop::collection::vec(1usize..20, 1..4), axis in 0usize..3, seed in any::<u64>()) {
        let axis = axis % shape.len();
        let mut m = TypedModel::default();
        let x = source(&mut m, &shape);
        let op = Softmax { axes: tvec!(axis), quant_output_dt: None, kind: SoftmaxKind::Softmax };
        let y = m.wire_node("softmax", op, &[x]).unwrap()[0];
        same_as_tract(finish(m, y), &shape, seed, 1e-5);
    }
}

/// Element-wise functions, concat, slice, nearest upsample, reshape and a sum, on odd shapes.
#[test]
fn element_wise_and_layout_ops_equal_tract() {
    use tract_onnx::tract_core::ops::array::{Slice, TypedConcat};
    use tract_onnx::tract_core::ops::change_axes::AxisOp;
    use tract_onnx::tract_core::ops::nn::{NearestUpsample, Reduce, Reducer};
    let shape = [1, 5, 7, 3];
    for (i, f) in [
        tract_onnx::tract_core::ops::nn::sigmoid(),
        tract_onnx::tract_core::ops::math::sin(),
        tract_onnx::tract_core::ops::math::cos(),
        tract_onnx::tract_core::ops::nn::silu::silu(),
    ]
    .into_iter()
    .enumerate()
    {
        let mut m = TypedModel::default();
        let x = source(&mut m, &shape);
        let y = m.wire_node("f", f, &[x]).unwrap()[0];
        same_as_tract(finish(m, y), &shape, i as u64, 1e-5);
    }
    let mut m = TypedModel::default();
    let x = source(&mut m, &shape);
    let a = m.wire_node("a", Slice::new(1, 1, 4), &[x]).unwrap()[0];
    let b = m.wire_node("b", tract_onnx::tract_core::ops::nn::sigmoid(), &[x]).unwrap()[0];
    let c = m.wire_node("cat", TypedConcat::new(1), &[a, b, a]).unwrap()[0];
    let u = m.wire_node("up", NearestUpsample { scales: tvec!(1, 1, 2, 3) }, &[c]).unwrap()[0];
    let r =
        m.wire_node("rs", AxisOp::Reshape(2, tvec!(14.to_dim(), 9.to_dim()), tvec!(126.to_dim())), &[u]).unwrap()[0];
    let t = m.wire_node("mv", AxisOp::Move(2, 1), &[r]).unwrap()[0];
    let s = m.wire_node("sum", Reduce::new(tvec!(2), Reducer::Sum), &[t]).unwrap()[0];
    same_as_tract(finish(m, s), &shape, 9, 1e-4);
}

/// A 1×1 convolution over a concatenation of three convolutions' outputs, with bias and SiLU (a
/// YOLO11 C3k2 block's `cv2`): tract declutters it into one product per part summed by `Add`s;
/// the fusion pass (`program::fuse`) leaves only the three products (the later two add into the
/// first one's output, the last also adds the bias and applies the SiLU), which equal tract's.
#[test]
fn a_convolution_over_a_concatenation_runs_as_products_that_add_in_place() {
    use tract_onnx::tract_core::ops::array::TypedConcat;
    use yolo_wasm::program::Params;
    let (h, w) = (7, 9);
    for (seed, channels) in [(1u64, [3, 5, 4]), (2, [8, 1, 6])] {
        let shape = [1, 4, h, w];
        let mut m = TypedModel::default();
        let x = source(&mut m, &shape);
        let g = Geometry { h, w, k: (3, 3), stride: (1, 1), pad: (1, 1, 1, 1), dil: (1, 1) };
        let parts: Vec<OutletId> = channels
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let k = konst(&mut m, &format!("k{i}"), &[c, 4, 3, 3], seed + i as u64);
                let b = konst(&mut m, &format!("b{i}"), &[c], seed + 10 + i as u64);
                let conv = Conv {
                    pool_spec: pool_spec(&g, 4, c, false),
                    kernel_fmt: KernelFormat::OIHW,
                    group: 1,
                    q_params: None,
                };
                m.wire_node(format!("part{i}"), conv, &[x, k, b]).unwrap()[0]
            })
            .collect();
        let cat = m.wire_node("cat", TypedConcat::new(1), &parts).unwrap()[0];
        let cin: usize = channels.iter().sum();
        let one = Geometry { k: (1, 1), pad: (0, 0, 0, 0), ..g };
        let k = konst(&mut m, "k", &[6, cin, 1, 1], seed ^ 7);
        let b = konst(&mut m, "b", &[6], seed ^ 8);
        let conv = Conv {
            pool_spec: pool_spec(&one, cin, 6, false),
            kernel_fmt: KernelFormat::OIHW,
            group: 1,
            q_params: None,
        };
        let y = m.wire_node("cv2", conv, &[cat, k, b]).unwrap()[0];
        let y = silu(&mut m, y);
        let model = finish(m, y);
        let program = lower(&model.clone().into_decluttered().unwrap()).unwrap();
        let families: Vec<&str> = program.steps.iter().map(|s| s.params.family()).collect();
        assert!(families.iter().all(|f| *f == "gemm"), "only products are left: {families:?}\n{:#?}", program.steps);
        let accumulating =
            program.steps.iter().filter(|s| matches!(s.params, Params::Gemm(p) if p.accumulate == 1)).count();
        assert_eq!(accumulating, 2, "{:#?}", program.steps.iter().map(|s| &s.label).collect::<Vec<_>>());
        same_as_tract(model, &shape, seed, 1e-4);
    }
}

/// Every fixture model: all outputs on each executor equal tract's (the raw network values,
/// before any decoding), on one letterboxed image. Dynamic exports run on the CPU program at the
/// letterboxed size (the GPU takes static exports only).
#[test]
fn every_fixture_model_computes_what_tract_computes() {
    let cases = common::cases();
    let mut models: Vec<&str> = cases.iter().map(|c| c.model.as_str()).collect();
    models.sort();
    models.dedup();
    assert!(models.len() >= 10, "{models:?}");
    for name in models {
        let bytes = std::fs::read(common::fixture(&format!("models/{name}"))).unwrap();
        let model = YoloModel::load(&bytes, name).unwrap();
        let case = cases.iter().find(|c| c.model == name).unwrap();
        let img = common::oracle_pixels(&case.image);
        let px = Pixels::new(img.width(), img.height(), 3, img.as_raw()).unwrap();
        let opts = PredictOptions::from_raw(Some(case.imgsz as f64), None, None).unwrap();
        let input = model.prepare(&px, &opts).unwrap();
        let theirs = yolo_wasm::model::Session::load(&bytes)
            .unwrap()
            .1
            .run(input.input_h, input.input_w, input.tensor.clone())
            .unwrap();
        let program = model.program(input.input_h, input.input_w).unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut runs = vec![("cpu", CpuProgram::new(program.clone()).unwrap().run(&input.tensor).unwrap())];
        if !name.contains("dynamic") {
            let gpu = pollster::block_on(GpuProgram::new(gpu(), program)).unwrap();
            runs.push(("gpu", pollster::block_on(gpu.run(&input.tensor)).unwrap()));
        }
        for (executor, ours) in runs {
            assert_eq!(ours.len(), theirs.len(), "{name}");
            for (o, t) in ours.iter().zip(&theirs) {
                assert_eq!(o.shape, t.shape, "{name}");
                let worst =
                    o.data.iter().zip(&t.data).map(|(a, b)| (a - b).abs() / (1.0 + b.abs())).fold(0f32, f32::max);
                println!("{name} on the {executor}: output {:?} worst relative difference {worst:.2e}", o.shape);
                assert!(worst < 2e-3, "{name} on the {executor}: output {:?} differs by {worst}", o.shape);
            }
        }
    }
}

/// Predictions on the GPU against Ultralytics' goldens, the first case of every static model
/// and task (the CPU path's `tests/parity.rs` runs them all; the browser tests, `tests/web/gpu.rs`,
/// run several cases per task on WebGPU). One case a model: on lavapipe each 640 inference takes
/// seconds, and three cases a model were 4.5 of the native tests' 10 minutes.
#[test]
fn gpu_predictions_match_ultralytics() {
    let cases = common::cases();
    let mut per_model: HashMap<String, usize> = HashMap::new();
    let mut runs: HashMap<String, (YoloModel, GpuProgram)> = HashMap::new();
    let mut failures = Vec::new();
    let mut worst: BTreeMap<String, common::Errors> = BTreeMap::new();
    let mut checked = 0;
    for case in cases.iter().filter(|c| !c.model.contains("dynamic")) {
        let n = per_model.entry(case.model.clone()).or_default();
        if *n >= 1 {
            continue;
        }
        *n += 1;
        let (model, run) = runs.entry(case.model.clone()).or_insert_with(|| {
            let bytes = std::fs::read(common::fixture(&format!("models/{}", case.model))).unwrap();
            let model = YoloModel::load(&bytes, case.model.clone()).unwrap();
            let run = pollster::block_on(GpuProgram::new(gpu(), model.gpu_program().unwrap())).unwrap();
            (model, run)
        });
        let img = common::oracle_pixels(&case.image);
        let px = Pixels::new(img.width(), img.height(), 3, img.as_raw()).unwrap();
        let opts = PredictOptions::from_raw(Some(case.imgsz as f64), Some(case.conf), Some(case.iou)).unwrap();
        let input = model.prepare(&px, &opts).unwrap();
        let t = web_time::Instant::now();
        let outputs = pollster::block_on(run.run(&input.tensor)).unwrap();
        let ours = model.finish(input, t, &outputs, &opts).unwrap();
        let golden = common::golden(case);
        checked += 1;
        match common::compare(&ours.results, &golden.images[0].results, &case.case) {
            Ok(e) => worst.entry(case.model.clone()).or_default().merge(&e),
            Err(msg) => failures.push(msg),
        }
    }
    for (model, e) in worst {
        println!("gpu parity {model}: {e}");
    }
    assert!(checked >= 10, "{checked} cases");
    assert!(failures.is_empty(), "{} of {checked} cases differ:\n{}", failures.len(), failures.join("\n"));
}

/// A small YOLO-like detect model built by hand: `images [1, 3, 64, 64]` → `Conv` 3×3 stride 32
/// to 7 channels (4 box values + 3 classes) → `op` (a one-input ONNX op) → `Reshape` to
/// `[1, 7, 4]`, with Ultralytics' metadata.
fn handmade_detect(op: &str) -> Vec<u8> {
    use prost::Message;
    use tract_onnx::pb::{self, attribute_proto::AttributeType, tensor_proto::DataType, type_proto};
    let floats = |name: &str, dims: &[i64], seed: u64| pb::TensorProto {
        name: name.into(),
        dims: dims.to_vec(),
        data_type: DataType::Float as i32,
        float_data: values(dims.iter().product::<i64>() as usize, seed),
        ..Default::default()
    };
    let ints = |name: &str, v: &[i64]| pb::AttributeProto {
        name: name.into(),
        r#type: AttributeType::Ints as i32,
        ints: v.to_vec(),
        ..Default::default()
    };
    let node = |op: &str, inputs: &[&str], output: &str, attribute: Vec<pb::AttributeProto>| pb::NodeProto {
        op_type: op.into(),
        name: output.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.into()],
        attribute,
        ..Default::default()
    };
    let value = |name: &str, dims: &[i64]| pb::ValueInfoProto {
        name: name.into(),
        r#type: Some(pb::TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: DataType::Float as i32,
                shape: Some(pb::TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| pb::tensor_shape_proto::Dimension {
                            value: Some(pb::tensor_shape_proto::dimension::Value::DimValue(d)),
                            ..Default::default()
                        })
                        .collect(),
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    };
    let conv_attrs = vec![ints("kernel_shape", &[3, 3]), ints("strides", &[32, 32]), ints("pads", &[1, 1, 1, 1])];
    let shape = pb::TensorProto {
        name: "shape".into(),
        dims: vec![3],
        data_type: DataType::Int64 as i32,
        int64_data: vec![1, 7, -1],
        ..Default::default()
    };
    let graph = pb::GraphProto {
        name: "handmade".into(),
        node: vec![
            node("Conv", &["images", "w", "b"], "conv", conv_attrs),
            node(op, &["conv"], "act", vec![]),
            node("Reshape", &["act", "shape"], "output0", vec![]),
        ],
        initializer: vec![floats("w", &[7, 3, 3, 3], 1), floats("b", &[7], 2), shape],
        input: vec![value("images", &[1, 3, 64, 64])],
        output: vec![value("output0", &[1, 7, 4])],
        ..Default::default()
    };
    let meta = [
        ("task", "detect"),
        ("names", "{0: 'a', 1: 'b', 2: 'c'}"),
        ("imgsz", "[64, 64]"),
        ("stride", "32"),
        ("batch", "1"),
    ];
    pb::ModelProto {
        ir_version: 8,
        opset_import: vec![pb::OperatorSetIdProto { domain: String::new(), version: 17 }],
        graph: Some(graph),
        metadata_props: meta
            .iter()
            .map(|(k, v)| pb::StringStringEntryProto { key: k.to_string(), value: v.to_string() })
            .collect(),
        ..Default::default()
    }
    .encode_to_vec()
}

/// Our CPU program runs a graph whose ops it covers; with an op it does not cover (`Erf`), the
/// model runs on tract's plan instead, says why, and predicts what tract's plan predicts.
#[test]
fn an_uncovered_op_falls_back_to_tracts_plan_with_the_reason() {
    use yolo_wasm::model::CpuEngine;
    let img = common::oracle_pixels("bus.jpg");
    let px = Pixels::new(img.width(), img.height(), 3, img.as_raw()).unwrap();
    let opts = PredictOptions::from_raw(Some(64.0), Some(0.01), None).unwrap();
    for (op, covered) in [("Sigmoid", true), ("Erf", false)] {
        let bytes = handmade_detect(op);
        let tract = YoloModel::load(&bytes, op).unwrap();
        let program = YoloModel::load_on(&bytes, op, CpuEngine::Program).unwrap();
        let expected = tract.predict(&px, &opts).unwrap();
        let ours = program.predict(&px, &opts).unwrap();
        match (covered, program.cpu_engine_fallback()) {
            (true, None) => {}
            (false, Some(why)) => assert!(why.contains("Erf"), "the reason names the op: {why}"),
            (_, why) => panic!("{op}: covered {covered}, fallback {why:?}"),
        }
        assert!(!expected.results.is_empty(), "{op}: a test that predicts nothing proves nothing");
        common::compare(&ours.results, &expected.results, op).unwrap_or_else(|e| panic!("{op}: {e}"));
    }
}
