//! Scalar reference kernels: one function per kernel family of the program, computing exactly
//! what the WGSL kernel of the same family computes (`src/gpu/wgsl/`), in plain loops. They are
//! the CPU executor's first back end and, as the tuned kernels arrive (issue 23), the oracle those
//! kernels are property-tested against.
//!
//! Every index these functions compute stays within the lengths [`super::bounds`] checked when
//! the program was loaded; they are called only after that check.

use crate::program::params::{
    Act, BinaryParams, ConvDirectParams, CopyParams, GemmParams, MaxPoolParams, Params, ReduceParams, SoftmaxParams,
    UnaryParams,
};

/// The fused activation.
pub(crate) fn activate(v: f32, act: u32) -> f32 {
    if act == Act::Silu as u32 {
        v / (1.0 + (-v).exp())
    } else if act == Act::Sigmoid as u32 {
        1.0 / (1.0 + (-v).exp())
    } else {
        v
    }
}

/// Fills `row` with row `kk` of B: a strided matrix row, or with `im2col`, the image values under
/// patch tap `kk` for every output pixel (zero where the tap falls in the padding).
fn b_row(p: &GemmParams, b: &[f32], b0: usize, kk: usize, row: &mut [f32]) {
    // As in `gemm.wgsl` (and `bounds.rs`): patches only when `im2col` is exactly 1.
    if p.im2col != 1 {
        let (b_k, b_n) = (p.b_k as usize, p.b_n as usize);
        for (j, v) in row.iter_mut().enumerate() {
            *v = b[b0 + kk * b_k + j * b_n];
        }
        return;
    }
    let (kh, kw) = (p.kh as usize, p.kw as usize);
    let (ic, r) = (kk / (kh * kw), kk % (kh * kw));
    let dy = ((r / kw) * p.dil_h as usize) as isize;
    let dx = ((r % kw) * p.dil_w as usize) as isize;
    let (h, w, ow) = (p.h as isize, p.w as isize, p.ow.max(1) as usize);
    let base = b0 + ic * p.x_c as usize;
    for (j, v) in row.iter_mut().enumerate() {
        let iy = ((j / ow) * p.stride_h as usize) as isize + dy - p.pad_h as isize;
        let ix = ((j % ow) * p.stride_w as usize) as isize + dx - p.pad_w as isize;
        *v = if iy >= 0 && ix >= 0 && iy < h && ix < w {
            b[base + iy as usize * p.x_h as usize + ix as usize * p.x_w as usize]
        } else {
            0.0
        };
    }
}

/// `C[b, m, n] = act(Σ_k A[b, m, k] · B[b, k, n] + bias [+ C[b, m, n]])`: for each k, B's row is
/// gathered once and added, scaled, into every row of a contiguous accumulator; the epilogue adds
/// the bias (and C's current value with `accumulate`), applies the activation and scatters through
/// C's strides.
pub(crate) fn gemm(p: &GemmParams, a: &[f32], b: &[f32], bias: &[f32], c: &mut [f32]) {
    let (m, n, k) = (p.m as usize, p.n as usize, p.k as usize);
    if m == 0 || n == 0 {
        // Nothing to write (and `bounds.rs` admitted no reads).
        return;
    }
    let mut acc = vec![0f32; m * n];
    let mut row = vec![0f32; n];
    for batch in 0..p.batches.max(1) as usize {
        acc.fill(0.0);
        let a0 = batch * p.a_batch as usize;
        let b0 = batch * p.b_batch as usize;
        for kk in 0..k {
            b_row(p, b, b0, kk, &mut row);
            for (i, acc_row) in acc.chunks_exact_mut(n).enumerate() {
                let av = a[a0 + i * p.a_m as usize + kk * p.a_k as usize];
                for (x, &y) in acc_row.iter_mut().zip(&row) {
                    *x += av * y;
                }
            }
        }
        let c0 = p.c_batch_offset(batch);
        for i in 0..m {
            let row_bias = if p.bias_mode == GemmParams::BIAS_PER_ROW { bias[i] } else { 0.0 };
            for j in 0..n {
                let col_bias = if p.bias_mode == GemmParams::BIAS_PER_COLUMN { bias[j] } else { 0.0 };
                let at = c0 + i * p.c_m as usize + p.c_col_offset(j);
                let prev = if p.accumulate == 1 { c[at] } else { 0.0 };
                c[at] = activate(acc[i * n + j] + row_bias + col_bias + prev, p.act);
            }
        }
    }
}

