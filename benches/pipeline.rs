//! Native benchmarks of the CPU stages around inference: letterbox, decode + NMS, and masks →
//! polygons. `cargo bench --bench pipeline` (or `make bench`'s native part).
//!
//! Inputs are real where that is cheap: the fixture images, and the raw outputs of the fixture
//! models on bus.jpg (one tract run each at start-up); plus synthetic cases from a fixed-seed
//! generator (8400 candidates, blob masks) so the numbers do not depend on what a model detects.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
    use std::hint::black_box;
    use std::path::PathBuf;
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

    pub fn main() {
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
