//! Tracking in the browser (included by `web.rs`, the page, and `web_worker.rs`, a worker):
//! the JS `Tracker` on Ultralytics' own per-frame detections, and `LocalModel.track` on the
//! frames of the fixture GIF, both against Ultralytics' `model.track(persist=True)` goldens.

use super::common;
use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use yolo_wasm::schema::Response;
use yolo_wasm::web::{LocalModel, Tracker};

macro_rules! video_golden {
    ($case:literal) => {
        serde_json::from_str::<Response>(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/golden/video/",
            $case,
            ".json"
        )))
        .unwrap()
    };
}

/// A plain JS object (not a `Map`) of a JSON value.
fn js_object(v: serde_json::Value) -> JsValue {
    use serde::Serialize;
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).unwrap()
}

/// A response as the plain JS object the package's functions take.
fn to_js(r: &Response) -> JsValue {
    use serde::Serialize;
    r.serialize(&serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true)).unwrap()
}

/// (name, detections fed, Ultralytics' tracked answer).
fn cases() -> Vec<(&'static str, Response, Response)> {
    vec![
        (
            "detect mp4 c0.1",
            video_golden!("predict__yolo11n-shapes__shapes-cross.mp4__c0.1_i0.7_v1"),
            video_golden!("track__yolo11n-shapes__shapes-cross.mp4__c0.1_i0.7_v1"),
        ),
        (
            "detect mp4 c0.25",
            video_golden!("predict__yolo11n-shapes__shapes-cross.mp4__c0.25_i0.45_v1"),
            video_golden!("track__yolo11n-shapes__shapes-cross.mp4__c0.25_i0.45_v1"),
        ),
        (
            "segment",
            video_golden!("predict__yolo11n-seg-shapes__shapes-cross.mp4__c0.1_i0.7_v1"),
            video_golden!("track__yolo11n-seg-shapes__shapes-cross.mp4__c0.1_i0.7_v1"),
        ),
        (
            "pose",
            video_golden!("predict__yolo11n-pose-shapes__shapes-cross.mp4__c0.1_i0.7_v1"),
            video_golden!("track__yolo11n-pose-shapes__shapes-cross.mp4__c0.1_i0.7_v1"),
        ),
        (
            "obb",
            video_golden!("predict__yolo11n-obb-shapes__obb-spin.mp4__c0.1_i0.7_v1"),
            video_golden!("track__yolo11n-obb-shapes__obb-spin.mp4__c0.1_i0.7_v1"),
        ),
    ]
}

#[wasm_bindgen_test]
fn tracker_equals_ultralytics_bytetrack_on_its_detections() {
    for (name, fed, want) in cases() {
        // Frame by frame, as a stream would arrive…
        let mut tracker = Tracker::new(None).unwrap();
        let mut images = vec![];
        for im in &fed.images {
            let one = Response { images: vec![im.clone()], metadata: fed.metadata.clone() };
            let out: Response = serde_wasm_bindgen::from_value(tracker.update(to_js(&one)).unwrap()).unwrap();
            images.extend(out.images);
        }
        let ours = Response { images, metadata: fed.metadata.clone() };
        let t = common::compare_tracked(&ours, &want, name).unwrap();
        assert!(t.ids_compared > 50, "{name}: {} IDs", t.ids_compared);
        // …and a whole video's answer at once (the endpoint's shape), after a reset.
        tracker.reset();
        let all: Response = serde_wasm_bindgen::from_value(tracker.update(to_js(&fed)).unwrap()).unwrap();
        common::compare_tracked(&all, &want, name).unwrap();
        assert_eq!(tracker.frames() as usize, fed.images.len());
    }
}

#[wasm_bindgen_test]
fn tracker_errors_are_typed_and_leave_it_unchanged() {
    let err = Tracker::new(Some(js_object(serde_json::json!({"match_thresh": 2})))).err().expect("bad setting");
    assert_eq!(js_sys::Reflect::get(&err, &"field".into()).unwrap(), "match_thresh");
    let err = Tracker::new(Some(js_object(serde_json::json!({"buffer": 2})))).err().unwrap();
    assert_eq!(js_sys::Reflect::get(&err, &"code".into()).unwrap(), "invalid_argument");
    let mut tracker = Tracker::new(None).unwrap();
    let err = tracker.update(JsValue::from_str("not a response")).unwrap_err();
    assert_eq!(js_sys::Reflect::get(&err, &"field".into()).unwrap(), "response");
    let mut cls = cases().remove(0).1;
    cls.images.truncate(2);
    for p in &mut cls.images[1].results {
        p.bbox = None;
    }
    assert!(tracker.update(to_js(&cls)).is_err(), "frame 2 has no boxes");
    assert_eq!(tracker.frames(), 0.0, "a refused response changes nothing");
}

/// Frames compared end to end in the browser (all of the video; ~0.15 s each in a test build).
const GIF_FRAMES: usize = 48;

#[wasm_bindgen_test]
async fn model_track_on_the_gif_frames_equals_ultralytics_track() {
    const GIF: &[u8] = include_bytes!("../fixtures/videos/shapes-cross.gif");
    const MODEL: &[u8] = include_bytes!("../fixtures/models/yolo11n-shapes.onnx");
    let mut want = video_golden!("track__yolo11n-shapes__shapes-cross.gif__c0.1_i0.7_v1");
    want.images.truncate(GIF_FRAMES);
    let model = LocalModel::from_source(Uint8Array::from(MODEL).into()).await.unwrap();
    let opts = js_object(serde_json::json!({"iou": 0.7})); // conf: track's 0.1
    let mut images = vec![];
    for frame in common::gif_frames(GIF, GIF_FRAMES) {
        let v = JsFuture::from(model.track(image_data(&frame).into(), Some(opts.clone()))).await.unwrap();
        let r: Response = serde_wasm_bindgen::from_value(v).unwrap();
        images.extend(r.images);
    }
    let ours = Response { images, metadata: want.metadata.clone() };
    let t = common::compare_tracked(&ours, &want, "LocalModel.track").unwrap();
    assert!(t.ids_compared >= 40, "{} IDs compared", t.ids_compared);
    // resetTracker: the first frame again gives the first frame's IDs.
    model.reset_tracker(None).unwrap();
    let v = JsFuture::from(model.track(image_data(&common::gif_frames(GIF, 1)[0]).into(), Some(opts))).await.unwrap();
    let again: Response = serde_wasm_bindgen::from_value(v).unwrap();
    let first = Response { images: want.images[..1].to_vec(), metadata: want.metadata.clone() };
    common::compare_tracked(&again, &first, "after resetTracker").unwrap();
}

/// An `ImageData` of RGBA pixels, in a JS-owned buffer.
fn image_data(rgba: &image::RgbaImage) -> web_sys::ImageData {
    let pixels = js_sys::Uint8ClampedArray::new_with_length(rgba.as_raw().len() as u32);
    pixels.copy_from(rgba.as_raw());
    web_sys::ImageData::new_with_js_u8_clamped_array_and_sh(&pixels, rgba.width(), rgba.height()).unwrap()
}
