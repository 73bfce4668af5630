//! Classification: Ultralytics' `classify_transforms` preprocessing and top-5 results.
//!
//! Ultralytics resizes classification inputs with torchvision on a PIL image: shortest edge to
//! `size` (the long edge `int(size · long / short)`), PIL's bilinear resampling — a triangle
//! filter widened by the downscale factor (antialiased), in 22-bit fixed point, horizontal pass
//! then vertical pass, each rounded to 8 bits — then a centre crop of `size × size` at
//! `round((h − size) / 2)`, `round((w − size) / 2)` (half to even), RGB / 255, no mean/std. The
//! network ends in a softmax, so its `[1, nc]` output is already probabilities.

use super::preprocess::Pixels;
use crate::error::{Error, Result};
use crate::model::Output;
use std::ops::Range;

/// PIL's fixed-point precision for 8-bit resampling.
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Classes reported per image.
pub const TOP_K: usize = 5;

/// Resampling weights of one axis for a window of output indices: for each, the first input index
/// and its fixed-point weights.
struct Coeffs {
    bounds: Vec<(usize, usize)>,
    weights: Vec<Vec<i32>>,
}

/// PIL `precompute_coeffs` for the bilinear filter, then `normalize_coeffs_8bpc`, for the output
/// indices `window` of an `in_size → out_size` resize. Each output index's weights depend on that
/// index alone, so a window equals the same rows of the full table.
fn coeffs(in_size: usize, out_size: usize, window: Range<usize>) -> Coeffs {
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = filterscale; // bilinear support is 1
    let mut bounds = Vec::with_capacity(window.len());
    let mut weights = Vec::with_capacity(window.len());
    for xx in window {
        let center = (xx as f64 + 0.5) * scale;
        let xmin = ((center - support + 0.5) as i64).max(0) as usize;
        let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
        let n = xmax.saturating_sub(xmin);
        let mut w: Vec<f64> = (0..n)
            .map(|x| {
                let d = ((x + xmin) as f64 - center + 0.5) / filterscale;
                (1.0 - d.abs()).max(0.0)
            })
            .collect();
        let total: f64 = w.iter().sum();
        if total != 0.0 {
            w.iter_mut().for_each(|v| *v /= total);
        }
        bounds.push((xmin, n));
        weights.push(w.iter().map(|v| (0.5 + v * f64::from(1u32 << PRECISION_BITS)) as i32).collect());
    }
    Coeffs { bounds, weights }
}

