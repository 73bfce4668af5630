//! The CPU program's matrix-product micro-kernels: one `MR × NR` tile of
//! `C = Σ_k A[·, k] · B[k, ·]`, from A packed `[k][MR]` (a panel of weights, packed once at
//! load) and B packed `[k][NR]` (a panel of activations or image patches), into a row-major
//! tile. Rows of C are output channels (A's values broadcast), columns are output pixels (B's
//! values in SIMD lanes).
//!
//! One kernel per target, chosen once per program ([`Microkernel::best`]):
//! - x86-64 with AVX2 and FMA (detected at run time): 6 × 16, twelve 256-bit accumulators, two B
//!   vectors and one broadcast (the 15 of 16 YMM registers BLIS's Haswell kernel keeps live);
//! - wasm32 with SIMD128: 4 × 8 with `v128.load32_splat` (what measured fastest in Chromium for
//!   tract's driver, `src/model/gemm.rs`), `f32x4.relaxed_madd` in the relaxed-SIMD build;
//! - elsewhere (x86-64 without AVX2, aarch64): 4 × 8 in plain arrays, which LLVM vectorises
//!   for the baseline ISA (SSE2, NEON).
//!
//! Every kernel is property-tested against the plain sum in this file's tests and, through the
//! program, against `cpu/reference.rs`.

/// A micro-kernel and its tile.
#[derive(Clone, Copy)]
pub(crate) struct Microkernel {
    /// Rows of the tile (A's panel width).
    pub mr: usize,
    /// Columns of the tile (B's panel width).
    pub nr: usize,
    /// `tile = A · B` over `k` steps; `a` holds `k · mr` values, `b` `k · nr`, `tile` `mr · nr`.
    kernel: unsafe fn(usize, *const f32, *const f32, *mut f32),
    /// What it is, for profiles and tests.
    pub name: &'static str,
    /// The kernel needs AVX2 and FMA (the CPU has them: [`Microkernel::best`] checked).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    pub avx2: bool,
}

impl std::fmt::Debug for Microkernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}×{})", self.name, self.mr, self.nr)
    }
}

impl Microkernel {
    /// The fastest kernel this machine runs.
    pub fn best() -> Microkernel {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            return Microkernel { mr: 6, nr: 16, kernel: x86::avx2_6x16, name: "avx2+fma 6×16", avx2: true };
        }
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        return Microkernel { mr: 4, nr: 8, kernel: wasm::simd128_4x8, name: wasm::NAME, avx2: false };
        #[allow(unreachable_code)]
        Microkernel::portable()
    }

    /// The kernel in plain arrays, for every target (what [`Microkernel::best`] falls back to).
    pub fn portable() -> Microkernel {
        Microkernel { mr: 4, nr: 8, kernel: portable_4x8, name: "portable 4×8", avx2: false }
    }

    /// `tile = A · B` over `k` steps (see [`Microkernel`]).
    ///
    /// # Panics
    /// If a slice is shorter than the tile and `k` need (a bug in the caller, never input data:
    /// the driver sizes every panel from the same numbers).
    #[inline]
    pub fn run(&self, k: usize, a: &[f32], b: &[f32], tile: &mut [f32]) {
        assert!(a.len() >= k * self.mr && b.len() >= k * self.nr && tile.len() >= self.mr * self.nr);
        // SAFETY: the lengths were checked just above, and `best` picked a kernel whose target
        // features this CPU has.
        unsafe { (self.kernel)(k, a.as_ptr(), b.as_ptr(), tile.as_mut_ptr()) }
    }
}

