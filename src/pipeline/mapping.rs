//! From network-input pixels back to original-image pixels, as Ultralytics 8.4.190's
//! `scale_boxes` / `scale_coords` do: gain and padding recomputed from the two shapes (per-axis
//! gain of the rounded resized size, padding `round(Δ/2 − 0.1)`), subtract, divide, clip into the
//! image (except oriented boxes, which are not clipped). Arithmetic in float32 like the
//! reference tensors.

use super::preprocess::Letterbox;

/// The mapping for one letterboxed image.
#[derive(Debug, Clone, Copy)]
pub struct BoxMap {
    pad: [f32; 2],
    gain: [f32; 2],
    limit: [f32; 2],
}

impl BoxMap {
    /// The mapping for a letterboxed input of an `orig_h × orig_w` image.
    pub fn new(lb: &Letterbox, orig_h: u32, orig_w: u32) -> Self {
        let (ih, iw, h0, w0) = (lb.input_h as f64, lb.input_w as f64, orig_h as f64, orig_w as f64);
        let gain = (ih / h0).min(iw / w0);
        let new_h = (h0 * gain).round_ties_even().max(1.0);
        let new_w = (w0 * gain).round_ties_even().max(1.0);
        let pad_x = ((iw - new_w) / 2.0 - 0.1).round_ties_even();
        let pad_y = ((ih - new_h) / 2.0 - 0.1).round_ties_even();
        BoxMap {
            pad: [pad_x as f32, pad_y as f32],
            gain: [(new_w / w0) as f32, (new_h / h0) as f32],
            limit: [orig_w as f32, orig_h as f32],
        }
    }

    /// Maps and clips an `xyxy` box (`scale_boxes` + `clip_boxes`).
    pub fn rect(&self, b: [f32; 4]) -> [f32; 4] {
        let [x1, y1] = self.point([b[0], b[1]]);
        let [x2, y2] = self.point([b[2], b[3]]);
        [x1, y1, x2, y2]
    }

    /// Maps and clips a point (`scale_coords` + `clip_coords`).
    pub fn point(&self, p: [f32; 2]) -> [f32; 2] {
        [
            ((p[0] - self.pad[0]) / self.gain[0]).clamp(0.0, self.limit[0]),
            ((p[1] - self.pad[1]) / self.gain[1]).clamp(0.0, self.limit[1]),
        ]
    }

    /// Maps an `xywh` box without clipping (`scale_boxes(..., xywh=True)`, oriented boxes).
    pub fn xywh(&self, b: [f32; 4]) -> [f32; 4] {
        [
            (b[0] - self.pad[0]) / self.gain[0],
            (b[1] - self.pad[1]) / self.gain[1],
            b[2] / self.gain[0],
            b[3] / self.gain[1],
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undoes_the_letterbox() {
        // 1280×720 into 640×640: gain 0.5, image 640×360 at rows 140..500.
        let lb = Letterbox::new(720, 1280, (640, 640), false, 32);
        let map = BoxMap::new(&lb, 720, 1280);
        assert_eq!(map.rect([0.0, 140.0, 640.0, 500.0]), [0.0, 0.0, 1280.0, 720.0]);
        assert_eq!(map.point([-5.0, 700.0]), [0.0, 720.0], "clipped");
        assert_eq!(map.xywh([320.0, 100.0, 10.0, 20.0]), [640.0, -80.0, 20.0, 40.0], "not clipped");
    }
}
