//! Oriented boxes: probabilistic IoU, rotated Fast-NMS and corner points, with the semantics of
//! Ultralytics 8.4.190 (the version that made the fixtures).
//!
//! - `probiou`: boxes as 2-D Gaussians (covariance from `w²/12`, `h²/12` and the angle), Hellinger
//!   distance from the Bhattacharyya distance, `1 − distance`; float32, `eps = 1e-7`.
//! - Fast-NMS: candidates sorted by score; one is dropped when *any* higher-scored candidate, kept
//!   or not, has probiou with it above the threshold (strictly above in 8.4.190; the HUB-era
//!   `nms_rotated` used `>=`). Classes are kept apart by shifting the centres by `class × 7680`.
//! - Corners: `xywhr2xyxyxyxy` — first the corner at (+w/2, +h/2) in the box frame, then
//!   (+w/2, −h/2), (−w/2, −h/2), (−w/2, +h/2).

use super::nms::{Candidate, CLASS_OFFSET, MAX_NMS};

const EPS: f32 = 1e-7;

/// A rotated box: centre, size and angle (radians).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RotatedBox {
    /// Centre x.
    pub cx: f32,
    /// Centre y.
    pub cy: f32,
    /// Width (along the angle).
    pub w: f32,
    /// Height.
    pub h: f32,
    /// Rotation in radians.
    pub angle: f32,
}

impl RotatedBox {
    /// Reads a candidate whose `bbox` holds `[cx, cy, w, h]` and its angle.
    pub fn new(xywh: [f32; 4], angle: f32) -> Self {
        RotatedBox { cx: xywh[0], cy: xywh[1], w: xywh[2], h: xywh[3], angle }
    }

    /// Gaussian covariance terms `(a, b, c)`.
    fn covariance(&self) -> (f32, f32, f32) {
        let (a, b) = (self.w * self.w / 12.0, self.h * self.h / 12.0);
        let (sin, cos) = self.angle.sin_cos();
        let (cos2, sin2) = (cos * cos, sin * sin);
        (a * cos2 + b * sin2, a * sin2 + b * cos2, (a - b) * cos * sin)
    }

    /// The four corners `[[x, y]; 4]` in Ultralytics' order.
    pub fn corners(&self) -> [[f32; 2]; 4] {
        let (sin, cos) = self.angle.sin_cos();
        let v1 = [self.w / 2.0 * cos, self.w / 2.0 * sin];
        let v2 = [-self.h / 2.0 * sin, self.h / 2.0 * cos];
        let c = [self.cx, self.cy];
        [
            [c[0] + v1[0] + v2[0], c[1] + v1[1] + v2[1]],
            [c[0] + v1[0] - v2[0], c[1] + v1[1] - v2[1]],
            [c[0] - v1[0] - v2[0], c[1] - v1[1] - v2[1]],
            [c[0] - v1[0] + v2[0], c[1] - v1[1] + v2[1]],
        ]
    }
}

/// Ultralytics' `probiou` of two rotated boxes.
pub fn probiou(p: &RotatedBox, q: &RotatedBox) -> f32 {
    let (a1, b1, c1) = p.covariance();
    let (a2, b2, c2) = q.covariance();
    let (x1, y1, x2, y2) = (p.cx, p.cy, q.cx, q.cy);
    let (sa, sb, sc) = (a1 + a2, b1 + b2, c1 + c2);
    let det = sa * sb - sc * sc;
    let t1 = (sa * (y1 - y2) * (y1 - y2) + sb * (x1 - x2) * (x1 - x2)) / (det + EPS) * 0.25;
    let t2 = (sc * (x2 - x1) * (y1 - y2)) / (det + EPS) * 0.5;
    let own = ((a1 * b1 - c1 * c1).max(0.0) * (a2 * b2 - c2 * c2).max(0.0)).sqrt();
    let t3 = (det / (4.0 * own + EPS) + EPS).ln() * 0.5;
    let bd = (t1 + t2 + t3).clamp(EPS, 100.0);
    let hd = (1.0 - (-bd).exp() + EPS).sqrt();
    1.0 - hd
}

/// Rotated Fast-NMS over `(candidate, angle)` pairs whose `bbox` is `[cx, cy, w, h]`. Returns
/// the kept pairs, best first, at most `max_det`.
pub fn fast_nms(mut cands: Vec<(Candidate, f32)>, iou_thres: f32, max_det: usize) -> Vec<(Candidate, f32)> {
    // Stable: equal scores keep anchor order.
    cands.sort_by(|a, b| b.0.score.total_cmp(&a.0.score));
    cands.truncate(MAX_NMS);
    let boxes: Vec<RotatedBox> = cands
        .iter()
        .map(|(c, angle)| {
            let off = c.class as f32 * CLASS_OFFSET;
            RotatedBox { cx: c.bbox[0] + off, cy: c.bbox[1] + off, w: c.bbox[2], h: c.bbox[3], angle: *angle }
        })
        .collect();
    let mut keep = Vec::new();
    for (j, bj) in boxes.iter().enumerate() {
        if boxes[..j].iter().all(|bi| probiou(bi, bj) <= iou_thres) {
            keep.push(cands[j]);
            if keep.len() == max_det {
                break;
            }
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rb(cx: f32, cy: f32, w: f32, h: f32, angle: f32) -> RotatedBox {
        RotatedBox { cx, cy, w, h, angle }
    }

    #[test]
    fn probiou_of_a_box_with_itself_is_one_and_far_boxes_zero() {
        let a = rb(50.0, 50.0, 40.0, 20.0, 0.3);
        assert!((probiou(&a, &a) - 1.0).abs() < 2e-3);
        assert!(probiou(&a, &rb(500.0, 500.0, 40.0, 20.0, 0.3)) < 1e-3);
        // Symmetric.
        let b = rb(60.0, 45.0, 30.0, 30.0, 1.0);
        assert!((probiou(&a, &b) - probiou(&b, &a)).abs() < 1e-6);
        // Ultralytics' batch_probiou on the same pair: 0.5084.
        assert!((probiou(&a, &b) - 0.5084).abs() < 1e-4, "{}", probiou(&a, &b));
    }

    #[test]
    fn corners_start_at_plus_w_plus_h() {
        let c = rb(10.0, 20.0, 4.0, 2.0, 0.0).corners();
        assert_eq!(c, [[12.0, 21.0], [12.0, 19.0], [8.0, 19.0], [8.0, 21.0]]);
    }

    #[test]
    fn fast_nms_drops_boxes_overlapping_any_better_box() {
        let cand = |cx: f32, score: f32, class: u32| Candidate { bbox: [cx, 50.0, 40.0, 20.0], score, class, row: 0 };
        // probiou (Ultralytics): a–b 0.818, b–c 0.818, a–c 0.645. At 0.7 b falls to a, and c falls
        // to b although b itself was dropped (greedy NMS would keep c).
        let cands = [cand(50.0, 0.9, 0), cand(56.0, 0.8, 0), cand(62.0, 0.7, 0), cand(50.0, 0.6, 1)];
        let kept = fast_nms(cands.iter().map(|c| (*c, 0.0)).collect(), 0.7, 300);
        let scores: Vec<f32> = kept.iter().map(|(c, _)| c.score).collect();
        assert_eq!(scores, vec![0.9, 0.6], "other class kept, chain suppressed");
    }
}
