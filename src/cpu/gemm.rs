//! The tuned product of the CPU program (the `gemm` family: dense convolutions, attention
//! products, tap-per-batch transposed convolutions): A packed into panels once at load, B packed
//! block by block (a plain copy per row for 1×1 and for the interior of k×k convolutions), one
//! micro-kernel per tile, the bias and activation applied to the tile before it is stored
//! through C's strides. Computes what `reference::gemm` computes (property-tested against it).

use super::activation;
use super::microkernel::Microkernel;
use super::pack::{pack_a, pack_b, packed_a_len};
use super::parallel;
use crate::program::params::GemmParams;

/// About how many bytes of packed B one block holds: columns are packed this many at a time so
/// the block stays in this machine's L2 cache (512 KiB per core here) while every panel of A
/// passes over it.
const B_BLOCK_BYTES: usize = 192 * 1024;

/// Reusable buffers of the products of one program.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    /// A packed at run time (when A is not a constant).
    a: Vec<f32>,
    /// The calling thread's block of B and tile.
    blocks: Blocks,
}

/// What computing one block of columns needs: B's block, packed, and one tile of C.
#[derive(Debug, Default)]
struct Blocks {
    b: Vec<f32>,
    tile: Vec<f32>,
}

/// A packed once (A a constant), for [`gemm`].
pub(crate) fn prepack_a(p: &GemmParams, a: &[f32], kernel: &Microkernel) -> Vec<f32> {
    let mut packed = vec![0.0; packed_a_len(p, kernel.mr)];
    pack_a(p, a, kernel.mr, &mut packed);
    packed
}

/// `C[b, m, n] = act(Σ_k A[b, m, k] · B[b, k, n] + bias)` (see [`GemmParams`]); `packed_a` is A
/// already packed by [`prepack_a`] with this kernel, or `None` to pack it here. With a pool
/// ([`parallel`]), a large product whose C rows are plain and do not overlap splits its columns
/// over the threads, each packing and computing its own blocks.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    p: &GemmParams,
    kernel: &Microkernel,
    a: &[f32],
    packed_a: Option<&[f32]>,
    b: &[f32],
    bias: &[f32],
    c: &mut [f32],
    scratch: &mut Scratch,
) {
    let (m, n, k) = (p.m as usize, p.n as usize, p.k as usize);
    if m == 0 || n == 0 {
        return;
    }
    let (mr, nr) = (kernel.mr, kernel.nr);
    let panels_m = m.div_ceil(mr);
    let block = (B_BLOCK_BYTES / 4 / (k * nr).max(1)).max(1) * nr;
    let threads = parallel::threads();
    // Distinct (row, column) pairs are distinct values of C: each thread's columns are its own.
    let plain = p.col_split == 0 && p.c_n == 1 && p.c_m as usize >= n;
    let split = threads > 1 && plain && m * n * k >= PARALLEL_MACS;
    let (packed_a, blocks) = match packed_a {
        Some(packed) => (packed, &mut scratch.blocks),
        None => {
            scratch.a.resize(packed_a_len(p, mr), 0.0);
            pack_a(p, a, mr, &mut scratch.a);
            (&scratch.a[..], &mut scratch.blocks)
        }
    };
    let out = Out::new(c);
    for batch in 0..p.batches.max(1) as usize {
        let c0 = p.c_batch_offset(batch);
        let job = Job {
            p,
            kernel,
            a: &packed_a[batch * panels_m * mr * k..][..panels_m * mr * k],
            b,
            b0: batch * p.b_batch as usize,
            bias,
            out: &out,
            c0,
        };
        if split {
            // About four blocks per thread (balance), none wider than one L2-sized block.
            let width = n.div_ceil(4 * threads).div_ceil(nr).max(1) * nr;
            let width = width.min(block);
            let starts: Vec<usize> = (0..n).step_by(width).collect();
            parallel::for_each(starts, |n0| {
                THREAD_BLOCKS.with_borrow_mut(|blocks| job.columns(n0, width.min(n - n0), blocks));
            });
        } else {
            for n0 in (0..n).step_by(block) {
                job.columns(n0, block.min(n - n0), blocks);
            }
        }
    }
}

