//! `draw(canvas, image, response, options?)`: paints an image and the results of either path
//! (local or remote: it needs only the JSON) on an `HTMLCanvasElement` or an `OffscreenCanvas`
//! (also inside a worker). The shapes come from [`crate::render::scene`].

use super::errors::{describe, to_js};
use super::js_options::Fields;
use crate::error::{Error, Result};
use crate::render::{scene, DrawOptions, Shape};
use crate::schema::{ImageResult, Response};
use wasm_bindgen::prelude::*;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, HtmlImageElement, HtmlVideoElement, ImageBitmap, ImageData,
    OffscreenCanvas, OffscreenCanvasRenderingContext2d,
};

const KEYS: [&str; 13] = [
    "boxes",
    "labels",
    "masks",
    "keypoints",
    "classes",
    "lineWidth",
    "fontSize",
    "labelBackground",
    "maskAlpha",
    "keypointThreshold",
    "pixelRatio",
    "frame",
    "resize",
];

/// Draws `image` (optional: `null` keeps what the canvas shows) scaled to the canvas, then the
/// results of `response` (a HUB response, or one of its `images[]` entries). Throws a
/// `YoloError` for a bad argument. (Declared for TypeScript in `types.rs`.)
#[wasm_bindgen(skip_typescript)]
pub fn draw(canvas: JsValue, image: JsValue, response: JsValue, options: Option<JsValue>) -> Result<(), JsValue> {
    super::guard::check()?;
    draw_inner(&canvas, &image, &response, &options.unwrap_or(JsValue::UNDEFINED)).map_err(to_js)
}

fn draw_inner(canvas: &JsValue, image: &JsValue, response: &JsValue, options: &JsValue) -> Result<()> {
    let (opts, frame, resize) = parse_options(options)?;
    let result = pick_result(response, frame)?;
    let ctx = Ctx::of(canvas, resize, opts.pixel_ratio)?;
    let (w, h) = ctx.size();
    if !image.is_undefined() && !image.is_null() {
        ctx.image(image, w, h)?;
    }
    for shape in scene(&result, w, h, &opts) {
        ctx.shape(&shape).map_err(|e| Error::invalid_argument("canvas", describe(&e)))?;
    }
    Ok(())
}

fn parse_options(value: &JsValue) -> Result<(DrawOptions, usize, bool)> {
    let mut o = DrawOptions { pixel_ratio: device_pixel_ratio(), ..DrawOptions::default() };
    let Some(f) = Fields::new(value, "options", &KEYS)? else { return Ok((o, 0, false)) };
    for (key, slot) in [
        ("boxes", &mut o.boxes),
        ("labels", &mut o.labels),
        ("masks", &mut o.masks),
        ("keypoints", &mut o.keypoints),
        ("classes", &mut o.classes),
        ("labelBackground", &mut o.label_background),
    ] {
        if let Some(v) = f.boolean(key)? {
            *slot = v;
        }
    }
    for (key, slot, lo, hi) in [
        ("lineWidth", &mut o.line_width, 0.0, 100.0),
        ("fontSize", &mut o.font_size, 1.0, 200.0),
        ("maskAlpha", &mut o.mask_alpha, 0.0, 1.0),
        ("keypointThreshold", &mut o.keypoint_threshold, 0.0, 1.0),
        ("pixelRatio", &mut o.pixel_ratio, 0.1, 16.0),
    ] {
        if let Some(v) = f.number_in(key, lo, hi)? {
            *slot = v;
        }
    }
    let frame = f.count("frame", u32::MAX)?.unwrap_or(0) as usize;
    Ok((o, frame, f.boolean("resize")?.unwrap_or(false)))
}

/// `globalThis.devicePixelRatio`, 1 where there is none (workers).
fn device_pixel_ratio() -> f64 {
    js_sys::Reflect::get(&js_sys::global(), &"devicePixelRatio".into())
        .ok()
        .and_then(|v| v.as_f64())
        .filter(|r| r.is_finite() && *r > 0.0)
        .unwrap_or(1.0)
}

/// The results to draw: `images[frame]` of a response, or an `ImageResult` itself.
fn pick_result(value: &JsValue, frame: usize) -> Result<ImageResult> {
    let bad = |e: String| Error::invalid_argument("response", format!("is not a HUB response or image result: {e}"));
    let has_images = js_sys::Reflect::has(value, &"images".into()).unwrap_or(false);
    if has_images {
        let resp: Response = serde_wasm_bindgen::from_value(value.clone()).map_err(|e| bad(e.to_string()))?;
        let n = resp.images.len();
        return resp.images.into_iter().nth(frame).ok_or_else(|| {
            Error::invalid_argument("frame", format!("the response has {n} image(s), asked for {frame}"))
        });
    }
    serde_wasm_bindgen::from_value(value.clone()).map_err(|e| bad(e.to_string()))
}

/// A 2-D context of either canvas kind.
enum Ctx {
    Html(CanvasRenderingContext2d, HtmlCanvasElement),
    Off(OffscreenCanvasRenderingContext2d, OffscreenCanvas),
}

/// Calls the same method on either context type.
macro_rules! on {
    ($ctx:expr, $c:ident => $e:expr) => {
        match $ctx {
            Ctx::Html($c, _) => $e,
            Ctx::Off($c, _) => $e,
        }
    };
}

fn hex(color: u32) -> String {
    format!("#{color:06x}")
}

