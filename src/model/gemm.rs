//! Our own WebAssembly SIMD f32 matrix-multiply micro-kernel, plugged into tract-linalg's kernel
//! registry (issue 6, BENCHMARKS.md "Levers", I7).
//!
//! tract 0.23.9 runs every f32 GEMM of a YOLO convolution in its `wasm_f32_8x8` kernel: 16
//! `v128` accumulators plus two A and two B vectors and their lane broadcasts, more live vectors
//! than x86-64's 16 XMM registers, so V8 presumably spills some on every k step (not checked in
//! the generated code). The kernel here keeps the live set well under 16 (4 rows × 8 columns =
//! 8 accumulators, two B vectors, one broadcast), about what ONNX Runtime Web's wasm SGEMM keeps
//! (2 rows × 16 columns).
//!
//! The kernel shipped is 4 × 8 with one `v128.load32_splat` per row of A: in paired runs in
//! Chromium (one tab, one model instance per kernel, runs interleaved) it beat tract's 8 × 8 and
//! the other variants tried (2 × 16, 3 × 8, 3 × 16, 5 × 8, 6 × 8, 4 × 12, 8 × 4; 4 × 8 and 8 × 8
//! with A broadcast by lane shuffles; k unrolled by 2 and 4); BENCHMARKS.md, I7.
//!
//! It is registered the way tract-linalg registers its own kernels: a [`DynKernel`] submitted to
//! the `MmmRoutine` inventory, and a dispatch tier ([`MmmTier`]) for the wasm architecture, at a
//! precedence above tract's own, that names it for every f32 matrix × matrix product (matrix ×
//! vector products stay with tract's GEMV kernels). Built with relaxed SIMD (`RELAXED_SIMD=1
//! ./scripts/build-pkg.sh`), its multiply-add is `f32x4.relaxed_madd`.
//!
//! A kernel receives a list of [`FusedKerSpec`] operations over one MR × NR output tile whose
//! accumulators are laid out row by row (row `r` holds columns `4v..4v+4` in vector `v`), the
//! layout tract's own wasm kernels use for `LoadTile`. Partial tiles are handled by tract's
//! driver (it stores border tiles through a scratch tile), so a kernel always computes a full tile.
#![cfg(all(target_arch = "wasm32", target_feature = "simd128"))]

use std::arch::wasm32::*;
use std::sync::LazyLock;

use tract_onnx::prelude::DatumType;
use tract_onnx::tract_core::tract_linalg as linalg;

use linalg::isa::{Arch, IsaSet};
use linalg::mmm::{DynKernel, FusedKerSpec, OutputStoreKer, Query, Suitable};
use linalg::mmm_routines::MmmRoutine;
use linalg::mmm_tiers::MmmTier;
use linalg::pack::Packing;

/// Accumulators of one tile: `MR` rows of `NV` vectors of four columns.
type Tile<const MR: usize, const NV: usize> = [[v128; NV]; MR];

/// `acc = op(operand, acc)` for every accumulator: tract's operand order for `Sub` (and the
/// commutative ops).
#[inline(always)]
fn each<const MR: usize, const NV: usize>(acc: &mut Tile<MR, NV>, mut f: impl FnMut(usize, usize, v128) -> v128) {
    for (r, row) in acc.iter_mut().enumerate() {
        for (v, a) in row.iter_mut().enumerate() {
            *a = f(r, v, *a);
        }
    }
}

/// The element at row `r`, column `c` of an output tile in memory.
#[inline(always)]
unsafe fn at(tile: &OutputStoreKer, r: usize, c: usize) -> *mut f32 {
    // SAFETY: the caller's tile covers MR × NR elements at these strides (tract's contract).
    unsafe { tile.ptr.offset(tile.row_byte_stride * r as isize + tile.col_byte_stride * c as isize) as *mut f32 }
}

/// `acc += a · b`: a multiply then an add (baseline wasm SIMD has no fused multiply-add).
#[cfg(not(target_feature = "relaxed-simd"))]
#[inline(always)]
fn madd(acc: v128, a: v128, b: v128) -> v128 {
    f32x4_add(acc, f32x4_mul(a, b))
}