/// Products smaller than this many multiply-adds stay on one thread (a split costs a few tens of
/// microseconds of pool wake-up).
const PARALLEL_MACS: usize = 1 << 20;

thread_local! {
    /// Each pool thread's packed block and tile.
    static THREAD_BLOCKS: std::cell::RefCell<Blocks> = std::cell::RefCell::default();
}

/// One batch of a product, for computing any of its column ranges.
struct Job<'a> {
    p: &'a GemmParams,
    kernel: &'a Microkernel,
    /// This batch's packed A.
    a: &'a [f32],
    b: &'a [f32],
    /// This batch's offset in B.
    b0: usize,
    bias: &'a [f32],
    out: &'a Out,
    /// This batch's offset in C.
    c0: usize,
}

impl Job<'_> {
    /// Columns `n0 .. n0 + cols` of C: B's block packed, then every panel of A over it.
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn columns(&self, n0: usize, cols: usize, scratch: &mut Blocks) {
        let (p, kernel) = (self.p, self.kernel);
        let (m, k, mr, nr) = (p.m as usize, p.k as usize, kernel.mr, kernel.nr);
        scratch.b.resize(cols.div_ceil(nr) * nr * k, 0.0);
        scratch.tile.resize(mr * nr, 0.0);
        pack_b(p, self.b, self.b0, n0, cols, nr, &mut scratch.b);
        for q in 0..m.div_ceil(mr) {
            let a_panel = &self.a[q * mr * k..][..mr * k];
            let rows = mr.min(m - q * mr);
            for (t, b_panel) in scratch.b.chunks_exact((k * nr).max(1)).enumerate().take(cols.div_ceil(nr)) {
                let tile = &mut scratch.tile;
                kernel.run(k, a_panel, b_panel, tile);
                let first = Corner { row: q * mr, col: n0 + t * nr };
                store(p, tile, nr, first, rows, nr.min(n0 + cols - first.col), self.bias, self.out, self.c0);
            }
        }
    }
}

/// C, written by one thread or by several at distinct indices.
struct Out {
    ptr: *mut f32,
    len: usize,
}

// SAFETY: `Out` is made from a `&mut [f32]` held for the whole product; the threads that share it
// write (and, for a product that accumulates, first read) distinct indices (`gemm` splits only
// products whose C rows are plain and do not overlap, between columns), and nothing else reads C
// meanwhile.
unsafe impl Sync for Out {}
// SAFETY: as for `Sync`.
unsafe impl Send for Out {}

impl Out {
    fn new(c: &mut [f32]) -> Out {
        Out { ptr: c.as_mut_ptr(), len: c.len() }
    }

    /// Adds C's current values at `off ..` into `values` (a product that `accumulate`s).
    ///
    /// # Panics
    /// If that reaches past C (which `bounds.rs` rules out for a checked step).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn add_into(&self, off: usize, values: &mut [f32]) {
        assert!(off <= self.len && values.len() <= self.len - off);
        // SAFETY: in bounds (just checked); only this thread writes (or reads) these indices
        // while the product runs (see `Sync`).
        let current = unsafe { std::slice::from_raw_parts(self.ptr.add(off), values.len()) };
        values.iter_mut().zip(current).for_each(|(v, c)| *v += c);
    }

    /// Writes `values` at `off ..`.
    ///
    /// # Panics
    /// If that reaches past C (which `bounds.rs` rules out for a checked step).
    #[cfg_attr(target_arch = "x86_64", inline(always))]
    fn write(&self, off: usize, values: &[f32]) {
        assert!(off <= self.len && values.len() <= self.len - off);
        // SAFETY (all three): in bounds (just checked); no other thread writes these indices (see
        // `Sync`). A tile row of the kernels' widths is stored as vectors, not by a `memcpy` call.
        unsafe {
            let dst = self.ptr.add(off);
            if let Ok(v) = <&[f32; 16]>::try_from(values) {
                (dst as *mut [f32; 16]).write_unaligned(*v);
            } else if let Ok(v) = <&[f32; 8]>::try_from(values) {
                (dst as *mut [f32; 8]).write_unaligned(*v);
            } else {
                std::ptr::copy_nonoverlapping(values.as_ptr(), dst, values.len());
            }
        }
    }
}

