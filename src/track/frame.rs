//! Between a frame's results (the HUB JSON) and the tracker: detections read from the results,
//! and tracked results written back the way Ultralytics' `on_predict_postprocess_end` does —
//! the confirmed tracks in the tracker's order, each the detection it matched with the filtered
//! box (clipped to the image; oriented boxes are not clipped) and a `track_id`.

use super::strack::{Detection, Track};
use crate::error::{Error, Result};
use crate::pipeline::rotated::RotatedBox;
use crate::schema::{round_python, BoxCoords, ImageResult, ObbBox, Prediction, RectBox};

/// Reads a frame's results as detections. Classification results (no boxes) cannot be tracked.
pub fn detections(image: &ImageResult) -> Result<Vec<Detection>> {
    image
        .results
        .iter()
        .enumerate()
        .map(|(index, p)| {
            let (xywh, angle) = match &p.bbox {
                Some(BoxCoords::Rect(b)) => {
                    let (x1, y1, x2, y2) = (b.x1 as f32, b.y1 as f32, b.x2 as f32, b.y2 as f32);
                    ([(x1 + x2) / 2.0, (y1 + y2) / 2.0, x2 - x1, y2 - y1], None)
                }
                Some(BoxCoords::Obb(b)) => {
                    let (xywh, angle) = obb_xywhr(b);
                    (xywh, Some(angle))
                }
                None => {
                    return Err(Error::invalid_argument(
                        "results",
                        format!("result {index} has no box: classification results cannot be tracked"),
                    ))
                }
            };
            if !xywh.iter().all(|v| v.is_finite()) || !p.confidence.is_finite() {
                return Err(Error::invalid_argument(
                    "results",
                    format!("result {index} has a non-finite box or confidence"),
                ));
            }
            Ok(Detection { xywh, angle, score: p.confidence as f32, class: p.class, index })
        })
        .collect()
}

/// Centre, size and angle of an oriented box from its corners (the inverse of
/// `xywhr2xyxyxyxy`: corner 1 − corner 4 is twice the width vector, corner 1 − corner 2 twice the
/// height vector).
fn obb_xywhr(b: &ObbBox) -> ([f32; 4], f32) {
    let (cx, cy) = ((b.x1 + b.x2 + b.x3 + b.x4) / 4.0, (b.y1 + b.y2 + b.y3 + b.y4) / 4.0);
    let (wx, wy) = ((b.x1 - b.x4) / 2.0, (b.y1 - b.y4) / 2.0);
    let (hx, hy) = ((b.x1 - b.x2) / 2.0, (b.y1 - b.y2) / 2.0);
    // atan2 gives back the angle the corners were made from (Ultralytics' raw `xywhr` angle, in
    // [−π/4, 3π/4) for its OBB head): the corner order, and so the track's, depends on it.
    let angle = wy.atan2(wx);
    let (w, h) = (2.0 * wx.hypot(wy), 2.0 * hx.hypot(hy));
    ([cx as f32, cy as f32, w as f32, h as f32], angle as f32)
}

/// The frame's results as tracked results: `tracks` are the confirmed tracks in output order.
/// With no confirmed track, the frame answers nothing while an unconfirmed one is waiting, and
/// its results untracked otherwise (as Ultralytics does).
pub fn tracked_results(image: ImageResult, tracks: &[&Track], any_unconfirmed: bool) -> ImageResult {
    if tracks.is_empty() {
        return if any_unconfirmed { ImageResult { results: vec![], ..image } } else { image };
    }
    let [height, width] = image.shape;
    let results = tracks
        .iter()
        .filter_map(|t| {
            let det = image.results.get(t.index)?;
            let bbox = match t.rotated() {
                Some(r) => obb_box(&r),
                None => rect_box(t.xyxy(), width as f32, height as f32),
            };
            Some(Prediction { bbox: Some(bbox), track_id: Some(t.id), ..det.clone() })
        })
        .collect();
    ImageResult { results, ..image }
}

fn rect_box(b: [f32; 4], w: f32, h: f32) -> BoxCoords {
    let r = |v: f32| round_python(v as f64);
    BoxCoords::Rect(RectBox {
        x1: r(b[0].clamp(0.0, w)),
        y1: r(b[1].clamp(0.0, h)),
        x2: r(b[2].clamp(0.0, w)),
        y2: r(b[3].clamp(0.0, h)),
    })
}

fn obb_box(r: &RotatedBox) -> BoxCoords {
    BoxCoords::Obb(ObbBox::from_corners(r.corners().map(|p| p.map(|v| round_python(v as f64)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn obb_corners_give_back_their_centre_size_and_angle() {
        let r = RotatedBox { cx: 100.0, cy: 50.0, w: 40.0, h: 10.0, angle: 0.7 };
        let b = ObbBox::from_corners(r.corners().map(|p| p.map(f64::from)));
        let (xywh, angle) = obb_xywhr(&b);
        for (got, want) in xywh.iter().zip([100.0, 50.0, 40.0, 10.0]) {
            assert!((got - want).abs() < 1e-3, "{xywh:?}");
        }
        assert!((angle - 0.7).abs() < 1e-5, "{angle}");
    }
}
