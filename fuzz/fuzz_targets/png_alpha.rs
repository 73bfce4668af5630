//! The browser build's own PNG path (`src/png_alpha.rs`): the chunk sniffing that decides which
//! `Blob`s it decodes (any bytes, any prefix) and the `png`-crate decode with OpenCV's
//! conversions and the size limits. Natively this code also decodes 16-bit PNGs for the server.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yolo_wasm::limits::MAX_IMAGE_PIXELS;
use yolo_wasm::png_alpha::{decode, sniff, Sniff};

fuzz_target!(|bytes: &[u8]| {
    let verdict = sniff(bytes);
    // A prefix never says more than the whole file, except that it may need more.
    let half = sniff(&bytes[..bytes.len() / 2]);
    assert!(half == verdict || half == Sniff::NeedMore, "{half:?} for a prefix, {verdict:?} for the whole");
    if let Ok((w, h, rgba)) = decode(bytes) {
        assert_eq!(rgba.len(), w as usize * h as usize * 4);
        assert!(u64::from(w) * u64::from(h) <= MAX_IMAGE_PIXELS);
        assert_ne!(verdict, Sniff::NotPng, "decoded bytes without a PNG signature");
    }
});
