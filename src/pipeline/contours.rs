//! Outer contours of a binary mask, point for point as OpenCV's
//! `findContours(mask, RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)` returns them, and Ultralytics'
//! joining of several parts into one polygon (`masks2segments`, strategy "all").
//!
//! The tracer is Suzuki–Abe border following (8-connected foreground) with OpenCV's conventions:
//! the mask is framed by a one-pixel zero border; rows are scanned top to bottom; a border starts
//! at a foreground pixel whose left neighbour is background; pixels of followed borders are
//! marked (right-bound pixels differently) so that later scans skip them and parts inside other
//! parts' holes are not reported; moves are chain codes 0..7 counter-clockwise from "right";
//! only points where the direction changes are kept; contours come out in reverse order of
//! discovery. Checked against OpenCV on 200+ masks (`tests/contours.rs`).

/// A point `[x, y]` in mask pixels.
pub type Point = [i32; 2];

/// Unvisited foreground.
const FG: i8 = 1;
/// Followed border pixel.
const VISITED: i8 = 2;
/// Followed border pixel whose right neighbour is background (OpenCV: `nbd | -128`).
const RIGHT_BOUND: i8 = 2 | -128;

/// Chain-code moves `(dx, dy)`: 0 = right, then counter-clockwise as seen on screen.
const MOVES: [(i32, i32); 8] = [(1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1)];

/// A mask framed by a one-pixel zero border, as OpenCV pads before tracing.
struct Framed {
    px: Vec<i8>,
    stride: usize,
    rows: usize,
    deltas: [isize; 16],
}

impl Framed {
    fn new(mask: &[u8], width: usize, height: usize) -> Self {
        let stride = width + 2;
        let rows = height + 2;
        let mut px = vec![0i8; stride * rows];
        for y in 0..height {
            let src = &mask[y * width..(y + 1) * width];
            let dst = &mut px[(y + 1) * stride + 1..(y + 1) * stride + 1 + width];
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = i8::from(s != 0);
            }
        }
        let mut deltas = [0isize; 16];
        for (i, d) in deltas.iter_mut().enumerate() {
            let (dx, dy) = MOVES[i % 8];
            *d = dy as isize * stride as isize + dx as isize;
        }
        Framed { px, stride, rows, deltas }
    }

    #[inline]
    fn at(&self, i: isize) -> i8 {
        self.px[i as usize]
    }

    /// Follows the outer border starting at framed index `start` and returns its corner points
    /// (in unframed coordinates), marking the border's pixels.
    fn follow(&mut self, start: isize, origin: Point) -> Vec<Point> {
        let mut pts = Vec::new();
        // Search clockwise from the left neighbour (which is background) for a foreground
        // neighbour; none means a lone pixel.
        let mut s = 4usize;
        let first = loop {
            s = (s + 7) & 7;
            if s == 4 {
                self.px[start as usize] = RIGHT_BOUND;
                pts.push(origin);
                return pts;
            }
            let i = start + self.deltas[s];
            if self.at(i) != 0 {
                break i;
            }
        };
        let mut pt = origin;
        let mut cur = start;
        let mut prev_s = s ^ 4;
        loop {
            // Counter-clockwise from the move after the one pointing back where we came from.
            let s_from = s;
            let mut next = cur;
            while s < 15 {
                s += 1;
                next = cur + self.deltas[s];
                if self.at(next) != 0 {
                    break;
                }
            }
            s &= 7;
            // Was the right neighbour (move 0) examined and found empty?
            if s.wrapping_sub(1) < s_from {
                self.px[cur as usize] = RIGHT_BOUND;
            } else if self.at(cur) == FG {
                self.px[cur as usize] = VISITED;
            }
            if s != prev_s {
                pts.push(pt);
                prev_s = s;
            }
            pt[0] += MOVES[s].0;
            pt[1] += MOVES[s].1;
            if next == start && cur == first {
                break;
            }
            cur = next;
            s = (s + 4) & 7;
        }
        pts
    }
}

