//! What each step of a program touches: for every tensor a step binds, one past the highest index
//! it reads or writes, derived from the step's parameters alone. The CPU executor checks these
//! against the tensors' lengths once, when a program is loaded, so its kernels index without
//! checks and a wrong program is a clear error (and tract's plan runs instead), never a panic.
//! The values are upper bounds; a step whose parameters are inconsistent (a count that is not
//! its shape's product, a zero divisor) is rejected here too.

use crate::program::params::{
    BinaryParams, ConvDirectParams, CopyParams, GemmParams, MaxPoolParams, Params, ReduceParams,
};

/// One past the highest offset `Σ (size_d - 1) · stride_d` (0 for an empty region; saturating,
/// so a region past the address space fails the length check rather than wrapping).
fn span(sizes_strides: impl IntoIterator<Item = (usize, usize)>) -> usize {
    let mut last = 0;
    for (size, stride) in sizes_strides {
        if size == 0 {
            return 0;
        }
        last = ((size - 1).saturating_mul(stride)).saturating_add(last);
    }
    last.saturating_add(1)
}

fn n(x: u32) -> usize {
    x as usize
}

/// One past the highest index a step touches in each tensor it binds (inputs, then the output),
/// or why its parameters are inconsistent.
pub(crate) fn extents(params: &Params) -> Result<Vec<usize>, String> {
    match params {
        Params::Gemm(p) => gemm(p),
        Params::ConvDirect(p) => conv_direct(p),
        Params::Binary(p) => binary(p),
        Params::Unary(p) => Ok(vec![n(p.count), n(p.count)]),
        Params::Copy(p) => copy(p),
        Params::Softmax(p) => lanes(p.lanes, p.len, p.inner).map(|(x, _)| vec![x, x]),
        Params::Reduce(p) => reduce(p),
        Params::MaxPool(p) => maxpool(p),
    }
}

fn gemm(p: &GemmParams) -> Result<Vec<usize>, String> {
    let (m, nn, k, batches) = (n(p.m), n(p.n), n(p.k), n(p.batches.max(1)));
    if m == 0 || nn == 0 {
        return Ok(vec![0, 0, 0, 0]);
    }
    let a = if k == 0 { 0 } else { span([(batches, n(p.a_batch)), (m, n(p.a_m)), (k, n(p.a_k))]) };
    let b = if k == 0 {
        0
    } else if p.im2col == 1 {
        let taps = n(p.kh) * n(p.kw);
        if taps == 0 || p.ow == 0 || nn % n(p.ow) != 0 {
            return Err(format!("an implicit-GEMM product of {nn} columns over output rows of {}", p.ow));
        }
        let channels = (k - 1) / taps + 1;
        span([(batches, n(p.b_batch)), (channels, n(p.x_c)), (n(p.h), n(p.x_h)), (n(p.w), n(p.x_w))])
    } else {
        span([(batches, n(p.b_batch)), (k, n(p.b_k)), (nn, n(p.b_n))])
    };
    let bias = match p.bias_mode {
        GemmParams::BIAS_PER_ROW => m,
        GemmParams::BIAS_PER_COLUMN => nn,
        _ => 0,
    };
    let batch_base = match n(p.batch_split) {
        0 => span([(batches, n(p.c_batch))]),
        s => span([((batches - 1) / s + 1, n(p.c_batch)), (s.min(batches), n(p.c_batch_inner))]),
    };
    let col = match n(p.col_split) {
        0 => span([(nn, n(p.c_n))]),
        s => span([((nn - 1) / s + 1, n(p.c_col_outer)), (s.min(nn), n(p.c_n))]),
    };
    // Each span is one past its last offset: the sum of the three last offsets, plus one.
    let c = span([(m, n(p.c_m))]).saturating_add(batch_base).saturating_add(col).saturating_sub(2);
    Ok(vec![a, b, bias, c])
}

fn conv_direct(p: &ConvDirectParams) -> Result<Vec<usize>, String> {
    if p.groups == 0 || !p.c_in.is_multiple_of(p.groups) || !p.c_out.is_multiple_of(p.groups) {
        return Err(format!("{} input and {} output channels in {} groups", p.c_in, p.c_out, p.groups));
    }
    if p.transposed == 1 && (p.stride_h == 0 || p.stride_w == 0) {
        return Err("a transposed convolution with a zero stride".into());
    }
    if n(p.count) != n(p.c_out) * n(p.oh) * n(p.ow) {
        return Err(format!("{} outputs for {} × {} × {}", p.count, p.c_out, p.oh, p.ow));
    }
    let x = span([(n(p.c_in), n(p.x_c)), (n(p.h), n(p.x_h)), (n(p.w), n(p.x_w))]);
    let w = n(p.c_out) * n(p.c_in / p.groups) * n(p.kh) * n(p.kw);
    let bias = if p.has_bias == 1 { n(p.c_out) } else { 0 };
    let y = span([(n(p.c_out), n(p.y_c)), (n(p.oh), n(p.y_h)), (n(p.ow), n(p.y_w))]);
    Ok(vec![x, w, bias, y])
}

/// The axes of a strided kernel, checked: `count` must be their product.
fn region(count: u32, rank: u32, shape: &[u32]) -> Result<&[u32], String> {
    let shape = shape.get(..n(rank)).ok_or_else(|| format!("rank {rank}"))?;
    let product: usize = shape.iter().map(|&s| n(s)).product();
    if product != n(count) {
        return Err(format!("{count} values over the shape {shape:?}"));
    }
    Ok(shape)
}

