//! Non-maximum suppression with Ultralytics' semantics.
//!
//! Axis-aligned: greedy NMS as `torchvision.ops.nms` on class-offset boxes (each class shifted by
//! `class * 7680` so classes never overlap), a box suppressed when its IoU with a kept box is
//! strictly greater than the threshold, in float32 like the reference kernel.

/// Offset between classes (Ultralytics' `max_wh`).
pub const CLASS_OFFSET: f32 = 7680.0;
/// Most candidates entering NMS (Ultralytics' `max_nms`).
pub const MAX_NMS: usize = 30000;

/// A scored candidate: `xyxy` box in network-input pixels and its source row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// `[x1, y1, x2, y2]`.
    pub bbox: [f32; 4],
    /// Best class score.
    pub score: f32,
    /// Best class id.
    pub class: u32,
    /// Anchor (dense outputs) or row (end2end outputs) the candidate came from.
    pub row: usize,
}

/// Sorts by descending score (stable, so ties keep anchor order).
pub fn sort_by_score(cands: &mut [Candidate]) {
    cands.sort_by(|a, b| b.score.total_cmp(&a.score));
}

/// Greedy class-aware NMS; returns the kept candidates in descending score, at most `max_det`.
pub fn greedy(mut cands: Vec<Candidate>, iou_thres: f32, max_det: usize) -> Vec<Candidate> {
    sort_by_score(&mut cands);
    cands.truncate(MAX_NMS);
    let boxes: Vec<[f32; 4]> = cands
        .iter()
        .map(|c| {
            let off = c.class as f32 * CLASS_OFFSET;
            [c.bbox[0] + off, c.bbox[1] + off, c.bbox[2] + off, c.bbox[3] + off]
        })
        .collect();
    let areas: Vec<f32> = boxes.iter().map(|b| (b[2] - b[0]) * (b[3] - b[1])).collect();
    let mut suppressed = vec![false; cands.len()];
    let mut keep = Vec::new();
    for i in 0..cands.len() {
        if suppressed[i] {
            continue;
        }
        keep.push(cands[i]);
        if keep.len() == max_det {
            break;
        }
        let bi = boxes[i];
        for j in i + 1..cands.len() {
            if suppressed[j] {
                continue;
            }
            let bj = boxes[j];
            let w = (bi[2].min(bj[2]) - bi[0].max(bj[0])).max(0.0);
            let h = (bi[3].min(bj[3]) - bi[1].max(bj[1])).max(0.0);
            let inter = w * h;
            if inter / (areas[i] + areas[j] - inter) > iou_thres {
                suppressed[j] = true;
            }
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(bbox: [f32; 4], score: f32, class: u32) -> Candidate {
        Candidate { bbox, score, class, row: 0 }
    }

    #[test]
    fn suppresses_only_strictly_above_threshold_and_per_class() {
        // IoU of these two is exactly 0.5 (overlap 50, union 100).
        let a = cand([0.0, 0.0, 10.0, 7.5], 0.9, 0);
        let b = cand([0.0, 2.5, 10.0, 10.0], 0.8, 0);
        assert_eq!(greedy(vec![a, b], 0.5, 300).len(), 2, "IoU == thr survives");
        assert_eq!(greedy(vec![a, b], 0.49, 300).len(), 1);
        let c = cand([0.0, 0.0, 10.0, 7.5], 0.7, 1);
        let kept = greedy(vec![c, a, b], 0.1, 300);
        assert_eq!(kept.iter().map(|k| k.score).collect::<Vec<_>>(), vec![0.9, 0.7], "other class not suppressed");
    }

    #[test]
    fn caps_at_max_det() {
        let cands: Vec<_> = (0..10).map(|i| cand([i as f32 * 20.0, 0.0, i as f32 * 20.0 + 5.0, 5.0], 0.5, 0)).collect();
        assert_eq!(greedy(cands, 0.45, 3).len(), 3);
    }
}
