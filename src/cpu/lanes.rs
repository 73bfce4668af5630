//! The tuned softmax and max pool of the CPU program: both walk whole rows of contiguous values
//! (a softmax's `inner` lanes side by side, a pool's output row against each shifted input row),
//! so every operation is one vectorisable loop, where the scalar references
//! (`reference::softmax`, `reference::maxpool`) visit one lane or one output value at a time and
//! call libm's `expf`. In YOLO11n at 640 they were 5.4 ms (the DFL softmax) and 5 ms (SPPF's
//! three 5×5 pools) of the program's ≈ 180 ms natively. Tested against the references through
//! the program's property tests (`tests/program.rs`) and this file's unit tests.

use super::activation;
use super::reference::tap;
use crate::program::params::{MaxPoolParams, SoftmaxParams};

/// Lanes handled together: `len` rows of this many values stay in L1 (16 × 256 × 4 bytes for
/// the DFL softmax).
const CHUNK: usize = 256;

/// Softmax over the middle axis of a contiguous `[outer, len, inner]`: for each block of `inner`
/// lanes, the rows' maximum, then `exp(x - max)` row by row with the running sum, then the
/// division. A softmax over the last axis (`inner` 1) is one contiguous run per lane.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub(crate) fn softmax(p: &SoftmaxParams, src: &[f32], dst: &mut [f32], scratch: &mut Vec<f32>) {
    let (len, inner) = (p.len as usize, p.inner as usize);
    if len == 0 || inner == 0 {
        return;
    }
    let outer = p.lanes as usize / inner;
    if inner == 1 {
        for (x, y) in src.chunks_exact(len).zip(dst.chunks_exact_mut(len)).take(outer) {
            let hi = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for (y, x) in y.iter_mut().zip(x) {
                *y = activation::exp(x - hi);
                sum += *y;
            }
            y.iter_mut().for_each(|y| *y /= sum);
        }
        return;
    }
    scratch.resize(2 * CHUNK, 0.0);
    let (hi, sum) = scratch.split_at_mut(CHUNK);
    for o in 0..outer {
        let base = o * len * inner;
        for j0 in (0..inner).step_by(CHUNK) {
            let w = CHUNK.min(inner - j0);
            let row = |j: usize| base + j * inner + j0;
            let (hi, sum) = (&mut hi[..w], &mut sum[..w]);
            hi.copy_from_slice(&src[row(0)..row(0) + w]);
            for j in 1..len {
                hi.iter_mut().zip(&src[row(j)..row(j) + w]).for_each(|(h, x)| *h = h.max(*x));
            }
            sum.fill(0.0);
            for j in 0..len {
                let (x, y) = (&src[row(j)..row(j) + w], &mut dst[row(j)..row(j) + w]);
                for (((y, x), h), s) in y.iter_mut().zip(x).zip(hi.iter()).zip(sum.iter_mut()) {
                    *y = activation::exp(x - h);
                    *s += *y;
                }
            }
            for j in 0..len {
                dst[row(j)..row(j) + w].iter_mut().zip(sum.iter()).for_each(|(y, s)| *y /= s);
            }
        }
    }
}

/// Whether [`max_pool`] takes this pool: contiguous rows in and out, stride and dilation 1 along
/// them (SPPF's 5×5 pools; others run on the reference).
pub(crate) fn handles_max_pool(p: &MaxPoolParams) -> bool {
    p.x_w == 1 && p.y_w == 1 && p.stride_w == 1 && p.dil_w == 1 && p.ow > 0 && p.oh > 0
}

/// A 2-D max pool one output row at a time: the row starts at `f32::MIN` (as the reference's
/// does) and takes the maximum with each tap's shifted input row, over the output columns whose
/// tap lies inside the image.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub(crate) fn max_pool(p: &MaxPoolParams, src: &[f32], dst: &mut [f32]) {
    let (oh, ow, w) = (p.oh as usize, p.ow as usize, p.w as usize);
    let (pad_w, kw) = (p.pad_w as usize, p.kw as usize);
    let channels = p.count as usize / (oh * ow);
    for ch in 0..channels {
        for oy in 0..oh {
            let out = ch * p.y_c as usize + oy * p.y_h as usize;
            let out = &mut dst[out..out + ow];
            out.fill(f32::MIN);
            for ky in 0..p.kh as usize {
                let Some(iy) = tap(oy, ky, p.stride_h, p.pad_h, p.dil_h, false, p.h) else { continue };
                let row = ch * p.x_c as usize + iy * p.x_h as usize;
                for kx in 0..kw {
                    // Output column ox reads input column ox + kx - pad_w, when inside [0, w).
                    let first = pad_w.saturating_sub(kx);
                    let end = ow.min((w + pad_w).saturating_sub(kx));
                    if first >= end {
                        continue;
                    }
                    let x0 = row + first + kx - pad_w;
                    let taps = &src[x0..x0 + (end - first)];
                    out[first..end].iter_mut().zip(taps).for_each(|(o, x)| *o = o.max(*x));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::reference;

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n).map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 150.0) - 6.5).collect()
    }

    #[test]
    fn softmax_equals_the_reference_across_chunks_and_over_the_last_axis() {
        // (outer, len, inner): lanes past one chunk with a partial one; the last axis; one row.
        for (outer, len, inner) in [(3, 16, CHUNK + 37), (5, 7, 1), (2, 1, 9)] {
            let p = SoftmaxParams { lanes: (outer * inner) as u32, len: len as u32, inner: inner as u32 };
            let x = values(outer * len * inner, len);
            let (mut want, mut got) = (vec![0.0; x.len()], vec![0.0; x.len()]);
            reference::softmax(&p, &x, &mut want);
            softmax(&p, &x, &mut got, &mut Vec::new());
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                assert!((g - w).abs() <= 1e-6 * (1.0 + w.abs()), "{p:?} value {i}: {g} vs {w}");
            }
        }
    }

    #[test]
    fn max_pool_equals_the_reference_at_the_edges() {
        // (h, w, kernel, stride_h, pad): SPPF's 5×5, windows wider than the image, vertical stride.
        for (h, w, k, sh, pad) in [(9, 11, 5, 1, 2), (3, 2, 5, 1, 2), (8, 7, 3, 2, 1)] {
            let channels = 3u32;
            let oh = (h + 2 * pad - k) / sh + 1;
            let ow = w + 2 * pad - k + 1;
            let p = MaxPoolParams {
                count: channels * oh * ow,
                h,
                w,
                oh,
                ow,
                kh: k,
                kw: k,
                stride_h: sh,
                stride_w: 1,
                pad_h: pad,
                pad_w: pad,
                dil_h: 1,
                dil_w: 1,
                x_c: h * w,
                x_h: w,
                x_w: 1,
                y_c: oh * ow,
                y_h: ow,
                y_w: 1,
            };
            assert!(handles_max_pool(&p));
            let x = values((channels * h * w) as usize, k as usize);
            let (mut want, mut got) = (vec![0.0; p.count as usize], vec![1.0; p.count as usize]);
            reference::maxpool(&p, &x, &mut want);
            max_pool(&p, &x, &mut got);
            assert_eq!(got, want, "{p:?}");
        }
    }
}
