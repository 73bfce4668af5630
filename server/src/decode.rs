//! Image decoding for the native front doors (CLI and server): any format the `image` crate
//! was built with (PNG, JPEG, WebP, BMP, GIF, TIFF), EXIF orientation applied like OpenCV's
//! `imread`, and dimension / memory limits so a small file cannot claim a huge canvas.
//!
//! JPEGs are decoded with libjpeg-turbo's decoder (through the `mozjpeg` crate, its fork with the
//! same decoding path): the decoder OpenCV — hence Ultralytics — and Chromium use, so the pixels
//! are bit-identical to theirs (`tests/jpeg.rs`) and so are the predictions. Other JPEG decoders
//! differ by ±1–3 per channel, enough to move confidences by ~1e-3. A JPEG libjpeg cannot turn
//! into RGB (e.g. CMYK) falls back to the `image` crate.

use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};
use std::io::Cursor;
use std::path::Path;
use yolo_wasm::limits::{check_image_size, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE};
use yolo_wasm::{Error, Pixels};

/// Largest width or height accepted (pixels): the core's [`MAX_IMAGE_SIDE`].
pub const MAX_SIDE: u32 = MAX_IMAGE_SIDE;
/// Most memory the decoder may allocate for one image (bytes): 8-bit RGBA at the core's
/// [`MAX_IMAGE_PIXELS`] (200 MB). Images of 16-bit samples are therefore accepted up to
/// 25 Mpx (RGBA) or 33 Mpx (RGB).
pub const MAX_ALLOC: u64 = MAX_IMAGE_PIXELS * 4;

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_ALLOC);
    l
}

/// Decoded 8-bit pixels, RGB or RGBA as the file gives them (RGBA is not converted: the core
/// ignores alpha, and a conversion would hold both buffers at once).
#[derive(Debug, Clone)]
pub struct Decoded {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 3 (RGB) or 4 (RGBA).
    pub channels: u8,
    /// `width * height * channels` bytes, rows packed.
    pub data: Vec<u8>,
}

impl Decoded {
    /// The pixels as the core takes them.
    pub fn pixels(&self) -> Result<Pixels<'_>, Error> {
        Pixels::new(self.width, self.height, self.channels, &self.data)
    }
}

/// Decodes image bytes to RGB or RGBA 8-bit with EXIF orientation applied. The declared size is
/// checked against the core's limits (`image_too_large`) from the file header, before any pixel
/// is decoded, for every format. `what` names the source in errors.
pub fn decode_pixels(bytes: &[u8], what: &str) -> Result<Decoded, Error> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::InvalidImage(format!("{what}: {e}")))?;
    reader.limits(limits());
    decode_reader(reader, bytes, what)
}

/// Decodes image bytes to RGB8 with EXIF orientation applied (see [`decode_pixels`]).
pub fn decode_image(bytes: &[u8], what: &str) -> Result<RgbImage, Error> {
    let d = decode_pixels(bytes, what)?;
    let img = match d.channels {
        3 => RgbImage::from_raw(d.width, d.height, d.data).map(DynamicImage::ImageRgb8),
        _ => image::RgbaImage::from_raw(d.width, d.height, d.data).map(DynamicImage::ImageRgba8),
    };
    img.map(DynamicImage::into_rgb8).ok_or_else(|| Error::InvalidImage(format!("{what}: inconsistent pixel buffer")))
}

/// Reads and decodes an image file (see [`decode_pixels`]).
pub fn read_image(path: &Path) -> Result<Decoded, Error> {
    let what = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::InvalidImage(format!("{what}: {e}")))?;
    decode_pixels(&bytes, &what)
}

fn image_error(what: &str, e: &ImageError) -> Error {
    match e {
        ImageError::Limits(_) => Error::ImageTooLarge(format!(
            "{what}: {e} (at most {MAX_SIDE} px a side, {MAX_IMAGE_PIXELS} px and {} MB of decoded samples)",
            MAX_ALLOC / 1_000_000
        )),
        _ => Error::InvalidImage(format!("{what}: {e}")),
    }
}

