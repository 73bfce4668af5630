//! Image decoding for the native front doors (CLI and server): any format the `image` crate
//! was built with (PNG, JPEG, WebP, BMP, GIF, TIFF), EXIF orientation applied like OpenCV's
//! `imread`, and dimension / memory limits so a small file cannot claim a huge canvas.
//!
//! JPEGs are decoded with libjpeg-turbo's decoder (through the `mozjpeg` crate, its fork with the
//! same decoding path): the decoder OpenCV — hence Ultralytics — and Chromium use, so the pixels
//! are bit-identical to theirs (`tests/jpeg.rs`) and so are the predictions. Other JPEG decoders
//! differ by ±1–3 per channel, enough to move confidences by ~1e-3. A JPEG libjpeg cannot turn
//! into RGB (e.g. CMYK) falls back to the `image` crate.

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;
use std::path::Path;
use yolo_wasm::Error;

/// Largest width or height accepted (pixels).
pub const MAX_SIDE: u32 = 16_384;
/// Most memory the decoder may allocate for one image (bytes).
pub const MAX_ALLOC: u64 = 1 << 30;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

/// Decodes image bytes to RGB8 with EXIF orientation applied. `what` names the source in errors.
pub fn decode_image(bytes: &[u8], what: &str) -> Result<RgbImage, Error> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::InvalidImage(format!("{what}: {e}")))?;
    reader.limits(limits());
    decode_reader(reader, bytes, what)
}

/// Reads and decodes an image file (see [`decode_image`]).
pub fn read_image(path: &Path) -> Result<RgbImage, Error> {
    let what = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::InvalidImage(format!("{what}: {e}")))?;
    decode_image(&bytes, &what)
}

fn decode_reader(reader: ImageReader<Cursor<&[u8]>>, bytes: &[u8], what: &str) -> Result<RgbImage, Error> {
    let bad = |e: &dyn std::fmt::Display| Error::InvalidImage(format!("{what}: {e}"));
    let Some(format) = reader.format() else {
        return Err(Error::InvalidImage(format!(
            "{what}: not an image in a supported format (PNG, JPEG, WebP, BMP, GIF, TIFF)"
        )));
    };
    let mut decoder = reader.into_decoder().map_err(|e| bad(&e))?;
    let orientation = decoder.orientation().map_err(|e| bad(&e))?;
    let (w, h) = decoder.dimensions();
    let turbo = (format == ImageFormat::Jpeg).then(|| decode_jpeg_turbo(bytes, w, h)).flatten();
    let mut img = match turbo {
        Some(rgb) => DynamicImage::ImageRgb8(rgb),
        None => DynamicImage::from_decoder(decoder).map_err(|e| bad(&e))?,
    };
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}

/// libjpeg-turbo's RGB decode (islow IDCT, fancy upsampling: its and OpenCV's defaults), or
/// `None` when libjpeg refuses the file. The `image` crate already checked the size limits.
fn decode_jpeg_turbo(bytes: &[u8], w: u32, h: u32) -> Option<RgbImage> {
    // libjpeg reports fatal errors by unwinding; keep any of them inside this function.
    std::panic::catch_unwind(|| {
        let mut rgb = mozjpeg::Decompress::new_mem(bytes).ok()?.rgb().ok()?;
        let px: Vec<u8> = rgb.read_scanlines().ok()?;
        rgb.finish().ok()?;
        RgbImage::from_raw(w, h, px)
    })
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_invalid_image() {
        let err = decode_image(b"definitely not an image", "upload").unwrap_err();
        assert_eq!(err.code(), "invalid_image");
        assert!(err.to_string().contains("upload"), "{err}");
    }

    #[test]
    fn decodes_a_png() {
        let mut png = Vec::new();
        let img = RgbImage::from_pixel(5, 3, image::Rgb([10, 20, 30]));
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let back = decode_image(&png, "x").unwrap();
        assert_eq!((back.width(), back.height()), (5, 3));
    }
}