/// `acc += a · b`: fused where the host has FMA (relaxed SIMD builds only).
#[cfg(target_feature = "relaxed-simd")]
#[inline(always)]
fn madd(acc: v128, a: v128, b: v128) -> v128 {
    f32x4_relaxed_madd(a, b, acc)
}

/// The product itself: `k` steps of A packed `[k][MR]` and B packed `[k][NR]`. Each step loads
/// B's NR values as NV vectors and broadcasts each of A's MR values with `v128.load32_splat`.
#[inline(always)]
unsafe fn add_mat_mul<const MR: usize, const NV: usize>(
    acc: &mut Tile<MR, NV>,
    k: usize,
    pa: *const f32,
    pb: *const f32,
) {
    for i in 0..k {
        // SAFETY: packed panels hold k × MR and k × NR values (tract's packing contract).
        unsafe {
            let (a, b) = (pa.add(i * MR), pb.add(i * 4 * NV));
            let b: [v128; NV] = std::array::from_fn(|v| v128_load(b.add(4 * v) as *const v128));
            for (r, row) in acc.iter_mut().enumerate() {
                let s = v128_load32_splat(a.add(r) as *const u32);
                for (x, b) in row.iter_mut().zip(b) {
                    *x = madd(*x, s, b);
                }
            }
        }
    }
}

/// One kernel call: runs tract's fused-operation list over one MR × 4·NV tile. Returns 0, the
/// kernel contract's success value.
#[inline(always)]
unsafe fn run<const MR: usize, const NV: usize>(ops: &[FusedKerSpec<f32>]) -> isize {
    let zero = f32x4_splat(0.0);
    let mut acc: Tile<MR, NV> = [[zero; NV]; MR];
    // SAFETY (every block below): pointers in the operations come from tract's driver and cover
    // the tile (MR rows, NR columns, at the given strides) as its kernel contract states.
    for op in ops {
        match *op {
            FusedKerSpec::Done => break,
            FusedKerSpec::Clear => acc = [[zero; NV]; MR],
            FusedKerSpec::LoadTile(_, rows) => {
                let p = rows as *const v128;
                each(&mut acc, |r, v, _| unsafe { v128_load(p.add(r * NV + v)) })
            }
            FusedKerSpec::ScalarMin(s) => each(&mut acc, |_, _, a| f32x4_min(f32x4_splat(s), a)),
            FusedKerSpec::ScalarMax(s) => each(&mut acc, |_, _, a| f32x4_max(f32x4_splat(s), a)),
            FusedKerSpec::ScalarAdd(s) => each(&mut acc, |_, _, a| f32x4_add(f32x4_splat(s), a)),
            FusedKerSpec::ScalarMul(s) => each(&mut acc, |_, _, a| f32x4_mul(f32x4_splat(s), a)),
            FusedKerSpec::ScalarSub(s) => each(&mut acc, |_, _, a| f32x4_sub(f32x4_splat(s), a)),
            FusedKerSpec::ScalarSubF(s) => each(&mut acc, |_, _, a| f32x4_sub(a, f32x4_splat(s))),
            FusedKerSpec::LeakyRelu(s) => {
                each(&mut acc, |_, _, a| v128_bitselect(a, f32x4_mul(f32x4_splat(s), a), f32x4_gt(a, zero)))
            }
            FusedKerSpec::PerRowMin(p) => per_row(&mut acc, p, |x, a| f32x4_min(x, a)),
            FusedKerSpec::PerRowMax(p) => per_row(&mut acc, p, |x, a| f32x4_max(x, a)),
            FusedKerSpec::PerRowAdd(p) => per_row(&mut acc, p, |x, a| f32x4_add(x, a)),
            FusedKerSpec::PerRowMul(p) => per_row(&mut acc, p, |x, a| f32x4_mul(x, a)),
            FusedKerSpec::PerRowSub(p) => per_row(&mut acc, p, |x, a| f32x4_sub(x, a)),
            FusedKerSpec::PerRowSubF(p) => per_row(&mut acc, p, |x, a| f32x4_sub(a, x)),
            FusedKerSpec::PerColMin(p) => per_col(&mut acc, p, |x, a| f32x4_min(x, a)),
            FusedKerSpec::PerColMax(p) => per_col(&mut acc, p, |x, a| f32x4_max(x, a)),
            FusedKerSpec::PerColAdd(p) => per_col(&mut acc, p, |x, a| f32x4_add(x, a)),
            FusedKerSpec::PerColMul(p) => per_col(&mut acc, p, |x, a| f32x4_mul(x, a)),
            FusedKerSpec::PerColSub(p) => per_col(&mut acc, p, |x, a| f32x4_sub(x, a)),
            FusedKerSpec::PerColSubF(p) => per_col(&mut acc, p, |x, a| f32x4_sub(a, x)),
            FusedKerSpec::QScale(shift, policy, mult) => {
                let s = linalg::Scaler::from_fuse_params(shift, policy, mult).scale;
                each(&mut acc, |_, _, a| f32x4_mul(f32x4_splat(s), a))
            }
            FusedKerSpec::RoundingShiftRight(shift, _) => {
                let s = 2f32.powi(-(shift as i32));
                each(&mut acc, |_, _, a| f32x4_mul(f32x4_splat(s), a))
            }
            FusedKerSpec::ShiftLeft(shift) => {
                let s = 2f32.powi(shift as i32);
                each(&mut acc, |_, _, a| f32x4_mul(f32x4_splat(s), a))
            }
            FusedKerSpec::AddUnicast(tile) => each(&mut acc, |r, v, a| unsafe {
                let c = 4 * v;
                let m = f32x4(*at(&tile, r, c), *at(&tile, r, c + 1), *at(&tile, r, c + 2), *at(&tile, r, c + 3));
                f32x4_add(a, m)
            }),
            FusedKerSpec::AddRowColProducts(rows, cols) => each(&mut acc, |r, v, a| unsafe {
                madd(a, f32x4_splat(*rows.add(r)), v128_load(cols.add(4 * v) as *const v128))
            }),
            FusedKerSpec::Store(tile) => {
                for (r, row) in acc.iter().enumerate() {
                    for (v, x) in row.iter().enumerate() {
                        let c = 4 * v;
                        // SAFETY: see above.
                        unsafe {
                            if tile.col_byte_stride == 4 {
                                v128_store(at(&tile, r, c) as *mut v128, *x);
                            } else {
                                *at(&tile, r, c) = f32x4_extract_lane::<0>(*x);
                                *at(&tile, r, c + 1) = f32x4_extract_lane::<1>(*x);
                                *at(&tile, r, c + 2) = f32x4_extract_lane::<2>(*x);
                                *at(&tile, r, c + 3) = f32x4_extract_lane::<3>(*x);
                            }
                        }
                    }
                }
            }
            FusedKerSpec::AddMatMul { k, pa, pb, .. } => unsafe {
                add_mat_mul::<MR, NV>(&mut acc, k, pa as *const f32, pb as *const f32)
            },
        }
    }
    0
}

