//! Association costs and the linear assignment of ByteTrack, as Ultralytics computes them.
//!
//! - IoU cost: `1 − IoU` in float32 with `eps = 1e-7` (`bbox_ioa(iou=True)`), or `1 − probiou` when
//!   both sides are oriented boxes;
//! - score fusion: `1 − (1 − cost) · score` of the detection;
//! - assignment: `lap.lapjv(cost, extend_cost=True, cost_limit=thresh)`, i.e. the minimum-cost
//!   matching in which leaving a row or a column unmatched costs `thresh / 2` each, so a pair is
//!   only matched when that beats leaving both out. Solved exactly with the Hungarian method
//!   (`pathfinding`'s Kuhn–Munkres) on the same extended square matrix, costs scaled to integers
//!   (1e-9 resolution: far below the float32 costs' own precision).

use super::strack::Track;
use crate::pipeline::rotated::probiou;
use pathfinding::kuhn_munkres::kuhn_munkres_min;
use pathfinding::matrix::Matrix;

const EPS: f32 = 1e-7;
/// Integer cost resolution of the assignment.
const SCALE: f64 = 1e9;

/// Axis-aligned IoU of float32 boxes `[x1, y1, x2, y2]`.
fn iou(a: [f32; 4], b: [f32; 4]) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area = (b[2] - b[0]) * (b[3] - b[1]) + (a[2] - a[0]) * (a[3] - a[1]) - inter;
    inter / (area + EPS)
}

/// `1 − IoU` between every track of `a` (rows) and of `b` (columns), row-major.
pub fn iou_cost(a: &[&Track], b: &[&Track]) -> Vec<f32> {
    let rotated = a.first().is_some_and(|t| t.angle.is_some()) && b.first().is_some_and(|t| t.angle.is_some());
    let mut out = Vec::with_capacity(a.len() * b.len());
    for ta in a {
        for tb in b {
            let sim = match (rotated, ta.rotated(), tb.rotated()) {
                (true, Some(p), Some(q)) => probiou(&p, &q),
                _ => iou(ta.xyxy(), tb.xyxy()),
            };
            out.push(1.0 - sim);
        }
    }
    out
}

/// Fuses the detections' scores into an IoU cost (`fuse_score`).
pub fn fuse_score(cost: &mut [f32], detections: &[&Track]) {
    if detections.is_empty() {
        return;
    }
    for row in cost.chunks_mut(detections.len()) {
        for (c, d) in row.iter_mut().zip(detections) {
            *c = 1.0 - (1.0 - *c) * d.score;
        }
    }
}

/// The result of an assignment: matched `(row, column)` pairs in row order, and the rows and
/// columns left unmatched, ascending.
#[derive(Debug, Default, PartialEq)]
pub struct Assignment {
    /// Matched pairs.
    pub matches: Vec<(usize, usize)>,
    /// Rows without a match.
    pub unmatched_rows: Vec<usize>,
    /// Columns without a match.
    pub unmatched_cols: Vec<usize>,
}

/// `lap.lapjv(cost, extend_cost=True, cost_limit=thresh)` on a `rows × cols` row-major matrix.
pub fn linear_assignment(cost: &[f32], rows: usize, cols: usize, thresh: f32) -> Assignment {
    if rows == 0 || cols == 0 {
        return Assignment {
            matches: vec![],
            unmatched_rows: (0..rows).collect(),
            unmatched_cols: (0..cols).collect(),
        };
    }
    let n = rows + cols;
    let half = (thresh as f64 / 2.0 * SCALE).round() as i64;
    let mut m = Matrix::new(n, n, half);
    for r in rows..n {
        for c in cols..n {
            m[(r, c)] = 0;
        }
    }
    for r in 0..rows {
        for c in 0..cols {
            let v = cost[r * cols + c] as f64;
            // Costs are finite for finite boxes; an infinite or NaN one never matches.
            m[(r, c)] = if v.is_finite() { (v * SCALE).round() as i64 } else { 4 * half + SCALE as i64 };
        }
    }
    let (_, col_of_row) = kuhn_munkres_min(&m);
    let mut out = Assignment::default();
    let mut col_used = vec![false; cols];
    for (r, &c) in col_of_row.iter().take(rows).enumerate() {
        if c < cols {
            out.matches.push((r, c));
            col_used[c] = true;
        } else {
            out.unmatched_rows.push(r);
        }
    }
    out.unmatched_cols = (0..cols).filter(|&c| !col_used[c]).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_under_the_limit_match_and_the_rest_stay_apart() {
        // Row 0 fits column 1, row 1 fits nothing under 0.8, column 0 is left over.
        let cost = [0.9, 0.1, 0.95, 0.85];
        let a = linear_assignment(&cost, 2, 2, 0.8);
        assert_eq!(a.matches, vec![(0, 1)]);
        assert_eq!(a.unmatched_rows, vec![1]);
        assert_eq!(a.unmatched_cols, vec![0]);
    }

    #[test]
    fn the_assignment_minimises_the_total_not_each_row_greedily() {
        // Greedy would give row 0 column 0 (0.1) and leave row 1 with 0.7; the optimum is 0.2 + 0.3.
        let cost = [0.1, 0.2, 0.3, 0.7];
        let a = linear_assignment(&cost, 2, 2, 0.8);
        assert_eq!(a.matches, vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn empty_sides_leave_everything_unmatched() {
        let a = linear_assignment(&[], 0, 3, 0.8);
        assert_eq!(a.unmatched_cols, vec![0, 1, 2]);
        assert!(a.matches.is_empty());
    }
}
