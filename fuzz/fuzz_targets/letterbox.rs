//! Letterbox and classifier preprocessing over arbitrary image sizes, aspects (4000×1, 1×500),
//! channel counts (1 is refused, 3 and 4 accepted), targets and strides. Pixel buffers stay at
//! most 16 Ki pixels (sides up to the 16384 limit) and network inputs at most 160 so one
//! execution stays fast.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use yolo_wasm::pipeline::classify::{classify_tensor, resized_size};
use yolo_wasm::pipeline::mapping::BoxMap;
use yolo_wasm::pipeline::preprocess::{letterbox_tensor, Letterbox};
use yolo_wasm::Pixels;

const MAX_PIXELS: u32 = 1 << 14;
const MAX_TARGET: u32 = 160;

fn run(u: &mut Unstructured) -> arbitrary::Result<()> {
    let width = u.int_in_range(1..=yolo_wasm::limits::MAX_IMAGE_SIDE)?;
    let height = u.int_in_range(1..=(MAX_PIXELS / width).clamp(1, yolo_wasm::limits::MAX_IMAGE_SIDE))?;
    let channels = *u.choose(&[1u8, 3, 4])?;
    let target = (u.int_in_range(1..=MAX_TARGET)?, u.int_in_range(1..=MAX_TARGET)?);
    let auto = bool::arbitrary(u)?;
    let stride = *u.choose(&[0u32, 1, 8, 16, 32, 64, 256, 7, 33])?;
    let size = u.int_in_range(1..=MAX_TARGET)?;
    let seed: [u8; 8] = u.arbitrary()?;
    // Letterbox parameters alone, over the full u32 range (no pixels involved).
    let (h, w, th, tw, st): (u32, u32, u32, u32, u32) = u.arbitrary()?;
    let lb = Letterbox::new(h, w, (th, tw), bool::arbitrary(u)?, st);
    let _ = BoxMap::new(&lb, h, w).rect([0.0, 0.0, f32::NAN, f32::INFINITY]);
    let _ = resized_size(w, h, th);

    let n = width as usize * height as usize * channels as usize;
    let data: Vec<u8> = (0..n).map(|i| seed[i % 8].wrapping_mul(i as u8 | 1)).collect();
    let px = match Pixels::new(width, height, channels, &data) {
        Ok(px) => px,
        Err(e) => {
            assert_eq!(channels, 1, "{width}×{height}×{channels}: {e}");
            return Ok(());
        }
    };
    let lb = Letterbox::new(height, width, target, auto, stride);
    let t = letterbox_tensor(&px, &lb);
    assert_eq!(t.len(), 3 * lb.input_h as usize * lb.input_w as usize);
    let map = BoxMap::new(&lb, height, width);
    let r = map.rect([0.0, 0.0, lb.input_w as f32, lb.input_h as f32]);
    assert!(r.iter().all(|v| v.is_finite()), "{r:?}");
    let (nw, nh) = resized_size(width, height, size);
    assert!(nw >= size.min(width.max(size)) || nh >= size, "{nw}×{nh}");
    let c = classify_tensor(&px, size);
    assert_eq!(c.len(), 3 * size as usize * size as usize);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
