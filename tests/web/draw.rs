//! `draw` in the browser (Chromium, Firefox, WebKit), for every task, from hand-written JSON (as a remote answer would be):
//! pixels at known positions have the expected colours, at two pixel ratios and on an
//! OffscreenCanvas.

use super::*;
use yolo_wasm::web::draw;

/// Palette colours (Ultralytics' by class id).
const BLUE: [u8; 3] = [0x04, 0x2A, 0xFF]; // class 0
const CYAN: [u8; 3] = [0x0B, 0xDB, 0xEB]; // class 1

fn canvas(w: u32, h: u32) -> (HtmlCanvasElement, CanvasRenderingContext2d) {
    let document = web_sys::window().unwrap().document().unwrap();
    let c: HtmlCanvasElement = document.create_element("canvas").unwrap().dyn_into().unwrap();
    c.set_width(w);
    c.set_height(h);
    let ctx: CanvasRenderingContext2d = c.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    ctx.set_fill_style_str("#000000");
    ctx.fill_rect(0.0, 0.0, w as f64, h as f64);
    (c, ctx)
}

fn rgb_at(ctx: &CanvasRenderingContext2d, x: u32, y: u32) -> [u8; 3] {
    let d = ctx.get_image_data(x as f64, y as f64, 1.0, 1.0).unwrap().data().0;
    [d[0], d[1], d[2]]
}

fn close(a: [u8; 3], b: [u8; 3], tol: i32) -> bool {
    a.iter().zip(&b).all(|(x, y)| (*x as i32 - *y as i32).abs() <= tol)
}

fn json(s: &str) -> JsValue {
    js_sys::JSON::parse(s).unwrap()
}

