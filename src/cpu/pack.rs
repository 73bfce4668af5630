//! Packing the operands of a product for the micro-kernels ([`super::microkernel`]): A (the
//! weights) into panels of `mr` rows, `[panel][k][mr]`, once when the program is loaded; B (a
//! matrix, or the patches of an image for a convolution) into panels of `nr` columns,
//! `[panel][k][nr]`, block by block while the product runs. Rows and columns past the edge are
//! zero, so a kernel always computes a full tile.
//!
//! Every index stays within what `super::bounds` checked for the step: the packers read exactly
//! the elements the reference product reads.

use crate::program::params::GemmParams;

/// Values of A packed for one product: every batch's panels, `mr` rows each.
pub(crate) fn packed_a_len(p: &GemmParams, mr: usize) -> usize {
    (p.batches.max(1) as usize) * (p.m as usize).div_ceil(mr) * mr * p.k as usize
}

/// Packs A (all batches) into `out` (`packed_a_len` values): batch `b`'s panel `q` holds rows
/// `q·mr ..` as `[k][mr]`.
pub(crate) fn pack_a(p: &GemmParams, a: &[f32], mr: usize, out: &mut [f32]) {
    let (m, k) = (p.m as usize, p.k as usize);
    let (a_m, a_k) = (p.a_m as usize, p.a_k as usize);
    let panels = m.div_ceil(mr);
    for (batch, packed) in out.chunks_exact_mut((panels * mr * k).max(1)).enumerate().take(p.batches.max(1) as usize) {
        let a0 = batch * p.a_batch as usize;
        for (q, panel) in packed.chunks_exact_mut((mr * k).max(1)).enumerate().take(panels) {
            for (kk, dst) in panel.chunks_exact_mut(mr).enumerate().take(k) {
                for (r, v) in dst.iter_mut().enumerate() {
                    let row = q * mr + r;
                    *v = if row < m { a[a0 + row * a_m + kk * a_k] } else { 0.0 };
                }
            }
        }
    }
}

/// Packs columns `n0 .. n0 + cols` of batch `b0`'s B into panels of `nr` (`out` holds
/// `cols.div_ceil(nr) · k · nr` values).
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub(crate) fn pack_b(p: &GemmParams, b: &[f32], b0: usize, n0: usize, cols: usize, nr: usize, out: &mut [f32]) {
    let k = p.k as usize;
    for (q, panel) in out.chunks_exact_mut((k * nr).max(1)).enumerate().take(cols.div_ceil(nr)) {
        let c0 = n0 + q * nr;
        let width = nr.min(n0 + cols - c0);
        if p.im2col == 1 {
            pack_patches(p, b, b0, c0, width, nr, panel);
        } else {
            pack_matrix(p, b, b0, c0, width, nr, panel);
        }
    }
}

/// One panel of a strided matrix.
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn pack_matrix(p: &GemmParams, b: &[f32], b0: usize, c0: usize, width: usize, nr: usize, panel: &mut [f32]) {
    let (b_k, b_n) = (p.b_k as usize, p.b_n as usize);
    for (kk, dst) in panel.chunks_exact_mut(nr).enumerate() {
        let row = b0 + kk * b_k + c0 * b_n;
        if b_n == 1 {
            copy_run(&mut dst[..width], &b[row..row + width]);
        } else {
            for (j, v) in dst[..width].iter_mut().enumerate() {
                *v = b[row + j * b_n];
            }
        }
        dst[width..].fill(0.0);
    }
}

/// One panel of image patches: row `kk` is input channel `kk / (kh·kw)` at tap `kk % (kh·kw)`
/// for the panel's output pixels, zero where the tap falls in the padding. When the panel's
/// pixels lie in one output row and every tap inside the image, a row of the panel is one
/// strided run of the input row (a plain copy at stride 1).
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn pack_patches(p: &GemmParams, b: &[f32], b0: usize, c0: usize, width: usize, nr: usize, panel: &mut [f32]) {
    let (kh, kw) = (p.kh as usize, p.kw as usize);
    let taps = (kh * kw).max(1);
    let ow = p.ow.max(1) as usize;
    let (h, w) = (p.h as isize, p.w as isize);
    let (sh, sw) = (p.stride_h as isize, p.stride_w as isize);
    let (x_c, x_h, x_w) = (p.x_c as usize, p.x_h as usize, p.x_w as usize);
    let (oy0, ox0) = (c0 / ow, c0 % ow);
    let one_row = ox0 + width <= ow;
    // Row kk of the panel is channel kk / (kh·kw), tap (ky, kx): walked in that order, without
    // a division per row.
    let mut rows = panel.chunks_exact_mut(nr);
    for ic in 0..(p.k as usize).div_ceil(taps) {
        for ky in 0..kh {
            for kx in 0..kw {
                let Some(dst) = rows.next() else { return };
                let dy = (ky * p.dil_h as usize) as isize - p.pad_h as isize;
                let dx = (kx * p.dil_w as usize) as isize - p.pad_w as isize;
                let base = b0 + ic * x_c;
                if one_row {
                    patch_run(
                        b,
                        base,
                        oy0 as isize * sh + dy,
                        ox0 as isize * sw + dx,
                        [h, w],
                        [sw, x_h as isize, x_w as isize],
                        width,
                        dst,
                    );
                } else {
                    patch_scattered(b, base, c0, ow, [dy, dx], [h, w], [sh, sw], [x_h, x_w], width, dst);
                }
            }
        }
    }
}