fn decode_reader(reader: ImageReader<Cursor<&[u8]>>, bytes: &[u8], what: &str) -> Result<Decoded, Error> {
    let Some(format) = reader.format() else {
        return Err(Error::InvalidImage(format!(
            "{what}: not an image in a supported format (PNG, JPEG, WebP, BMP, GIF, TIFF)"
        )));
    };
    if format == ImageFormat::Png {
        // A malformed palette panics inside the `png` crate (src/png_alpha.rs).
        yolo_wasm::png_alpha::check_palette(bytes).map_err(|e| match e {
            Error::InvalidImage(m) => Error::InvalidImage(format!("{what}: {m}")),
            other => other,
        })?;
    }
    // Reads the header only: the size is known before any pixel is decoded.
    let mut decoder = reader.into_decoder().map_err(|e| image_error(what, &e))?;
    let (w, h) = decoder.dimensions();
    check_image_size(w, h).map_err(|e| match e {
        Error::ImageTooLarge(m) => Error::ImageTooLarge(format!("{what}: {m}")),
        Error::InvalidImage(m) => Error::InvalidImage(format!("{what}: {m}")),
        other => other,
    })?;
    let orientation = decoder.orientation().map_err(|e| image_error(what, &e))?;
    let turbo = (format == ImageFormat::Jpeg).then(|| decode_jpeg_turbo(bytes, w, h)).flatten();
    let deep_png =
        format == ImageFormat::Png && decoder.color_type().bytes_per_pixel() > decoder.color_type().channel_count();
    let mut img = match turbo {
        Some(rgb) => DynamicImage::ImageRgb8(rgb),
        // 16-bit PNGs as OpenCV reads them (the high byte; the `image` crate rounds v / 257).
        None if deep_png => {
            let (w, h, rgba) = yolo_wasm::png_alpha::decode(bytes).map_err(|e| match e {
                Error::InvalidImage(m) => Error::InvalidImage(format!("{what}: {m}")),
                other => other,
            })?;
            image::RgbaImage::from_raw(w, h, rgba)
                .map(DynamicImage::ImageRgba8)
                .ok_or_else(|| Error::InvalidImage(format!("{what}: inconsistent pixel buffer")))?
        }
        None => DynamicImage::from_decoder(decoder).map_err(|e| image_error(what, &e))?,
    };
    // Rotations (EXIF orientations 5-8) need a second buffer; flips work in place.
    img.apply_orientation(orientation);
    let (width, height) = (img.width(), img.height());
    let (channels, data) = match img {
        DynamicImage::ImageRgb8(i) => (3, i.into_raw()),
        DynamicImage::ImageRgba8(i) => (4, i.into_raw()),
        // Grey, 16-bit and float images: one conversion (their own buffer is at most MAX_ALLOC).
        other => (3, other.into_rgb8().into_raw()),
    };
    Ok(Decoded { width, height, channels, data })
}

/// libjpeg-turbo's RGB decode (islow IDCT, fancy upsampling: its and OpenCV's defaults), or
/// `None` when libjpeg refuses the file. The size was checked against the limits before.
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

    #[test]
    fn sixteen_bit_pngs_keep_the_high_byte_as_opencv_does() {
        // cv2.imread(IMREAD_COLOR) of a 16-bit PNG with samples 0x12FF, 0x1280, 0x127F gives
        // 0x12 for all three (libpng strips the low byte; measured with opencv-python 5.0).
        let mut png = Vec::new();
        let img =
            image::ImageBuffer::<image::Rgba<u16>, _>::from_pixel(2, 1, image::Rgba([0x12ff, 0x1280, 0x127f, 0x8000]));
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        assert_eq!(decode_image(&png, "x").unwrap().get_pixel(1, 0).0, [0x12, 0x12, 0x12]);
        let mut grey = Vec::new();
        image::ImageBuffer::<image::Luma<u16>, _>::from_pixel(1, 1, image::Luma([0x12ff]))
            .write_to(&mut Cursor::new(&mut grey), image::ImageFormat::Png)
            .unwrap();
        assert_eq!(decode_image(&grey, "x").unwrap().get_pixel(0, 0).0, [0x12, 0x12, 0x12]);
    }

    #[test]
    fn rgba_stays_rgba() {
        let mut png = Vec::new();
        let img = image::RgbaImage::from_pixel(4, 2, image::Rgba([1, 2, 3, 4]));
        img.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let d = decode_pixels(&png, "x").unwrap();
        assert_eq!((d.width, d.height, d.channels, d.data.len()), (4, 2, 4, 32));
        assert_eq!(decode_image(&png, "x").unwrap().get_pixel(0, 0).0, [1, 2, 3]);
    }
}
