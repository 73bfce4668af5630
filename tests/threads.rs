//! Native multithreading (`YoloModel::with_threads`): for two golden cases of every fixture
//! model (every task, static and dynamic, YOLO26 end2end), a model running on a 2-thread pool
//! gives results bit-identical to the single-thread model's, and both match Ultralytics under
//! the parity tolerances. Also checks that the pool really did the work (its threads' CPU time,
//! Linux) so a silently single-threaded build cannot pass. The whole golden set at 2 threads:
//! `YOLO_WASM_TEST_THREADS=2 cargo test --release --test parity`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::BTreeMap;
use yolo_wasm::{Pixels, PredictOptions, Threads, YoloModel};

/// CPU time (clock ticks) of this process's threads named `yolo-wasm-N` (the pool's), or
/// `None` where `/proc` is not there.
fn pool_ticks() -> Option<u64> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let mut ticks = 0;
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if !comm.trim().starts_with("yolo-wasm-") {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
        let fields: Vec<u64> = rest.split_whitespace().skip(11).take(2).filter_map(|f| f.parse().ok()).collect();
        ticks += fields.iter().sum::<u64>();
    }
    Some(ticks)
}

#[test]
fn two_threads_give_bit_identical_results_for_every_model() {
    let mut per_model: BTreeMap<String, Vec<common::Case>> = BTreeMap::new();
    for case in common::cases() {
        let cases = per_model.entry(case.model.clone()).or_default();
        // Two cases per model, with different sizes where the model has them (dynamic exports).
        if cases.len() < 2 && cases.iter().all(|c| c.imgsz != case.imgsz || c.image != case.image) {
            cases.push(case);
        }
    }
    assert!(per_model.len() >= 11, "expected every fixture model, found {}", per_model.len());
    let pool = Threads::new(2).unwrap();
    let before = pool_ticks();
    let mut compared = 0;
    for (model, cases) in &per_model {
        let bytes = std::fs::read(common::fixture(&format!("models/{model}"))).unwrap();
        let one = YoloModel::load(&bytes, model.clone()).unwrap();
        let two = YoloModel::load(&bytes, model.clone()).unwrap().with_threads(pool.clone());
        assert_eq!((one.threads().count(), two.threads().count()), (1, 2));
        for case in cases {
            let img = common::oracle_pixels(&case.image);
            let px = Pixels::new(img.width(), img.height(), 3, img.as_raw()).unwrap();
            let opts = PredictOptions::from_raw(Some(case.imgsz as f64), Some(case.conf), Some(case.iou)).unwrap();
            let a = one.predict(&px, &opts).unwrap_or_else(|e| panic!("{}: {e}", case.case));
            let b = two.predict(&px, &opts).unwrap_or_else(|e| panic!("{} at 2 threads: {e}", case.case));
            let json = |r: &yolo_wasm::schema::ImageResult| serde_json::to_string(&r.results).unwrap();
            assert_eq!(json(&a), json(&b), "{}: 2 threads differ from 1", case.case);
            let golden = common::golden(case);
            common::compare(&b.results, &golden.images[0].results, &case.case).unwrap();
            compared += 1;
        }
    }
    println!("threads: {compared} cases over {} models bit-identical at 1 and 2 threads", per_model.len());
    assert!(compared >= 20, "only {compared} cases compared");
    if let (Some(before), Some(after)) = (before, pool_ticks()) {
        assert!(
            after > before,
            "the 2-thread pool did no work ({before} → {after} ticks): inference ran single-threaded"
        );
    }
}

#[test]
fn zero_threads_is_an_argument_error() {
    let e = Threads::new(0).unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert!(e.to_string().contains("`threads`"), "{e}");
}

/// Our own CPU executor (`CpuEngine::Program`) splits its products' columns over the same pool:
/// every fixture model's raw outputs at 2 threads are bit-identical to 1 thread's, and the pool
/// did work. (Its predictions against Ultralytics: `tests/parity.rs`, `tests/program.rs`.)
#[test]
fn the_cpu_program_is_bit_identical_at_two_threads() {
    let models: Vec<String> =
        common::cases().into_iter().map(|c| c.model).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    assert!(models.len() >= 11, "{models:?}");
    let pool = Threads::new(2).unwrap();
    let before = pool_ticks();
    for model in &models {
        let bytes = std::fs::read(common::fixture(&format!("models/{model}"))).unwrap();
        let (info, one) = yolo_wasm::model::Session::load_on(&bytes, yolo_wasm::model::CpuEngine::Program).unwrap();
        let (_, mut two) = yolo_wasm::model::Session::load_on(&bytes, yolo_wasm::model::CpuEngine::Program).unwrap();
        two.set_threads(pool.clone());
        let [h, w] = if info.dynamic { [224, 320] } else { info.imgsz };
        let input: Vec<f32> = (0..3 * h * w).map(|i| (i % 251) as f32 / 250.0).collect();
        let a = one.run(h, w, input.clone()).unwrap();
        let b = two.run(h, w, input).unwrap();
        assert!(one.engine_fallback().is_none() && two.engine_fallback().is_none(), "{model} fell back to tract");
        assert_eq!(a.len(), b.len(), "{model}");
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.shape, y.shape, "{model}");
            let same = x.data.iter().zip(&y.data).all(|(p, q)| p.to_bits() == q.to_bits());
            assert!(same, "{model}: the program's outputs at 2 threads differ from 1 thread's");
        }
    }
    if let (Some(before), Some(after)) = (before, pool_ticks()) {
        assert!(after > before, "the pool did no work for the CPU program ({before} → {after} ticks)");
    }
}