/// The first row and column of a tile in C.
#[derive(Clone, Copy)]
struct Corner {
    row: usize,
    col: usize,
}

/// Adds the bias (and, with `accumulate`, C's current values) to the tile's `rows × cols` corner, applies
/// the activation and writes it to C
/// (batch offset `c0`) through C's strides.
#[cfg_attr(target_arch = "x86_64", inline(always))]
#[allow(clippy::too_many_arguments)]
fn store(
    p: &GemmParams,
    tile: &mut [f32],
    nr: usize,
    at: Corner,
    rows: usize,
    cols: usize,
    bias: &[f32],
    c: &Out,
    c0: usize,
) {
    for (i, row) in tile.chunks_exact_mut(nr).enumerate().take(rows) {
        let row = &mut row[..cols];
        match p.bias_mode {
            GemmParams::BIAS_PER_ROW => {
                let v = bias[at.row + i];
                row.iter_mut().for_each(|x| *x += v);
            }
            GemmParams::BIAS_PER_COLUMN => {
                row.iter_mut().zip(&bias[at.col..at.col + cols]).for_each(|(x, v)| *x += v);
            }
            _ => {}
        }
        let line = c0 + (at.row + i) * p.c_m as usize;
        let plain = p.col_split == 0 && p.c_n == 1;
        if p.accumulate == 1 {
            if plain {
                c.add_into(line + at.col, row);
            } else {
                for (j, v) in row.iter_mut().enumerate() {
                    c.add_into(line + p.c_col_offset(at.col + j), std::slice::from_mut(v));
                }
            }
        }
        activation::apply(p.act, row);
        if plain {
            c.write(line + at.col, row);
            continue;
        }
        for (j, v) in row.iter().enumerate() {
            let off = p.c_col_offset(at.col + j);
            c.write(line + off, std::slice::from_ref(v));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::reference;
    use crate::program::params::Act;

    /// Runs `f` with a pool of `threads` as tract's executor (natively; one thread in wasm).
    fn on_threads(threads: usize, f: impl FnOnce()) {
        #[cfg(not(target_arch = "wasm32"))]
        {
            use tract_onnx::tract_core::tract_linalg::multithread::{multithread_tract_scope, Executor};
            let executor = if threads == 1 { Executor::SingleThread } else { Executor::multithread(threads) };
            multithread_tract_scope(executor, f)
        }
        #[cfg(target_arch = "wasm32")]
        {
            assert_eq!(threads, 1);
            f()
        }
    }

    fn values(n: usize, seed: usize) -> Vec<f32> {
        (0..n).map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.5) - 1.0).collect()
    }

    /// The tuned product (both micro-kernels, A packed at load and at run time, on one thread and
    /// split over two; writing C and adding into it) against the reference on `p`, with inputs large
    /// enough for every index it reads.
    fn same_as_reference(p: GemmParams, a_len: usize, b_len: usize, c_len: usize) {
        for accumulate in [0, 1] {
            same_as_reference_once(GemmParams { accumulate, ..p }, a_len, b_len, c_len);
        }
    }

    fn same_as_reference_once(p: GemmParams, a_len: usize, b_len: usize, c_len: usize) {
        let (a, b, bias) = (values(a_len, 1), values(b_len, 2), values(p.m.max(p.n) as usize, 3));
        // C starts from values of its own: a product that accumulates adds them, any other
        // overwrites the ones it writes.
        let mut want = values(c_len, 4);
        reference::gemm(&p, &a, &b, &bias, &mut want);
        for kernel in [Microkernel::portable(), Microkernel::best()] {
            let packed = prepack_a(&p, &a, &kernel);
            let mut runs = vec![(None, 1), (Some(packed.as_slice()), 1)];
            if cfg!(not(target_arch = "wasm32")) {
                runs.push((Some(packed.as_slice()), 2));
            }
            for (pre, threads) in runs {
                let mut got = values(c_len, 4);
                on_threads(threads, || {
                    assert_eq!(super::parallel::threads(), threads);
                    gemm(&p, &kernel, &a, pre, &b, &bias, &mut got, &mut Scratch::default())
                });
                for (i, (x, y)) in got.iter().zip(&want).enumerate() {
                    assert!((x - y).abs() <= 1e-4 * (1.0 + y.abs()), "{kernel:?} value {i}: {x} vs {y}\n{p:?}");
                }
            }
        }
    }

    #[test]
    fn a_matrix_product_over_several_blocks_and_batches_equals_the_reference() {
        // k·n is past one block of B, m and n are not multiples of any tile, A is strided, and
        // m·n·k is past the threshold for splitting it over threads.
        let (m, n, k, batches) = (13, 303, 301, 2);
        let p = GemmParams {
            m,
            n,
            k,
            a_batch: m * k,
            a_m: 1,
            a_k: m,
            b_batch: k * n,
            b_k: n,
            b_n: 1,
            c_batch: m * n,
            c_m: n,
            c_n: 1,
            bias_mode: GemmParams::BIAS_PER_COLUMN,
            act: Act::Silu as u32,
            batches,
            ..GemmParams::default()
        };
        let len = (batches * m * n.max(k) * k) as usize;
        same_as_reference(p, len, len, (batches * m * n) as usize);
    }

    #[test]
    fn image_patches_with_stride_padding_and_dilation_equal_the_reference() {
        // (h, w, kernel, stride, pad, dilation, channels last)
        for (h, w, kk, s, pad, dil, nhwc) in [
            (9, 11, 3, 1, 1, 1, false),
            (10, 13, 3, 2, 1, 1, false),
            (7, 37, 5, 2, 2, 2, true),
            (17, 5, 1, 1, 0, 1, false),
            // Stride 2 over rows wide enough for whole 16- and 8-value panels (vector shuffles),
            // the last ones next to the end of the image.
            (5, 70, 3, 2, 1, 1, false),
            (4, 33, 2, 2, 0, 1, false),
        ] {
            let (cin, cout) = (5u32, 7u32);
            let oh = (h + 2 * pad - dil * (kk - 1) - 1) / s + 1;
            let ow = (w + 2 * pad - dil * (kk - 1) - 1) / s + 1;
            let (x_c, x_h, x_w) = if nhwc { (1, w * cin, cin) } else { (h * w, w, 1) };
            let k = cin * kk * kk;
            let p = GemmParams {
                m: cout,
                n: oh * ow,
                k,
                a_m: k,
                a_k: 1,
                c_m: oh * ow,
                c_n: 1,
                bias_mode: GemmParams::BIAS_PER_ROW,
                act: Act::Sigmoid as u32,
                im2col: 1,
                c_in: cin,
                h,
                w,
                kh: kk,
                kw: kk,
                stride_h: s,
                stride_w: s,
                pad_h: pad,
                pad_w: pad,
                dil_h: dil,
                dil_w: dil,
                ow,
                x_c,
                x_h,
                x_w,
                ..GemmParams::default()
            };
            same_as_reference(p, (cout * k) as usize, (cin * h * w) as usize, (cout * oh * ow) as usize);
        }
    }

    #[test]
    fn a_scattered_product_equals_the_reference() {
        // The tap-per-batch transposed convolution's layout: batches split by kw, columns by w.
        let (cin, cout, h, w, kk) = (6u32, 5u32, 3u32, 4u32, 2u32);
        let (oh, ow) = (h * kk, w * kk);
        let p = GemmParams {
            m: cout,
            n: h * w,
            k: cin,
            a_batch: 1,
            a_m: cin * kk * kk,
            a_k: kk * kk,
            b_k: h * w,
            b_n: 1,
            c_batch: ow,
            c_m: oh * ow,
            c_n: kk,
            bias_mode: GemmParams::BIAS_PER_ROW,
            batch_split: kk,
            c_batch_inner: 1,
            col_split: w,
            c_col_outer: kk * ow,
            batches: kk * kk,
            ..GemmParams::default()
        };
        same_as_reference(p, (cout * cin * kk * kk) as usize, (cin * h * w) as usize, (cout * oh * ow) as usize);
    }
}
