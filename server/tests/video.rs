//! Video uploads on `yolo-wasm serve` (FFmpeg subprocess decode): every frame of the fixture
//! videos answered like Ultralytics' `predict` on the same file (per frame: classes equal, box
//! ±1 px, confidence ±1e-3), `vid_stride`, `track=true` equal to Ultralytics'
//! `model.track(persist=True)` (same `track_id`s), and the video limits and failures as typed
//! 4xx answers. Nothing here asserts a duration.

#[path = "../../tests/common/mod.rs"]
mod common;
mod support;

use common::{compare, compare_tracked, video_cases, video_golden, Errors, VideoCase};
use reqwest::StatusCode;
use support::*;
use yolo_wasm::schema::Response;

fn content_type(video: &str) -> &'static str {
    match video.rsplit_once('.').map(|(_, e)| e) {
        Some("mp4") => "video/mp4",
        Some("avi") => "video/x-msvideo",
        Some("gif") => "image/gif",
        Some("webm") => "video/webm",
        Some("mkv") => "video/x-matroska",
        Some("mov") => "video/quicktime",
        Some("ts") => "video/mp2t",
        Some("mpg" | "mpeg") => "video/mpeg",
        Some("wmv") => "video/x-ms-wmv",
        _ => "application/octet-stream",
    }
}

