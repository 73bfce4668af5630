//! Contour tracing over arbitrary binary masks (`external_contours`, `mask_polygon`) and the
//! joining of arbitrary parts (`merge_parts`), as the segment head and any caller may use them.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use yolo_wasm::pipeline::contours::{external_contours, mask_polygon, merge_parts, Point};

fn run(u: &mut Unstructured) -> arbitrary::Result<()> {
    if bool::arbitrary(u)? {
        // Arbitrary parts, coordinates over the whole i32 range.
        let parts: Vec<Vec<Point>> = u.arbitrary()?;
        let merged = merge_parts(&parts);
        let total: usize = parts.iter().map(Vec::len).sum();
        assert!(merged.len() <= 2 * total + 2 * parts.len(), "{} points from {total}", merged.len());
        return Ok(());
    }
    let width = u.int_in_range(1..=256usize)?;
    let height = u.int_in_range(1..=256usize)?;
    let dense = bool::arbitrary(u)?;
    let bytes = u.bytes(u.len().min(width * height / if dense { 1 } else { 8 } + 1))?;
    // Dense: a byte per pixel (non-zero = foreground); sparse: a bit per pixel.
    let mask: Vec<u8> = (0..width * height)
        .map(|i| match dense {
            true => bytes.get(i).copied().unwrap_or(0),
            false => bytes.get(i / 8).map_or(0, |b| (b >> (i % 8)) & 1),
        })
        .collect();
    let parts = external_contours(&mask, width, height);
    let any = mask.iter().any(|&v| v != 0);
    assert_eq!(parts.is_empty(), !any);
    for p in &parts {
        assert!(!p.is_empty());
        assert!(p.iter().all(|q| (0..width as i32).contains(&q[0]) && (0..height as i32).contains(&q[1])));
    }
    let poly = mask_polygon(&mask, width, height);
    assert_eq!(poly.is_empty(), !any);
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
