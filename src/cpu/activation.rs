//! Activations over slices, written so LLVM vectorises them for every target: `exp` by range
//! reduction and a polynomial (no call to libm's `expf`, which is scalar and was most of the
//! time of a SiLU pass), with no branch in the loop.
//!
//! The polynomial is the classic single-precision one (Cephes' `expf` coefficients, public
//! domain): `exp(r) ≈ 1 + r + r²·P(r)` on `|r| ≤ ln 2 / 2`, about one ulp from `f32::exp` over
//! the range that matters (checked by this file's tests), then scaled by `2ⁿ` through the
//! exponent bits.

use crate::program::params::Act;

/// `exp(x)` for `x` in about `[-87, 88]`, clamped outside (so `exp(-∞)` is a tiny positive
/// number, not 0, and `exp(+∞)` is about `2¹²⁷`: enough for SiLU and sigmoid, whose results
/// these bounds do not change in `f32`).
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two so that `n · LN2_HI` is exact.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding then subtracting 1.5 · 2²³ rounds to the nearest integer without `roundf`.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // n is an integer in [-126, 127], so 2ⁿ is a normal number whose exponent field is n + 127.
    // Adding 2²³ puts n + 127 in the low mantissa bits of `biased`; shifting them up by 23 makes
    // them the exponent (what `(n as i32 + 127) << 23` computes, without the saturating
    // float-to-int conversion that LLVM does not vectorise).
    let biased = n + 8_388_735.0;
    e * f32::from_bits(biased.to_bits() << 23)
}

/// `x · sigmoid(x)`.
#[inline(always)]
pub(crate) fn silu(x: f32) -> f32 {
    x / (1.0 + exp(-x))
}

/// `1 / (1 + e⁻ˣ)`.
#[inline(always)]
pub(crate) fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// Applies the fused activation `act` (an [`Act`] code) to every value.
#[cfg_attr(target_arch = "x86_64", inline(always))]
pub(crate) fn apply(act: u32, values: &mut [f32]) {
    if act == Act::Silu as u32 {
        values.iter_mut().for_each(|v| *v = silu(*v));
    } else if act == Act::Sigmoid as u32 {
        values.iter_mut().for_each(|v| *v = sigmoid(*v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_ulps_of_libm_over_the_range() {
        let mut x = -87.0f32;
        while x < 88.0 {
            let (ours, libm) = (exp(x), x.exp());
            let ulps = (ours.to_bits() as i64 - libm.to_bits() as i64).abs();
            assert!(ulps <= 2, "exp({x}): {ours} vs {libm} ({ulps} ulps)");
            x += 0.0137;
        }
    }

    #[test]
    fn silu_and_sigmoid_match_their_definitions_and_saturate() {
        for x in [-100.0f32, -20.0, -1.5, -1e-3, 0.0, 0.7, 3.0, 30.0, 100.0] {
            let want = x / (1.0 + (-x).exp());
            assert!((silu(x) - want).abs() <= 1e-6 * (1.0 + want.abs()), "silu({x})");
            let want = 1.0 / (1.0 + (-x).exp());
            assert!((sigmoid(x) - want).abs() <= 1e-6, "sigmoid({x})");
        }
        assert_eq!(sigmoid(f32::INFINITY), 1.0);
        assert!(sigmoid(f32::NEG_INFINITY) < 1e-37);
        assert!(silu(f32::NAN).is_nan());
    }
}