impl Ctx {
    fn of(canvas: &JsValue, resize: bool, ratio: f64) -> Result<Ctx> {
        let no_ctx = || Error::invalid_argument("canvas", "has no 2d context (is it used by WebGL?)");
        if let Some(c) = canvas.dyn_ref::<HtmlCanvasElement>() {
            if resize && c.client_width() > 0 && c.client_height() > 0 {
                c.set_width((c.client_width() as f64 * ratio).round() as u32);
                c.set_height((c.client_height() as f64 * ratio).round() as u32);
            }
            let ctx = c.get_context("2d").ok().flatten().and_then(|x| x.dyn_into().ok()).ok_or_else(no_ctx)?;
            return Ok(Ctx::Html(ctx, c.clone()));
        }
        if let Some(c) = canvas.dyn_ref::<OffscreenCanvas>() {
            let ctx = c.get_context("2d").ok().flatten().and_then(|x| x.dyn_into().ok()).ok_or_else(no_ctx)?;
            return Ok(Ctx::Off(ctx, c.clone()));
        }
        Err(Error::invalid_argument("canvas", "expected an HTMLCanvasElement or an OffscreenCanvas"))
    }

    fn size(&self) -> (f64, f64) {
        match self {
            Ctx::Html(_, c) => (c.width() as f64, c.height() as f64),
            Ctx::Off(_, c) => (c.width() as f64, c.height() as f64),
        }
    }

    /// Draws an image source stretched to `w × h`.
    fn image(&self, src: &JsValue, w: f64, h: f64) -> Result<()> {
        let fail = |e: JsValue| Error::InvalidImage(format!("cannot draw the image: {}", describe(&e)));
        if let Some(data) = src.dyn_ref::<ImageData>() {
            let (tmp, tctx) = super::source::offscreen_2d(data.width(), data.height())?;
            tctx.put_image_data(data, 0.0, 0.0).map_err(fail)?;
            return on!(self, c => c.draw_image_with_offscreen_canvas_and_dw_and_dh(&tmp, 0.0, 0.0, w, h))
                .map_err(fail);
        }
        let r = if let Some(i) = src.dyn_ref::<ImageBitmap>() {
            on!(self, c => c.draw_image_with_image_bitmap_and_dw_and_dh(i, 0.0, 0.0, w, h))
        } else if let Some(i) = src.dyn_ref::<HtmlImageElement>() {
            on!(self, c => c.draw_image_with_html_image_element_and_dw_and_dh(i, 0.0, 0.0, w, h))
        } else if let Some(i) = src.dyn_ref::<HtmlCanvasElement>() {
            on!(self, c => c.draw_image_with_html_canvas_element_and_dw_and_dh(i, 0.0, 0.0, w, h))
        } else if let Some(i) = src.dyn_ref::<OffscreenCanvas>() {
            on!(self, c => c.draw_image_with_offscreen_canvas_and_dw_and_dh(i, 0.0, 0.0, w, h))
        } else if let Some(i) = src.dyn_ref::<HtmlVideoElement>() {
            on!(self, c => c.draw_image_with_html_video_element_and_dw_and_dh(i, 0.0, 0.0, w, h))
        } else {
            return Err(Error::invalid_argument(
                "image",
                "expected ImageData, ImageBitmap, HTMLImageElement, HTMLCanvasElement, OffscreenCanvas, HTMLVideoElement or null \
                 (decode Blobs with createImageBitmap first)",
            ));
        };
        r.map_err(fail)
    }

    fn path(&self, points: &[[f64; 2]]) {
        on!(self, c => {
            c.begin_path();
            for (i, p) in points.iter().enumerate() {
                if i == 0 { c.move_to(p[0], p[1]) } else { c.line_to(p[0], p[1]) }
            }
            c.close_path();
        })
    }

    fn shape(&self, shape: &Shape) -> Result<(), JsValue> {
        match shape {
            Shape::Outline { points, color, width } => {
                self.path(points);
                on!(self, c => { c.set_stroke_style_str(&hex(*color)); c.set_line_width(*width); c.set_line_join("round"); c.stroke() });
            }
            Shape::Fill { points, color, alpha } => {
                self.path(points);
                on!(self, c => { c.set_global_alpha(*alpha); c.set_fill_style_str(&hex(*color)); c.fill(); c.set_global_alpha(1.0) });
            }
            Shape::Line { from, to, color, width } => on!(self, c => {
                c.begin_path();
                c.move_to(from[0], from[1]);
                c.line_to(to[0], to[1]);
                c.set_stroke_style_str(&hex(*color));
                c.set_line_width(*width);
                c.stroke()
            }),
            Shape::Dot { at, radius, color } => on!(self, c => {
                c.begin_path();
                c.arc(at[0], at[1], *radius, 0.0, std::f64::consts::TAU)?;
                c.set_fill_style_str(&hex(*color));
                c.fill()
            }),
            Shape::Label { at, text, color, background, size } => on!(self, c => {
                c.set_font(&format!("{size}px sans-serif"));
                c.set_text_baseline("top");
                if let Some(bg) = background {
                    let w = c.measure_text(text)?.width();
                    c.set_fill_style_str(&hex(*bg));
                    c.fill_rect(at[0], at[1], w + size * 0.4, size * 1.3);
                }
                c.set_fill_style_str(&hex(*color));
                c.fill_text(text, at[0] + size * 0.2, at[1] + size * 0.15)?
            }),
        }
        Ok(())
    }
}
