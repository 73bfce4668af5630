//! Pixels from every image source the browser has, in a window or a worker.
//!
//! `ImageData` is read as is. Everything else is drawn at its natural size onto an
//! `OffscreenCanvas` and read back; `Blob`/`File` and canvases go through `createImageBitmap`
//! first (EXIF orientation applied like OpenCV's `imread`, no colour-space conversion, no
//! premultiplication; a canvas of any context type is snapshotted without being touched). A PNG
//! file with transparency is decoded here instead (src/png_alpha.rs): the browser's decoder
//! premultiplies alpha before anything can ask it not to, and the stored colour is lost.

use super::loader::await_js;
use crate::error::{Error, Result};
use crate::png_alpha::{self, Sniff};
use js_sys::{Array, ArrayBuffer, Uint8Array, Uint8ClampedArray};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Blob, ColorSpaceConversion, File, HtmlCanvasElement, HtmlImageElement, HtmlVideoElement, ImageBitmap,
    ImageBitmapOptions, ImageData, ImageEncodeOptions, ImageOrientation, OffscreenCanvas,
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

/// What `createImageBitmap` is asked to read.
enum BitmapSource<'a> {
    Blob(&'a Blob),
    Canvas(&'a HtmlCanvasElement),
    Offscreen(&'a OffscreenCanvas),
}

/// `createImageBitmap` of the current global scope: decodes blobs with the browser's decoders
/// and snapshots canvases of any context type without touching them.
async fn bitmap(src: BitmapSource<'_>) -> Result<ImageBitmap> {
    let opts = ImageBitmapOptions::new();
    opts.set_image_orientation(ImageOrientation::FromImage);
    opts.set_color_space_conversion(ColorSpaceConversion::None);
    opts.set_premultiply_alpha(PremultiplyAlpha::None);
    let global = js_sys::global();
    macro_rules! create {
        ($scope:expr) => {
            match src {
                BitmapSource::Blob(b) => $scope.create_image_bitmap_with_blob_and_image_bitmap_options(b, &opts),
                BitmapSource::Canvas(c) => {
                    $scope.create_image_bitmap_with_html_canvas_element_and_image_bitmap_options(c, &opts)
                }
                BitmapSource::Offscreen(c) => {
                    $scope.create_image_bitmap_with_offscreen_canvas_and_image_bitmap_options(c, &opts)
                }
            }
        };
    }
    let promise = if let Some(w) = global.dyn_ref::<web_sys::Window>() {
        create!(w)
    } else if let Some(w) = global.dyn_ref::<WorkerGlobalScope>() {
        create!(w)
    } else {
        return Err(bad("createImageBitmap is not available in this JavaScript environment"));
    }
    .map_err(js_err("createImageBitmap"))?;
    let v = await_js(promise, |e| bad(format!("the browser cannot read this image ({e})"))).await?;
    v.dyn_into().map_err(|_| bad("createImageBitmap did not return an ImageBitmap"))
}

/// A `w × h` `OffscreenCanvas` and its 2-D context.
pub fn offscreen_2d(w: u32, h: u32) -> Result<(OffscreenCanvas, OffscreenCanvasRenderingContext2d)> {
    let canvas = OffscreenCanvas::new(w, h).map_err(js_err("OffscreenCanvas"))?;
    let ctx = canvas
        .get_context("2d")
        .map_err(js_err("getContext"))?
        .and_then(|c| c.dyn_into::<OffscreenCanvasRenderingContext2d>().ok())
        .ok_or_else(|| bad("no 2d context on OffscreenCanvas"))?;
    Ok((canvas, ctx))
}

/// Draws something drawable of `w × h` onto an offscreen canvas and reads its pixels.
fn read_back(
    w: u32,
    h: u32,
    draw: impl FnOnce(&OffscreenCanvasRenderingContext2d) -> Result<(), JsValue>,
) -> Result<Rgba> {
    if w == 0 || h == 0 {
        return Err(bad(format!("the image has no pixels ({w}×{h}); is it loaded?")));
    }
    crate::limits::check_image_size(w, h)?;
    let (_canvas, ctx) = offscreen_2d(w, h)?;
    draw(&ctx).map_err(js_err("drawImage"))?;
    let data = ctx.get_image_data(0.0, 0.0, w as f64, h as f64).map_err(js_err("getImageData"))?;
    Ok(Rgba { width: w, height: h, data: data.data().0 })
}

/// Pixels of a bitmap made by [`bitmap`], which is closed afterwards.
async fn bitmap_pixels(src: BitmapSource<'_>) -> Result<Rgba> {
    let bmp = bitmap(src).await?;
    let out = read_back(bmp.width(), bmp.height(), |c| c.draw_image_with_image_bitmap(&bmp, 0.0, 0.0));
    bmp.close();
    out
}

/// The bytes of `blob` from `start` to `end` (clamped to its size).
async fn blob_bytes(blob: &Blob, start: f64, end: f64) -> Result<Vec<u8>> {
    let part = blob.slice_with_f64_and_f64(start, end.min(blob.size())).map_err(js_err("Blob.slice"))?;
    let buf = await_js(part.array_buffer(), |e| bad(format!("cannot read the Blob ({e})"))).await?;
    Ok(Uint8Array::new(&buf).to_vec())
}

/// A PNG file with transparency, decoded here rather than by the browser (whose decoder
/// premultiplies alpha: src/png_alpha.rs); `None` for every other file. The first 64 KiB decide.
async fn transparent_png(blob: &Blob) -> Result<Option<Rgba>> {
    const PREFIX: f64 = 65_536.0;
    let prefix = blob_bytes(blob, 0.0, PREFIX).await?;
    let mut sniff = png_alpha::sniff(&prefix);
    let mut whole = None;
    if sniff == Sniff::NeedMore && blob.size() > PREFIX {
        let bytes = blob_bytes(blob, 0.0, blob.size()).await?;
        sniff = png_alpha::sniff(&bytes);
        whole = Some(bytes);
    }
    if sniff != Sniff::Transparent {
        return Ok(None);
    }
    let bytes = match whole {
        Some(b) => b,
        None if blob.size() <= PREFIX => prefix,
        None => blob_bytes(blob, 0.0, blob.size()).await?,
    };
    let (width, height, data) = png_alpha::decode(&bytes)?;
    Ok(Some(Rgba { width, height, data }))
}

/// Reads RGBA pixels from any supported image source.
pub async fn pixels(src: &JsValue) -> Result<Rgba> {
    if let Some(img) = src.dyn_ref::<ImageData>() {
        crate::limits::check_image_size(img.width(), img.height())?;
        return Ok(Rgba { width: img.width(), height: img.height(), data: img.data().0 });
    }
    if let Some(bmp) = src.dyn_ref::<ImageBitmap>() {
        return read_back(bmp.width(), bmp.height(), |c| c.draw_image_with_image_bitmap(bmp, 0.0, 0.0));
    }
    if let Some(blob) = src.dyn_ref::<Blob>() {
        if let Some(rgba) = transparent_png(blob).await? {
            return Ok(rgba);
        }
        return bitmap_pixels(BitmapSource::Blob(blob)).await;
    }
    if let Some(img) = src.dyn_ref::<HtmlImageElement>() {
        if !img.complete() || img.natural_width() == 0 {
            await_js(img.decode(), |e| bad(format!("the <img> cannot be decoded ({e})"))).await?;
        }
        return read_back(img.natural_width(), img.natural_height(), |c| {
            c.draw_image_with_html_image_element(img, 0.0, 0.0)
        });
    }
    if let Some(cv) = src.dyn_ref::<HtmlCanvasElement>() {
        return bitmap_pixels(BitmapSource::Canvas(cv)).await;
    }
    if let Some(cv) = src.dyn_ref::<OffscreenCanvas>() {
        return bitmap_pixels(BitmapSource::Offscreen(cv)).await;
    }
    if let Some(video) = src.dyn_ref::<HtmlVideoElement>() {
        if video.ready_state() < 2 {
            return Err(bad("the <video> has no current frame yet (readyState < HAVE_CURRENT_DATA)"));
        }
        return read_back(video.video_width(), video.video_height(), |c| {
            c.draw_image_with_html_video_element(video, 0.0, 0.0)
        });
    }
    if let Some(rgba) = image_data_like(src)? {
        return Ok(rgba);
    }
    Err(Error::invalid_argument(
        "source",
        "expected ImageData (or an object like it: { data, width, height }), ImageBitmap, HTMLImageElement, \
         HTMLCanvasElement, HTMLVideoElement, OffscreenCanvas, Blob or File",
    ))
}

/// An object shaped like `ImageData` — `{ data: Uint8ClampedArray | Uint8Array, width, height }`,
/// RGBA, row-major, not premultiplied — where the runtime has no `ImageData` (Node) or the pixels
/// come from elsewhere (a decoder library). `None` when `src` is not such an object at all.
fn image_data_like(src: &JsValue) -> Result<Option<Rgba>> {
    if !src.is_object() {
        return Ok(None);
    }
    let get = |key: &str| js_sys::Reflect::get(src, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
    let data = get("data");
    // A Uint8Array view of the pixels (the same bytes, not a copy), whichever array it is.
    let view = if let Some(a) = data.dyn_ref::<Uint8ClampedArray>() {
        Uint8Array::new_with_byte_offset_and_length(&a.buffer(), a.byte_offset(), a.length())
    } else if let Some(a) = data.dyn_ref::<Uint8Array>() {
        a.clone()
    } else {
        return Ok(None);
    };
    let dim = |key: &str| {
        let v = get(key).as_f64().filter(|v| v.fract() == 0.0 && *v >= 1.0 && *v <= u32::MAX as f64);
        v.map(|v| v as u32).ok_or_else(|| bad(format!("an ImageData-like source needs a positive integer {key}")))
    };
    let (width, height) = (dim("width")?, dim("height")?);
    crate::limits::check_image_size(width, height)?;
    let want = width as u64 * height as u64 * 4;
    if u64::from(view.length()) != want {
        return Err(bad(format!(
            "an ImageData-like source of {width}x{height} needs {want} bytes of RGBA data (got {})",
            view.length()
        )));
    }
    let bytes = view.to_vec();
    Ok(Some(Rgba { width, height, data: bytes }))
}

/// A file to upload for `source`: `Blob`/`File` as they are, bytes wrapped in a `Blob`, and every
/// drawable source (ImageData, bitmaps, images, canvases, video frames) encoded losslessly as PNG,
/// so that the server sees exactly the pixels `LocalModel.predict` would. Returns the blob and a
/// file name for the multipart field.
pub async fn upload(src: &JsValue) -> Result<(Blob, String)> {
    if let Some(file) = src.dyn_ref::<File>() {
        return Ok((file.clone().into(), file.name()));
    }
    if let Some(blob) = src.dyn_ref::<Blob>() {
        let ext = blob.type_().strip_prefix("image/").map(str::to_string).unwrap_or_else(|| "bin".into());
        return Ok((blob.clone(), format!("image.{ext}")));
    }
    let bytes =
        src.dyn_ref::<ArrayBuffer>().map(|b| Uint8Array::new(b)).or_else(|| src.dyn_ref::<Uint8Array>().cloned());
    if let Some(bytes) = bytes {
        let blob = Blob::new_with_u8_array_sequence(&Array::of1(&bytes)).map_err(js_err("Blob"))?;
        return Ok((blob, "image".into()));
    }
    let rgba = pixels(src).await?;
    Ok((png(&rgba).await?, "image.png".into()))
}

/// Encodes RGBA pixels as PNG with an `OffscreenCanvas`.
async fn png(rgba: &Rgba) -> Result<Blob> {
    let (canvas, ctx) = offscreen_2d(rgba.width, rgba.height)?;
    // Pixels copied into a JS array: an ImageData over wasm memory could move under it.
    let data = Uint8ClampedArray::new_with_length(rgba.data.len() as u32);
    data.copy_from(&rgba.data);
    let image =
        ImageData::new_with_js_u8_clamped_array_and_sh(&data, rgba.width, rgba.height).map_err(js_err("ImageData"))?;
    ctx.put_image_data(&image, 0.0, 0.0).map_err(js_err("putImageData"))?;
    let opts = ImageEncodeOptions::new();
    opts.set_type("image/png");
    let promise = canvas.convert_to_blob_with_options(&opts).map_err(js_err("convertToBlob"))?;
    let v = await_js(promise, |e| bad(format!("cannot encode the image as PNG ({e})"))).await?;
    v.dyn_into().map_err(|_| bad("convertToBlob did not return a Blob"))
}
