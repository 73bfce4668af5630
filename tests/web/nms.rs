//! `nms=True` exports (NMS inside the graph, src/model/embedded_nms.rs) in the browser: every
//! task, static and dynamic, on the CPU and on WebGPU, against Ultralytics' predictions on the
//! same files (the parity tolerances).

use super::gpu::{gpu_case, TaskCase};
use super::*;

const V8: &[u8] = include_bytes!("../fixtures/models/yolov8n-shapes-nms.onnx");
const DETECT: &[u8] = include_bytes!("../fixtures/models/yolo11n-shapes-nms.onnx");
const SEGMENT: &[u8] = include_bytes!("../fixtures/models/yolo11n-seg-shapes-nms.onnx");
const POSE: &[u8] = include_bytes!("../fixtures/models/yolo11n-pose-shapes-nms.onnx");
const OBB: &[u8] = include_bytes!("../fixtures/models/yolo11n-obb-shapes-nms.onnx");
const DETECT_DYNAMIC: &[u8] = include_bytes!("../fixtures/models/yolo11n-shapes-nms-dynamic.onnx");
const OBB_DYNAMIC: &[u8] = include_bytes!("../fixtures/models/yolo11n-obb-shapes-nms-dynamic.onnx");

#[wasm_bindgen_test]
async fn nms_exports_of_every_task_match_ultralytics_on_the_cpu() {
    let cases: [(_, _, JsValue, _, _, _, _); 5] = [
        (
            V8,
            "detect",
            blob(image!("bus.jpg"), "image/jpeg").into(),
            0.25,
            0.45,
            golden!("yolov8n-shapes-nms__bus__s416_c0.25_i0.45"),
            "yolov8n nms=True bus.jpg Blob",
        ),
        (
            DETECT,
            "detect",
            common::image_data(image!("large-1920x1080.png")).into(),
            0.1,
            0.7,
            golden!("yolo11n-shapes-nms__large-1920x1080__s416_c0.1_i0.7"),
            "yolo11n nms=True large ImageData",
        ),
        (
            SEGMENT,
            "segment",
            common::image_data(image!("square-640x640.png")).into(),
            0.25,
            0.45,
            golden!("yolo11n-seg-shapes-nms__square-640x640__s416_c0.25_i0.45"),
            "segment nms=True",
        ),
        (
            POSE,
            "pose",
            blob(image!("bus.jpg"), "image/jpeg").into(),
            0.1,
            0.7,
            golden!("yolo11n-pose-shapes-nms__bus__s416_c0.1_i0.7"),
            "pose nms=True bus.jpg Blob",
        ),
        (
            OBB,
            "obb",
            common::image_data(image!("obb-1280x720.png")).into(),
            0.1,
            0.7,
            golden!("yolo11n-obb-shapes-nms__obb-1280x720__s416_c0.1_i0.7"),
            "OBB nms=True",
        ),
    ];
    for (bytes, task, source, conf, iou, want, what) in cases {
        let model = load(bytes).await.unwrap();
        let ours = predict(&model, source.clone(), options(416, conf, iou)).await.unwrap();
        if common::compare(&ours.images[0].results, &want.images[0].results, what).is_err() {
            // Seen once in WebKit on CI (stop 27: 5 of 51 yolov8n results missing, the other 46
            // exact) and never again in ~20 local WebKit runs: say whether the same model and
            // image repeat the difference before failing, for whoever meets it next.
            let again = predict(&model, source, options(416, conf, iou)).await.unwrap();
            let same = common::compare(&again.images[0].results, &want.images[0].results, what);
            console_log!(
                "{what}: first run {} results; a second run on the same model: {} results, {}",
                ours.images[0].results.len(),
                again.images[0].results.len(),
                if same.is_ok() { "equal to Ultralytics" } else { "still different" }
            );
        }
        check(&ours, &want, task, what);
    }
}

#[wasm_bindgen_test]
async fn dynamic_nms_exports_use_the_thresholds_baked_into_the_export() {
    // Exported with conf=0.1, iou=0.6: at conf 0.1, iou 0.7 Ultralytics keeps what the graph's
    // NMS (iou 0.6) kept, not what an NMS at 0.7 would.
    let model = load(DETECT_DYNAMIC).await.unwrap();
    let bus = || blob(image!("bus.jpg"), "image/jpeg").into();
    check_task(
        &model,
        bus(),
        options(416, 0.1, 0.7),
        golden!("yolo11n-shapes-nms-dynamic__bus__s416_c0.1_i0.7"),
        "detect",
        "dynamic nms=True 416",
    )
    .await;
    check_task(
        &model,
        bus(),
        options(320, 0.25, 0.45),
        golden!("yolo11n-shapes-nms-dynamic__bus__s320_c0.25_i0.45"),
        "detect",
        "dynamic nms=True 320",
    )
    .await;
    let model = load(OBB_DYNAMIC).await.unwrap();
    check_task(
        &model,
        common::image_data(image!("obb-300x700.png")).into(),
        options(416, 0.1, 0.7),
        golden!("yolo11n-obb-shapes-nms-dynamic__obb-300x700__s416_c0.1_i0.7"),
        "obb",
        "dynamic OBB nms=True",
    )
    .await;
}

/// One static `nms=True` export per task.
pub(super) fn nms_cases() -> Vec<TaskCase> {
    vec![
        TaskCase {
            model: DETECT,
            image: common::image_data(image!("large-1920x1080.png")).into(),
            opts: options(416, 0.1, 0.7),
            want: golden!("yolo11n-shapes-nms__large-1920x1080__s416_c0.1_i0.7"),
            task: "detect",
            what: "yolo11n nms=True",
        },
        TaskCase {
            model: SEGMENT,
            image: common::image_data(image!("square-640x640.png")).into(),
            opts: options(416, 0.25, 0.45),
            want: golden!("yolo11n-seg-shapes-nms__square-640x640__s416_c0.25_i0.45"),
            task: "segment",
            what: "segment nms=True",
        },
        TaskCase {
            model: POSE,
            image: blob(image!("bus.jpg"), "image/jpeg").into(),
            opts: options(416, 0.1, 0.7),
            want: golden!("yolo11n-pose-shapes-nms__bus__s416_c0.1_i0.7"),
            task: "pose",
            what: "pose nms=True",
        },
        TaskCase {
            model: OBB,
            image: common::image_data(image!("obb-1280x720.png")).into(),
            opts: options(416, 0.1, 0.7),
            want: golden!("yolo11n-obb-shapes-nms__obb-1280x720__s416_c0.1_i0.7"),
            task: "obb",
            what: "OBB nms=True",
        },
    ]
}

#[wasm_bindgen_test]
async fn nms_exports_match_ultralytics_on_webgpu() {
    for c in nms_cases() {
        gpu_case(c).await;
    }
}
