//! Reading raw output tensors into candidates, for every output layout Ultralytics exports.
//!
//! Dense (YOLOv8/YOLO11) heads give `[1, 4 + nc + extra, anchors]` (also accepted transposed):
//! `cx, cy, w, h` in input pixels, `nc` sigmoid scores, then task extras. End2end heads
//! (YOLO26, `nms=True`) give `[1, max_det, 6 + extra]`: `x1, y1, x2, y2, score, class, extra…`.

use super::nms::{Candidate, MAX_NMS};
use crate::error::{Error, Result};
use crate::model::Output;

/// A 2-D view of one output: `rows` predictions of `features` values each.
#[derive(Debug, Clone, Copy)]
pub struct Table<'a> {
    data: &'a [f32],
    /// Number of predictions (anchors or end2end rows).
    pub rows: usize,
    /// Values per prediction.
    pub features: usize,
    /// True when stored feature-major (`[1, features, rows]`).
    feature_major: bool,
}

impl<'a> Table<'a> {
    /// Interprets `out` as a table with `features` values per prediction, in either orientation.
    /// `end2end` tables are row-major (`[1, rows, features]`).
    pub fn new(out: &'a Output, features: usize, end2end: bool, what: &str) -> Result<Self> {
        let shape = &out.shape;
        let bad = || {
            Error::UnsupportedModel(format!(
                "{what}: output of shape {shape:?} does not hold {features} values per prediction"
            ))
        };
        let [1, a, b] = shape.as_slice() else {
            return Err(bad());
        };
        let (rows, feature_major) = if end2end {
            if *b != features {
                return Err(bad());
            }
            (*a, false)
        } else if *a == features {
            (*b, true)
        } else if *b == features {
            (*a, false)
        } else {
            return Err(bad());
        };
        if out.data.len() != rows * features {
            return Err(bad());
        }
        Ok(Table { data: &out.data, rows, features, feature_major })
    }

    /// Value `f` of prediction `r`.
    #[inline]
    pub fn get(&self, r: usize, f: usize) -> f32 {
        if self.feature_major {
            self.data[f * self.rows + r]
        } else {
            self.data[r * self.features + f]
        }
    }
}

/// Dense head: candidates whose best class score is strictly above `conf`, boxes as `xyxy`
/// (`xywh2xyxy` in float32) when `to_xyxy`, else as the head's `xywh` (oriented boxes). Keeps the
/// `MAX_NMS` best when there are more.
pub fn dense_candidates(t: &Table, nc: usize, conf: f32, to_xyxy: bool) -> Vec<Candidate> {
    let mut out = Vec::new();
    for r in 0..t.rows {
        let mut best = f32::NEG_INFINITY;
        let mut class = 0;
        for c in 0..nc {
            let s = t.get(r, 4 + c);
            if s > best {
                best = s;
                class = c;
            }
        }
        if best > conf {
            let (cx, cy, w, h) = (t.get(r, 0), t.get(r, 1), t.get(r, 2), t.get(r, 3));
            let bbox = if to_xyxy {
                let (hw, hh) = (w / 2.0, h / 2.0);
                [cx - hw, cy - hh, cx + hw, cy + hh]
            } else {
                [cx, cy, w, h]
            };
            out.push(Candidate { bbox, score: best, class: class as u32, row: r });
        }
    }
    if out.len() > MAX_NMS {
        super::nms::sort_by_score(&mut out);
        out.truncate(MAX_NMS);
    }
    out
}

/// End2end head: rows in the model's (already sorted) order whose score is strictly above `conf`,
/// at most `max_det`, boxes as the head gives them (`xyxy`; `xywh` for oriented boxes). A class id
/// that is not a whole number in range is an error.
pub fn end2end_candidates(t: &Table, nc: usize, conf: f32, max_det: usize) -> Result<Vec<Candidate>> {
    let mut out = Vec::new();
    for r in 0..t.rows {
        let score = t.get(r, 4);
        if score > conf {
            let cls = t.get(r, 5);
            if !(cls >= 0.0 && (cls as usize) < nc.max(1) && cls.fract() == 0.0) {
                return Err(Error::UnsupportedModel(format!(
                    "end2end output row {r} has class id {cls}, model has {nc} classes"
                )));
            }
            out.push(Candidate {
                bbox: [t.get(r, 0), t.get(r, 1), t.get(r, 2), t.get(r, 3)],
                score,
                class: cls as u32,
                row: r,
            });
            if out.len() == max_det {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_orientations() {
        // 2 anchors, 4 + 2 classes, feature-major.
        let fm = Output { shape: vec![1, 6, 2], data: vec![10., 50., 10., 50., 4., 8., 4., 8., 0.9, 0.1, 0.2, 0.6] };
        let t = Table::new(&fm, 6, false, "detect").unwrap();
        let c = dense_candidates(&t, 2, 0.25, true);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].bbox, [8.0, 8.0, 12.0, 12.0]);
        assert_eq!((c[1].class, c[1].score), (1, 0.6));
        // The same, anchor-major.
        let am = Output { shape: vec![1, 2, 6], data: vec![10., 10., 4., 4., 0.9, 0.2, 50., 50., 8., 8., 0.1, 0.6] };
        let t2 = Table::new(&am, 6, false, "detect").unwrap();
        assert_eq!(dense_candidates(&t2, 2, 0.25, true), c);
    }

    #[test]
    fn wrong_shapes_are_typed_errors() {
        let o = Output { shape: vec![1, 7, 3], data: vec![0.0; 21] };
        assert_eq!(Table::new(&o, 6, false, "detect").unwrap_err().code(), "unsupported_model");
        let o = Output { shape: vec![1, 6], data: vec![0.0; 6] };
        assert!(Table::new(&o, 6, false, "detect").is_err());
        let o = Output { shape: vec![1, 2, 6], data: vec![0., 0., 1., 1., 0.9, 7.0, 0., 0., 1., 1., 0.1, 0.] };
        let t = Table::new(&o, 6, true, "detect").unwrap();
        assert!(end2end_candidates(&t, 3, 0.25, 300).is_err(), "class 7 of 3");
    }

    #[test]
    fn conf_is_strict() {
        let o = Output { shape: vec![1, 5, 1], data: vec![1., 1., 1., 1., 0.25] };
        let t = Table::new(&o, 5, false, "detect").unwrap();
        assert!(dense_candidates(&t, 1, 0.25, true).is_empty());
    }
}
