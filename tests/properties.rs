//! Property tests (proptest) of invariants that are easy to state and that every input must keep:
//! NMS, letterbox ↔ image box mapping, the Python-literal parser, option validation and contour
//! tracing. Each property would fail on a plausible bug (see the comment on each).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use yolo_wasm::model::pylit::{self, PyValue};
use yolo_wasm::options::{PredictOptions, CONF_RANGE, IMGSZ_MAX, IMGSZ_MIN, IOU_RANGE};
use yolo_wasm::pipeline::contours::{external_contours, mask_polygon, Point};
use yolo_wasm::pipeline::mapping::BoxMap;
use yolo_wasm::pipeline::nms::{greedy, Candidate};
use yolo_wasm::pipeline::preprocess::Letterbox;

// ---- NMS ----------------------------------------------------------------------------------------

/// IoU of two `xyxy` boxes, in f64 (the reference the f32 kernel is checked against).
fn iou(a: [f32; 4], b: [f32; 4]) -> f64 {
    let [a, b] = [a.map(f64::from), b.map(f64::from)];
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)
}

/// Candidates on a quarter-pixel grid (exact in f32 even after the class offset), boxes at least
/// one pixel wide, a few classes so that boxes of different classes overlap.
fn candidates() -> impl Strategy<Value = Vec<Candidate>> {
    let one = (0u32..2560, 0u32..2560, 4u32..800, 4u32..800, 1u32..1000, 0u32..3);
    prop::collection::vec(one, 0..60).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(row, (x, y, w, h, s, class))| {
                let (x, y, w, h) = (x as f32 / 4.0, y as f32 / 4.0, w as f32 / 4.0, h as f32 / 4.0);
                Candidate { bbox: [x, y, x + w, y + h], score: s as f32 / 1000.0, class, row }
            })
            .collect()
    })
}

/// The IoU margin within which f32 rounding may decide either way (the kernel runs in f32).
const IOU_EPS: f64 = 1e-5;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Kept boxes: at most `max_det`, taken from the input, in descending score; no two of one
    /// class overlap above the threshold; and (completeness) every dropped candidate overlaps a
    /// kept box of its class scoring at least as high — unless `max_det` stopped the scan.
    #[test]
    fn nms_keeps_a_valid_suppression(cands in candidates(), iou_thr in 0.0f32..0.95, max_det in 1usize..40) {
        let kept = greedy(cands.clone(), iou_thr, max_det);
        prop_assert!(kept.len() <= max_det);
        for k in &kept {
            prop_assert!(cands.contains(k), "kept {k:?} is not an input");
        }
        for w in kept.windows(2) {
            prop_assert!(w[0].score >= w[1].score, "scores not descending");
        }
        for (i, a) in kept.iter().enumerate() {
            for b in &kept[i + 1..] {
                if a.class == b.class {
                    prop_assert!(iou(a.bbox, b.bbox) <= iou_thr as f64 + IOU_EPS, "{a:?} and {b:?} both kept");
                }
            }
        }
        if kept.len() < max_det {
            for c in cands.iter().filter(|c| !kept.contains(c)) {
                let cover = kept.iter().any(|k| {
                    k.class == c.class && k.score >= c.score && iou(k.bbox, c.bbox) > iou_thr as f64 - IOU_EPS
                });
                prop_assert!(cover, "{c:?} dropped without a kept box covering it");
            }
        }
    }
}

