//! The constant-velocity Kalman filter of ByteTrack over `(cx, cy, aspect, height)`, with the
//! noise model of Ultralytics' `KalmanFilterXYAH` (8.4.190): position noise `h / 20`, velocity
//! noise `h / 160`, aspect noise fixed (`1e-2` / `1e-5`, `1e-1` when measured). float64 throughout,
//! as NumPy computes it; the gain solves the 4×4 innovation system by Cholesky (it is symmetric
//! positive definite), which equals NumPy's `solve` to float rounding.

// Small fixed-size linear algebra reads best with indices.
#![allow(clippy::needless_range_loop)]

/// State size: `(cx, cy, a, h)` and their velocities.
const N: usize = 8;
const W_POS: f64 = 1.0 / 20.0;
const W_VEL: f64 = 1.0 / 160.0;

/// A track's Gaussian: mean and covariance.
#[derive(Debug, Clone, PartialEq)]
pub struct Gaussian {
    /// `[cx, cy, a, h, vcx, vcy, va, vh]`.
    pub mean: [f64; N],
    /// Covariance, row-major.
    pub cov: [[f64; N]; N],
}

fn diag(std: [f64; N]) -> [[f64; N]; N] {
    let mut m = [[0.0; N]; N];
    for i in 0..N {
        m[i][i] = std[i] * std[i];
    }
    m
}

impl Gaussian {
    /// A new track from its first measurement `(cx, cy, a, h)`, at rest.
    pub fn initiate(z: [f64; 4]) -> Self {
        let h = z[3];
        let mut mean = [0.0; N];
        mean[..4].copy_from_slice(&z);
        let std = [
            2.0 * W_POS * h,
            2.0 * W_POS * h,
            1e-2,
            2.0 * W_POS * h,
            10.0 * W_VEL * h,
            10.0 * W_VEL * h,
            1e-5,
            10.0 * W_VEL * h,
        ];
        Gaussian { mean, cov: diag(std) }
    }

    /// One step of the motion model (`x += v`) with its process noise.
    pub fn predict(&mut self) {
        let h = self.mean[3];
        let std = [W_POS * h, W_POS * h, 1e-2, W_POS * h, W_VEL * h, W_VEL * h, 1e-5, W_VEL * h];
        for i in 0..4 {
            self.mean[i] += self.mean[i + 4];
        }
        // F P Fᵀ with F = [[I, I], [0, I]]: rows then columns i += i + 4.
        let mut p = self.cov;
        for row in p.iter_mut() {
            for i in 0..4 {
                row[i] += row[i + 4];
            }
        }
        for i in 0..4 {
            for c in 0..N {
                p[i][c] += p[i + 4][c];
            }
        }
        let q = diag(std);
        for (r, row) in p.iter_mut().enumerate() {
            row[r] += q[r][r];
        }
        self.cov = p;
    }

    /// Corrects the state with a measurement `(cx, cy, a, h)`.
    pub fn update(&mut self, z: [f64; 4]) {
        let h = self.mean[3];
        let r = [W_POS * h, W_POS * h, 1e-1, W_POS * h];
        // S = H P Hᵀ + R (the top-left 4×4 block).
        let mut s = [[0.0; 4]; 4];
        for i in 0..4 {
            for j in 0..4 {
                s[i][j] = self.cov[i][j];
            }
            s[i][i] += r[i] * r[i];
        }
        let l = cholesky4(&s);
        // K = P Hᵀ S⁻¹: solve S Kᵀ = (P Hᵀ)ᵀ, one state row at a time.
        let mut k = [[0.0; 4]; N];
        for (row, k_row) in k.iter_mut().enumerate() {
            let b = [self.cov[row][0], self.cov[row][1], self.cov[row][2], self.cov[row][3]];
            *k_row = cho_solve4(&l, b);
        }
        let innovation: [f64; 4] = std::array::from_fn(|i| z[i] - self.mean[i]);
        for (i, k_row) in k.iter().enumerate() {
            self.mean[i] += (0..4).map(|j| k_row[j] * innovation[j]).sum::<f64>();
        }
        // P -= K S Kᵀ.
        let mut ks = [[0.0; 4]; N];
        for i in 0..N {
            for j in 0..4 {
                ks[i][j] = (0..4).map(|m| k[i][m] * s[m][j]).sum();
            }
        }
        for i in 0..N {
            for j in 0..N {
                self.cov[i][j] -= (0..4).map(|m| ks[i][m] * k[j][m]).sum::<f64>();
            }
        }
    }
}

/// Lower Cholesky factor of a symmetric positive definite 4×4 matrix. A non-positive pivot (which
/// the noise floor above rules out for finite input) is floored so the result stays finite.
fn cholesky4(s: &[[f64; 4]; 4]) -> [[f64; 4]; 4] {
    let mut l = [[0.0; 4]; 4];
    for i in 0..4 {
        for j in 0..=i {
            let sum: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                l[i][i] = (s[i][i] - sum).max(f64::MIN_POSITIVE).sqrt();
            } else {
                l[i][j] = (s[i][j] - sum) / l[j][j];
            }
        }
    }
    l
}

/// Solves `L Lᵀ x = b`.
fn cho_solve4(l: &[[f64; 4]; 4], b: [f64; 4]) -> [f64; 4] {
    let mut y = [0.0; 4];
    for i in 0..4 {
        y[i] = (b[i] - (0..i).map(|k| l[i][k] * y[k]).sum::<f64>()) / l[i][i];
    }
    let mut x = [0.0; 4];
    for i in (0..4).rev() {
        x[i] = (y[i] - (i + 1..4).map(|k| l[k][i] * x[k]).sum::<f64>()) / l[i][i];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_still_measurement_keeps_the_state_and_shrinks_the_uncertainty() {
        let z = [100.0, 50.0, 0.5, 40.0];
        let mut g = Gaussian::initiate(z);
        let before = g.cov[0][0];
        g.predict();
        g.update(z);
        for i in 0..4 {
            assert!((g.mean[i] - z[i]).abs() < 1e-9, "{:?}", g.mean);
        }
        assert!(g.cov[0][0] < before + W_POS * W_POS * 1600.0);
    }

    #[test]
    fn a_moving_measurement_is_followed_with_a_velocity() {
        let mut g = Gaussian::initiate([0.0, 0.0, 1.0, 50.0]);
        for t in 1..20 {
            g.predict();
            g.update([5.0 * t as f64, 0.0, 1.0, 50.0]);
        }
        assert!((g.mean[4] - 5.0).abs() < 0.5, "velocity {}", g.mean[4]);
        g.predict();
        assert!((g.mean[0] - 100.0).abs() < 2.0, "prediction {}", g.mean[0]);
    }
}
