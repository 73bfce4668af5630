//! What to draw for a result, as plain shapes in canvas pixels: the part of drawing that needs no
//! browser (the wasm `draw` function paints these shapes on a 2-D context).
//!
//! Works from the JSON alone (remote answers carry no tensors): coordinates are scaled from the
//! image's `shape` to the canvas size; line widths and fonts are in CSS pixels times the pixel
//! ratio, so HiDPI canvases look the same as standard ones.

use crate::schema::{BoxCoords, ImageResult, Prediction};

/// Ultralytics' 20-colour class palette (`ultralytics.utils.plotting.Colors`), by class id.
pub const PALETTE: [u32; 20] = [
    0x042AFF, 0x0BDBEB, 0xF3F3F3, 0x00DFB7, 0x111F68, 0xFF6FDD, 0xFF444F, 0xCCED00, 0x00F344, 0xBD00FF, 0x00B4FF,
    0xDD00BA, 0x00FFFF, 0x26C000, 0x01FFB3, 0x7D24FF, 0x7B0068, 0xFF1B6C, 0xFC6D2F, 0xA2FF0B,
];

/// The COCO person skeleton (0-based keypoint pairs), drawn when a model has 17 keypoints.
pub const COCO_SKELETON: [(usize, usize); 19] = [
    (15, 13),
    (13, 11),
    (16, 14),
    (14, 12),
    (11, 12),
    (5, 11),
    (6, 12),
    (5, 6),
    (5, 7),
    (6, 8),
    (7, 9),
    (8, 10),
    (1, 2),
    (0, 1),
    (0, 2),
    (1, 3),
    (2, 4),
    (3, 5),
    (4, 6),
];

/// `#rrggbb` of a class id.
pub fn class_color(class: u32) -> u32 {
    PALETTE[class as usize % PALETTE.len()]
}

/// Drawing options (CSS pixels; multiplied by `pixel_ratio`).
#[derive(Debug, Clone, PartialEq)]
pub struct DrawOptions {
    /// Boxes (and OBB polygons).
    pub boxes: bool,
    /// "name 0.87" labels.
    pub labels: bool,
    /// Filled segment polygons.
    pub masks: bool,
    /// Keypoints (and the COCO skeleton for 17-point models).
    pub keypoints: bool,
    /// Classification top-5 list.
    pub classes: bool,
    /// Line width.
    pub line_width: f64,
    /// Label font size.
    pub font_size: f64,
    /// Whether labels sit on a filled background.
    pub label_background: bool,
    /// Opacity of mask fills, 0–1.
    pub mask_alpha: f64,
    /// Keypoints whose `visible` is below this are not drawn.
    pub keypoint_threshold: f64,
    /// Device pixels per CSS pixel.
    pub pixel_ratio: f64,
}

impl Default for DrawOptions {
    fn default() -> Self {
        DrawOptions {
            boxes: true,
            labels: true,
            masks: true,
            keypoints: true,
            classes: true,
            line_width: 2.0,
            font_size: 14.0,
            label_background: true,
            mask_alpha: 0.35,
            keypoint_threshold: 0.5,
            pixel_ratio: 1.0,
        }
    }
}

/// A shape in canvas pixels, with a `0xRRGGBB` colour (fields: points / ends / centre in canvas
/// pixels, line width, fill opacity, font size in pixels).
#[derive(Debug, Clone, PartialEq)]
#[allow(missing_docs)]
pub enum Shape {
    /// Closed polygon outline (boxes are 4-point polygons).
    Outline { points: Vec<[f64; 2]>, color: u32, width: f64 },
    /// Filled polygon.
    Fill { points: Vec<[f64; 2]>, color: u32, alpha: f64 },
    /// Line segment.
    Line { from: [f64; 2], to: [f64; 2], color: u32, width: f64 },
    /// Filled disc.
    Dot { at: [f64; 2], radius: f64, color: u32 },
    /// Text whose top-left corner is `at`, on a background of `background` when given.
    Label { at: [f64; 2], text: String, color: u32, background: Option<u32>, size: f64 },
}

