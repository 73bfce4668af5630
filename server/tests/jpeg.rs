//! JPEG decoding equals OpenCV's (the decoder Ultralytics sees images through): the fixtures'
//! `*.opencv.png` files are OpenCV's own decode of the JPEGs, written losslessly.

#[path = "../../tests/common/mod.rs"]
mod common;

use yolo_wasm_server::decode::decode_image;

#[test]
fn jpegs_decode_bit_identical_to_opencv() {
    for stem in ["bus", "zidane"] {
        let jpg = std::fs::read(common::fixture(&format!("images/{stem}.jpg"))).unwrap();
        let ours = decode_image(&jpg, stem).unwrap();
        let opencv = common::rgb(&format!("images/{stem}.opencv.png"));
        assert_eq!(ours.dimensions(), opencv.dimensions(), "{stem}");
        let differing = ours.as_raw().iter().zip(opencv.as_raw()).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 0, "{stem}: {differing} bytes differ from OpenCV's decode");
    }
}
