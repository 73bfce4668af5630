//! Native image decoding (`yolo-wasm serve` / `predict`): format sniffing, PNG, JPEG (libjpeg-turbo
//! through mozjpeg, `image` fallback), WebP, BMP, GIF, TIFF, EXIF orientation, size limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yolo_wasm_server::decode::decode_image;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(rgb) = decode_image(bytes, "file") {
        assert_eq!(rgb.as_raw().len(), rgb.width() as usize * rgb.height() as usize * 3);
    }
});