fn no_labels(ratio: f64) -> JsValue {
    json(&format!(r#"{{"labels": false, "pixelRatio": {ratio}}}"#))
}

/// One image 200×100 (canvas coordinates are 2× when the canvas is 400×200).
fn response(results: &str) -> JsValue {
    json(&format!(
        r#"{{"images":[{{"results":{results},"shape":[100,200],"speed":{{"preprocess":0,"inference":0,"postprocess":0}}}}],"metadata":{{"imageCount":1,"version":{{}}}}}}"#
    ))
}

#[wasm_bindgen_test]
fn boxes_scale_with_the_canvas_and_the_pixel_ratio() {
    let r = response(r#"[{"name":"circle","class":0,"confidence":0.9,"box":{"x1":10,"y1":20,"x2":50,"y2":60}}]"#);
    // 400×200 canvas for a 200×100 image: the bottom edge (y = 60) lands on canvas row 120.
    let (c, ctx) = canvas(400, 200);
    draw(c.clone().into(), JsValue::NULL, r.clone(), Some(no_labels(1.0))).unwrap();
    assert!(close(rgb_at(&ctx, 60, 120), BLUE, 2), "{:?}", rgb_at(&ctx, 60, 120));
    assert!(close(rgb_at(&ctx, 60, 80), [0, 0, 0], 0), "inside stays untouched");
    assert!(close(rgb_at(&ctx, 60, 123), [0, 0, 0], 0), "2 px line at ratio 1");
    // Pixel ratio 2: lines twice as wide.
    let (c2, ctx2) = canvas(400, 200);
    draw(c2.into(), JsValue::NULL, r.clone(), Some(no_labels(2.0))).unwrap();
    assert!(close(rgb_at(&ctx2, 60, 121), BLUE, 2), "4 px line at ratio 2");
    // Labels: "circle 0.90" on a class-coloured background above the box.
    let (c3, ctx3) = canvas(400, 200);
    draw(c3.into(), JsValue::NULL, r, Some(json(r#"{"pixelRatio": 1}"#))).unwrap();
    assert!(close(rgb_at(&ctx3, 21, 30), BLUE, 2), "label background {:?}", rgb_at(&ctx3, 21, 30));
}

#[wasm_bindgen_test]
fn image_is_drawn_scaled_under_the_results() {
    let (c, ctx) = canvas(400, 200);
    let src = OffscreenCanvas::new(200, 100).unwrap();
    let sctx: OffscreenCanvasRenderingContext2d = src.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    sctx.set_fill_style_str("#ff0000");
    sctx.fill_rect(0.0, 0.0, 100.0, 100.0);
    sctx.set_fill_style_str("#00ff00");
    sctx.fill_rect(100.0, 0.0, 100.0, 100.0);
    draw(c.into(), src.into(), response("[]"), None).unwrap();
    assert!(close(rgb_at(&ctx, 150, 100), [255, 0, 0], 0));
    assert!(close(rgb_at(&ctx, 250, 100), [0, 255, 0], 0), "left half of the canvas is the left half of the image");
}

#[wasm_bindgen_test]
fn obb_segments_keypoints_and_classes() {
    // OBB: a diamond on a canvas as large as the image; (120, 30) is on its first edge.
    let (c, ctx) = canvas(200, 100);
    let obb_small = response(
        r#"[{"name":"square","class":1,"confidence":0.8,"box":{"x1":100,"y1":10,"x2":140,"y2":50,"x3":100,"y3":90,"x4":60,"y4":50}}]"#,
    );
    draw(c.into(), JsValue::NULL, obb_small, Some(no_labels(1.0))).unwrap();
    assert!(close(rgb_at(&ctx, 120, 30), CYAN, 40), "OBB edge {:?}", rgb_at(&ctx, 120, 30));
    assert!(close(rgb_at(&ctx, 100, 50), [0, 0, 0], 0));

    // Segment: a filled square polygon, alpha 0.5 over black → half the class colour.
    let seg = response(
        r#"[{"name":"circle","class":0,"confidence":0.7,"box":{"x1":20,"y1":20,"x2":80,"y2":80},"segments":{"x":[20,80,80,20],"y":[20,20,80,80]}}]"#,
    );
    let (c, ctx) = canvas(200, 100);
    draw(c.into(), JsValue::NULL, seg, Some(json(r#"{"labels": false, "maskAlpha": 0.5, "pixelRatio": 1}"#))).unwrap();
    assert!(close(rgb_at(&ctx, 50, 50), [2, 21, 128], 3), "mask fill {:?}", rgb_at(&ctx, 50, 50));

    // Pose: 17 keypoints → dots in per-keypoint colours and the COCO skeleton; keypoint 3 has low
    // visibility and is skipped.
    let xs: Vec<String> = (0..17).map(|i| format!("{}", 10 + i * 10)).collect();
    let vis: Vec<&str> = (0..17).map(|i| if i == 3 { "0.1" } else { "0.9" }).collect();
    let pose = response(&format!(
        r#"[{{"name":"person","class":0,"confidence":0.9,"box":{{"x1":0,"y1":0,"x2":199,"y2":99}},"keypoints":{{"x":[{}],"y":[{}],"visible":[{}]}}}}]"#,
        xs.join(","),
        ["50"; 17].join(","),
        vis.join(",")
    ));
    let (c, ctx) = canvas(200, 100);
    draw(c.into(), JsValue::NULL, pose, Some(json(r#"{"labels": false, "boxes": false, "pixelRatio": 2}"#))).unwrap();
    assert!(close(rgb_at(&ctx, 10, 50), BLUE, 2), "keypoint 0 {:?}", rgb_at(&ctx, 10, 50));
    assert!(close(rgb_at(&ctx, 20, 50), CYAN, 2), "keypoint 1 {:?}", rgb_at(&ctx, 20, 50));
    assert!(!close(rgb_at(&ctx, 40, 50), [0xF3, 0xF3, 0xF3], 30), "keypoint 3 is not drawn in its colour");

    // Classify: the top-5 list, first entry on the class colour at the top-left.
    let cls =
        response(r#"[{"name":"square","class":1,"confidence":0.6},{"name":"circle","class":0,"confidence":0.3}]"#);
    let (c, ctx) = canvas(200, 100);
    draw(c.into(), JsValue::NULL, cls, Some(json(r#"{"pixelRatio": 1}"#))).unwrap();
    assert!(close(rgb_at(&ctx, 7, 7), CYAN, 2), "rank 1 background {:?}", rgb_at(&ctx, 7, 7));
    assert!(close(rgb_at(&ctx, 7, 27), BLUE, 2), "rank 2 background {:?}", rgb_at(&ctx, 7, 27));
}

#[wasm_bindgen_test]
fn offscreen_canvas_and_bad_arguments() {
    let off = OffscreenCanvas::new(400, 200).unwrap();
    let r = response(r#"[{"name":"circle","class":0,"confidence":0.9,"box":{"x1":10,"y1":20,"x2":50,"y2":60}}]"#);
    draw(off.clone().into(), JsValue::NULL, r.clone(), Some(no_labels(1.0))).unwrap();
    let octx: OffscreenCanvasRenderingContext2d = off.get_context("2d").unwrap().unwrap().dyn_into().unwrap();
    let d = octx.get_image_data(60.0, 120.0, 1.0, 1.0).unwrap().data().0;
    assert!(close([d[0], d[1], d[2]], BLUE, 2));
    for (canvas, resp, opts, field) in [
        (JsValue::from("canvas"), r.clone(), JsValue::UNDEFINED, "canvas"),
        (off.clone().into(), json(r#"{"images": 3}"#), JsValue::UNDEFINED, "response"),
        (off.clone().into(), r.clone(), json(r#"{"lineWidth": -1}"#), "lineWidth"),
        (off.clone().into(), r.clone(), json(r#"{"frame": 4}"#), "frame"),
        (off.clone().into(), r.clone(), json(r#"{"color": "red"}"#), "color"),
    ] {
        let e = draw(canvas, JsValue::NULL, resp, Some(opts)).unwrap_err();
        assert_eq!(error_code(&e).1, "invalid_argument");
        assert_eq!(Reflect::get(&e, &"field".into()).unwrap().as_string().as_deref(), Some(field));
    }
}