/// A panel row of pixels in one output row: input row `iy`, columns `first`, `first + sw`, ….
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[allow(clippy::too_many_arguments)]
fn patch_run(
    b: &[f32],
    base: usize,
    iy: isize,
    first: isize,
    [h, w]: [isize; 2],
    [sw, x_h, x_w]: [isize; 3],
    width: usize,
    dst: &mut [f32],
) {
    if iy < 0 || iy >= h {
        dst.fill(0.0);
        return;
    }
    let row = base + (iy * x_h) as usize;
    let last = first + (width as isize - 1) * sw;
    if first >= 0 && last < w {
        let first = first as usize;
        if sw == 1 && x_w == 1 {
            copy_run(&mut dst[..width], &b[row + first..row + first + width]);
        } else if sw == 2 && x_w == 1 {
            // One value past the run's last tap, where the input has it: whole vectors to shuffle.
            let end = (row + first + 2 * width).min(b.len());
            every_other(&mut dst[..width], &b[row + first..end]);
        } else {
            let step = (sw * x_w) as usize;
            for (j, v) in dst[..width].iter_mut().enumerate() {
                *v = b[row + first * x_w as usize + j * step];
            }
        }
    } else {
        for (j, v) in dst[..width].iter_mut().enumerate() {
            let ix = first + j as isize * sw;
            *v = if ix >= 0 && ix < w { b[row + (ix * x_w) as usize] } else { 0.0 };
        }
    }
    dst[width..].fill(0.0);
}

/// A panel row whose pixels span output rows: each pixel's tap on its own.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[allow(clippy::too_many_arguments)]
fn patch_scattered(
    b: &[f32],
    base: usize,
    c0: usize,
    ow: usize,
    [dy, dx]: [isize; 2],
    [h, w]: [isize; 2],
    [sh, sw]: [isize; 2],
    [x_h, x_w]: [usize; 2],
    width: usize,
    dst: &mut [f32],
) {
    for (j, v) in dst.iter_mut().enumerate() {
        let pixel = c0 + j;
        let iy = (pixel / ow) as isize * sh + dy;
        let ix = (pixel % ow) as isize * sw + dx;
        *v = if j < width && iy >= 0 && ix >= 0 && iy < h && ix < w {
            b[base + iy as usize * x_h + ix as usize * x_w]
        } else {
            0.0
        };
    }
}

/// `dst[j] = src[2j]`: a stride-2 convolution's taps along a row (`src` holds at least
/// `2·dst.len() - 1` values), as vector shuffles for the micro-kernels' panel widths when `src`
/// has the `2·dst.len()` values that make whole vectors (LLVM turns the fixed-size pick into
/// shuffles of full loads; over one value fewer it inserted the values one by one).
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn every_other(dst: &mut [f32], src: &[f32]) {
    #[inline(always)]
    fn fixed<const N: usize, const TWO_N: usize>(dst: &mut [f32; N], src: &[f32; TWO_N]) {
        for (j, v) in dst.iter_mut().enumerate() {
            *v = src[2 * j];
        }
    }
    if let (Ok(d), Some(s)) = (<&mut [f32; 16]>::try_from(&mut *dst), src.first_chunk::<32>()) {
        return fixed(d, s);
    }
    if let (Ok(d), Some(s)) = (<&mut [f32; 8]>::try_from(&mut *dst), src.first_chunk::<16>()) {
        return fixed(d, s);
    }
    for (j, v) in dst.iter_mut().enumerate() {
        *v = src[2 * j];
    }
}

/// `dst.copy_from_slice(src)`, as two or four vector moves for the micro-kernels' panel widths
/// (a call to `memmove` for 16 values cost more than the copy: 8 % of a model's run).
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub(crate) fn copy_run(dst: &mut [f32], src: &[f32]) {
    match (<&mut [f32; 16]>::try_from(&mut *dst), <&[f32; 16]>::try_from(src)) {
        (Ok(d), Ok(s)) => *d = *s,
        _ => match (<&mut [f32; 8]>::try_from(&mut *dst), <&[f32; 8]>::try_from(src)) {
            (Ok(d), Ok(s)) => *d = *s,
            _ => dst.copy_from_slice(src),
        },
    }
}
