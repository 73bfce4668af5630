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
    /// Wraps a buffer, checking its size against the buffer and the image limits
    /// ([`crate::limits::check_image_size`]).
    pub fn new(width: u32, height: u32, channels: u8, data: &'a [u8]) -> Result<Self> {
        crate::limits::check_image_size(width, height)?;
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

/// Horizontal taps as byte offsets into a source row of `CH` channels, with their weights.
struct HTap {
    p0: usize,
    p1: usize,
    a0: i32,
    a1: i32,
}

/// Horizontal pass of one interleaved source row into three planar fixed-point rows
/// (`out` = R, G, B, each `taps.len()` long). `TWO` = false when every second weight is 0 (its
/// term is then exactly 0 and is skipped: e.g. every exact 1/n downscale).
fn hresize_row<const CH: usize, const TWO: bool>(row: &[u8], taps: &[HTap], out: &mut [i32]) {
    let n = taps.len();
    let (r, gb) = out.split_at_mut(n);
    let (g, b) = gb.split_at_mut(n);
    for ((t, r), (g, b)) in taps.iter().zip(r).zip(g.iter_mut().zip(b)) {
        // One bounds check per tap instead of one per channel.
        let s0: &[u8; CH] = row[t.p0..t.p0 + CH].try_into().unwrap();
        (*r, *g, *b) = (s0[0] as i32 * t.a0, s0[1] as i32 * t.a0, s0[2] as i32 * t.a0);
        if TWO {
            let s1: &[u8; CH] = row[t.p1..t.p1 + CH].try_into().unwrap();
            *r += s1[0] as i32 * t.a1;
            *g += s1[1] as i32 * t.a1;
            *b += s1[2] as i32 * t.a1;
        }
    }
}

/// OpenCV's vectorised vertical combine of two horizontal rows into 8-bit values.
fn vcombine(h0: &[i32], h1: &[i32], b0: i32, b1: i32, out: &mut [u8]) {
    for ((o, &a), &b) in out.iter_mut().zip(h0).zip(h1) {
        let v = (((a >> 4) * b0) >> 16) + (((b >> 4) * b1) >> 16) + 2;
        *o = (v >> 2).clamp(0, 255) as u8;
    }
}

/// [`vcombine`] when the second weight is 0 (its term is exactly 0).
fn vcombine1(h0: &[i32], b0: i32, out: &mut [u8]) {
    for (o, &a) in out.iter_mut().zip(h0) {
        let v = (((a >> 4) * b0) >> 16) + 2;
        *o = (v >> 2).clamp(0, 255) as u8;
    }
}

/// The resized image as three planes of 8-bit values (R, G, B; `new_h × new_w` each).
fn resize_planar<const CH: usize>(src: &Pixels, nw: usize, nh: usize) -> Vec<u8> {
    let (w, h) = (src.width as usize, src.height as usize);
    let plane = nw * nh;
    let mut planes = vec![0u8; 3 * plane];
    let row_len = w * CH;
    if w == nw && h == nh {
        let (r, gb) = planes.split_at_mut(plane);
        let (g, b) = gb.split_at_mut(plane);
        for (((px, r), g), b) in src.data.chunks_exact(CH).zip(r).zip(g).zip(b) {
            (*r, *g, *b) = (px[0], px[1], px[2]);
        }
        return planes;
    }
    let xt = taps(src.width, nw as u32, true);
    let htaps: Vec<HTap> =
        (0..nw).map(|x| HTap { p0: xt.i0[x] * CH, p1: xt.i1[x] * CH, a0: xt.w0[x], a1: xt.w1[x] }).collect();
    let two = htaps.iter().any(|t| t.a1 != 0);
    let hresize = match two {
        true => hresize_row::<CH, true>,
        false => hresize_row::<CH, false>,
    };
    let yt = taps(src.height, nh as u32, false);
    let row = |y: usize| &src.data[y * row_len..(y + 1) * row_len];
    // Two cached horizontal rows (planar R, G, B), keyed by source row index.
    let mut keys = [usize::MAX; 2];
    let mut rows = [vec![0i32; 3 * nw], vec![0i32; 3 * nw]];
    for dy in 0..nh {
        let (b0, b1) = (yt.w0[dy], yt.w1[dy]);
        // A second row whose weight is 0 adds exactly 0: it is not computed (every exact 1/n
        // downscale). The first weight, `rint((1-frac)·2048)`, is never 0 for outputs under 2048.
        let (r0, r1) = (yt.i0[dy], if b1 == 0 { usize::MAX } else { yt.i1[dy] });
        // Moving down one source row: the old second row is the new first one.
        if keys[0] != r0 && keys[1] == r0 {
            keys.swap(0, 1);
            rows.swap(0, 1);
        }
        for (slot, r) in [(0, r0), (1, r1)] {
            if r != usize::MAX && keys[slot] != r {
                hresize(row(r), &htaps, &mut rows[slot]);
                keys[slot] = r;
            }
        }
        for c in 0..3 {
            let span = c * nw..(c + 1) * nw;
            let at = c * plane + dy * nw;
            let out = &mut planes[at..at + nw];
            match b1 {
                0 => vcombine1(&rows[0][span], b0, out),
                _ => vcombine(&rows[0][span.clone()], &rows[1][span], b0, b1, out),
            }
        }
    }
    planes
}

/// Letterboxes `src` into a `[1, 3, input_h, input_w]` float tensor (RGB, /255, pad 114).
pub fn letterbox_tensor(src: &Pixels, lb: &Letterbox) -> Vec<f32> {
    let (ih, iw) = (lb.input_h as usize, lb.input_w as usize);
    let (nh, nw) = (lb.new_h as usize, lb.new_w as usize);
    let (top, left) = (lb.top as usize, lb.left as usize);
    let planes = match src.channels {
        4 => resize_planar::<4>(src, nw, nh),
        _ => resize_planar::<3>(src, nw, nh),
    };
    // Every value is written once, in order: pad rows, then each image row between its pads
    // (`v as f32 / 255.0` vectorises; a 256-entry table measured no faster natively).
    let pad = PAD_VALUE as f32 / 255.0;
    let mut out = Vec::with_capacity(3 * ih * iw);
    for plane in planes.chunks_exact(nw * nh) {
        out.resize(out.len() + top * iw, pad);
        for row in plane.chunks_exact(nw) {
            out.resize(out.len() + left, pad);
            out.extend(row.iter().map(|&v| v as f32 / 255.0));
            out.resize(out.len() + iw - left - nw, pad);
        }
        out.resize(out.len() + (ih - top - nh) * iw, pad);
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

    /// The first implementation (commit 57a249e: per-pixel closure, whole tensor pre-filled),
    /// verbatim except for the tap table, which is unchanged and shared: the optimised one must
    /// equal it bit for bit.
    mod reference {
        use super::super::{taps, Letterbox, Pixels, Taps, PAD_VALUE};

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
        pub(super) fn letterbox_tensor(src: &Pixels, lb: &Letterbox) -> Vec<f32> {
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
    }

    // Also runs in wasm, in Node: `cargo test --release --target wasm32-unknown-unknown --lib`.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn equals_the_reference_bit_for_bit() {
        // xorshift: sizes, channel counts and pixel values.
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move |n: u64| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s % n
        };
        let mut cases: Vec<(u32, u32, u8, u32, bool)> = vec![(1920, 1080, 4, 640, false), (810, 1080, 3, 640, true)];
        for _ in 0..150 {
            let (w, h) = (1 + next(400) as u32, 1 + next(400) as u32);
            let imgsz = [32, 64, 160, 320, 416, 640][next(6) as usize];
            cases.push((w, h, 3 + next(2) as u8, imgsz, next(2) == 1));
        }
        cases.push((64, 48, 3, 64, false)); // identity size
        for (w, h, ch, imgsz, auto) in cases {
            let data: Vec<u8> = (0..w as usize * h as usize * ch as usize).map(|_| next(256) as u8).collect();
            let px = Pixels::new(w, h, ch, &data).unwrap();
            let lb = Letterbox::new(h, w, (imgsz, imgsz), auto, 32);
            let (ours, want) = (letterbox_tensor(&px, &lb), reference::letterbox_tensor(&px, &lb));
            assert_eq!(ours.len(), want.len(), "{w}×{h}×{ch} → {imgsz} auto={auto}");
            let same = ours.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits());
            assert!(same, "{w}×{h}×{ch} → {imgsz} auto={auto}: values differ from the reference");
        }
    }

    #[test]
    fn rejects_bad_buffers() {
        assert!(Pixels::new(2, 2, 3, &[0; 11]).is_err());
        assert!(Pixels::new(0, 2, 3, &[]).is_err());
        assert!(Pixels::new(1, 1, 2, &[0; 2]).is_err());
    }
}
