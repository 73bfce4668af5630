//! Per-step GPU times of a model on this machine's WebGPU / Vulkan device (timestamp queries),
//! summed per kernel, with GFLOP/s of the products:
//! `cargo run --release --example gpu_profile -- model.onnx [runs]`.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    native::main()
}

/// Native only (pollster blocks on the device's futures); a stub keeps `cargo clippy
/// --all-targets` for wasm32 working.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::collections::BTreeMap;
    use yolo_wasm::gpu::{Gpu, GpuProgram};
    use yolo_wasm::YoloModel;

    pub fn main() -> Result<(), Box<dyn std::error::Error>> {
        let mut args = std::env::args().skip(1);
        let path = args.next().ok_or("usage: gpu_profile model.onnx [runs]")?;
        let runs: usize = args.next().map_or(Ok(3), |r| r.parse())?;
        let model = YoloModel::load(&std::fs::read(&path)?, path.clone())?;
        let program = model.gpu_program()?;
        let [h, w] = model.info().imgsz;
        let run = pollster::block_on(GpuProgram::new(pollster::block_on(Gpu::request())?, program))?;
        println!("{path}: {} steps on {:?}", run.program().steps.len(), run.gpu().adapter);
        let input = vec![0.5f32; 3 * h as usize * w as usize];
        for i in 0..runs {
            let t = std::time::Instant::now();
            pollster::block_on(run.run(&input))?;
            println!("run {i}: {:.1} ms wall", t.elapsed().as_secs_f64() * 1e3);
        }
        let Some(times) = pollster::block_on(run.profile(&input))? else {
            println!("no timestamp queries on this adapter");
            return Ok(());
        };
        let mut per_kernel: BTreeMap<String, (f64, u64, usize)> = BTreeMap::new();
        for t in &times {
            let e = per_kernel.entry(format!("{:?}", t.kernel)).or_default();
            e.0 += t.ms;
            e.1 += t.macs;
            e.2 += 1;
        }
        let total: f64 = times.iter().map(|t| t.ms).sum();
        println!("GPU total {total:.1} ms");
        for (k, (ms, macs, n)) in per_kernel {
            println!("  {k:10} {n:4} steps {ms:9.2} ms  {:6.1} GFLOP/s", 2.0 * macs as f64 / (ms * 1e6).max(1e-9));
        }
        let mut slow = times.clone();
        slow.sort_by(|a, b| b.ms.total_cmp(&a.ms));
        for t in slow.iter().take(12) {
            println!(
                "  {:8.2} ms {:6.1} GFLOP/s {:?} {}",
                t.ms,
                2.0 * t.macs as f64 / (t.ms * 1e6).max(1e-9),
                t.kernel,
                t.label
            );
        }
        Ok(())
    }
}
