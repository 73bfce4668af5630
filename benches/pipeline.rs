//! Native benchmarks of the CPU stages around inference: letterbox, decode + NMS, and masks →
//! polygons. `cargo bench --bench pipeline` (or `make bench`'s native part).
//!
//! Inputs are real where that is cheap: the fixture images, and the raw outputs of the fixture
//! models on bus.jpg (one tract run each at start-up); plus synthetic cases from a fixed-seed
//! generator (8400 candidates, blob masks) so the numbers do not depend on what a model detects.
//!
//! `TRACT_PROFILE=tests/fixtures/models/yolo11n-shapes.onnx cargo bench --bench pipeline` instead
//! profiles tract on that model at 640: whole-run times of a few ways to build the plan, then the
//! time per op (kind and node) of the plan `Session` builds. `TRACT_PROFILE_RUNS` (default 10);
//! `TRACT_PROFILE_THREADS=2` adds the same profile on tract's multithread executor (2 threads).

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
    use std::hint::black_box;
    use std::path::PathBuf;
    use yolo_wasm::model::session::softmax_last_axis;
    use yolo_wasm::model::{Output, Session};
    use yolo_wasm::pipeline::contours::mask_polygon;
    use yolo_wasm::pipeline::decode::{dense_candidates, Table};
    use yolo_wasm::pipeline::masks::{box_mask, BoxMask, Protos};
    use yolo_wasm::pipeline::nms::{greedy, Candidate};
    use yolo_wasm::pipeline::preprocess::{letterbox_tensor, Letterbox, Pixels};

    const MAX_DET: usize = 300;

    fn fixture(rel: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
    }

    fn rgb(rel: &str) -> image::RgbImage {
        image::open(fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")).to_rgb8()
    }

    /// xorshift64*: deterministic numbers in [0, 1).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f32 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 40) as f32 / (1u64 << 24) as f32
        }
    }

    /// A model's raw outputs on bus.jpg (letterboxed to its static 640 input).
    fn outputs(model: &str) -> (usize, Vec<Output>) {
        let bytes = std::fs::read(fixture(&format!("models/{model}"))).unwrap();
        let (info, session) = Session::load(&bytes).unwrap();
        let img = rgb("images/bus.jpg");
        let px = Pixels::new(img.width(), img.height(), 3, img.as_raw()).unwrap();
        let lb = Letterbox::new(px.height, px.width, (640, 640), false, 32);
        let out = session.run(640, 640, letterbox_tensor(&px, &lb)).unwrap();
        (info.num_classes(), out)
    }

    fn candidates(out: &Output, nc: usize, extra: usize, conf: f32) -> Vec<Candidate> {
        let t = Table::new(out, 4 + nc + extra, false, "bench").unwrap();
        dense_candidates(&t, nc, conf, true)
    }

    /// 8400 candidates: boxes clustered around 40 objects (as a detector's overlapping anchors
    /// are), 3 classes, scores in (0.25, 1).
    fn synthetic_candidates(n: usize) -> Vec<Candidate> {
        let mut r = Rng(0x5EED_1234_ABCD_0001);
        let objects: Vec<[f32; 4]> = (0..40)
            .map(|_| {
                let (w, h) = (20.0 + 200.0 * r.next(), 20.0 + 200.0 * r.next());
                [r.next() * (640.0 - w), r.next() * (640.0 - h), w, h]
            })
            .collect();
        (0..n)
            .map(|row| {
                let o = objects[row % objects.len()];
                let j = |r: &mut Rng, s: f32| (r.next() - 0.5) * 0.3 * s;
                let (x, y) = (o[0] + j(&mut r, o[2]), o[1] + j(&mut r, o[3]));
                let (w, h) = (o[2] * (0.8 + 0.4 * r.next()), o[3] * (0.8 + 0.4 * r.next()));
                Candidate {
                    bbox: [x, y, x + w, y + h],
                    score: 0.25 + 0.75 * r.next(),
                    class: (r.next() * 3.0) as u32,
                    row,
                }
            })
            .collect()
    }

    /// A `size × size` mask of a few overlapping ellipses (several parts, concave outlines).
    fn blob_mask(size: usize, seed: u64) -> Vec<u8> {
        let mut r = Rng(seed);
        let s = size as f32;
        let blobs: Vec<[f32; 4]> = (0..6)
            .map(|_| {
                [
                    s * (0.15 + 0.7 * r.next()),
                    s * (0.15 + 0.7 * r.next()),
                    s * (0.05 + 0.15 * r.next()),
                    s * (0.05 + 0.15 * r.next()),
                ]
            })
            .collect();
        let mut m = vec![0u8; size * size];
        for y in 0..size {
            for x in 0..size {
                let inside = blobs.iter().any(|b| {
                    let (dx, dy) = ((x as f32 - b[0]) / b[2], (y as f32 - b[1]) / b[3]);
                    dx * dx + dy * dy <= 1.0
                });
                m[y * size + x] = u8::from(inside);
            }
        }
        m
    }

    fn letterbox(c: &mut Criterion) {
        let mut g = c.benchmark_group("letterbox");
        for (name, rel) in [("1920x1080", "images/large-1920x1080.png"), ("810x1080", "images/bus.jpg")] {
            let img = rgb(rel);
            let px = Pixels::new(img.width(), img.height(), 3, img.as_raw()).unwrap();
            let lb = Letterbox::new(px.height, px.width, (640, 640), false, 32);
            g.throughput(Throughput::Elements(u64::from(img.width() * img.height())));
            g.bench_function(BenchmarkId::new("to_640", name), |b| b.iter(|| letterbox_tensor(black_box(&px), &lb)));
            // RGBA, as browsers hand pixels over (ImageData).
            let rgba: Vec<u8> = img.as_raw().chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
            let px = Pixels::new(img.width(), img.height(), 4, &rgba).unwrap();
            let id = BenchmarkId::new("to_640", format!("{name} rgba"));
            g.bench_function(id, |b| b.iter(|| letterbox_tensor(black_box(&px), &lb)));
        }
        g.finish();
    }

    fn nms(c: &mut Criterion) {
        let (nc, out) = outputs("yolo11n-shapes.onnx");
        let mut g = c.benchmark_group("decode_nms");
        g.bench_function("decode/yolo11n-bus 8400x7", |b| {
            b.iter(|| candidates(black_box(&out[0]), nc, 0, 0.25));
        });
        for conf in [0.25f32, 0.01] {
            let cands = candidates(&out[0], nc, 0, conf);
            let id = format!("greedy/yolo11n-bus conf{conf} ({} candidates)", cands.len());
            g.bench_function(id, |b| b.iter(|| greedy(black_box(cands.clone()), 0.45, MAX_DET)));
        }
        let synth = synthetic_candidates(8400);
        g.bench_function("greedy/synthetic 8400 candidates", |b| {
            b.iter(|| greedy(black_box(synth.clone()), 0.45, MAX_DET));
        });
        g.finish();
    }

    fn masks(c: &mut Criterion) {
        let (nc, out) = outputs("yolo11n-seg-shapes.onnx");
        let protos_out = out.iter().find(|o| o.shape.len() == 4).unwrap();
        let table_out = out.iter().find(|o| o.shape.len() == 3).unwrap();
        let protos = Protos::new(protos_out).unwrap();
        let t = Table::new(table_out, 4 + nc + protos.nm, false, "bench").unwrap();
        let kept = greedy(dense_candidates(&t, nc, 0.25, true), 0.45, MAX_DET);
        let coeffs: Vec<Vec<f32>> =
            kept.iter().map(|k| (0..protos.nm).map(|i| t.get(k.row, 4 + nc + i)).collect()).collect();
        let mut g = c.benchmark_group("masks");
        let masks_of = |protos: &Protos| -> Vec<BoxMask> {
            kept.iter().zip(&coeffs).map(|(k, co)| box_mask(protos, co, k.bbox, 640, 640)).collect()
        };
        let bus_masks = masks_of(&protos);
        g.bench_function(format!("box_mask/seg-shapes-bus ({} boxes)", kept.len()), |b| {
            b.iter(|| masks_of(black_box(&protos)));
        });
        g.bench_function(format!("mask_polygon/seg-shapes-bus ({} masks)", bus_masks.len()), |b| {
            b.iter(|| {
                bus_masks
                    .iter()
                    .filter(|m| !m.is_empty())
                    .map(|m| mask_polygon(black_box(&m.bits), m.width, m.height).len())
                    .sum::<usize>()
            });
        });
        for size in [160usize, 640] {
            let m = blob_mask(size, 7 + size as u64);
            g.bench_function(BenchmarkId::new("mask_polygon/blobs", format!("{size}x{size}")), |b| {
                b.iter(|| mask_polygon(black_box(&m), size, size));
            });
        }
        g.finish();
    }

    criterion_group!(benches, letterbox, nms, masks);

    /// The ONNX model with a concrete 1×3×640×640 input, read as `Session::load` reads it.
    fn typed_640(path: &str) -> tract_onnx::prelude::TypedModel {
        use tract_onnx::prelude::*;
        let onnx = tract_onnx::onnx().with_ignore_output_shapes(true).with_ignore_value_info(true);
        let model = onnx.model_for_path(path).unwrap();
        let fact = InferenceFact::dt_shape(f32::datum_type(), tvec!(1, 3, 640, 640));
        model.with_input_fact(0, fact).unwrap().into_typed().unwrap()
    }

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }

    /// Per-op profile of tract on one model (see the module docs).
    fn tract_profile(path: &str) {
        use std::collections::BTreeMap;
        use std::time::Instant;
        use tract_onnx::prelude::*;
        use tract_onnx::tract_core::plan::SimpleState;
        use tract_onnx::tract_core::transform::get_transform;
        let runs: usize = std::env::var("TRACT_PROFILE_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
        let img = rgb("images/bus.jpg");
        let px = Pixels::new(img.width(), img.height(), 3, img.as_raw()).unwrap();
        let lb = Letterbox::new(px.height, px.width, (640, 640), false, 32);
        let input: Tensor =
            tract_ndarray::Array4::from_shape_vec((1, 3, 640, 640), letterbox_tensor(&px, &lb)).unwrap().into_tensor();

        // 1. Whole runs, plans built in different ways, interleaved run by run.
        let t = Instant::now();
        let typed = typed_640(path);
        println!("load + type: {:.0} ms", t.elapsed().as_secs_f64() * 1e3);
        type Variant = (&'static str, Arc<TypedRunnableModel>);
        let build =
            |name: &'static str, f: &dyn Fn(TypedModel) -> TractResult<TypedModel>, opts: RunOptions| -> Variant {
                let t = Instant::now();
                let plan = f(typed.clone()).and_then(|m| m.into_runnable_with_options(&opts)).unwrap();
                println!(
                    "{name}: plan built in {:.0} ms, {} nodes",
                    t.elapsed().as_secs_f64() * 1e3,
                    plan.model().nodes().len()
                );
                (name, plan)
            };
        let variants: Vec<Variant> = vec![
            build("into_optimized (ours)", &|m| m.into_optimized(), RunOptions::default()),
            build(
                "into_decluttered + into_optimized",
                &|m| m.into_decluttered()?.into_optimized(),
                RunOptions::default(),
            ),
            build(
                "conv_nhwc + into_optimized",
                &|mut m| {
                    m.declutter()?;
                    get_transform("conv_nhwc")?.unwrap().transform(&mut m)?;
                    m.into_optimized()
                },
                RunOptions::default(),
            ),
            build(
                "into_optimized + softmax on the last axis",
                &|m| softmax_last_axis(m.into_optimized()?),
                RunOptions::default(),
            ),
            build(
                "softmax on the last axis + into_optimized",
                &|m| softmax_last_axis(m.into_decluttered()?)?.into_optimized(),
                RunOptions::default(),
            ),
            build(
                "into_optimized, skip_order_opt_ram",
                &|m| m.into_optimized(),
                RunOptions { skip_order_opt_ram: true, ..RunOptions::default() },
            ),
        ];
        let reference = variants[0].1.run(tvec!(input.clone().into())).unwrap();
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); variants.len()];
        for _ in 0..runs {
            for (i, (_, plan)) in variants.iter().enumerate() {
                let t = Instant::now();
                let out = plan.run(tvec!(input.clone().into())).unwrap();
                times[i].push(t.elapsed().as_secs_f64() * 1e3);
                black_box(out);
            }
        }
        for ((name, plan), t) in variants.iter().zip(&times) {
            let out = plan.run(tvec!(input.clone().into())).unwrap();
            let diff = out
                .iter()
                .zip(&reference)
                .map(|(a, b)| {
                    let f = |t: &TValue| t.try_as_plain_ram().unwrap().as_slice::<f32>().unwrap().to_vec();
                    let (a, b) = (f(a), f(b));
                    a.iter().zip(&b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max)
                })
                .fold(0f32, f32::max);
            let min = t.iter().copied().fold(f64::INFINITY, f64::min);
            println!(
                "{name}: median {:.1} ms, min {min:.1} ms over {runs} runs; max |Δ| vs ours {diff:.2e}",
                median(t.clone())
            );
        }

        // 2. Time per node of a plan (TRACT_PROFILE_VARIANT, an index into the list above; 0 =
        // ours), medians over the runs.
        let v: usize = std::env::var("TRACT_PROFILE_VARIANT").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
        println!("\nper node: {}", variants[v].0);
        let plan = variants[v].1.clone();
        // TRACT_PROFILE_THREADS=N (N > 1): the same per-node profile again inside tract's
        // multithread executor on N threads, runs alternating, to see which ops do not scale.
        let threads: usize = std::env::var("TRACT_PROFILE_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(1);
        let pool = (threads > 1).then(|| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            tract_linalg::multithread::Executor::MultiThread(Arc::new(pool))
        });
        let profile_once = |per_node: &mut BTreeMap<usize, Vec<f64>>| {
            let mut state = SimpleState::new(&plan).unwrap();
            state
                .run_plan_with_eval(tvec!(input.clone().into()), |ctx, op_state, node, inputs| {
                    let t = Instant::now();
                    let r = tract_onnx::tract_core::plan::eval(ctx, op_state, node, inputs);
                    per_node.entry(node.id).or_default().push(t.elapsed().as_secs_f64() * 1e3);
                    r
                })
                .unwrap();
        };
        let mut per_node: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        let mut per_node_mt: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for _ in 0..runs {
            profile_once(&mut per_node);
            if let Some(exec) = &pool {
                tract_linalg::multithread::multithread_tract_scope(exec.clone(), || profile_once(&mut per_node_mt));
            }
        }
        let model = plan.model();
        let node_ms: Vec<(usize, f64)> = per_node.into_iter().map(|(id, v)| (id, median(v))).collect();
        let node_ms_mt: BTreeMap<usize, f64> = per_node_mt.into_iter().map(|(id, v)| (id, median(v))).collect();
        let total: f64 = node_ms.iter().map(|x| x.1).sum();
        let total_mt: f64 = node_ms_mt.values().sum();
        let mut by_kind: BTreeMap<String, (f64, usize, f64)> = BTreeMap::new();
        for &(id, ms) in &node_ms {
            let e = by_kind.entry(model.node(id).op().name().to_string()).or_default();
            e.0 += ms;
            e.1 += 1;
            e.2 += node_ms_mt.get(&id).copied().unwrap_or(0.0);
        }
        let mut kinds: Vec<_> = by_kind.into_iter().collect();
        kinds.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
        println!("\nper op kind (sum of per-node medians {total:.1} ms over {} nodes):", node_ms.len());
        if pool.is_some() {
            println!("at {threads} threads: {total_mt:.1} ms ({:.2} of one thread)", total_mt / total);
            println!("| op | nodes | ms, 1 thread | share | ms, {threads} threads | {threads}t ÷ 1t |\n|---|---:|---:|---:|---:|---:|");
            for (k, (ms, n, mt)) in &kinds {
                println!("| {k} | {n} | {ms:.1} | {:.1} % | {mt:.1} | {:.2} |", 100.0 * ms / total, mt / ms);
            }
        } else {
            println!("| op | nodes | ms | share |\n|---|---:|---:|---:|");
            for (k, (ms, n, _)) in &kinds {
                println!("| {k} | {n} | {ms:.1} | {:.1} % |", 100.0 * ms / total);
            }
        }
        let mut top = node_ms.clone();
        top.sort_by(|a, b| b.1.total_cmp(&a.1));
        println!("\nslowest nodes:");
        for &(id, ms) in top.iter().take(25) {
            let n = model.node(id);
            let shape = n.outputs.first().map(|o| format!("{:?}", o.fact.shape)).unwrap_or_default();
            println!("{ms:7.2} ms  {:5.1} %  #{id} {} {} → {shape}", 100.0 * ms / total, n.op().name(), n.name);
        }
    }

    pub fn main() {
        if let Ok(path) = std::env::var("TRACT_PROFILE") {
            return tract_profile(&path);
        }
        benches();
        Criterion::default().configure_from_args().final_summary();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {}
