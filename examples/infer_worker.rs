//! The native side of `make bench-native` (`bench/native.py`): times tract inference only, on
//! command, so the driver can interleave it run by run with ONNX Runtime in one session.
//!
//! `infer_worker MODEL IMAGE TENSOR_OUT THREADS…` loads MODEL once per thread count (a pool
//! each, built once), letterboxes IMAGE as `YoloModel::predict` does (static export size, full
//! square), writes that `1×3×H×W` tensor as little-endian f32 to TENSOR_OUT (ONNX Runtime gets
//! the very same input), checks that every thread count gives bit-identical outputs, then
//! prints `ready H W` and answers each stdin line `run N` with the milliseconds of one
//! `Session::run` at N threads, and `dump N PATH` by writing the first output (f32 LE).

#[cfg(not(target_arch = "wasm32"))]
fn main() -> Result<(), String> {
    native::main()
}

/// Native only (tract's thread pools); a stub keeps `cargo clippy --all-targets` for wasm32 working.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::io::{BufRead, Write};
    use std::time::Instant;
    use yolo_wasm::model::{Session, Threads};
    use yolo_wasm::pipeline::preprocess::{letterbox_tensor, Letterbox, Pixels};

    fn f32_bytes(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    pub fn main() -> Result<(), String> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let [model, image, tensor_out, threads @ ..] = args.as_slice() else {
            return Err("usage: infer_worker MODEL IMAGE TENSOR_OUT THREADS…".into());
        };
        let bytes = std::fs::read(model).map_err(|e| format!("{model}: {e}"))?;
        let mut sessions = Vec::new();
        for t in threads {
            let n: usize = t.parse().map_err(|e| format!("threads {t}: {e}"))?;
            let (info, mut session) = Session::load(&bytes).map_err(|e| e.to_string())?;
            session.set_threads(Threads::new(n).map_err(|e| e.to_string())?);
            sessions.push((n, info, session));
        }
        let (_, info, _) = sessions.first().ok_or("give at least one thread count")?;
        let [h, w] = info.imgsz;
        let img = image::open(image).map_err(|e| format!("{image}: {e}"))?.into_rgb8();
        let px = Pixels::new(img.width(), img.height(), 3, img.as_raw()).map_err(|e| e.to_string())?;
        let lb = Letterbox::new(px.height, px.width, (h, w), false, info.stride);
        let input = letterbox_tensor(&px, &lb);
        std::fs::write(tensor_out, f32_bytes(&input)).map_err(|e| format!("{tensor_out}: {e}"))?;
        let mut reference: Option<Vec<Vec<f32>>> = None;
        for (n, _, session) in &sessions {
            let out: Vec<Vec<f32>> =
                session.run(h, w, input.clone()).map_err(|e| e.to_string())?.into_iter().map(|o| o.data).collect();
            match &reference {
                None => reference = Some(out),
                Some(r) if *r == out => {}
                Some(_) => return Err(format!("outputs at {n} threads differ from those at {}", sessions[0].0)),
            }
        }
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "ready {h} {w}").and_then(|()| stdout.flush()).map_err(|e| e.to_string())?;
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| e.to_string())?;
            let words: Vec<&str> = line.split_whitespace().collect();
            let find = |t: &str| {
                let n: usize = t.parse().map_err(|e| format!("{t}: {e}"))?;
                sessions.iter().find(|s| s.0 == n).map(|s| &s.2).ok_or(format!("no session at {n} threads"))
            };
            match words.as_slice() {
                ["run", t] => {
                    let session = find(t)?;
                    let x = input.clone();
                    let start = Instant::now();
                    let out = session.run(h, w, x).map_err(|e| e.to_string())?;
                    let ms = start.elapsed().as_secs_f64() * 1e3;
                    std::hint::black_box(out);
                    writeln!(stdout, "{ms:.3}")
                }
                ["dump", t, path] => {
                    let out = find(t)?.run(h, w, input.clone()).map_err(|e| e.to_string())?;
                    let first = out.first().ok_or("the model has no output")?;
                    std::fs::write(path, f32_bytes(&first.data)).map_err(|e| format!("{path}: {e}"))?;
                    writeln!(stdout, "{:?}", first.shape)
                }
                _ => return Err(format!("unknown command {line:?}")),
            }
            .and_then(|()| stdout.flush())
            .map_err(|e| e.to_string())?;
        }
        Ok(())
    }
}