/// The shapes of one image's results on a `canvas_w × canvas_h` canvas.
pub fn scene(result: &ImageResult, canvas_w: f64, canvas_h: f64, o: &DrawOptions) -> Vec<Shape> {
    let [h, w] = result.shape;
    let (sx, sy) = (canvas_w / f64::from(w.max(1)), canvas_h / f64::from(h.max(1)));
    let at = |x: f64, y: f64| [x * sx, y * sy];
    let lw = o.line_width * o.pixel_ratio;
    let size = o.font_size * o.pixel_ratio;
    let mut fills = Vec::new();
    let mut lines = Vec::new();
    let mut labels = Vec::new();
    if o.classes {
        for (rank, p) in result.results.iter().filter(|p| p.bbox.is_none()).enumerate() {
            let color = class_color(p.class);
            labels.push(Shape::Label {
                at: [size * 0.4, size * 0.4 + rank as f64 * size * 1.4],
                text: format!("{}. {}", rank + 1, label_text(p)),
                color: if o.label_background { text_on(color) } else { color },
                background: o.label_background.then_some(color),
                size,
            });
        }
    }
    for p in &result.results {
        let color = class_color(p.class);
        let Some(bbox) = &p.bbox else { continue };
        let corners = match bbox {
            BoxCoords::Rect(r) => vec![at(r.x1, r.y1), at(r.x2, r.y1), at(r.x2, r.y2), at(r.x1, r.y2)],
            BoxCoords::Obb(b) => vec![at(b.x1, b.y1), at(b.x2, b.y2), at(b.x3, b.y3), at(b.x4, b.y4)],
        };
        if o.masks {
            if let Some(s) = p.segments.as_ref().filter(|s| s.x.len() >= 3) {
                let points = s.x.iter().zip(&s.y).map(|(&x, &y)| at(x, y)).collect();
                fills.push(Shape::Fill { points, color, alpha: o.mask_alpha });
            }
        }
        if o.keypoints {
            lines.extend(keypoint_shapes(p, &at, lw, o));
        }
        if o.labels {
            // Above the box's top-most corner, or inside it when there is no room above.
            let top =
                corners.iter().copied().fold([f64::INFINITY, f64::INFINITY], |a, c| if c[1] < a[1] { c } else { a });
            let y = if top[1] - size * 1.3 >= 0.0 { top[1] - size * 1.3 } else { top[1] };
            labels.push(Shape::Label {
                at: [top[0], y],
                text: label_text(p),
                color: if o.label_background { text_on(color) } else { color },
                background: o.label_background.then_some(color),
                size,
            });
        }
        if o.boxes {
            lines.push(Shape::Outline { points: corners, color, width: lw });
        }
    }
    fills.into_iter().chain(lines).chain(labels).collect()
}

/// "name 0.87", or "id:3 name 0.87" for a tracked result (Ultralytics' plot label).
pub fn label_text(p: &Prediction) -> String {
    match p.track_id {
        Some(id) => format!("id:{id} {} {:.2}", p.name, p.confidence),
        None => format!("{} {:.2}", p.name, p.confidence),
    }
}

/// Black or white, whichever reads better on `bg`.
pub fn text_on(bg: u32) -> u32 {
    let (r, g, b) = ((bg >> 16) & 255, (bg >> 8) & 255, bg & 255);
    if 299 * r + 587 * g + 114 * b > 150_000 {
        0x000000
    } else {
        0xFFFFFF
    }
}