/// 4 × 8 in plain arrays: fully unrolled by the constant bounds, vectorised by LLVM.
///
/// # Safety
/// `a`, `b` and `tile` hold `4k`, `8k` and 32 values.
unsafe fn portable_4x8(k: usize, a: *const f32, b: *const f32, tile: *mut f32) {
    // SAFETY: the caller's contract.
    let (a, b, tile) = unsafe {
        (
            std::slice::from_raw_parts(a, 4 * k),
            std::slice::from_raw_parts(b, 8 * k),
            std::slice::from_raw_parts_mut(tile, 32),
        )
    };
    let mut acc = [[0f32; 8]; 4];
    for (ak, bk) in a.chunks_exact(4).zip(b.chunks_exact(8)) {
        for (row, &av) in acc.iter_mut().zip(ak) {
            for (x, &bv) in row.iter_mut().zip(bk) {
                *x += av * bv;
            }
        }
    }
    for (dst, row) in tile.chunks_exact_mut(8).zip(&acc) {
        dst.copy_from_slice(row);
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    /// 6 × 16 with AVX2 and FMA.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA; `a`, `b` and `tile` hold `6k`, `16k` and 96 values.
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn avx2_6x16(k: usize, a: *const f32, b: *const f32, tile: *mut f32) {
        // SAFETY (every pointer below): offsets stay within the lengths of the contract.
        unsafe {
            let mut acc = [[_mm256_setzero_ps(); 2]; 6];
            for kk in 0..k {
                let b0 = _mm256_loadu_ps(b.add(16 * kk));
                let b1 = _mm256_loadu_ps(b.add(16 * kk + 8));
                let ak = a.add(6 * kk);
                for (r, row) in acc.iter_mut().enumerate() {
                    let av = _mm256_broadcast_ss(&*ak.add(r));
                    row[0] = _mm256_fmadd_ps(av, b0, row[0]);
                    row[1] = _mm256_fmadd_ps(av, b1, row[1]);
                }
            }
            for (r, row) in acc.iter().enumerate() {
                _mm256_storeu_ps(tile.add(16 * r), row[0]);
                _mm256_storeu_ps(tile.add(16 * r + 8), row[1]);
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm {
    use std::arch::wasm32::*;

    /// The kernel's name in this build.
    #[cfg(target_feature = "relaxed-simd")]
    pub(super) const NAME: &str = "wasm relaxed-simd 4×8";
    /// The kernel's name in this build.
    #[cfg(not(target_feature = "relaxed-simd"))]
    pub(super) const NAME: &str = "wasm simd128 4×8";

    /// `acc + a · b`: fused where the host has FMA (relaxed SIMD builds only).
    #[cfg(target_feature = "relaxed-simd")]
    #[inline(always)]
    fn madd(acc: v128, a: v128, b: v128) -> v128 {
        f32x4_relaxed_madd(a, b, acc)
    }

    /// `acc + a · b`: a multiply then an add (baseline wasm SIMD has no fused multiply-add).
    #[cfg(not(target_feature = "relaxed-simd"))]
    #[inline(always)]
    fn madd(acc: v128, a: v128, b: v128) -> v128 {
        f32x4_add(acc, f32x4_mul(a, b))
    }

    /// 4 × 8: eight accumulators, two B vectors, one `load32_splat` per row of A.
    ///
    /// # Safety
    /// `a`, `b` and `tile` hold `4k`, `8k` and 32 values.
    pub(super) unsafe fn simd128_4x8(k: usize, a: *const f32, b: *const f32, tile: *mut f32) {
        // SAFETY (every pointer below): offsets stay within the lengths of the contract.
        unsafe {
            let mut acc = [[f32x4_splat(0.0); 2]; 4];
            for kk in 0..k {
                let b0 = v128_load(b.add(8 * kk) as *const v128);
                let b1 = v128_load(b.add(8 * kk + 4) as *const v128);
                let ak = a.add(4 * kk);
                for (r, row) in acc.iter_mut().enumerate() {
                    let av = v128_load32_splat(ak.add(r) as *const u32);
                    row[0] = madd(row[0], av, b0);
                    row[1] = madd(row[1], av, b1);
                }
            }
            for (r, row) in acc.iter().enumerate() {
                v128_store(tile.add(8 * r) as *mut v128, row[0]);
                v128_store(tile.add(8 * r + 4) as *mut v128, row[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kernel: Microkernel) {
        let (mr, nr) = (kernel.mr, kernel.nr);
        for k in [0usize, 1, 3, 17, 64] {
            let a: Vec<f32> = (0..k * mr).map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.25).collect();
            let b: Vec<f32> = (0..k * nr).map(|i| ((i * 5 % 11) as f32 - 5.0) * 0.5).collect();
            let mut tile = vec![f32::NAN; mr * nr];
            kernel.run(k, &a, &b, &mut tile);
            for r in 0..mr {
                for c in 0..nr {
                    let want: f32 = (0..k).map(|kk| a[kk * mr + r] * b[kk * nr + c]).sum();
                    let got = tile[r * nr + c];
                    assert!(
                        (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
                        "{kernel:?} k={k} [{r},{c}]: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_kernel_computes_the_plain_sum() {
        check(Microkernel::portable());
        check(Microkernel::best());
    }
}
