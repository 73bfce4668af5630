//! ByteTrack parity: our tracker, fed Ultralytics' own per-frame detections of a fixture video,
//! must answer what Ultralytics' `model.track(video, tracker="bytetrack.yaml", persist=True)`
//! answered — the same `track_id` for the same box in every frame, boxes within 1 px — for
//! detect, segment, pose and OBB models on videos with crossing, occluded, entering and leaving
//! objects (tools/fixtures/make_video_fixtures.py).

mod common;

use common::{compare_tracked, predict_case_of, video_cases, video_golden};
use yolo_wasm::schema::Response;
use yolo_wasm::track::{Tracker, TrackerOptions};

/// Runs our tracker over a response's frames.
fn track(detections: &Response) -> Response {
    let mut tracker = Tracker::new(TrackerOptions::default());
    let images = detections.images.iter().map(|im| tracker.update(im.clone()).expect("tracked frame")).collect();
    Response { images, metadata: detections.metadata.clone() }
}

#[test]
fn tracker_equals_ultralytics_bytetrack_on_every_video_case() {
    let cases: Vec<_> = video_cases().into_iter().filter(|c| c.kind == "track").collect();
    assert!(cases.len() >= 6, "track cases: {}", cases.len());
    let mut failures = vec![];
    for case in &cases {
        let fed = video_golden(&predict_case_of(case));
        let expected = video_golden(case);
        match compare_tracked(&track(&fed), &expected, &case.case) {
            Ok(t) => eprintln!("{}: {} frames, {} IDs compared, {}", case.case, t.frames, t.ids_compared, t.errors),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn reset_starts_ids_again_and_classification_results_are_refused() {
    let case = video_cases().into_iter().find(|c| c.kind == "predict" && c.task == "detect").expect("a detect case");
    let fed = video_golden(&case);
    let mut tracker = Tracker::new(TrackerOptions::default());
    let first = tracker.update(fed.images[0].clone()).expect("frame");
    let ids: Vec<_> = first.results.iter().filter_map(|p| p.track_id).collect();
    assert!(!ids.is_empty() && ids[0] == 1, "first frame IDs {ids:?}");
    tracker.update(fed.images[1].clone()).expect("frame");
    tracker.reset();
    assert_eq!(tracker.frames(), 0);
    let again = tracker.update(fed.images[0].clone()).expect("frame");
    assert_eq!(again.results.iter().filter_map(|p| p.track_id).collect::<Vec<_>>(), ids, "IDs after reset");

    let mut cls = fed.images[0].clone();
    for p in &mut cls.results {
        p.bbox = None;
    }
    let err = tracker.update(cls).expect_err("no boxes");
    assert_eq!(err.code().as_str(), "invalid_argument");
    assert_eq!(tracker.frames(), 1, "a refused frame does not count");
}

#[test]
fn model_and_tracker_on_the_gif_frames_equal_ultralytics_track() {
    use yolo_wasm::{Pixels, PredictOptions, YoloModel};
    let case =
        video_cases().into_iter().find(|c| c.kind == "track" && c.video.ends_with(".gif")).expect("a GIF track case");
    let bytes = std::fs::read(common::fixture(&format!("videos/{}", case.video))).expect("video");
    let frames = common::gif_frames(&bytes, usize::MAX);
    assert_eq!(frames.len(), case.frames);
    let onnx = std::fs::read(common::fixture(&format!("models/{}", case.model))).expect("model");
    let model = YoloModel::load(&onnx, case.model.clone()).expect("model loads");
    let opts = PredictOptions::from_raw(None, Some(case.conf), Some(case.iou)).expect("options");
    let mut tracker = Tracker::new(TrackerOptions::default());
    let images = frames
        .iter()
        .map(|f| {
            let px = Pixels::new(f.width(), f.height(), 4, f.as_raw()).expect("pixels");
            tracker.update(model.predict(&px, &opts).expect("predict")).expect("track")
        })
        .collect();
    let ours = model.response(images);
    let t = compare_tracked(&ours, &video_golden(&case), &case.case).unwrap();
    eprintln!("{}: decoded in Rust, {} frames, {} IDs compared, {}", case.case, t.frames, t.ids_compared, t.errors);
}
