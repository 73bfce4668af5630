//! PNG files with transparency, decoded as OpenCV's `imread` decodes them.
//!
//! Ultralytics reads images with OpenCV (`cv2.imread`, 3 channels): libpng expands palettes and
//! low bit depths, takes the high byte of 16-bit samples (measured: `0x12FF` → `0x12`), keeps the
//! *stored* RGB of every pixel and drops alpha. A browser's decoder premultiplies colour by alpha,
//! and reading the pixels back un-premultiplies them with rounding: every partly transparent
//! pixel comes back a little off (fully transparent ones come back black). So the web build
//! decodes a PNG with transparency itself, with the `png` crate (the same transformations as
//! libpng's above), and leaves every other image to the browser (faster, and exact for opaque
//! files).

use crate::error::{Error, Result};
use std::io::Cursor;

/// What the chunks before the image data say about a PNG file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniff {
    /// Not a PNG file (no PNG signature).
    NotPng,
    /// A PNG without transparency, or one whose transparency cannot change what OpenCV reads.
    Opaque,
    /// A PNG with an alpha channel or a `tRNS` chunk: decode it with [`decode`].
    Transparent,
    /// A PNG with an `eXIf` chunk: its orientation is applied by the browser's decoder, which
    /// is kept for it (the transparency of such a file is not preserved exactly).
    Oriented,
    /// The chunks before the image data do not fit in the bytes given: read more.
    NeedMore,
}

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// Looks at the first bytes of a file (the whole file is not needed: the chunks up to the first
/// `IDAT` decide). 64 KiB is enough for every file but those with large text or ICC chunks.
pub fn sniff(prefix: &[u8]) -> Sniff {
    if prefix.len() < SIGNATURE.len() || prefix[..8] != SIGNATURE {
        return if prefix.len() < SIGNATURE.len() && SIGNATURE.starts_with(prefix) {
            Sniff::NeedMore
        } else {
            Sniff::NotPng
        };
    }
    let (mut at, mut transparent) = (8usize, false);
    loop {
        let Some(header) = prefix.get(at..at + 8) else { return Sniff::NeedMore };
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        match &header[4..8] {
            b"IHDR" => match prefix.get(at + 8 + 9) {
                // Colour types 4 (grey + alpha) and 6 (RGBA).
                Some(&colour) => transparent |= colour == 4 || colour == 6,
                None => return Sniff::NeedMore,
            },
            b"tRNS" => transparent = true,
            b"eXIf" => return Sniff::Oriented,
            b"IDAT" | b"IEND" => return if transparent { Sniff::Transparent } else { Sniff::Opaque },
            _ => {}
        }
        // Length, type, data, CRC.
        at = match at.checked_add(12).and_then(|a| a.checked_add(len)) {
            Some(next) => next,
            None => return Sniff::Opaque,
        };
    }
}

/// Refuses a `PLTE` chunk that is not 1–256 whole RGB entries: the `png` crate (0.18.1) panics
/// expanding one (`transform/palette.rs:74`; found by the `png_alpha` fuzz target, and reached by
/// the `image` crate's PNG decoder too). libpng, hence OpenCV, refuses such a file as well.
pub fn check_palette(bytes: &[u8]) -> Result<()> {
    let mut at = SIGNATURE.len();
    while let Some(header) = bytes.get(at..at + 8) {
        let len = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        match &header[4..8] {
            b"PLTE" if len == 0 || !len.is_multiple_of(3) || len > 768 => {
                return Err(Error::InvalidImage(format!("PNG: a palette of {len} bytes is not 1 to 256 RGB entries")))
            }
            b"IDAT" | b"IEND" => return Ok(()),
            _ => {}
        }
        at = match at.checked_add(12).and_then(|a| a.checked_add(len)) {
            Some(next) => next,
            None => return Ok(()),
        };
    }
    Ok(())
}

