//! Letterbox exactly as Ultralytics' `LetterBox` does it, with OpenCV's `INTER_LINEAR` resize
//! reproduced bit for bit on uint8 pixels, straight into an NCHW float tensor (RGB, /255).
//!
//! OpenCV (x86 builds, as used by Ultralytics) resizes in 11-bit fixed point: horizontal weights
//! `round((1-fx)·2048)`, `round(fx·2048)` with `fx` clamped to 0 at the borders; vertical weights
//! likewise but *without* clamping `fy` (only the row indices are clamped); the vertical pass is
//! OpenCV's vectorised `((h0>>4)·b0 >> 16) + ((h1>>4)·b1 >> 16) + 2 >> 2`. This was checked
//! against `cv2.resize` on random sizes (see `tests/letterbox_parity.rs` for the fixture test).

use crate::error::{Error, Result};

/// Grey padding value of Ultralytics' letterbox.
pub const PAD_VALUE: u8 = 114;

/// Borrowed interleaved 8-bit pixels, RGB or RGBA, rows packed.
#[derive(Debug, Clone, Copy)]
pub struct Pixels<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 3 (RGB) or 4 (RGBA; alpha ignored).
    pub channels: u8,
    /// `width * height * channels` bytes.
    pub data: &'a [u8],
}

impl<'a> Pixels<'a> {
    /// Wraps a buffer, checking its size.
    pub fn new(width: u32, height: u32, channels: u8, data: &'a [u8]) -> Result<Self> {
        if width == 0 || height == 0 {
            return Err(Error::InvalidImage(format!("image has no pixels ({width}×{height})")));
        }
        if channels != 3 && channels != 4 {
            return Err(Error::InvalidImage(format!("expected 3 (RGB) or 4 (RGBA) channels, got {channels}")));
        }
        let expected = width as usize * height as usize * channels as usize;
        if data.len() != expected {
            return Err(Error::InvalidImage(format!(
                "pixel buffer has {} bytes, expected {expected} for {width}×{height}×{channels}",
                data.len()
            )));
        }
        Ok(Pixels { width, height, channels, data })
    }
}

/// Where the image lands inside the network input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Letterbox {
    /// Network input height.
    pub input_h: u32,
    /// Network input width.
    pub input_w: u32,
    /// Resized image height.
    pub new_h: u32,
    /// Resized image width.
    pub new_w: u32,
    /// Rows of padding above.
    pub top: u32,
    /// Columns of padding on the left.
    pub left: u32,
}

impl Letterbox {
    /// Ultralytics `LetterBox.get_params` with `center=True, scaleup=True`: `target` is
    /// `(h, w)`; `auto` pads only up to a multiple of `stride` (dynamic models).
    pub fn new(orig_h: u32, orig_w: u32, target: (u32, u32), auto: bool, stride: u32) -> Self {
        let (th, tw) = (target.0 as f64, target.1 as f64);
        let r = (th / orig_h as f64).min(tw / orig_w as f64);
        let new_w = ((orig_w as f64 * r).round_ties_even() as u32).max(1);
        let new_h = ((orig_h as f64 * r).round_ties_even() as u32).max(1);
        let (mut dw, mut dh) = (target.1.saturating_sub(new_w), target.0.saturating_sub(new_h));
        if auto && stride > 0 {
            dw %= stride;
            dh %= stride;
        }
        // top = round(dh/2 - 0.1), bottom = round(dh/2 + 0.1): floor and ceil of dh/2.
        let (top, left) = (dh / 2, dw / 2);
        Letterbox { input_h: new_h + dh, input_w: new_w + dw, new_h, new_w, top, left }
    }
}

/// Precomputed taps of one axis: two (clamped) source indices and two 11-bit weights each.
struct Taps {
    i0: Vec<usize>,
    i1: Vec<usize>,
    w0: Vec<i32>,
    w1: Vec<i32>,
}

/// OpenCV's coefficient table for one axis. `clamp_fraction` is OpenCV's horizontal rule (the
/// fraction is zeroed where the tap leaves the image); vertically only the indices are clamped.
fn taps(src: u32, dst: u32, clamp_fraction: bool) -> Taps {
    let scale = 1.0 / (dst as f64 / src as f64);
    let n = dst as usize;
    let last = src as i64 - 1;
    let mut t = Taps {
        i0: Vec::with_capacity(n),
        i1: Vec::with_capacity(n),
        w0: Vec::with_capacity(n),
        w1: Vec::with_capacity(n),
    };
    for d in 0..dst {
        let f = ((d as f64 + 0.5) * scale - 0.5) as f32;
        let mut s = f.floor() as i64;
        let mut frac = f - s as f32;
        if clamp_fraction && (s < 0 || s >= last) {
            frac = 0.0;
            s = s.clamp(0, last);
        }
        t.i0.push(s.clamp(0, last) as usize);
        t.i1.push((s + 1).clamp(0, last) as usize);
        t.w0.push(((1.0 - frac) * 2048.0).round_ties_even() as i32);
        t.w1.push((frac * 2048.0).round_ties_even() as i32);
    }
    t
}

