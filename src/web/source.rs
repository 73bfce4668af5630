//! Pixels from every image source the browser has, in a window or a worker.
//!
//! `ImageData` is read as is. Everything else is drawn at its natural size onto an
//! `OffscreenCanvas` and read back; `Blob`/`File` are decoded by the browser first with
//! `createImageBitmap` (EXIF orientation applied like OpenCV's `imread`, no colour-space
//! conversion, no premultiplication).

use super::loader::await_js;
use crate::error::{Error, Result};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Blob, ColorSpaceConversion, HtmlCanvasElement, HtmlImageElement, HtmlVideoElement, ImageBitmap,
    ImageBitmapOptions, ImageData, ImageOrientation, OffscreenCanvas,
    OffscreenCanvasRenderingContext2d, PremultiplyAlpha, WorkerGlobalScope,
};

/// Owned RGBA pixels.
pub struct Rgba {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes.
    pub data: Vec<u8>,
}

fn bad(msg: impl Into<String>) -> Error {
    Error::InvalidImage(msg.into())
}

fn js_err(context: &str) -> impl Fn(JsValue) -> Error + '_ {
    move |e| bad(format!("{context}: {}", super::errors::describe(&e)))
}

/// Decodes a `Blob` with the browser's decoders.
async fn bitmap_from_blob(blob: &Blob) -> Result<ImageBitmap> {
    let opts = ImageBitmapOptions::new();
    opts.set_image_orientation(ImageOrientation::FromImage);
    opts.set_color_space_conversion(ColorSpaceConversion::None);
    opts.set_premultiply_alpha(PremultiplyAlpha::None);
    let global = js_sys::global();
    let promise = if let Some(w) = global.dyn_ref::<web_sys::Window>() {
        w.create_image_bitmap_with_blob_and_image_bitmap_options(blob, &opts)
    } else if let Some(w) = global.dyn_ref::<WorkerGlobalScope>() {
        w.create_image_bitmap_with_blob_and_image_bitmap_options(blob, &opts)
    } else {
        return Err(bad(
            "createImageBitmap is not available in this JavaScript environment",
        ));
    }
    .map_err(js_err("createImageBitmap"))?;
    let v = await_js(promise, |e| {
        bad(format!("the browser cannot decode this image ({e})"))
    })
    .await?;
    v.dyn_into()
        .map_err(|_| bad("createImageBitmap did not return an ImageBitmap"))
}

/// Draws something drawable of `w × h` onto an offscreen canvas and reads its pixels.
fn read_back(
    w: u32,
    h: u32,
    draw: impl FnOnce(&OffscreenCanvasRenderingContext2d) -> Result<(), JsValue>,
) -> Result<Rgba> {
    if w == 0 || h == 0 {
        return Err(bad(format!(
            "the image has no pixels ({w}×{h}); is it loaded?"
        )));
    }
    let canvas = OffscreenCanvas::new(w, h).map_err(js_err("OffscreenCanvas"))?;
    let ctx = canvas
        .get_context("2d")
        .map_err(js_err("getContext"))?
        .and_then(|c| c.dyn_into::<OffscreenCanvasRenderingContext2d>().ok())
        .ok_or_else(|| bad("no 2d context on OffscreenCanvas"))?;
    draw(&ctx).map_err(js_err("drawImage"))?;
    let data = ctx
        .get_image_data(0.0, 0.0, w as f64, h as f64)
        .map_err(js_err("getImageData"))?;
    Ok(Rgba {
        width: w,
        height: h,
        data: data.data().0,
    })
}

/// Reads RGBA pixels from any supported image source.
pub async fn pixels(src: &JsValue) -> Result<Rgba> {
    if let Some(img) = src.dyn_ref::<ImageData>() {
        return Ok(Rgba {
            width: img.width(),
            height: img.height(),
            data: img.data().0,
        });
    }
    if let Some(bmp) = src.dyn_ref::<ImageBitmap>() {
        return read_back(bmp.width(), bmp.height(), |c| {
            c.draw_image_with_image_bitmap(bmp, 0.0, 0.0)
        });
    }
    if let Some(blob) = src.dyn_ref::<Blob>() {
        let bmp = bitmap_from_blob(blob).await?;
        let out = read_back(bmp.width(), bmp.height(), |c| {
            c.draw_image_with_image_bitmap(&bmp, 0.0, 0.0)
        });
        bmp.close();
        return out;
    }
    if let Some(img) = src.dyn_ref::<HtmlImageElement>() {
        if !img.complete() || img.natural_width() == 0 {
            await_js(img.decode(), |e| {
                bad(format!("the <img> cannot be decoded ({e})"))
            })
            .await?;
        }
        return read_back(img.natural_width(), img.natural_height(), |c| {
            c.draw_image_with_html_image_element(img, 0.0, 0.0)
        });
    }
    if let Some(cv) = src.dyn_ref::<HtmlCanvasElement>() {
        return read_back(cv.width(), cv.height(), |c| {
            c.draw_image_with_html_canvas_element(cv, 0.0, 0.0)
        });
    }
    if let Some(cv) = src.dyn_ref::<OffscreenCanvas>() {
        return read_back(cv.width(), cv.height(), |c| {
            c.draw_image_with_offscreen_canvas(cv, 0.0, 0.0)
        });
    }
    if let Some(video) = src.dyn_ref::<HtmlVideoElement>() {
        if video.ready_state() < 2 {
            return Err(bad(
                "the <video> has no current frame yet (readyState < HAVE_CURRENT_DATA)",
            ));
        }
        return read_back(video.video_width(), video.video_height(), |c| {
            c.draw_image_with_html_video_element(video, 0.0, 0.0)
        });
    }
    Err(Error::invalid_argument(
        "source",
        "expected ImageData, ImageBitmap, HTMLImageElement, HTMLCanvasElement, HTMLVideoElement, OffscreenCanvas, Blob or File",
    ))
}
