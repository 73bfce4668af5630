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

/// PIL's fixed-point precision for 8-bit resampling.
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Classes reported per image.
pub const TOP_K: usize = 5;

/// Resampling weights of one axis: for each output index, the first input index and its
/// fixed-point weights.
struct Coeffs {
    bounds: Vec<(usize, usize)>,
    weights: Vec<Vec<i32>>,
}

/// PIL `precompute_coeffs` for the bilinear filter, then `normalize_coeffs_8bpc`.
fn coeffs(in_size: usize, out_size: usize) -> Coeffs {
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = filterscale; // bilinear support is 1
    let mut bounds = Vec::with_capacity(out_size);
    let mut weights = Vec::with_capacity(out_size);
    for xx in 0..out_size {
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

/// An interleaved RGB image owned by the resampler.
struct Rgb {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

fn horizontal(src: &Rgb, out_w: usize, rows: std::ops::Range<usize>) -> Rgb {
    let k = coeffs(src.w, out_w);
    let h = rows.len();
    let mut px = vec![0u8; out_w * h * 3];
    for (oy, y) in rows.enumerate() {
        let line = &src.px[y * src.w * 3..(y + 1) * src.w * 3];
        for x in 0..out_w {
            let (start, n) = k.bounds[x];
            let mut acc = [1i32 << (PRECISION_BITS - 1); 3];
            for (i, w) in k.weights[x][..n].iter().enumerate() {
                let p = (start + i) * 3;
                for c in 0..3 {
                    acc[c] += line[p + c] as i32 * w;
                }
            }
            let o = (oy * out_w + x) * 3;
            for c in 0..3 {
                px[o + c] = clip8(acc[c]);
            }
        }
    }
    Rgb { w: out_w, h, px }
}

fn vertical(src: &Rgb, k: &Coeffs, first_row: usize, out_h: usize) -> Rgb {
    let w = src.w;
    let mut px = vec![0u8; w * out_h * 3];
    for y in 0..out_h {
        let (start, n) = k.bounds[y];
        let start = start - first_row;
        for x in 0..w * 3 {
            let mut acc = 1i32 << (PRECISION_BITS - 1);
            for (i, wt) in k.weights[y][..n].iter().enumerate() {
                acc += src.px[(start + i) * w * 3 + x] as i32 * wt;
            }
            px[y * w * 3 + x] = clip8(acc);
        }
    }
    Rgb { w, h: out_h, px }
}

/// PIL `Image.resize((out_w, out_h), BILINEAR)` of an RGB image.
fn pil_resize(src: Rgb, out_w: usize, out_h: usize) -> Rgb {
    if (out_w, out_h) == (src.w, src.h) {
        return src;
    }
    let kv = coeffs(src.h, out_h);
    let first = kv.bounds[0].0;
    let last = kv.bounds[out_h - 1].0 + kv.bounds[out_h - 1].1;
    let (tmp, first) = if out_w != src.w { (horizontal(&src, out_w, first..last), first) } else { (src, 0) };
    if out_h != tmp.h || first != 0 {
        vertical(&tmp, &kv, first, out_h)
    } else {
        tmp
    }
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

/// The `[1, 3, size, size]` input tensor of a classifier for `src`.
pub fn classify_tensor(src: &Pixels, size: u32) -> Vec<f32> {
    let ch = src.channels as usize;
    let rgb = Rgb {
        w: src.width as usize,
        h: src.height as usize,
        px: src.data.chunks_exact(ch).flat_map(|p| [p[0], p[1], p[2]]).collect(),
    };
    let (nw, nh) = resized_size(src.width, src.height, size);
    let img = pil_resize(rgb, nw as usize, nh as usize);
    let size = size as usize;
    let top = ((img.h as f64 - size as f64) / 2.0).round_ties_even().max(0.0) as usize;
    let left = ((img.w as f64 - size as f64) / 2.0).round_ties_even().max(0.0) as usize;
    let plane = size * size;
    let mut out = vec![0f32; 3 * plane];
    for y in 0..size.min(img.h) {
        for x in 0..size.min(img.w) {
            let p = ((top + y) * img.w + left + x) * 3;
            for c in 0..3 {
                out[c * plane + y * size + x] = img.px[p + c] as f32 / 255.0;
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

    #[test]
    fn pil_resize_matches_pillow() {
        // Expected values from Pillow 13 (`Image.resize(..., BILINEAR)`) on the same pixels.
        let grey = |vals: &[u8], rows: usize| Rgb {
            w: vals.len(),
            h: rows,
            px: (0..rows).flat_map(|_| vals.iter().flat_map(|&v| [v, v, v])).collect(),
        };
        let red = |img: Rgb| img.px.iter().step_by(3).copied().collect::<Vec<_>>();
        assert_eq!(red(pil_resize(grey(&[0, 100, 200, 255], 1), 2, 1)), vec![71, 209]);
        let row = [0, 100, 200, 255, 30, 60, 90];
        assert_eq!(red(pil_resize(grey(&row, 3), 3, 2)), vec![86, 169, 64, 86, 169, 64]);
        let up = red(pil_resize(grey(&row, 3), 10, 5));
        assert_eq!(&up[..10], &[0, 55, 125, 195, 236, 176, 31, 53, 74, 90]);
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
