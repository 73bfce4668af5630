//! Browser parity of the other tasks and of YOLO26 end2end exports, through the JS API, with
//! the native parity tolerances (boxes / corners / keypoints ±1 px, confidences ±1e-3, mask
//! polygons area IoU ≥ 0.9). Each case logs its pre-/post-processing time.

use super::*;

pub const SEGMENT: &[u8] = include_bytes!("../fixtures/models/yolo11n-seg-shapes.onnx");
pub const POSE: &[u8] = include_bytes!("../fixtures/models/yolo11n-pose-shapes.onnx");
pub const OBB: &[u8] = include_bytes!("../fixtures/models/yolo11n-obb-shapes.onnx");
pub const CLASSIFY: &[u8] = include_bytes!("../fixtures/models/yolo11n-cls-shapes.onnx");
pub const YOLO26: &[u8] = include_bytes!("../fixtures/models/yolo26n-shapes.onnx");
pub const YOLO26_SEGMENT: &[u8] = include_bytes!("../fixtures/models/yolo26n-seg-shapes.onnx");
pub const YOLO26_POSE: &[u8] = include_bytes!("../fixtures/models/yolo26n-pose-shapes.onnx");
pub const YOLO26_OBB: &[u8] = include_bytes!("../fixtures/models/yolo26n-obb-shapes.onnx");

#[wasm_bindgen_test]
async fn segment_polygons() {
    let model = load(SEGMENT).await.unwrap();
    check_task(
        &model,
        common::image_data(image!("large-1920x1080.png")).into(),
        options(640, 0.1, 0.7),
        golden!("yolo11n-seg-shapes__large-1920x1080__s640_c0.1_i0.7"),
        "segment",
        "segment large ImageData",
    )
    .await;
    check_task(
        &model,
        blob(image!("bus.jpg"), "image/jpeg").into(),
        options(640, 0.1, 0.7),
        golden!("yolo11n-seg-shapes__bus__s640_c0.1_i0.7"),
        "segment",
        "segment bus.jpg Blob",
    )
    .await;
}

#[wasm_bindgen_test]
async fn pose_keypoints() {
    let model = load(POSE).await.unwrap();
    check_task(
        &model,
        blob(image!("bus.jpg"), "image/jpeg").into(),
        options(640, 0.25, 0.45),
        golden!("yolo11n-pose-shapes__bus__s640_c0.25_i0.45"),
        "pose",
        "pose bus.jpg Blob",
    )
    .await;
    check_task(
        &model,
        common::image_data(image!("portrait-360x720.png")).into(),
        options(640, 0.1, 0.7),
        golden!("yolo11n-pose-shapes__portrait-360x720__s640_c0.1_i0.7"),
        "pose",
        "pose portrait ImageData",
    )
    .await;
}

#[wasm_bindgen_test]
async fn obb_corners() {
    let model = load(OBB).await.unwrap();
    let img = html_image(image!("obb-1280x720.png"), "image/png").await;
    check_task(
        &model,
        img.into(),
        options(640, 0.1, 0.7),
        golden!("yolo11n-obb-shapes__obb-1280x720__s640_c0.1_i0.7"),
        "obb",
        "obb 1280x720 HTMLImageElement",
    )
    .await;
    check_task(
        &model,
        common::image_data(image!("obb-300x700.png")).into(),
        options(640, 0.25, 0.45),
        golden!("yolo11n-obb-shapes__obb-300x700__s640_c0.25_i0.45"),
        "obb",
        "obb 300x700 ImageData",
    )
    .await;
}

#[wasm_bindgen_test]
async fn classify_top5() {
    let model = load(CLASSIFY).await.unwrap();
    check_task(
        &model,
        common::image_data(image!("cls-200x120.png")).into(),
        JsValue::UNDEFINED,
        golden!("yolo11n-cls-shapes__cls-200x120__s224_c0.25_i0.45"),
        "classify",
        "classify 200x120 ImageData",
    )
    .await;
    let bmp = bitmap(image!("cls-90x140.png"), "image/png").await;
    check_task(
        &model,
        bmp.into(),
        options(224, 0.1, 0.7),
        golden!("yolo11n-cls-shapes__cls-90x140__s224_c0.1_i0.7"),
        "classify",
        "classify 90x140 ImageBitmap",
    )
    .await;
}

#[wasm_bindgen_test]
async fn yolo26_end2end() {
    let model = load(YOLO26).await.unwrap();
    check_task(
        &model,
        common::image_data(image!("large-1920x1080.png")).into(),
        options(640, 0.1, 0.7),
        golden!("yolo26n-shapes__large-1920x1080__s640_c0.1_i0.7"),
        "detect",
        "yolo26 end2end large ImageData",
    )
    .await;
    let seg = load(YOLO26_SEGMENT).await.unwrap();
    check_task(
        &seg,
        blob(image!("bus.jpg"), "image/jpeg").into(),
        options(640, 0.1, 0.7),
        golden!("yolo26n-seg-shapes__bus__s640_c0.1_i0.7"),
        "segment",
        "yolo26 end2end segment bus.jpg Blob",
    )
    .await;
    let pose = load(YOLO26_POSE).await.unwrap();
    check_task(
        &pose,
        common::image_data(image!("portrait-360x720.png")).into(),
        options(640, 0.1, 0.7),
        golden!("yolo26n-pose-shapes__portrait-360x720__s640_c0.1_i0.7"),
        "pose",
        "yolo26 end2end pose portrait ImageData",
    )
    .await;
    let obb = load(YOLO26_OBB).await.unwrap();
    check_task(
        &obb,
        common::image_data(image!("obb-640x480.png")).into(),
        options(640, 0.1, 0.7),
        golden!("yolo26n-obb-shapes__obb-640x480__s640_c0.1_i0.7"),
        "obb",
        "yolo26 end2end obb ImageData",
    )
    .await;
}