/// 8-bit RGBA pixels of a PNG file as OpenCV reads its colour (alpha kept in the fourth byte,
/// which the pipeline ignores). The declared size is checked against the limits before any
/// pixel is decoded.
pub fn decode(bytes: &[u8]) -> Result<(u32, u32, Vec<u8>)> {
    check_palette(bytes)?;
    let bad = |e: png::DecodingError| Error::InvalidImage(format!("PNG: {e}"));
    let limits = png::Limits { bytes: usize::try_from(crate::limits::MAX_IMAGE_PIXELS * 8).unwrap_or(usize::MAX) };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(bad)?;
    let (w, h) = reader.info().size();
    crate::limits::check_image_size(w, h)?;
    let size = reader.output_buffer_size().ok_or_else(|| Error::ImageTooLarge(format!("PNG of {w}×{h}")))?;
    let mut buf = vec![0u8; size];
    let frame = reader.next_frame(&mut buf).map_err(bad)?;
    buf.truncate(frame.buffer_size());
    let px = w as usize * h as usize;
    let rgba = match frame.color_type {
        png::ColorType::Rgba => buf,
        png::ColorType::Rgb => buf.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        png::ColorType::GrayscaleAlpha => buf.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        png::ColorType::Grayscale => buf.iter().flat_map(|&g| [g, g, g, 255]).collect(),
        png::ColorType::Indexed => return Err(Error::InvalidImage("PNG: palette not expanded".into())),
    };
    if rgba.len() != px * 4 {
        return Err(Error::InvalidImage(format!("PNG: {} bytes of pixels for {w}×{h}", rgba.len())));
    }
    Ok((w, h, rgba))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG of `w × h` in `colour` at `depth` bits with the given raw samples and extra chunks.
    fn encode(
        w: u32,
        h: u32,
        colour: png::ColorType,
        depth: png::BitDepth,
        data: &[u8],
        trns: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(colour);
        enc.set_depth(depth);
        if let Some(t) = trns {
            enc.set_trns(t.to_vec());
        }
        if colour == png::ColorType::Indexed {
            enc.set_palette(vec![10, 20, 30, 40, 50, 60]);
        }
        enc.write_header().unwrap().write_image_data(data).unwrap();
        out
    }

    #[test]
    fn sniffs_transparency_from_the_header_and_trns() {
        let rgba = encode(1, 1, png::ColorType::Rgba, png::BitDepth::Eight, &[1, 2, 3, 4], None);
        let rgb = encode(1, 1, png::ColorType::Rgb, png::BitDepth::Eight, &[1, 2, 3], None);
        let keyed = encode(1, 1, png::ColorType::Rgb, png::BitDepth::Eight, &[1, 2, 3], Some(&[0, 1, 0, 2, 0, 3]));
        let grey_alpha = encode(1, 1, png::ColorType::GrayscaleAlpha, png::BitDepth::Eight, &[9, 0], None);
        assert_eq!(sniff(&rgba), Sniff::Transparent);
        assert_eq!(sniff(&grey_alpha), Sniff::Transparent);
        assert_eq!(sniff(&keyed), Sniff::Transparent);
        assert_eq!(sniff(&rgb), Sniff::Opaque);
        assert_eq!(sniff(&rgb[..20]), Sniff::NeedMore);
        assert_eq!(sniff(&rgb[..4]), Sniff::NeedMore);
        assert_eq!(sniff(b"\xff\xd8\xff\xe0 a JPEG"), Sniff::NotPng);
        assert_eq!(sniff(b""), Sniff::NeedMore);
    }

    #[test]
    fn keeps_the_stored_colour_of_transparent_pixels() {
        // Fully and partly transparent pixels keep their RGB (a browser gives black and rounded
        // values back).
        let data = [200, 100, 50, 0, 201, 99, 51, 1, 7, 8, 9, 128, 255, 255, 255, 255];
        let png = encode(2, 2, png::ColorType::Rgba, png::BitDepth::Eight, &data, None);
        assert_eq!(decode(&png).unwrap(), (2, 2, data.to_vec()));
    }

    #[test]
    fn converts_like_opencv_imread() {
        // 16-bit: the high byte (OpenCV/libpng strip, not a rounding division by 257).
        let deep = encode(
            1,
            1,
            png::ColorType::Rgba,
            png::BitDepth::Sixteen,
            &[0x12, 0xff, 0x12, 0x80, 0x12, 0x7f, 0x80, 0],
            None,
        );
        assert_eq!(decode(&deep).unwrap().2, [0x12, 0x12, 0x12, 0x80]);
        // Grey + alpha: grey copied to R, G and B.
        let ga = encode(2, 1, png::ColorType::GrayscaleAlpha, png::BitDepth::Eight, &[9, 0, 77, 255], None);
        assert_eq!(decode(&ga).unwrap().2, [9, 9, 9, 0, 77, 77, 77, 255]);
        // A palette with tRNS: expanded to the palette's colours.
        let pal = encode(2, 1, png::ColorType::Indexed, png::BitDepth::Eight, &[1, 0], Some(&[0, 255]));
        assert_eq!(decode(&pal).unwrap().2, [40, 50, 60, 255, 10, 20, 30, 0]);
    }

    #[test]
    fn refuses_broken_and_huge_files_with_typed_errors() {
        let rgba = encode(1, 1, png::ColorType::Rgba, png::BitDepth::Eight, &[1, 2, 3, 4], None);
        assert!(matches!(decode(&rgba[..rgba.len() - 20]), Err(Error::InvalidImage(_))));
        let wide = encode(20_000, 1, png::ColorType::GrayscaleAlpha, png::BitDepth::Eight, &[0; 40_000], None);
        assert!(matches!(decode(&wide), Err(Error::ImageTooLarge(_))), "{:?}", decode(&wide));
    }
}