/// The input coordinate a (transposed) convolution tap reads for output coordinate `o`, if any.
pub(crate) fn tap(o: usize, t: usize, stride: u32, pad: u32, dil: u32, transposed: bool, size: u32) -> Option<usize> {
    let (o, t, s, pad, dil) = (o as isize, t as isize, stride as isize, pad as isize, dil as isize);
    let i = if transposed {
        let v = o + pad - t * dil;
        if v < 0 || v % s != 0 {
            return None;
        }
        v / s
    } else {
        o * s + t * dil - pad
    };
    (i >= 0 && i < size as isize).then_some(i as usize)
}

/// A grouped (or depthwise) 2-D convolution or its transpose, one output value at a time.
pub(crate) fn conv_direct(p: &ConvDirectParams, x: &[f32], w: &[f32], bias: &[f32], y: &mut [f32]) {
    let (kh, kw) = (p.kh as usize, p.kw as usize);
    let icg = (p.c_in / p.groups) as usize;
    let ocg = (p.c_out / p.groups) as usize;
    let transposed = p.transposed == 1;
    for oc in 0..p.c_out as usize {
        let g = oc / ocg;
        for oy in 0..p.oh as usize {
            for ox in 0..p.ow as usize {
                let mut acc = if p.has_bias == 1 { bias[oc] } else { 0.0 };
                for i in 0..icg {
                    let ic = g * icg + i;
                    let w0 = (oc * icg + i) * kh * kw;
                    for ky in 0..kh {
                        let Some(iy) = tap(oy, ky, p.stride_h, p.pad_h, p.dil_h, transposed, p.h) else {
                            continue;
                        };
                        let row = ic * p.x_c as usize + iy * p.x_h as usize;
                        for kx in 0..kw {
                            if let Some(ix) = tap(ox, kx, p.stride_w, p.pad_w, p.dil_w, transposed, p.w) {
                                acc += x[row + ix * p.x_w as usize] * w[w0 + ky * kw + kx];
                            }
                        }
                    }
                }
                y[oc * p.y_c as usize + oy * p.y_h as usize + ox * p.y_w as usize] = activate(acc, p.act);
            }
        }
    }
}

/// Calls `f(flat index, strided offsets)` for every coordinate of a row-major `shape`, with the
/// offsets of each operand (`strides[t][d]` is operand `t`'s stride of axis `d`; `divisors`
/// divide the coordinate first, for the operand at index 0 only).
fn for_each_coordinate<const T: usize>(
    shape: &[u32],
    strides: [&[u32]; T],
    divisors: Option<&[u32]>,
    mut f: impl FnMut(usize, [usize; T]),
) {
    let rank = shape.len();
    let count: usize = shape.iter().map(|&s| s as usize).product();
    let mut coord = vec![0usize; rank];
    let mut offsets = [0usize; T];
    for idx in 0..count {
        f(idx, offsets);
        // Advance the coordinate like an odometer and recompute the offsets (cheap at rank ≤ 6).
        for d in (0..rank).rev() {
            coord[d] += 1;
            if coord[d] < shape[d] as usize {
                break;
            }
            coord[d] = 0;
        }
        for (t, o) in offsets.iter_mut().enumerate() {
            *o = (0..rank)
                .map(|d| {
                    let c = match divisors {
                        Some(div) if t == 0 => coord[d] / div[d] as usize,
                        _ => coord[d],
                    };
                    c * strides[t][d] as usize
                })
                .sum();
        }
    }
}

/// Broadcasting binary arithmetic, the output contiguous.
pub(crate) fn binary(p: &BinaryParams, a: &[f32], b: &[f32], out: &mut [f32]) {
    let r = p.rank as usize;
    for_each_coordinate(&p.shape[..r], [&p.a_strides[..r], &p.b_strides[..r]], None, |idx, [ia, ib]| {
        let (x, y) = (a[ia], b[ib]);
        out[idx] = match p.op {
            BinaryParams::ADD => x + y,
            BinaryParams::SUB => x - y,
            BinaryParams::MUL => x * y,
            BinaryParams::DIV => x / y,
            BinaryParams::POW => x.powf(y),
            BinaryParams::MAX => x.max(y),
            _ => x.min(y),
        };
    });
}