/// `acc = op(splat(p[r]), acc)` on row `r`.
#[inline(always)]
fn per_row<const MR: usize, const NV: usize>(acc: &mut Tile<MR, NV>, p: *const f32, op: impl Fn(v128, v128) -> v128) {
    // SAFETY: `p` holds MR values (tract's contract for per-row operands).
    each(acc, |r, _, a| op(f32x4_splat(unsafe { *p.add(r) }), a))
}

/// `acc = op(p[4v..4v+4], acc)` on column vector `v` of every row.
#[inline(always)]
fn per_col<const MR: usize, const NV: usize>(acc: &mut Tile<MR, NV>, p: *const f32, op: impl Fn(v128, v128) -> v128) {
    // SAFETY: `p` holds NR values (tract's contract for per-column operands).
    each(acc, |_, v, a| op(unsafe { v128_load(p.add(4 * v) as *const v128) }, a))
}

/// The name tract knows our kernel by.
pub const KERNEL: &str = "yolo_wasm_f32_4x8";

/// The kernel entry point tract calls, for one 4 × 8 tile.
unsafe fn kernel_4x8(ops: &[FusedKerSpec<f32>]) -> isize {
    // SAFETY: tract's driver calls kernels with operations valid for their tile shape.
    unsafe { run::<4, 2>(ops) }
}

static KERNEL_4X8: LazyLock<DynKernel<4, 8, f32>> = LazyLock::new(|| {
    let mut k = DynKernel::new(KERNEL, kernel_4x8, f32::packing(4), f32::packing(8));
    k.arch = Some(Arch::Wasm32Simd128);
    k
});

