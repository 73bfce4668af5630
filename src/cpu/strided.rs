//! The tuned strided families of the CPU program, `copy` (slices, concat parts, transposes,
//! nearest upsampling) and `binary` (broadcasting arithmetic): the outer axes are walked once per
//! row, the innermost axis is one tight loop (a plain `copy_from_slice` when both sides are
//! contiguous, a vectorisable `zip` for same-layout or broadcast operands). They compute what
//! `reference::copy` and `reference::binary` compute, element for element, and are tested
//! against them through the program's property tests.

use crate::program::params::{BinaryParams, CopyParams};

/// Calls `f(row, offsets)` for every coordinate of `shape[..rank - 1]` (row-major), with each
/// operand's offset (`strides[t][d]`, the coordinate first divided by `divisors[t][d]`).
#[cfg_attr(target_arch = "x86_64", inline(always))]
fn for_each_row<const T: usize>(
    shape: &[u32],
    strides: [&[u32]; T],
    divisors: [Option<&[u32]>; T],
    mut f: impl FnMut(usize, [usize; T]),
) {
    let outer = &shape[..shape.len().saturating_sub(1)];
    let rows: usize = outer.iter().map(|&s| s as usize).product();
    let mut coord = vec![0usize; outer.len()];
    for row in 0..rows {
        let mut offsets = [0usize; T];
        for (t, o) in offsets.iter_mut().enumerate() {
            *o = coord
                .iter()
                .enumerate()
                .map(|(d, &c)| divisors[t].map_or(c, |div| c / div[d].max(1) as usize) * strides[t][d] as usize)
                .sum();
        }
        f(row, offsets);
        for d in (0..outer.len()).rev() {
            coord[d] += 1;
            if coord[d] < outer[d] as usize {
                break;
            }
            coord[d] = 0;
        }
    }
}

/// A strided copy of a region (see [`CopyParams`]).
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub(crate) fn copy(p: &CopyParams, src: &[f32], dst: &mut [f32]) {
    let r = (p.rank as usize).max(1);
    let len = p.shape[r - 1] as usize;
    let (si, so, div) =
        (p.in_strides[r - 1] as usize, p.out_strides[r - 1] as usize, p.divisors[r - 1].max(1) as usize);
    let (i0, o0) = (p.in_off as usize, p.out_off as usize);
    let strides = [&p.in_strides[..r], &p.out_strides[..r]];
    for_each_row(&p.shape[..r], strides, [Some(&p.divisors[..r]), None], |_, [i, o]| {
        let (i, o) = (i0 + i, o0 + o);
        if len == 0 {
            return;
        }
        if div == 1 && si == 1 && so == 1 {
            dst[o..o + len].copy_from_slice(&src[i..i + len]);
        } else if div == 1 {
            for j in 0..len {
                dst[o + j * so] = src[i + j * si];
            }
        } else {
            for j in 0..len {
                dst[o + j * so] = src[i + (j / div) * si];
            }
        }
    });
}

/// Broadcasting binary arithmetic, the output contiguous (see [`BinaryParams`]).
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub(crate) fn binary(p: &BinaryParams, a: &[f32], b: &[f32], out: &mut [f32]) {
    match p.op {
        BinaryParams::ADD => binary_with(p, a, b, out, |x, y| x + y),
        BinaryParams::SUB => binary_with(p, a, b, out, |x, y| x - y),
        BinaryParams::MUL => binary_with(p, a, b, out, |x, y| x * y),
        BinaryParams::DIV => binary_with(p, a, b, out, |x, y| x / y),
        BinaryParams::POW => binary_with(p, a, b, out, f32::powf),
        BinaryParams::MAX => binary_with(p, a, b, out, f32::max),
        _ => binary_with(p, a, b, out, f32::min),
    }
}

/// [`binary`] with the operation known to the compiler, so the row loops vectorise.
#[inline(always)]
fn binary_with(p: &BinaryParams, a: &[f32], b: &[f32], out: &mut [f32], op: impl Fn(f32, f32) -> f32) {
    let r = (p.rank as usize).max(1);
    let len = p.shape[r - 1] as usize;
    let (sa, sb) = (p.a_strides[r - 1] as usize, p.b_strides[r - 1] as usize);
    for_each_row(&p.shape[..r], [&p.a_strides[..r], &p.b_strides[..r]], [None, None], |row, [ia, ib]| {
        let o = &mut out[row * len..(row + 1) * len];
        match (sa, sb) {
            (1, 1) => o.iter_mut().zip(&a[ia..ia + len]).zip(&b[ib..ib + len]).for_each(|((o, &x), &y)| *o = op(x, y)),
            (1, 0) => {
                let y = b[ib];
                o.iter_mut().zip(&a[ia..ia + len]).for_each(|(o, &x)| *o = op(x, y));
            }
            (0, 1) => {
                let x = a[ia];
                o.iter_mut().zip(&b[ib..ib + len]).for_each(|(o, &y)| *o = op(x, y));
            }
            _ => o.iter_mut().enumerate().for_each(|(j, o)| *o = op(a[ia + j * sa], b[ib + j * sb])),
        }
    });
}