/// A unary function, element-wise.
pub(crate) fn unary(p: &UnaryParams, a: &[f32], out: &mut [f32]) {
    let f: fn(f32) -> f32 = match p.op {
        UnaryParams::SILU => |x| x / (1.0 + (-x).exp()),
        UnaryParams::SIGMOID => |x| 1.0 / (1.0 + (-x).exp()),
        UnaryParams::SIN => f32::sin,
        UnaryParams::COS => f32::cos,
        UnaryParams::EXP => f32::exp,
        UnaryParams::TANH => f32::tanh,
        UnaryParams::NEG => |x| -x,
        UnaryParams::ABS => f32::abs,
        UnaryParams::SQRT => f32::sqrt,
        UnaryParams::RECIP => f32::recip,
        UnaryParams::LN => f32::ln,
        _ => |x| x.max(0.0),
    };
    let n = p.count as usize;
    for (o, &x) in out[..n].iter_mut().zip(&a[..n]) {
        *o = f(x);
    }
}

/// A strided copy of a region (slice, concat part, transpose, reshape, nearest up/downsample).
pub(crate) fn copy(p: &CopyParams, src: &[f32], dst: &mut [f32]) {
    let r = p.rank as usize;
    let (i0, o0) = (p.in_off as usize, p.out_off as usize);
    let strides = [&p.in_strides[..r], &p.out_strides[..r]];
    for_each_coordinate(&p.shape[..r], strides, Some(&p.divisors[..r]), |_, [i, o]| {
        dst[o0 + o] = src[i0 + i];
    });
}

/// Softmax over the middle axis of a contiguous `[outer, len, inner]`.
pub(crate) fn softmax(p: &SoftmaxParams, src: &[f32], dst: &mut [f32]) {
    let (len, inner) = (p.len as usize, p.inner as usize);
    for lane in 0..p.lanes as usize {
        let base = (lane / inner) * len * inner + lane % inner;
        let at = |j: usize| base + j * inner;
        let hi = (0..len).map(|j| src[at(j)]).fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for j in 0..len {
            let e = (src[at(j)] - hi).exp();
            dst[at(j)] = e;
            sum += e;
        }
        for j in 0..len {
            dst[at(j)] /= sum;
        }
    }
}

/// A reduction over the middle axis of a contiguous `[outer, len, inner]`.
pub(crate) fn reduce(p: &ReduceParams, src: &[f32], dst: &mut [f32]) {
    let (len, inner) = (p.len as usize, p.inner as usize);
    for (lane, out) in dst[..p.lanes as usize].iter_mut().enumerate() {
        let base = (lane / inner) * len * inner + lane % inner;
        let values = (1..len).map(|j| src[base + j * inner]);
        let first = src[base];
        let acc = match p.op {
            ReduceParams::MAX => values.fold(first, f32::max),
            ReduceParams::MIN => values.fold(first, f32::min),
            ReduceParams::PROD => values.fold(first, |a, v| a * v),
            _ => values.fold(first, |a, v| a + v),
        };
        *out = if p.op == ReduceParams::MEAN { acc / len as f32 } else { acc };
    }
}

/// A 2-D max pool.
pub(crate) fn maxpool(p: &MaxPoolParams, src: &[f32], dst: &mut [f32]) {
    let channels = p.count as usize / (p.oh as usize * p.ow as usize).max(1);
    for ch in 0..channels {
        for oy in 0..p.oh as usize {
            for ox in 0..p.ow as usize {
                let mut best = f32::MIN;
                for ky in 0..p.kh as usize {
                    let Some(iy) = tap(oy, ky, p.stride_h, p.pad_h, p.dil_h, false, p.h) else {
                        continue;
                    };
                    for kx in 0..p.kw as usize {
                        if let Some(ix) = tap(ox, kx, p.stride_w, p.pad_w, p.dil_w, false, p.w) {
                            best = best.max(src[ch * p.x_c as usize + iy * p.x_h as usize + ix * p.x_w as usize]);
                        }
                    }
                }
                dst[ch * p.y_c as usize + oy * p.y_h as usize + ox * p.y_w as usize] = best;
            }
        }
    }
}

/// One step on the reference kernels; `ins` are its input tensors in binding order
/// (`CpuProgram::new` checked their count against the family).
pub(crate) fn run_step(params: &Params, ins: &[&[f32]], out: &mut [f32]) {
    match (params, ins) {
        (Params::Gemm(p), [a, b, bias]) => gemm(p, a, b, bias, out),
        (Params::ConvDirect(p), [x, w, bias]) => conv_direct(p, x, w, bias, out),
        (Params::Binary(p), [a, b]) => binary(p, a, b, out),
        (Params::Unary(p), [a]) => unary(p, a, out),
        (Params::Copy(p), [x]) => copy(p, x, out),
        (Params::Softmax(p), [x]) => softmax(p, x, out),
        (Params::Reduce(p), [x]) => reduce(p, x, out),
        (Params::MaxPool(p), [x]) => maxpool(p, x, out),
        _ => {}
    }
}