/// Outer contours of `mask` (`width × height`, non-zero = foreground) in OpenCV's order.
pub fn external_contours(mask: &[u8], width: usize, height: usize) -> Vec<Vec<Point>> {
    debug_assert_eq!(mask.len(), width * height);
    let mut img = Framed::new(mask, width, height);
    let mut found = Vec::new();
    for y in 1..img.rows - 1 {
        let row = y * img.stride;
        let mut prev: i8 = 0;
        // Index of the last followed-border pixel met on this row (0 = the frame).
        let mut last_border = row;
        for x in 1..img.stride - 1 {
            let i = row + x;
            let p = img.px[i];
            if p == prev {
                continue;
            }
            if prev == 0 && p == FG && img.px[last_border] <= 0 {
                let origin = [x as i32 - 1, y as i32 - 1];
                found.push(img.follow(i as isize, origin));
                // OpenCV resumes after the start pixel with its new mark as the previous value,
                // without counting the start pixel as the last border met.
                prev = img.px[i];
                continue;
            }
            if p & -2 != 0 {
                last_border = i;
            }
            prev = p;
        }
    }
    found.reverse();
    found
}

/// Ultralytics' `merge_multi_segment`: joins parts into one closed walk through the closest point
/// pairs of consecutive parts (forward over all parts, then back through the middle ones). Empty
/// parts (never traced, but the function is public) are skipped.
pub fn merge_parts(parts: &[Vec<Point>]) -> Vec<Point> {
    if parts.iter().any(Vec::is_empty) {
        let points: Vec<Vec<Point>> = parts.iter().filter(|p| !p.is_empty()).cloned().collect();
        return merge_parts(&points);
    }
    match parts.len() {
        0 => return Vec::new(),
        1 => return parts[0].clone(),
        _ => {}
    }
    let n = parts.len();
    // links[i]: index in part i of its link to part i-1 (if any), then to part i+1 (if any).
    let mut links: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 1..n {
        let (a, b) = closest_pair(&parts[i - 1], &parts[i]);
        links[i - 1].push(a);
        links[i].push(b);
    }
    let mut rolled: Vec<Vec<Point>> = Vec::with_capacity(n);
    let mut out = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let mut idx = links[i].clone();
        let mut seg = part.clone();
        if idx.len() == 2 && idx[0] > idx[1] {
            let last = seg.len() - 1;
            idx = idx.iter().map(|&x| last - x).collect();
            seg.reverse();
        }
        seg.rotate_left(idx[0]);
        seg.push(seg[0]);
        if i == 0 || i == n - 1 {
            out.extend_from_slice(&seg);
        } else {
            out.extend_from_slice(&seg[..=idx[1] - idx[0]]);
        }
        rolled.push(seg);
    }
    for i in (1..n - 1).rev() {
        let idx = &links[i];
        let skip = idx[1].abs_diff(idx[0]);
        out.extend_from_slice(&rolled[i][skip..]);
    }
    out
}

/// Indices of the closest pair of points (squared distance; first in row-major order on ties).
fn closest_pair(a: &[Point], b: &[Point]) -> (usize, usize) {
    // Exact over the whole i32 range: |dx| < 2^32, so dx² + dy² < 2^65.
    let mut best = (u128::MAX, 0, 0);
    for (i, p) in a.iter().enumerate() {
        for (j, q) in b.iter().enumerate() {
            let dx = u128::from((i64::from(p[0]) - i64::from(q[0])).unsigned_abs());
            let dy = u128::from((i64::from(p[1]) - i64::from(q[1])).unsigned_abs());
            let d = dx * dx + dy * dy;
            if d < best.0 {
                best = (d, i, j);
            }
        }
    }
    (best.1, best.2)
}

/// The polygon Ultralytics reports for a mask: its outer contours, merged when there are several.
pub fn mask_polygon(mask: &[u8], width: usize, height: usize) -> Vec<Point> {
    let parts = external_contours(mask, width, height);
    merge_parts(&parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rectangle_corners_in_opencv_order() {
        let mut m = vec![0u8; 5 * 6];
        for y in 1..4 {
            for x in 1..5 {
                m[y * 6 + x] = 1;
            }
        }
        assert_eq!(external_contours(&m, 6, 5), vec![vec![[1, 1], [1, 3], [4, 3], [4, 1]]]);
    }

    #[test]
    fn lone_pixel_and_empty() {
        assert_eq!(external_contours(&[0, 0, 0, 1], 2, 2), vec![vec![[1, 1]]]);
        assert!(external_contours(&[0; 4], 2, 2).is_empty());
        assert!(mask_polygon(&[0; 4], 2, 2).is_empty());
    }
}
