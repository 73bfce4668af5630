//! The tuned grouped / depthwise convolution of the CPU program (`conv_direct` steps that are
//! not transposed and whose image rows are contiguous, as tract's NCHW graphs give): one output
//! row at a time, each kernel tap adding a scaled run of an input row to it, so the inner loop
//! is a SIMD multiply-add over the row (a plain `zip` at stride 1). Other `conv_direct` steps
//! run on `reference::conv_direct`, which this is property-tested against.

use super::activation;
use crate::program::params::ConvDirectParams;

/// Whether [`conv_direct`] runs this step.
pub(crate) fn handles(p: &ConvDirectParams) -> bool {
    p.transposed == 0 && p.x_w == 1 && p.y_w == 1 && p.groups > 0 && p.stride_w > 0
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
#[inline(always)]
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
    let (sh, sw) = (p.stride_h as isize, p.stride_w as usize);
    let (x_c, x_h) = (p.x_c as usize, p.x_h as usize);
    row.resize(ow, 0.0);
    for oc in 0..p.c_out as usize {
        let g = oc / ocg;
        let start = if p.has_bias == 1 { bias[oc] } else { 0.0 };
        for oy in 0..p.oh as usize {
            row.fill(start);
            for i in 0..icg {
                let ic = g * icg + i;
                let w0 = (oc * icg + i) * kh * kw;
                for ky in 0..kh {
                    let iy = oy as isize * sh + (ky * p.dil_h as usize) as isize - p.pad_h as isize;
                    if iy < 0 || iy >= p.h as isize {
                        continue;
                    }
                    let line = ic * x_c + iy as usize * x_h;
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