#[inline]
fn clip8(acc: i32) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// A window of PIL's `Image.resize((out_w, out_h), BILINEAR)` of an RGB(A) image: output columns
/// `cols` and rows `rows`, as interleaved RGB. Like PIL, a pass whose axis keeps its size is
/// skipped, and the horizontal pass runs only on the input rows the vertical pass reads; unlike a
/// full resize, only the window is computed, so the cost is that of the window (plus the input
/// rows and columns its taps reach), whatever the full output size.
fn pil_resize_window(src: &Pixels, out_w: usize, out_h: usize, cols: Range<usize>, rows: Range<usize>) -> Vec<u8> {
    let (w, h, ch) = (src.width as usize, src.height as usize, src.channels as usize);
    let kv = (out_h != h).then(|| coeffs(h, out_h, rows.clone()));
    let kh = (out_w != w).then(|| coeffs(w, out_w, cols.clone()));
    // Input rows the vertical pass reads (all of `rows` when it is skipped).
    let needed = match &kv {
        Some(k) => {
            let first = k.bounds.iter().map(|b| b.0).min().unwrap_or(0);
            let last = k.bounds.iter().map(|b| b.0 + b.1).max().unwrap_or(first);
            first..last.max(first)
        }
        None => rows.clone(),
    };
    // Horizontal pass: `needed` rows × `cols`.
    let cw = cols.len();
    let mut tmp = vec![0u8; needed.len() * cw * 3];
    for (ty, y) in needed.clone().enumerate() {
        let line = &src.data[y * w * ch..(y + 1) * w * ch];
        let out = &mut tmp[ty * cw * 3..(ty + 1) * cw * 3];
        for (j, x) in cols.clone().enumerate() {
            let o = &mut out[j * 3..j * 3 + 3];
            match &kh {
                None => o.copy_from_slice(&line[x * ch..x * ch + 3]),
                Some(k) => {
                    let (start, n) = k.bounds[j];
                    let mut acc = [1i32 << (PRECISION_BITS - 1); 3];
                    for (i, wt) in k.weights[j][..n].iter().enumerate() {
                        let p = (start + i) * ch;
                        for c in 0..3 {
                            acc[c] += line[p + c] as i32 * wt;
                        }
                    }
                    for c in 0..3 {
                        o[c] = clip8(acc[c]);
                    }
                }
            }
        }
    }
    let Some(kv) = kv else { return tmp };
    // Vertical pass: `rows` × `cols`, reading `tmp` (whose first row is input row `needed.start`).
    let mut out = vec![0u8; rows.len() * cw * 3];
    for (i, row) in out.chunks_exact_mut(cw * 3).enumerate() {
        let (start, n) = kv.bounds[i];
        let start = start - needed.start;
        for (x, o) in row.iter_mut().enumerate() {
            let mut acc = 1i32 << (PRECISION_BITS - 1);
            for (t, wt) in kv.weights[i][..n].iter().enumerate() {
                acc += tmp[(start + t) * cw * 3 + x] as i32 * wt;
            }
            *o = clip8(acc);
        }
    }
    out
}

/// torchvision's shortest-edge output size for `Resize(size)`.
pub fn resized_size(width: u32, height: u32, size: u32) -> (u32, u32) {
    let (short, long) = if width <= height { (width, height) } else { (height, width) };
    let new_long = (f64::from(size) * f64::from(long) / f64::from(short)) as u32;
    if width <= height {
        (size, new_long)
    } else {
        (new_long, size)
    }
}

/// The `[1, 3, size, size]` input tensor of a classifier for `src`: the centre crop of the
/// shortest-edge resize, computing only the crop window of that resize (a 16384×1 image costs
/// what a small one does).
pub fn classify_tensor(src: &Pixels, size: u32) -> Vec<f32> {
    let (nw, nh) = resized_size(src.width, src.height, size);
    let (nw, nh, size) = (nw as usize, nh as usize, size as usize);
    let top = ((nh as f64 - size as f64) / 2.0).round_ties_even().max(0.0) as usize;
    let left = ((nw as f64 - size as f64) / 2.0).round_ties_even().max(0.0) as usize;
    let (cw, chh) = (size.min(nw), size.min(nh));
    let crop = pil_resize_window(src, nw, nh, left..left + cw, top..top + chh);
    let plane = size * size;
    let mut out = vec![0f32; 3 * plane];
    for y in 0..chh {
        for x in 0..cw {
            let p = (y * cw + x) * 3;
            for c in 0..3 {
                out[c * plane + y * size + x] = crop[p + c] as f32 / 255.0;
            }
        }
    }
    out
}