fn keypoint_shapes(p: &Prediction, at: &dyn Fn(f64, f64) -> [f64; 2], lw: f64, o: &DrawOptions) -> Vec<Shape> {
    let Some(k) = &p.keypoints else { return Vec::new() };
    let n = k.x.len().min(k.y.len());
    let shown = |i: usize| k.visible.as_ref().is_none_or(|v| v.get(i).is_some_and(|&c| c >= o.keypoint_threshold));
    let mut out = Vec::new();
    if n == 17 {
        for (i, &(a, b)) in COCO_SKELETON.iter().enumerate() {
            if shown(a) && shown(b) {
                let color = PALETTE[(i + 7) % PALETTE.len()];
                out.push(Shape::Line { from: at(k.x[a], k.y[a]), to: at(k.x[b], k.y[b]), color, width: lw });
            }
        }
    }
    for i in (0..n).filter(|&i| shown(i)) {
        out.push(Shape::Dot { at: at(k.x[i], k.y[i]), radius: (lw * 1.5).max(2.0), color: PALETTE[i % PALETTE.len()] });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Keypoints, RectBox, Segments, Speed};

    fn pred(class: u32, bbox: Option<BoxCoords>) -> Prediction {
        Prediction {
            bbox,
            class,
            confidence: 0.875,
            keypoints: None,
            name: "circle".into(),
            segments: None,
            track_id: None,
        }
    }

    fn result(results: Vec<Prediction>) -> ImageResult {
        ImageResult { results, shape: [100, 200], speed: Speed::default() }
    }

    #[test]
    fn boxes_scale_to_the_canvas_and_carry_labels() {
        let r = result(vec![pred(3, Some(BoxCoords::Rect(RectBox { x1: 10.0, y1: 20.0, x2: 50.0, y2: 60.0 })))]);
        let shapes = scene(&r, 400.0, 200.0, &DrawOptions { pixel_ratio: 2.0, ..DrawOptions::default() });
        assert!(shapes.contains(&Shape::Outline {
            points: vec![[20.0, 40.0], [100.0, 40.0], [100.0, 120.0], [20.0, 120.0]],
            color: 0x00DFB7,
            width: 4.0
        }));
        let label =
            shapes.iter().find_map(|s| if let Shape::Label { text, .. } = s { Some(text.clone()) } else { None });
        assert_eq!(label.as_deref(), Some("circle 0.88"));
        let tracked = Prediction { track_id: Some(7), ..r.results[0].clone() };
        assert_eq!(label_text(&tracked), "id:7 circle 0.88");
    }

    #[test]
    fn layers_can_be_switched_off_and_classes_are_ranked() {
        let mut p = pred(0, Some(BoxCoords::Rect(RectBox { x1: 0.0, y1: 0.0, x2: 5.0, y2: 5.0 })));
        p.segments = Some(Segments { x: vec![0.0, 5.0, 5.0], y: vec![0.0, 0.0, 5.0] });
        p.keypoints = Some(Keypoints { visible: Some(vec![0.9, 0.1]), x: vec![1.0, 2.0], y: vec![1.0, 2.0] });
        let all = scene(&result(vec![p.clone()]), 200.0, 100.0, &DrawOptions::default());
        assert_eq!(all.iter().filter(|s| matches!(s, Shape::Dot { .. })).count(), 1, "low-visibility point skipped");
        assert!(all.iter().any(|s| matches!(s, Shape::Fill { .. })));
        let none =
            DrawOptions { boxes: false, labels: false, masks: false, keypoints: false, ..DrawOptions::default() };
        assert!(scene(&result(vec![p]), 200.0, 100.0, &none).is_empty());
        let classes = scene(&result(vec![pred(1, None), pred(2, None)]), 200.0, 100.0, &DrawOptions::default());
        let texts: Vec<_> = classes
            .iter()
            .filter_map(|s| if let Shape::Label { text, .. } = s { Some(text.as_str()) } else { None })
            .collect();
        assert_eq!(texts, vec!["1. circle 0.88", "2. circle 0.88"]);
    }

    #[test]
    fn seventeen_keypoints_get_the_coco_skeleton() {
        let mut p = pred(0, None);
        p.bbox = Some(BoxCoords::Rect(RectBox { x1: 0.0, y1: 0.0, x2: 5.0, y2: 5.0 }));
        p.keypoints = Some(Keypoints { visible: None, x: vec![1.0; 17], y: vec![1.0; 17] });
        let shapes = scene(&result(vec![p]), 200.0, 100.0, &DrawOptions::default());
        assert_eq!(shapes.iter().filter(|s| matches!(s, Shape::Line { .. })).count(), 19);
        assert_eq!(shapes.iter().filter(|s| matches!(s, Shape::Dot { .. })).count(), 17);
    }
}