/// POSTs a case's video with its arguments (and `track=true` for track cases).
async fn post_case(url: &str, case: &VideoCase) -> (StatusCode, serde_json::Value) {
    let bytes = fixture_bytes(&format!("videos/{}", case.video));
    let model = case.model.trim_end_matches(".onnx");
    let (conf, iou, stride) = (case.conf.to_string(), case.iou.to_string(), case.vid_stride.to_string());
    let mut fields = vec![("conf", conf.as_str()), ("iou", iou.as_str()), ("vid_stride", stride.as_str())];
    if case.kind == "track" {
        fields.push(("track", "true"));
    }
    let file = (case.video.as_str(), bytes, content_type(&case.video));
    let (status, _, body) = post(url, None, form(Some(model), Some(file), &fields)).await;
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_frame_equals_ultralytics_predict_on_the_same_video() {
    let s = start(&["--timeout-s", "0"]).await;
    let cases: Vec<_> = video_cases().into_iter().filter(|c| c.kind == "predict" && c.conf == 0.25).collect();
    // mp4, mp4 with a stride, avi, gif, and the other HUB containers (webm mkv mov m4v ts mpg mpeg wmv asf).
    assert!(cases.len() >= 13, "{} predict cases", cases.len());
    for case in cases {
        let (status, body) = post_case(&s.url, &case).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", case.case);
        let ours: Response = serde_json::from_value(body).expect("HUB schema");
        let theirs = video_golden(&case);
        // Ultralytics stops at OpenCV's CAP_PROP_FRAME_COUNT / vid_stride. For MPEG program streams
        // (.mpg) that count is an estimate from the duration, one frame short here (47 of the 48
        // frames FFmpeg decodes): Ultralytics then skips the last stride. We answer every decoded
        // frame, so there one more entry comes after the frames compared.
        let extra = usize::from(case.video.ends_with(".mpg"));
        assert_eq!(ours.images.len(), case.frames + extra, "{}: frames", case.case);
        assert_eq!(ours.metadata.image_count as usize, case.frames + extra, "{}: imageCount", case.case);
        let mut worst = Errors::default();
        for (f, (a, b)) in ours.images.iter().zip(&theirs.images).enumerate() {
            assert_eq!(a.shape, b.shape, "{} frame {f}", case.case);
            worst.merge(&compare(&a.results, &b.results, &format!("{} frame {f}", case.case)).unwrap());
        }
        eprintln!("{}: {} frames, {worst}", case.case, ours.images.len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn track_true_gives_ultralytics_bytetrack_ids() {
    let s = start(&["--timeout-s", "0"]).await;
    let cases: Vec<_> = video_cases().into_iter().filter(|c| c.kind == "track").collect();
    assert!(cases.len() >= 6);
    for case in cases {
        let (status, body) = post_case(&s.url, &case).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", case.case);
        let ours: Response = serde_json::from_value(body).expect("HUB schema");
        let t = compare_tracked(&ours, &video_golden(&case), &case.case).unwrap();
        eprintln!("{}: {} frames, {} IDs compared, {}", case.case, t.frames, t.ids_compared, t.errors);
    }
}

/// The fixture MP4 remuxed (stream copy, same frames) into Matroska by FFmpeg.
fn mkv() -> (&'static str, Vec<u8>, &'static str) {
    let out = temp_dir("video-mkv").join("shapes-cross.mkv");
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y", "-i"])
        .arg(fixture("videos/shapes-cross.mp4"))
        .args(["-c", "copy"])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    ("shapes-cross.mkv", std::fs::read(&out).expect("remuxed video"), "video/x-matroska")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn video_limits_and_failures_are_typed_answers() {
    let mp4 = || ("shapes-cross.mp4", fixture_bytes("videos/shapes-cross.mp4"), "video/mp4");
    let s = start(&["--video-max-frames", "20", "--video-max-pixels", "100000", "--video-max-seconds", "5"]).await;
    // 48 frames over 20 (the container says so: refused before decoding).
    let (status, _, body) = post(&s.url, None, form(Some("yolo11n-shapes"), Some(mp4()), &[])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "video_too_large", None);
    assert!(body["error"].as_str().unwrap().contains("48 frames"), "{body}");
    // Every third frame: 16 frames, under the limit.
    let (status, _, body) = post(&s.url, None, form(Some("yolo11n-shapes"), Some(mp4()), &[("vid_stride", "3")])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["metadata"]["imageCount"], 16);
    // Matroska keeps no frame count in its header: the limit stops the decode at frame 21.
    let (status, _, body) = post(&s.url, None, form(Some("yolo11n-shapes"), Some(mkv()), &[])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_error(&body, "video_too_large", None);
    assert!(body["error"].as_str().unwrap().contains("more than 20 frames"), "{body}");
    let small = start(&["--video-max-pixels", "76799"]).await;
    let (status, _, body) = post(&small.url, None, form(Some("yolo11n-shapes"), Some(mp4()), &[])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"].as_str().unwrap().contains("320×240"), "{body}");
    let short = start(&["--video-max-seconds", "1"]).await;
    let (status, _, body) = post(&short.url, None, form(Some("yolo11n-shapes"), Some(mp4()), &[])).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(body["error"].as_str().unwrap().contains("1.6 s"), "{body}");
    // Bad fields.
    for (field, value) in [("vid_stride", "0"), ("vid_stride", "two"), ("track", "maybe")] {
        let (status, _, body) = post(&s.url, None, form(Some("yolo11n-shapes"), Some(mp4()), &[(field, value)])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, "invalid_argument", Some(field));
    }
    // A truncated MP4 (its index is at the end): not a readable video.
    let mut cut = fixture_bytes("videos/shapes-cross.mp4");
    cut.truncate(cut.len() / 2);
    let (status, _, body) =
        post(&s.url, None, form(Some("yolo11n-shapes"), Some(("cut.mp4", cut, "video/mp4")), &[])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_error(&body, "invalid_video", None);
    // The server still answers.
    let (status, _, _) = post(&s.url, None, form(Some("yolo11n-shapes"), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_timeout_covers_the_whole_video_and_a_video_counts_once_against_the_rate_limit() {
    let mp4 = || ("shapes-cross.mp4", fixture_bytes("videos/shapes-cross.mp4"), "video/mp4");
    // 48 inferences cannot finish in 50 ms; the job stops at its next frame.
    let s = start(&["--timeout-s", "0.05"]).await;
    let (status, _, body) = post(&s.url, None, form(Some("yolo11n-shapes"), Some(mp4()), &[])).await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{body}");
    assert_error(&body, "timeout", None);
    let limited = start(&["--rate-limit", "2"]).await;
    let (status, headers, body) = post(&limited.url, None, form(Some("yolo11n-shapes"), Some(mp4()), &[])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["metadata"]["imageCount"], 48);
    assert_eq!(headers["x-ratelimit-remaining"], "1", "48 frames, one call");
    let (status, _, _) = post(&limited.url, None, form(Some("yolo11n-shapes"), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = post(&limited.url, None, form(Some("yolo11n-shapes"), Some(tiny_png()), &[])).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