/// The best `TOP_K` classes `(class, probability)` of a `[1, nc]` output, best first (ties keep
/// class order).
pub fn top_k(out: &Output, nc: usize) -> Result<Vec<(u32, f32)>> {
    let ok = match out.shape.as_slice() {
        [1, n] | [1, n, 1, 1] => *n == nc && out.data.len() == nc,
        _ => false,
    };
    if !ok {
        return Err(Error::UnsupportedModel(format!(
            "classify: output of shape {:?} is not [1, {nc}] class probabilities",
            out.shape
        )));
    }
    let mut order: Vec<(u32, f32)> = out.data.iter().enumerate().map(|(i, &p)| (i as u32, p)).collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1));
    order.truncate(TOP_K);
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shortest_edge_size_truncates_like_torchvision() {
        assert_eq!(resized_size(200, 120, 224), (373, 224)); // int(224 * 200 / 120) = 373
        assert_eq!(resized_size(90, 140, 224), (224, 348)); // int(224 * 140 / 90) = 348
        assert_eq!(resized_size(160, 160, 224), (224, 224));
    }

    /// The whole output of a resize, as the window covering everything.
    fn pil_resize(px: &[u8], w: u32, h: u32, out_w: usize, out_h: usize) -> Vec<u8> {
        let src = Pixels::new(w, h, 3, px).unwrap();
        pil_resize_window(&src, out_w, out_h, 0..out_w, 0..out_h)
    }

    #[test]
    fn pil_resize_matches_pillow() {
        // Expected values from Pillow 13 (`Image.resize(..., BILINEAR)`) on the same pixels.
        let grey = |vals: &[u8], rows: usize| -> Vec<u8> {
            (0..rows).flat_map(|_| vals.iter().flat_map(|&v| [v, v, v])).collect()
        };
        let red = |px: Vec<u8>| px.iter().step_by(3).copied().collect::<Vec<_>>();
        assert_eq!(red(pil_resize(&grey(&[0, 100, 200, 255], 1), 4, 1, 2, 1)), vec![71, 209]);
        let row = [0, 100, 200, 255, 30, 60, 90];
        assert_eq!(red(pil_resize(&grey(&row, 3), 7, 3, 3, 2)), vec![86, 169, 64, 86, 169, 64]);
        let up = red(pil_resize(&grey(&row, 3), 7, 3, 10, 5));
        assert_eq!(&up[..10], &[0, 55, 125, 195, 236, 176, 31, 53, 74, 90]);
    }

    #[test]
    fn a_window_equals_the_same_part_of_the_full_resize() {
        let (w, h) = (37usize, 23usize);
        let px: Vec<u8> = (0..w * h * 4).map(|i| (i * 7919 % 251) as u8).collect();
        let src = Pixels::new(w as u32, h as u32, 4, &px).unwrap();
        for (ow, oh) in [(15, 9), (80, 50), (37, 11), (12, 23), (37, 23)] {
            let full = pil_resize_window(&src, ow, oh, 0..ow, 0..oh);
            let (cols, rows) = (ow / 4..ow - ow / 5, oh / 3..oh - oh / 4);
            let win = pil_resize_window(&src, ow, oh, cols.clone(), rows.clone());
            for (i, y) in rows.clone().enumerate() {
                let a = &full[(y * ow + cols.start) * 3..(y * ow + cols.end) * 3];
                assert_eq!(&win[i * cols.len() * 3..(i + 1) * cols.len() * 3], a, "{ow}×{oh} row {y}");
            }
        }
    }

    #[test]
    fn a_long_thin_image_costs_what_its_crop_does() {
        // 16384×1 at 224: the full shortest-edge resize would be 3,670,016 × 224 pixels (2.4 GB).
        let px = vec![200u8; 16_384 * 4];
        let src = Pixels::new(16_384, 1, 4, &px).unwrap();
        let t = classify_tensor(&src, 224);
        assert_eq!(t.len(), 3 * 224 * 224);
        assert!(t.iter().all(|&v| (v - 200.0 / 255.0).abs() < 1e-6));
        let tall = Pixels::new(1, 16_384, 4, &px).unwrap();
        assert_eq!(classify_tensor(&tall, 224).len(), 3 * 224 * 224);
    }

    #[test]
    fn top_k_is_sorted_and_capped() {
        let out = Output { shape: vec![1, 7], data: vec![0.1, 0.3, 0.05, 0.2, 0.15, 0.12, 0.08] };
        let top = top_k(&out, 7).unwrap();
        assert_eq!(top.iter().map(|t| t.0).collect::<Vec<_>>(), vec![1, 3, 4, 5, 0]);
        let three = Output { shape: vec![1, 3], data: vec![0.2, 0.5, 0.3] };
        assert_eq!(top_k(&three, 3).unwrap().len(), 3);
        assert!(top_k(&three, 4).is_err());
    }
}