/// Horizontal pass of one source row into `out` (`dst_w * 3` fixed-point values).
fn hresize_row(src: &Pixels, y: usize, xt: &Taps, out: &mut [i32]) {
    let ch = src.channels as usize;
    let w = src.width as usize;
    let row = &src.data[y * w * ch..(y + 1) * w * ch];
    for (dx, o) in out.chunks_exact_mut(3).enumerate() {
        let (p0, p1) = (xt.i0[dx] * ch, xt.i1[dx] * ch);
        let (a0, a1) = (xt.w0[dx], xt.w1[dx]);
        for c in 0..3 {
            o[c] = row[p0 + c] as i32 * a0 + row[p1 + c] as i32 * a1;
        }
    }
}

/// Letterboxes `src` into a `[1, 3, input_h, input_w]` float tensor (RGB, /255, pad 114).
pub fn letterbox_tensor(src: &Pixels, lb: &Letterbox) -> Vec<f32> {
    let (ih, iw) = (lb.input_h as usize, lb.input_w as usize);
    let plane = ih * iw;
    let mut out = vec![PAD_VALUE as f32 / 255.0; 3 * plane];
    let ch = src.channels as usize;
    let put = |out: &mut [f32], y: usize, x: usize, rgb: [u8; 3]| {
        let at = (lb.top as usize + y) * iw + lb.left as usize + x;
        for c in 0..3 {
            out[c * plane + at] = rgb[c] as f32 / 255.0;
        }
    };
    if src.width == lb.new_w && src.height == lb.new_h {
        for y in 0..src.height as usize {
            for x in 0..src.width as usize {
                let p = (y * src.width as usize + x) * ch;
                put(&mut out, y, x, [src.data[p], src.data[p + 1], src.data[p + 2]]);
            }
        }
        return out;
    }
    let xt = taps(src.width, lb.new_w, true);
    let yt = taps(src.height, lb.new_h, false);
    let nw = lb.new_w as usize;
    // Two cached horizontal rows, keyed by source row index.
    let mut rows: [(usize, Vec<i32>); 2] = [(usize::MAX, vec![0; nw * 3]), (usize::MAX, vec![0; nw * 3])];
    for dy in 0..lb.new_h as usize {
        let (r0, r1) = (yt.i0[dy], yt.i1[dy]);
        // Moving down one source row: the old second row is the new first one.
        if rows[0].0 != r0 && rows[1].0 == r0 {
            rows.swap(0, 1);
        }
        for (slot, r) in [(0, r0), (1, r1)] {
            if rows[slot].0 != r {
                hresize_row(src, r, &xt, &mut rows[slot].1);
                rows[slot].0 = r;
            }
        }
        let (b0, b1) = (yt.w0[dy], yt.w1[dy]);
        let (h0, h1) = (&rows[0].1, &rows[1].1);
        for (dx, (a, b)) in h0.chunks_exact(3).zip(h1.chunks_exact(3)).enumerate() {
            let mut rgb = [0u8; 3];
            for (o, (&a, &b)) in rgb.iter_mut().zip(a.iter().zip(b)) {
                let v = (((a >> 4) * b0) >> 16) + (((b >> 4) * b1) >> 16) + 2;
                *o = (v >> 2).clamp(0, 255) as u8;
            }
            put(&mut out, dy, dx, rgb);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letterbox_params_match_ultralytics() {
        // 1920×1080 into 640: 640×360, 140 rows of padding split 140/140.
        let lb = Letterbox::new(1080, 1920, (640, 640), false, 32);
        assert_eq!(lb, Letterbox { input_h: 640, input_w: 640, new_h: 360, new_w: 640, top: 140, left: 0 });
        // Minimum rectangle: 280 % 32 = 24 → 12 above, 12 below.
        let lb = Letterbox::new(1080, 1920, (640, 640), true, 32);
        assert_eq!(lb, Letterbox { input_h: 384, input_w: 640, new_h: 360, new_w: 640, top: 12, left: 0 });
        // Odd padding: floor above/left, ceil below/right. 37×23 → r = 17.297…, 640×398.
        let lb = Letterbox::new(23, 37, (640, 640), false, 32);
        assert_eq!((lb.new_w, lb.new_h, lb.top, lb.left), (640, 398, 121, 0));
    }

    #[test]
    fn identity_size_copies_pixels() {
        let data: Vec<u8> = (0..4 * 4 * 3).map(|v| v as u8).collect();
        let px = Pixels::new(4, 4, 3, &data).unwrap();
        let lb = Letterbox::new(4, 4, (4, 4), false, 32);
        let t = letterbox_tensor(&px, &lb);
        assert_eq!(t[0], 0.0);
        assert_eq!(t[16], 1.0 / 255.0); // G of pixel 0
    }

    #[test]
    fn rejects_bad_buffers() {
        assert!(Pixels::new(2, 2, 3, &[0; 11]).is_err());
        assert!(Pixels::new(0, 2, 3, &[]).is_err());
        assert!(Pixels::new(1, 1, 2, &[0; 2]).is_err());
    }
}