fn binary(p: &BinaryParams) -> Result<Vec<usize>, String> {
    let shape = region(p.count, p.rank, &p.shape)?;
    let side = |strides: &[u32]| span(shape.iter().zip(strides).map(|(&s, &t)| (n(s), n(t))));
    Ok(vec![side(&p.a_strides), side(&p.b_strides), n(p.count)])
}

fn copy(p: &CopyParams) -> Result<Vec<usize>, String> {
    let shape = region(p.count, p.rank, &p.shape)?;
    let r = shape.len();
    if p.divisors[..r].contains(&0) {
        return Err("a zero divisor".into());
    }
    if p.count == 0 {
        return Ok(vec![0, 0]);
    }
    let read = (0..r).map(|d| ((n(shape[d]) - 1) / n(p.divisors[d]) + 1, n(p.in_strides[d])));
    let write = (0..r).map(|d| (n(shape[d]), n(p.out_strides[d])));
    Ok(vec![n(p.in_off) + span(read), n(p.out_off) + span(write)])
}

/// `[outer, len, inner]` lanes: the values read and the lanes, checked.
fn lanes(lanes: u32, len: u32, inner: u32) -> Result<(usize, usize), String> {
    if inner == 0 || len == 0 || !lanes.is_multiple_of(inner) {
        return Err(format!("{lanes} lanes of {len} values, {inner} inner"));
    }
    Ok((n(lanes) * n(len), n(lanes)))
}

fn reduce(p: &ReduceParams) -> Result<Vec<usize>, String> {
    let (read, lanes) = lanes(p.lanes, p.len, p.inner)?;
    Ok(vec![read, lanes])
}

fn maxpool(p: &MaxPoolParams) -> Result<Vec<usize>, String> {
    let plane = n(p.oh) * n(p.ow);
    if plane == 0 || !n(p.count).is_multiple_of(plane) {
        return Err(format!("{} outputs over {} × {} pixels", p.count, p.oh, p.ow));
    }
    let channels = n(p.count) / plane;
    let x = span([(channels, n(p.x_c)), (n(p.h), n(p.x_h)), (n(p.w), n(p.x_w))]);
    let y = span([(channels, n(p.y_c)), (n(p.oh), n(p.y_h)), (n(p.ow), n(p.y_w))]);
    Ok(vec![x, y])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::params::SoftmaxParams;

    #[test]
    fn spans_count_the_last_index_once() {
        assert_eq!(span([(2, 12), (3, 4), (4, 1)]), 24);
        assert_eq!(span([(2, 0), (3, 1)]), 3, "a broadcast axis adds nothing");
        assert_eq!(span([(0, 5), (3, 1)]), 0);
    }

    #[test]
    fn inconsistent_parameters_are_errors_not_panics() {
        let unary_count = BinaryParams { count: 7, rank: 1, shape: [6, 1, 1, 1, 1, 1], ..Default::default() };
        assert!(extents(&Params::Binary(unary_count)).is_err());
        let groups = ConvDirectParams { c_in: 3, c_out: 4, groups: 2, ..Default::default() };
        assert!(extents(&Params::ConvDirect(groups)).is_err());
        let zero = ConvDirectParams { groups: 0, ..Default::default() };
        assert!(extents(&Params::ConvDirect(zero)).is_err());
        let lanes = SoftmaxParams { lanes: 5, len: 3, inner: 2 };
        assert!(extents(&Params::Softmax(lanes)).is_err());
        let pool = MaxPoolParams { count: 5, oh: 2, ow: 2, ..Default::default() };
        assert!(extents(&Params::MaxPool(pool)).is_err());
    }

    #[test]
    fn an_empty_product_reaches_nothing_and_runs_nothing() {
        let p = GemmParams { m: 0, n: 5, k: 3, b_k: 5, b_n: 1, ..Default::default() };
        assert_eq!(extents(&Params::Gemm(p)).unwrap(), vec![0, 0, 0, 0]);
        // The kernel must then read nothing: empty slices would panic on any read.
        crate::cpu::reference::gemm(&p, &[], &[], &[], &mut []);
        let odd = GemmParams { m: 1, n: 2, k: 1, im2col: 2, b_n: 1, c_n: 1, ..Default::default() };
        let e = extents(&Params::Gemm(odd)).unwrap();
        let (a, b, c) = (vec![1.0; e[0]], vec![2.0; e[1]], &mut vec![0.0; e[3]]);
        crate::cpu::reference::gemm(&odd, &a, &b, &[], c);
        assert_eq!(c, &[2.0, 2.0], "im2col other than 1 reads B as a matrix, as the bounds assume");
    }

    #[test]
    fn a_scattered_product_reaches_its_last_column() {
        // 6 columns in groups of 4 (column j at (j / 4) · 100 + (j % 4) · 2): the bound takes the
        // last group's offset and the widest in-group column, 100 + 3 · 2, an upper bound of
        // the true last index (column 5, at 102).
        let p = GemmParams { m: 1, n: 6, k: 1, c_n: 2, col_split: 4, c_col_outer: 100, ..Default::default() };
        let e = extents(&Params::Gemm(p)).unwrap();
        assert_eq!(e[3], 100 + 3 * 2 + 1);
        let rows = GemmParams { m: 3, c_m: 10, ..p };
        assert_eq!(extents(&Params::Gemm(rows)).unwrap()[3], 2 * 10 + 100 + 3 * 2 + 1);
    }
}
