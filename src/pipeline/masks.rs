//! Instance masks of segment models, as Ultralytics 8.4.190's `process_mask(..., upsample=True)`
//! makes them, but computed only inside each detection's box:
//!
//! 1. logits = mask coefficients · prototypes (`[nm, mh, mw]`, a quarter of the input size);
//! 2. bilinear upsampling to the network input size (PyTorch `interpolate`, `align_corners=False`);
//! 3. foreground where the logit is > 0;
//! 4. cropped to the box in input pixels: columns `x1 ≤ c < x2`, rows `y1 ≤ r < y2`.
//!
//! Outside the box the mask is zero by step 4, so only the box's rows and columns are computed,
//! from the prototype cells their bilinear taps reach.

use crate::error::{Error, Result};
use crate::model::Output;

/// Prototype masks: `nm` planes of `mh × mw`.
#[derive(Debug, Clone, Copy)]
pub struct Protos<'a> {
    data: &'a [f32],
    /// Number of prototypes (coefficients per detection).
    pub nm: usize,
    /// Prototype height.
    pub mh: usize,
    /// Prototype width.
    pub mw: usize,
}

impl<'a> Protos<'a> {
    /// Reads a `[1, nm, mh, mw]` output.
    pub fn new(out: &'a Output) -> Result<Self> {
        match out.shape.as_slice() {
            &[1, nm, mh, mw] if nm > 0 && mh > 0 && mw > 0 && out.data.len() == nm * mh * mw => {
                Ok(Protos { data: &out.data, nm, mh, mw })
            }
            shape => Err(Error::UnsupportedModel(format!(
                "segment: prototype output has shape {shape:?}, expected [1, masks, height, width]"
            ))),
        }
    }
}

/// A binary mask over the part of the network input covered by a box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxMask {
    /// First column (input pixels).
    pub x0: usize,
    /// First row (input pixels).
    pub y0: usize,
    /// Columns covered.
    pub width: usize,
    /// Rows covered.
    pub height: usize,
    /// `width × height` values, 1 = foreground.
    pub bits: Vec<u8>,
}

impl BoxMask {
    /// Whether no pixel is foreground (Ultralytics drops such detections).
    pub fn is_empty(&self) -> bool {
        !self.bits.contains(&1)
    }
}

/// Bilinear taps of one output coordinate (PyTorch, `align_corners=False`).
#[derive(Debug, Clone, Copy)]
struct Tap {
    i0: usize,
    i1: usize,
    w0: f32,
    w1: f32,
}

fn tap(out_index: usize, scale: f32, in_size: usize) -> Tap {
    let src = (scale * (out_index as f32 + 0.5) - 0.5).max(0.0);
    let i0 = (src.floor() as usize).min(in_size - 1);
    let i1 = if i0 < in_size - 1 { i0 + 1 } else { i0 };
    let w1 = (src - i0 as f32).clamp(0.0, 1.0);
    Tap { i0, i1, w0: 1.0 - w1, w1 }
}

/// Index range `[start, end)` of integer coordinates `c` with `lo ≤ c < hi`, within `0..size`.
fn span(lo: f32, hi: f32, size: usize) -> (usize, usize) {
    if !(lo.is_finite() && hi.is_finite()) {
        return (0, 0);
    }
    let start = lo.ceil().clamp(0.0, size as f32) as usize;
    let end = hi.ceil().clamp(0.0, size as f32) as usize;
    (start, end.max(start))
}