// ---- letterbox ↔ image --------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// A point of the original image, letterboxed (scaled by the resize gain, shifted by the
    /// padding) and mapped back, lands where it started: to f32 precision for static exports (the
    /// square letterbox); for dynamic ones (minimum rectangle) within what Ultralytics' own
    /// `scale_boxes` loses by recomputing the gain from the padded shape: the rounding of the
    /// shorter resized side moves that gain by up to 1.5 / its length, relatively, and the padding
    /// by half of what that moves the longer side, plus a pixel. Mapped points are always inside
    /// the image.
    #[test]
    fn box_mapping_undoes_the_letterbox(
        h in 1u32..5000, w in 1u32..5000, side in 1u32..41, auto in any::<bool>(),
        fx in 0.0f64..=1.0, fy in 0.0f64..=1.0,
    ) {
        let target = side * 32;
        let lb = Letterbox::new(h, w, (target, target), auto, 32);
        prop_assert!(lb.input_h >= lb.new_h && lb.input_w >= lb.new_w);
        prop_assert!(lb.top + lb.new_h <= lb.input_h && lb.left + lb.new_w <= lb.input_w);
        if auto {
            prop_assert!(lb.input_h % 32 == lb.new_h.max(target) % 32 || lb.input_h <= target);
        } else {
            prop_assert_eq!((lb.input_h, lb.input_w), (target, target));
        }
        let map = BoxMap::new(&lb, h, w);
        let (x, y) = (fx * w as f64, fy * h as f64);
        let gx = lb.new_w as f64 / w as f64;
        let gy = lb.new_h as f64 / h as f64;
        let fwd = [(x * gx + lb.left as f64) as f32, (y * gy + lb.top as f64) as f32];
        let back = map.point(fwd);
        // f32 rounding: a thousandth of an input pixel (in original pixels) plus relative error.
        let rel = 1.5 / lb.new_h.min(lb.new_w) as f64;
        let tol = |g: f64, v: f64, side: f64| {
            1e-3 / g + 1e-5 * v + if auto { (v + side / 2.0) * rel * 1.1 + 2.0 / g } else { 0.0 }
        };
        prop_assert!((back[0] as f64 - x).abs() <= tol(gx, x, w as f64), "x {x} → {fwd:?} → {back:?}");
        prop_assert!((back[1] as f64 - y).abs() <= tol(gy, y, h as f64), "y {y} → {fwd:?} → {back:?}");
        for p in [[-1e4f32, -1e4], [1e5, 1e5], [fwd[0] * 3.0, fwd[1] * 3.0]] {
            let q = map.point(p);
            prop_assert!((0.0..=w as f32).contains(&q[0]) && (0.0..=h as f32).contains(&q[1]), "{p:?} → {q:?}");
        }
    }
}

// ---- Python literals ----------------------------------------------------------------------------

