//! Our own CPU program in the browser (`cpuEngine: "program"`, `crate::cpu`, on the wasm SIMD
//! micro-kernel of the build): one golden case of every task, of every YOLO26 layout, of every `nms=True`
//! task and of a dynamic export at two sizes, under the parity tolerances; `info` saying which
//! executor runs. The same cases run on WebGPU in gpu.rs and on tract's plan in the other files.

use super::gpu::{detect_cases, other_task_cases, yolo26_cases, TaskCase};
use super::nms::nms_cases;
use super::*;
use yolo_wasm::model::CpuEngine;
use yolo_wasm::web::{DeviceChoice, LoadOptions};

async fn load_program(bytes: &[u8]) -> LocalModel {
    let options = LoadOptions { device: DeviceChoice::Cpu, cpu_engine: CpuEngine::Program };
    LocalModel::from_source_with(Uint8Array::from(bytes).into(), options).await.unwrap()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Engine {
    device: String,
    cpu_engine: String,
    cpu_engine_reason: Option<String>,
}

/// `info` says the CPU runs the model on the program, with no reason to fall back.
fn assert_on_program(model: &LocalModel, what: &str) {
    let e: Engine = serde_wasm_bindgen::from_value(model.info().unwrap()).unwrap();
    assert_eq!((e.device.as_str(), e.cpu_engine.as_str()), ("cpu", "program"), "{what}");
    assert_eq!(e.cpu_engine_reason, None, "{what}: fell back to tract's plan");
}

async fn program_case(c: TaskCase) {
    let m = load_program(c.model).await;
    check_task(&m, c.image, c.opts, c.want, c.task, &format!("{} on the CPU program", c.what)).await;
    assert_on_program(&m, c.what);
}

#[wasm_bindgen_test]
async fn cpu_program_detect_and_dynamic_match_ultralytics() {
    for c in detect_cases() {
        program_case(c).await;
    }
    let model = load_program(YOLO11N_DYNAMIC).await;
    check_dynamic_sizes(&model, "on the CPU program").await;
    assert_on_program(&model, "dynamic");
}

#[wasm_bindgen_test]
async fn cpu_program_other_tasks_match_ultralytics() {
    for c in other_task_cases() {
        program_case(c).await;
    }
}

#[wasm_bindgen_test]
async fn cpu_program_yolo26_and_nms_exports_match_ultralytics() {
    for c in yolo26_cases().into_iter().chain(nms_cases()) {
        program_case(c).await;
    }
}

/// The default is tract's plan, and `info` says so.
#[wasm_bindgen_test]
async fn the_default_cpu_engine_is_tracts_plan() {
    let v = JsFuture::from(LocalModel::load(
        Uint8Array::from(YOLO11N).into(),
        Some(js_sys::JSON::parse(r#"{"device": "cpu"}"#).unwrap()),
    ))
    .await
    .unwrap();
    let info = Reflect::get(&v, &"info".into()).unwrap();
    let e: Engine = serde_wasm_bindgen::from_value(info).unwrap();
    assert_eq!((e.cpu_engine.as_str(), e.cpu_engine_reason), ("tract", None));
}