inventory::submit! { MmmRoutine { make: || KERNEL_4X8.mmm() } }

/// Our tier's answer: our kernel for f32 GEMM, no opinion otherwise (tract's tiers decide).
fn preferred(_: &IsaSet, dt: DatumType, query: &Query, _: &[Suitable]) -> Option<&'static str> {
    match (dt, query.n) {
        (DatumType::F32, Some(1)) => None,
        (DatumType::F32, _) => Some(KERNEL),
        _ => None,
    }
}

inventory::submit! {
    MmmTier {
        arch: Some(Arch::Wasm32Simd128),
        precedence: 2,
        name: "yolo-wasm",
        applies: |_| true,
        preferred,
    }
}

/// Keeps this module's registry entries in the link (wasm-ld drops an object nothing
/// references, its inventory entries included). Called once at module start.
pub fn link() {
    std::hint::black_box(kernel_4x8 as *const ());
}

#[cfg(test)]
mod tests {
    //! Every fused operation of every kernel against a scalar reference written from tract's
    //! generic kernel semantics (`acc = f(operand, acc)`; `…SubF` flips the operands), exactly:
    //! both sides multiply then add in f32, in the same order. Runs in wasm (Node):
    //! `cargo test --release --target wasm32-unknown-unknown --lib gemm` (part of `make test-web`).
    use super::*;
    use linalg::mmm::FusedKerSpec as F;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// What an operation makes of the accumulator at row `i`, column `j`, holding `a`.
    type Reference = Box<dyn Fn(usize, usize, f32) -> f32>;