/// The mask of one detection: `coeffs` (`nm` values) and its `xyxy` box in input pixels, for a
/// network input of `input_h × input_w`.
pub fn box_mask(protos: &Protos, coeffs: &[f32], bbox: [f32; 4], input_h: usize, input_w: usize) -> BoxMask {
    let (x0, x1) = span(bbox[0], bbox[2], input_w);
    let (y0, y1) = span(bbox[1], bbox[3], input_h);
    let (width, height) = (x1 - x0, y1 - y0);
    if width == 0 || height == 0 {
        return BoxMask { x0, y0, width, height, bits: Vec::new() };
    }
    let sx = protos.mw as f32 / input_w as f32;
    let sy = protos.mh as f32 / input_h as f32;
    let xt: Vec<Tap> = (x0..x1).map(|x| tap(x, sx, protos.mw)).collect();
    let yt: Vec<Tap> = (y0..y1).map(|y| tap(y, sy, protos.mh)).collect();
    // Prototype cells reached by the taps.
    let (px0, px1) = (xt[0].i0, xt[width - 1].i1 + 1);
    let (py0, py1) = (yt[0].i0, yt[height - 1].i1 + 1);
    let cw = px1 - px0;
    let mut logits = vec![0f32; cw * (py1 - py0)];
    let plane = protos.mh * protos.mw;
    for (k, &c) in coeffs.iter().enumerate().take(protos.nm) {
        let p = &protos.data[k * plane..(k + 1) * plane];
        for py in py0..py1 {
            let src = &p[py * protos.mw + px0..py * protos.mw + px1];
            let dst = &mut logits[(py - py0) * cw..(py - py0 + 1) * cw];
            for (d, s) in dst.iter_mut().zip(src) {
                *d += c * s;
            }
        }
    }
    let at = |y: usize, x: usize| logits[(y - py0) * cw + (x - px0)];
    let mut bits = vec![0u8; width * height];
    for (r, ty) in yt.iter().enumerate() {
        let row = &mut bits[r * width..(r + 1) * width];
        for (b, tx) in row.iter_mut().zip(&xt) {
            let top = at(ty.i0, tx.i0) * tx.w0 + at(ty.i0, tx.i1) * tx.w1;
            let bottom = at(ty.i1, tx.i0) * tx.w0 + at(ty.i1, tx.i1) * tx.w1;
            *b = u8::from(top * ty.w0 + bottom * ty.w1 > 0.0);
        }
    }
    BoxMask { x0, y0, width, height, bits }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taps_follow_pytorch_half_pixel_rule() {
        // Upsampling ×4: output 0 and 1 clamp to input 0; output 2 sits at 0.125.
        let t = tap(0, 0.25, 4);
        assert_eq!((t.i0, t.i1, t.w1), (0, 1, 0.0));
        let t = tap(2, 0.25, 4);
        assert_eq!((t.i0, t.i1, t.w1), (0, 1, 0.125));
        let t = tap(15, 0.25, 4);
        assert_eq!((t.i0, t.i1), (3, 3), "last input has no right neighbour");
    }

    #[test]
    fn crop_is_half_open_on_fractional_edges() {
        assert_eq!(span(1.2, 3.0, 10), (2, 3));
        assert_eq!(span(-5.0, 20.5, 10), (0, 10));
        assert_eq!(span(4.0, 4.0, 10), (4, 4));
        assert_eq!(span(f32::NAN, 4.0, 10), (0, 0));
    }

    #[test]
    fn mask_is_the_thresholded_upsampled_plane_inside_the_box() {
        // One prototype: a 2×2 plane, positive on the left column only; input 8×8.
        let out = Output { shape: vec![1, 1, 2, 2], data: vec![1.0, -1.0, 1.0, -1.0] };
        let protos = Protos::new(&out).unwrap();
        let m = box_mask(&protos, &[1.0], [0.0, 0.0, 8.0, 8.0], 8, 8);
        // Upsampled columns: x ≤ 3 → positive, x ≥ 4 → negative.
        for row in m.bits.chunks(8) {
            assert_eq!(row, &[1, 1, 1, 1, 0, 0, 0, 0]);
        }
        let cropped = box_mask(&protos, &[1.0], [2.5, 1.0, 6.0, 3.0], 8, 8);
        assert_eq!((cropped.x0, cropped.y0, cropped.width, cropped.height), (3, 1, 3, 2));
        assert_eq!(cropped.bits, vec![1, 0, 0, 1, 0, 0]);
        assert!(box_mask(&protos, &[1.0], [4.0, 0.0, 8.0, 8.0], 8, 8).is_empty(), "right half is negative");
        assert!(!box_mask(&protos, &[-1.0], [4.0, 0.0, 8.0, 8.0], 8, 8).is_empty(), "flipped sign");
    }
}
