//! Native image decoding (`yolo-wasm serve` / `predict`): format sniffing, PNG, JPEG (libjpeg-turbo
//! through mozjpeg, `image` fallback), WebP, BMP, GIF, TIFF, EXIF orientation, size limits — the
//! `decode_pixels` path both front doors use, and the RGB conversion of `decode_image`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yolo_wasm::limits::MAX_IMAGE_PIXELS;
use yolo_wasm_server::decode::{decode_image, decode_pixels};

fuzz_target!(|bytes: &[u8]| {
    if let Ok(d) = decode_pixels(bytes, "file") {
        assert!(d.channels == 3 || d.channels == 4);
        assert_eq!(d.data.len(), d.width as usize * d.height as usize * d.channels as usize);
        assert!(u64::from(d.width) * u64::from(d.height) <= MAX_IMAGE_PIXELS);
        assert!(d.pixels().is_ok());
        let rgb = decode_image(bytes, "file").expect("decodes twice the same way");
        assert_eq!((rgb.width(), rgb.height()), (d.width, d.height));
    }
});