    /// Deterministic values in [-2, 2) with a few exact zeros and negatives.
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) % 4096) as f32 / 1024.0 - 2.0
            })
            .collect()
    }

    /// Runs one kernel shape over `ops` (built by `make` around a tile pointer) and the scalar
    /// reference `reference` over the same initial tile; asserts equal outputs.
    fn check<const MR: usize, const NV: usize>(what: &str) {
        let nr = 4 * NV;
        let k = 37;
        let pa = values(k * MR, 1);
        let pb = values(k * nr, 2);
        let rows = values(MR, 3);
        let cols = values(nr, 4);
        let init = values(MR * nr, 5);
        // Output tile with padded strides: rows 3·NR + 1 apart, columns 2 apart (not contiguous),
        // and a contiguous one (column stride 4 bytes) for the vector store path.
        for col_stride in [1usize, 2] {
            let row_stride = col_stride * nr + 1;
            let addend = values(MR * row_stride + nr * col_stride, 6);
            let tile = |buf: &mut Vec<f32>| OutputStoreKer {
                ptr: buf.as_mut_ptr() as *mut u8,
                row_byte_stride: (4 * row_stride) as isize,
                col_byte_stride: (4 * col_stride) as isize,
                item_size: 4,
            };
            let mut addend_buf = addend.clone();
            let mut cases: Vec<(&str, F<f32>, Reference)> = vec![
                ("scalar min", F::ScalarMin(0.5), Box::new(|_, _, a| 0.5f32.min(a))),
                ("scalar max", F::ScalarMax(0.5), Box::new(|_, _, a| 0.5f32.max(a))),
                ("scalar add", F::ScalarAdd(0.25), Box::new(|_, _, a| 0.25 + a)),
                ("scalar mul", F::ScalarMul(-1.5), Box::new(|_, _, a| -1.5 * a)),
                ("scalar sub", F::ScalarSub(0.75), Box::new(|_, _, a| 0.75 - a)),
                ("scalar subf", F::ScalarSubF(0.75), Box::new(|_, _, a| a - 0.75)),
                ("leaky relu", F::LeakyRelu(0.125), Box::new(|_, _, a| if a > 0.0 { a } else { 0.125 * a })),
                ("shift left", F::ShiftLeft(3), Box::new(|_, _, a| 8.0 * a)),
                (
                    "row·col products",
                    F::AddRowColProducts(rows.as_ptr(), cols.as_ptr()),
                    Box::new({
                        let (r, c) = (rows.clone(), cols.clone());
                        move |i, j, a| a + r[i] * c[j]
                    }),
                ),
                (
                    "add unicast",
                    F::AddUnicast(tile(&mut addend_buf)),
                    Box::new({
                        let m = addend.clone();
                        move |i, j, a| a + m[i * row_stride + j * col_stride]
                    }),
                ),
                (
                    "mat mul",
                    F::AddMatMul { k, pa: pa.as_ptr() as *const u8, pb: pb.as_ptr() as *const u8, packing: 0 },
                    Box::new({
                        let (pa, pb) = (pa.clone(), pb.clone());
                        move |i, j, mut a| {
                            for step in 0..k {
                                a += pa[step * MR + i] * pb[step * nr + j];
                            }
                            a
                        }
                    }),
                ),
            ];
            // Per-row and per-column operands: `acc = f(operand, acc)` with the same six `f`.
            type Operand = fn(*const f32) -> F<f32>;
            type Binary = fn(f32, f32) -> f32;
            let binary: [(&str, Operand, &str, Operand, Binary); 6] = [
                ("row min", F::PerRowMin, "col min", F::PerColMin, f32::min),
                ("row max", F::PerRowMax, "col max", F::PerColMax, f32::max),
                ("row add", F::PerRowAdd, "col add", F::PerColAdd, |x, a| x + a),
                ("row mul", F::PerRowMul, "col mul", F::PerColMul, |x, a| x * a),
                ("row sub", F::PerRowSub, "col sub", F::PerColSub, |x, a| x - a),
                ("row subf", F::PerRowSubF, "col subf", F::PerColSubF, |x, a| a - x),
            ];
            for (row_name, per_row, col_name, per_col, f) in binary {
                let r = rows.clone();
                cases.push((row_name, per_row(rows.as_ptr()), Box::new(move |i, _, a| f(r[i], a))));
                let c = cols.clone();
                cases.push((col_name, per_col(cols.as_ptr()), Box::new(move |_, j, a| f(c[j], a))));
            }
            for (name, op, reference) in cases {
                // Starting from a loaded tile, and (for the product) from a cleared one.
                for clear in [false, true] {
                    let mut out = vec![f32::NAN; MR * row_stride + nr * col_stride];
                    let ops = [
                        F::LoadTile(std::ptr::null(), init.as_ptr()),
                        if clear { F::Clear } else { F::ScalarAdd(0.0) },
                        op,
                        F::Store(tile(&mut out)),
                        F::Done,
                    ];
                    // SAFETY: every pointer covers the MR × NR tile at its strides.
                    assert_eq!(unsafe { run::<MR, NV>(&ops) }, 0);
                    for i in 0..MR {
                        for j in 0..nr {
                            let start = if clear { 0.0 } else { init[i * nr + j] + 0.0 };
                            let want = reference(i, j, start);
                            let got = out[i * row_stride + j * col_stride];
                            // Fused multiply-adds (relaxed SIMD builds) round once per step.
                            let exact = !cfg!(target_feature = "relaxed-simd");
                            let close = (got - want).abs() <= 1e-5 * want.abs().max(1.0);
                            assert!(
                                got.to_bits() == want.to_bits() || (!exact && close),
                                "{what} {name} (clear {clear}, column stride {col_stride}): [{i}][{j}] = {got}, want {want}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[wasm_bindgen_test]
    fn the_kernel_computes_every_fused_operation_exactly() {
        check::<4, 2>("4x8");
        // Other shapes of the same generic code (not registered).
        check::<2, 4>("2x16");
        check::<8, 1>("8x4");
        check::<3, 2>("3x8");
    }

    /// The dispatch tier hands every f32 matrix × matrix product to our kernel and leaves
    /// matrix × vector products to tract.
    #[wasm_bindgen_test]
    fn tract_dispatch_picks_our_kernel_for_gemm_only() {
        link();
        let dispatch = linalg::mmm::MmmDispatch::native();
        let query = |n| Query::plain(DatumType::F32, Some(64), Some(144), n);
        let gemm = dispatch.pick(&query(Some(6400))).expect("a kernel for f32 GEMM");
        assert_eq!(gemm.0.name(), KERNEL);
        let gemv = dispatch.pick(&query(Some(1))).expect("a kernel for f32 GEMV");
        assert!(!gemv.0.name().starts_with("yolo_wasm_"), "picked {}", gemv.0.name());
    }
}
