//! Our letterbox against Ultralytics' `LetterBox` output (OpenCV resize), byte for byte.

mod common;

use serde::Deserialize;
use yolo_wasm::pipeline::preprocess::{letterbox_tensor, Letterbox, Pixels};

#[derive(Deserialize)]
struct Entry {
    image: String,
    imgsz: u32,
    auto: bool,
    file: String,
}

#[test]
fn letterbox_is_byte_exact_with_ultralytics() {
    let index: Vec<Entry> =
        serde_json::from_str(&std::fs::read_to_string(common::fixture("letterbox/index.json")).unwrap()).unwrap();
    assert!(index.len() >= 9);
    for e in index {
        let src = common::rgb(&format!("images/{}", e.image));
        let want = common::rgb(&format!("letterbox/{}", e.file));
        let px = Pixels::new(src.width(), src.height(), 3, src.as_raw()).unwrap();
        let lb = Letterbox::new(src.height(), src.width(), (e.imgsz, e.imgsz), e.auto, 32);
        assert_eq!((lb.input_w, lb.input_h), (want.width(), want.height()), "{}: input size", e.file);
        let t = letterbox_tensor(&px, &lb);
        let plane = (lb.input_w * lb.input_h) as usize;
        let mut diffs = 0;
        for (i, p) in want.pixels().enumerate() {
            for c in 0..3 {
                let ours = (t[c * plane + i] * 255.0).round() as u8;
                if ours != p.0[c] {
                    diffs += 1;
                }
            }
        }
        assert_eq!(diffs, 0, "{}: {diffs} channel values differ from Ultralytics", e.file);
    }
}
