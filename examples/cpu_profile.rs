//! Our CPU program on a model, step by step, next to tract's plan on the same input: per kernel
//! family the time and GFLOP/s, then the slowest steps; and both engines on a pool of `threads`
//! (default 2): `cargo run --release --example cpu_profile -- model.onnx [runs] [threads] [family]`;
//! with a family (e.g. `unary`) or a part of a node name every such step is listed too.

use std::collections::BTreeMap;
use yolo_wasm::cpu::CpuProgram;
use yolo_wasm::YoloModel;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: cpu_profile model.onnx [runs]")?;
    let runs: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let threads: usize = args.next().map_or(Ok(2), |r| r.parse())?;
    let family = args.next();
    let bytes = std::fs::read(&path)?;
    let model = YoloModel::load(&bytes, path.clone())?;
    let [h, w] = model.info().imgsz;
    let mut program = CpuProgram::new(model.program(h, w)?)?;
    let input = vec![0.5f32; 3 * h as usize * w as usize];
    let session = yolo_wasm::model::Session::load(&bytes)?.1;
    let best = |f: &mut dyn FnMut()| {
        (0..runs)
            .map(|_| {
                let t = std::time::Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .fold(f64::INFINITY, f64::min)
    };
    // Ours first, then tract's, then ours again: tract's AVX kernels leave the upper halves of
    // the YMM registers dirty, which made every later SSE instruction of ours ~4× slower on this
    // machine until `cpu::clear_upper_simd_state` (run before our program and after tract's
    // plan); `after` shows that it holds.
    let ours = best(&mut || drop(program.run(&input)));
    let times = program.profile(&input)?;
    let tract = best(&mut || drop(session.run(h, w, input.clone())));
    let after = best(&mut || drop(program.run(&input)));

    // Both engines through their sessions on one pool (native only: wasm has no `Threads`).
    #[cfg(not(target_arch = "wasm32"))]
    let pooled = Some(on_pool(&bytes, [h, w], &input, runs, threads)?);
    #[cfg(target_arch = "wasm32")]
    let pooled: Option<(f64, f64)> = None;

    let macs: u64 = times.iter().map(|t| t.macs).sum();
    println!("{path} at {h}×{w}: {} steps, {:.2} GMAC", times.len(), macs as f64 / 1e9);
    println!("best of {runs}: our program {ours:.1} ms, tract's plan {tract:.1} ms (ours / tract {:.2})", ours / tract);
    println!("our program again, after tract's plan has run: {after:.1} ms");
    if let Some((ours_n, tract_n)) = pooled {
        let ratio = ours_n / tract_n;
        println!(
            "{threads} threads: our program {ours_n:.1} ms, tract's plan {tract_n:.1} ms (ours / tract {ratio:.2})"
        );
    }
    let mut per_family: BTreeMap<&str, (f64, u64, usize)> = BTreeMap::new();
    for t in &times {
        let e = per_family.entry(t.family).or_default();
        e.0 += t.ms;
        e.1 += t.macs;
        e.2 += 1;
    }
    let gflops = |macs: u64, ms: f64| 2.0 * macs as f64 / (ms * 1e6).max(1e-9);
    for (family, (ms, macs, n)) in per_family {
        println!("  {family:12} {n:4} steps {ms:9.2} ms  {:6.1} GFLOP/s", gflops(macs, ms));
    }
    let mut slow = times.clone();
    slow.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    let listed = slow.iter().filter(|t| family.as_deref().is_some_and(|f| f == t.family || t.label.contains(f)));
    for t in slow.iter().take(12).chain(listed) {
        println!("  {:8.2} ms {:6.1} GFLOP/s {:12} {}", t.ms, gflops(t.macs, t.ms), t.family, t.label);
    }
    Ok(())
}

/// The best times of our program and of tract's plan on one pool of `threads`, taking turns (the
/// program splits its products' columns over the pool, tract its own way).
#[cfg(not(target_arch = "wasm32"))]
fn on_pool(
    bytes: &[u8],
    [h, w]: [u32; 2],
    input: &[f32],
    runs: usize,
    threads: usize,
) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    use yolo_wasm::model::{CpuEngine, Session};
    let pool = yolo_wasm::Threads::new(threads)?;
    let (_, mut ours) = Session::load_on(bytes, CpuEngine::Program)?;
    ours.set_threads(pool.clone());
    let (_, mut tract) = Session::load(bytes)?;
    tract.set_threads(pool);
    let time = |s: &Session| {
        let t = std::time::Instant::now();
        drop(s.run(h, w, input.to_vec()));
        t.elapsed().as_secs_f64() * 1e3
    };
    let (mut a, mut b) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..runs {
        a = a.min(time(&ours));
        b = b.min(time(&tract));
    }
    Ok((a, b))
}
