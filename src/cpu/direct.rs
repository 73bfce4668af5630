//! The tuned grouped / depthwise convolutions of the CPU program (`conv_direct` steps that are
//! not transposed): with image rows contiguous (channels first), one output row at a time, each
//! kernel tap adding a scaled run of an input row to it; a depthwise convolution channels last
//! (tract declutters some of YOLO11's head that way) one output pixel at a time, each tap adding
//! the input pixel's channels times that tap's weights (transposed once per run to `[tap][c]`).
//! Either way the inner loop is a SIMD multiply-add over contiguous values. Other `conv_direct`
//! steps run on `reference::conv_direct`, which these are property-tested against.

use super::activation;
use super::reference::tap;
use crate::program::params::ConvDirectParams;

/// Whether [`conv_direct`] runs this step.
pub(crate) fn handles(p: &ConvDirectParams) -> bool {
    p.transposed == 0 && p.x_w == 1 && p.y_w == 1 && p.groups > 0 && p.stride_w > 0
}

/// Whether [`depthwise_channels_last`] runs this step.
pub(crate) fn handles_channels_last(p: &ConvDirectParams) -> bool {
    p.transposed == 0 && p.groups == p.c_in && p.groups == p.c_out && p.x_c == 1 && p.y_c == 1
}

/// A depthwise convolution, channels last ([`handles_channels_last`] must hold); `weights` and
/// `acc` are reusable buffers.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn depthwise_channels_last(
    p: &ConvDirectParams,
    x: &[f32],
    wt: &[f32],
    bias: &[f32],
    y: &mut [f32],
    weights: &mut Vec<f32>,
    acc: &mut Vec<f32>,
) {
    let (c, taps) = (p.c_out as usize, (p.kh * p.kw) as usize);
    // OIHW [c, 1, kh, kw] → [tap][c].
    weights.resize(taps * c, 0.0);
    for (ch, w) in wt.chunks_exact(taps.max(1)).take(c).enumerate() {
        for (t, &v) in w.iter().enumerate() {
            weights[t * c + ch] = v;
        }
    }
    acc.resize(c, 0.0);
    let (x_h, x_w, y_h, y_w) = (p.x_h as usize, p.x_w as usize, p.y_h as usize, p.y_w as usize);
    for oy in 0..p.oh as usize {
        for ox in 0..p.ow as usize {
            if p.has_bias == 1 {
                acc.copy_from_slice(&bias[..c]);
            } else {
                acc.fill(0.0);
            }
            for ky in 0..p.kh as usize {
                let Some(iy) = tap(oy, ky, p.stride_h, p.pad_h, p.dil_h, false, p.h) else { continue };
                for kx in 0..p.kw as usize {
                    let Some(ix) = tap(ox, kx, p.stride_w, p.pad_w, p.dil_w, false, p.w) else { continue };
                    let at = iy * x_h + ix * x_w;
                    let w = &weights[(ky * p.kw as usize + kx) * c..][..c];
                    acc.iter_mut().zip(&x[at..at + c]).zip(w).for_each(|((a, &v), &w)| *a += v * w);
                }
            }
            activation::apply(p.act, acc);
            let at = oy * y_h + ox * y_w;
            y[at..at + c].copy_from_slice(acc);
        }
    }
}

/// The output columns `lo .. hi` whose input column `ox · stride + off` lies in `0 .. w`.
fn columns(ow: usize, w: usize, stride: usize, off: isize) -> (usize, usize) {
    let s = stride as isize;
    let lo = if off < 0 { ((-off + s - 1) / s) as usize } else { 0 };
    let reach = w as isize - off;
    let hi = if reach <= 0 { 0 } else { (((reach + s - 1) / s) as usize).min(ow) };
    (lo.min(hi), hi)
}

/// The convolution ([`handles`] must hold); `row` is a reusable buffer.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub(crate) fn conv_direct(
    p: &ConvDirectParams,
    x: &[f32],
    wt: &[f32],
    bias: &[f32],
    y: &mut [f32],
    row: &mut Vec<f32>,
) {
    let (kh, kw, ow) = (p.kh as usize, p.kw as usize, p.ow as usize);
    let icg = (p.c_in / p.groups) as usize;
    let ocg = ((p.c_out / p.groups) as usize).max(1);
    let sw = p.stride_w as usize;
    let (x_c, x_h) = (p.x_c as usize, p.x_h as usize);
    row.resize(ow, 0.0);
    for oc in 0..p.c_out as usize {
        let g = oc / ocg;
        let start = if p.has_bias == 1 { bias.get(oc).copied().unwrap_or(0.0) } else { 0.0 };
        for oy in 0..p.oh as usize {
            row.fill(start);
            for i in 0..icg {
                let ic = g * icg + i;
                let w0 = (oc * icg + i) * kh * kw;
                for ky in 0..kh {
                    let Some(iy) = tap(oy, ky, p.stride_h, p.pad_h, p.dil_h, false, p.h) else { continue };
                    let line = ic * x_c + iy * x_h;
                    for kx in 0..kw {
                        let wv = wt[w0 + ky * kw + kx];
                        let off = (kx * p.dil_w as usize) as isize - p.pad_w as isize;
                        let (lo, hi) = columns(ow, p.w as usize, sw, off);
                        if lo >= hi {
                            continue;
                        }
                        // The first input column read: lo · stride + off ≥ 0 by `columns`.
                        let first = line + (lo as isize * sw as isize + off) as usize;
                        let out = &mut row[lo..hi];
                        if sw == 1 {
                            out.iter_mut().zip(&x[first..first + (hi - lo)]).for_each(|(o, &v)| *o += wv * v);
                        } else {
                            out.iter_mut().enumerate().for_each(|(j, o)| *o += wv * x[first + j * sw]);
                        }
                    }
                }
            }
            activation::apply(p.act, row);
            let dst = oc * p.y_c as usize + oy * p.y_h as usize;
            y[dst..dst + ow].copy_from_slice(row);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::columns;

    #[test]
    fn columns_are_exactly_those_inside_the_image() {
        for ow in [1usize, 4, 7] {
            for w in [1usize, 3, 8] {
                for stride in [1usize, 2, 3] {
                    for off in -3isize..4 {
                        let (lo, hi) = columns(ow, w, stride, off);
                        for ox in 0..ow {
                            let ix = ox as isize * stride as isize + off;
                            let inside = ix >= 0 && ix < w as isize;
                            assert_eq!(inside, (lo..hi).contains(&ox), "ow {ow} w {w} s {stride} off {off} ox {ox}");
                        }
                    }
                }
            }
        }
    }
}
