//! Every limit on a size read from an input, in one place, checked before the allocation it
//! guards. `RELIABILITY.md` gives each limit with the peak memory it allows.
//!
//! - Images (browser and native alike): each side at most [`MAX_IMAGE_SIDE`] pixels and at most
//!   [`MAX_IMAGE_PIXELS`] pixels in all, checked from the image's declared size before its pixels
//!   are read (native: from the file header, before decoding).
//! - Models: an input side at most [`MAX_MODEL_INPUT`] (the network input, from the graph or the
//!   metadata), and no tensor of the optimised graph over [`MAX_TENSOR_ELEMENTS`] values, checked
//!   when the plan is built, before any inference allocates it.

use crate::error::{Error, Result};

/// Longest image side accepted, in pixels.
pub const MAX_IMAGE_SIDE: u32 = 16_384;

/// Most pixels in one image (50 megapixels: the largest phone cameras' photos).
pub const MAX_IMAGE_PIXELS: u64 = 50_000_000;

/// Largest network input side a model may declare (metadata `imgsz` or the graph's input).
pub const MAX_MODEL_INPUT: u32 = 4096;

/// Most values in any one tensor of a model's optimised graph (2^27: 512 MiB of f32).
pub const MAX_TENSOR_ELEMENTS: usize = 1 << 27;

/// Checks an image's declared size against [`MAX_IMAGE_SIDE`] and [`MAX_IMAGE_PIXELS`]:
/// `image_too_large` naming the limit, or `invalid_image` for an empty image.
pub fn check_image_size(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::InvalidImage(format!("image has no pixels ({width}×{height})")));
    }
    if width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE {
        return Err(Error::ImageTooLarge(format!(
            "{width}×{height} has a side longer than the limit of {MAX_IMAGE_SIDE} pixels"
        )));
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_IMAGE_PIXELS {
        return Err(Error::ImageTooLarge(format!(
            "{width}×{height} is {pixels} pixels, more than the limit of {MAX_IMAGE_PIXELS} ({} megapixels)",
            MAX_IMAGE_PIXELS / 1_000_000
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_limits_name_the_limit() {
        assert!(check_image_size(16_384, 1).is_ok());
        assert!(check_image_size(1, 16_384).is_ok());
        assert!(check_image_size(7071, 7071).is_ok());
        let side = check_image_size(16_385, 1).unwrap_err();
        assert_eq!(side.code(), "image_too_large");
        assert!(side.to_string().contains("16384"), "{side}");
        let area = check_image_size(16_384, 16_384).unwrap_err();
        assert!(area.to_string().contains("50000000"), "{area}");
        assert_eq!(check_image_size(0, 5).unwrap_err().code(), "invalid_image");
    }
}