/// Writes a value as Python's `repr` would (single-quoted strings with escapes, `True`, `None`).
fn py_repr(v: &PyValue) -> String {
    match v {
        PyValue::None => "None".into(),
        PyValue::Bool(b) => (if *b { "True" } else { "False" }).into(),
        PyValue::Int(i) => i.to_string(),
        PyValue::Float(f) if f.is_infinite() => (if *f > 0.0 { "inf" } else { "-inf" }).into(),
        PyValue::Float(f) => format!("{f:?}"),
        PyValue::Str(s) => {
            let mut out = String::from("'");
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\'' => out.push_str("\\'"),
                    '\n' => out.push_str("\\n"),
                    '\t' => out.push_str("\\t"),
                    '\r' => out.push_str("\\r"),
                    c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
                    c => out.push(c),
                }
            }
            out.push('\'');
            out
        }
        PyValue::List(items) => {
            format!("[{}]", items.iter().map(py_repr).collect::<Vec<_>>().join(", "))
        }
        PyValue::Dict(items) => {
            let inner: Vec<String> = items.iter().map(|(k, v)| format!("{}: {}", py_repr(k), py_repr(v))).collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

fn py_value() -> impl Strategy<Value = PyValue> {
    let leaf = prop_oneof![
        Just(PyValue::None),
        any::<bool>().prop_map(PyValue::Bool),
        any::<i64>().prop_map(PyValue::Int),
        any::<f64>().prop_filter("NaN is not equal to itself", |f| !f.is_nan()).prop_map(PyValue::Float),
        any::<String>().prop_map(PyValue::Str),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(PyValue::List),
            prop::collection::vec((inner.clone(), inner), 0..6).prop_map(PyValue::Dict),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Whatever Python writes with `repr`, the parser reads back as the same value (ints stay
    /// ints, integral floats stay floats, any Unicode in strings), with any whitespace around.
    #[test]
    fn python_literals_round_trip(v in py_value(), pad in "[ \t\n]{0,3}") {
        let text = format!("{pad}{}{pad}", py_repr(&v));
        prop_assert_eq!(pylit::parse(&text), Ok(v), "{}", text);
    }

    /// Arbitrary text never panics, and anything accepted re-parses from its own repr to itself.
    #[test]
    fn python_literal_parser_is_total(text in "\\PC{0,40}|[\\[\\]{}(),:'\"0-9a-zA-Z_.+\\-\\\\ ]{0,40}") {
        if let Ok(v) = pylit::parse(&text) {
            if !matches!(&v, PyValue::Float(f) if f.is_nan()) {
                prop_assert_eq!(pylit::parse(&py_repr(&v)), Ok(v.clone()), "{}", text);
            }
        }
    }
}

// ---- option validation --------------------------------------------------------------------------

/// The field an option error names, if it is an argument error.
fn field_of(e: &yolo_wasm::Error) -> Option<&str> {
    match e {
        yolo_wasm::Error::InvalidArgument { field, .. } => Some(field),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// Every number is accepted exactly when it is in its HUB range (integers for imgsz, in f32 for
    /// conf / iou); accepted options keep the value and validate again; a refusal names the first
    /// bad field and the range.
    #[test]
    fn options_accept_exactly_the_hub_ranges(
        imgsz in prop_oneof![Just(None), (0.0f64..2000.0).prop_map(|v| Some(v.round())), any::<f64>().prop_map(Some)],
        conf in prop_oneof![Just(None), (-0.5f64..1.5).prop_map(Some), any::<f64>().prop_map(Some)],
        iou in prop_oneof![Just(None), (-0.5f64..1.5).prop_map(Some), any::<f64>().prop_map(Some)],
    ) {
        let imgsz_ok = imgsz.is_none_or(|v| v.fract() == 0.0 && v >= IMGSZ_MIN as f64 && v <= IMGSZ_MAX as f64);
        let in_f32 = |v: f64, (lo, hi): (f64, f64)| v.is_finite() && (v as f32) >= lo as f32 && (v as f32) <= hi as f32;
        let conf_ok = conf.is_none_or(|v| in_f32(v, CONF_RANGE));
        let iou_ok = iou.is_none_or(|v| in_f32(v, IOU_RANGE));
        match PredictOptions::from_raw(imgsz, conf, iou) {
            Ok(o) => {
                prop_assert!(imgsz_ok && conf_ok && iou_ok);
                prop_assert!(o.validate().is_ok());
                prop_assert_eq!(o.imgsz as f64, imgsz.unwrap_or(640.0));
                prop_assert_eq!(o.conf, conf.map_or(0.25, |v| v as f32));
                prop_assert_eq!(o.iou, iou.map_or(0.45, |v| v as f32));
            }
            Err(e) => {
                let first_bad = if !imgsz_ok { "imgsz" } else if !conf_ok { "conf" } else { "iou" };
                prop_assert!(!(imgsz_ok && conf_ok && iou_ok), "refused valid options: {e}");
                prop_assert_eq!(field_of(&e), Some(first_bad));
                prop_assert_eq!(e.code(), "invalid_argument");
                prop_assert!(e.to_string().contains(" to "), "message names the range: {e}");
            }
        }
    }
}

// ---- contours -----------------------------------------------------------------------------------

/// Twice the signed area of a closed polygon (shoelace).
fn twice_area(p: &[Point]) -> i64 {
    (0..p.len())
        .map(|i| {
            let (a, b) = (p[i], p[(i + 1) % p.len()]);
            a[0] as i64 * b[1] as i64 - b[0] as i64 * a[1] as i64
        })
        .sum()
}

/// Lattice points on the polygon's edges (each edge's gcd of |dx|, |dy|).
fn boundary_points(p: &[Point]) -> i64 {
    fn gcd(a: i64, b: i64) -> i64 {
        if b == 0 {
            a
        } else {
            gcd(b, a % b)
        }
    }
    (0..p.len())
        .map(|i| {
            let (a, b) = (p[i], p[(i + 1) % p.len()]);
            gcd((a[0] - b[0]).abs() as i64, (a[1] - b[1]).abs() as i64)
        })
        .sum()
}

/// A filled rectangle at least 2 px in each direction, or a filled digital ellipse with radii of at
/// least 3 px and at most 2:1 (thinner ones have 1-px-thick tips, which the contour walks twice),
/// inside a `w × h` mask.
fn blob() -> impl Strategy<Value = (Vec<u8>, usize, usize)> {
    (8usize..48, 8usize..48, any::<bool>(), 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0, 0.0f64..1.0).prop_map(
        |(w, h, ellipse, fx, fy, fw, fh)| {
            let min_r = if ellipse { 3.0 } else { 1.0 };
            let mut rw = min_r + fw * (w as f64 / 2.0 - min_r);
            let mut rh = min_r + fh * (h as f64 / 2.0 - min_r);
            if ellipse {
                (rw, rh) = (rw.min(2.0 * rh), rh.min(2.0 * rw));
            }
            let cx = rw + fx * (w as f64 - 2.0 * rw);
            let cy = rh + fy * (h as f64 - 2.0 * rh);
            let mut m = vec![0u8; w * h];
            for y in 0..h {
                for x in 0..w {
                    let (dx, dy) = ((x as f64 + 0.5 - cx) / rw, (y as f64 + 0.5 - cy) / rh);
                    let inside = if ellipse { dx * dx + dy * dy <= 1.0 } else { dx.abs() <= 1.0 && dy.abs() <= 1.0 };
                    m[y * w + x] = inside as u8;
                }
            }
            (m, w, h)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Any mask: every contour point is a foreground pixel inside the mask, consecutive points of
    /// a contour are joined by horizontal, vertical or diagonal runs of foreground pixels, and the
    /// merged polygon uses only contour points.
    #[test]
    fn contours_run_along_foreground(w in 1usize..24, h in 1usize..24, seed in prop::collection::vec(any::<bool>(), 576)) {
        let mask: Vec<u8> = (0..w * h).map(|i| seed[i] as u8).collect();
        let at = |p: Point| p[0] >= 0 && p[1] >= 0 && (p[0] as usize) < w && (p[1] as usize) < h && mask[p[1] as usize * w + p[0] as usize] != 0;
        let parts = external_contours(&mask, w, h);
        for part in &parts {
            prop_assert!(!part.is_empty());
            for i in 0..part.len() {
                let (a, b) = (part[i], part[(i + 1) % part.len()]);
                let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
                prop_assert!(dx == 0 || dy == 0 || dx.abs() == dy.abs(), "{a:?}→{b:?} is not a chain-code run");
                let n = dx.abs().max(dy.abs());
                for k in 0..=n {
                    let p = [a[0] + k * dx.signum(), a[1] + k * dy.signum()];
                    prop_assert!(at(p), "{p:?} on the run {a:?}→{b:?} is background");
                }
            }
        }
        let all: Vec<Point> = parts.iter().flatten().copied().collect();
        for p in mask_polygon(&mask, w, h) {
            prop_assert!(all.contains(&p));
        }
        prop_assert_eq!(parts.is_empty(), mask.iter().all(|&v| v == 0));
    }

    /// A filled convex blob has one contour through its border pixel centres, so by Pick's theorem
    /// the traced polygon's area is the mask's pixel count minus half its border points minus one
    /// (e.g. a w × h rectangle: (w−1)(h−1)): a lost or extra vertex changes the area.
    #[test]
    fn traced_polygon_area_matches_the_mask_area((mask, w, h) in blob()) {
        let parts = external_contours(&mask, w, h);
        prop_assert_eq!(parts.len(), 1);
        let poly = &parts[0];
        let pixels = mask.iter().filter(|&&v| v != 0).count() as i64;
        let b = boundary_points(poly);
        // Pick: A = I + B/2 - 1 and pixels = I + B, so 2A = 2·pixels - B - 2.
        prop_assert_eq!(twice_area(poly).abs(), 2 * pixels - b - 2, "polygon {:?}", poly);
    }
}
