//! One track (Ultralytics' `STrack`): a box followed by the Kalman filter, its state and ID, and
//! the box geometry the association needs. A detection is a `Track` that has no filter yet.
//!
//! Boxes are kept the way Ultralytics keeps them: the detection's `tlwh` as float32, the filter's
//! state as float64, and every box handed to an IoU cast to float32.

use super::kalman::Gaussian;
use crate::pipeline::rotated::RotatedBox;

/// Where a track is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// A detection, or a track just started on a later frame (not yet confirmed).
    New,
    /// Matched in the last frame.
    Tracked,
    /// Unmatched for fewer than `track_buffer` frames.
    Lost,
    /// Gone for good.
    Removed,
}

/// A detection as the tracker reads it: centre box (and angle for OBB), score, class and its
/// index in the frame's results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// `[cx, cy, w, h]` in image pixels.
    pub xywh: [f32; 4],
    /// OBB angle in radians (`None` for axis-aligned boxes).
    pub angle: Option<f32>,
    /// Confidence.
    pub score: f32,
    /// Class id.
    pub class: u32,
    /// Index into the frame's results.
    pub index: usize,
}

/// A track.
#[derive(Debug, Clone)]
pub struct Track {
    /// ID (0 until activated).
    pub id: u64,
    /// Life state.
    pub state: State,
    /// Confirmed: matched on two frames (or started on the first frame).
    pub is_activated: bool,
    /// The detection box `[left, top, w, h]` it was made from (used until the filter starts).
    tlwh0: [f32; 4],
    /// The filter (`None` for a detection).
    pub kalman: Option<Gaussian>,
    /// OBB angle (radians), taken from the last matched detection.
    pub angle: Option<f64>,
    /// Score of the last matched detection.
    pub score: f32,
    /// Class of the last matched detection.
    pub class: u32,
    /// Index of the last matched detection in its frame's results.
    pub index: usize,
    /// Frame of the last match.
    pub frame_id: u64,
    /// Frame it started on.
    pub start_frame: u64,
}

/// `[left, top, w, h]` → `(cx, cy, w / h, h)` in float32, as `tlwh_to_xyah` on a float32 array.
fn xyah(tlwh: [f32; 4]) -> [f64; 4] {
    let (w, h) = (tlwh[2], tlwh[3]);
    [(tlwh[0] + w / 2.0) as f64, (tlwh[1] + h / 2.0) as f64, (w / h) as f64, h as f64]
}

impl Track {
    /// A detection, not yet a track. An OBB in its short-edge form is turned to the long-edge form
    /// (width and height swapped, angle + π/2) so equal boxes give equal measurements.
    pub fn from_detection(d: &Detection) -> Self {
        let (mut xywh, mut angle) = (d.xywh, d.angle);
        if let Some(a) = angle {
            if xywh[2] < xywh[3] {
                xywh.swap(2, 3);
                angle = Some(a + std::f32::consts::FRAC_PI_2);
            }
        }
        let tlwh0 = [xywh[0] - xywh[2] / 2.0, xywh[1] - xywh[3] / 2.0, xywh[2], xywh[3]];
        Track {
            id: 0,
            state: State::New,
            is_activated: false,
            tlwh0,
            kalman: None,
            angle: angle.map(f64::from),
            score: d.score,
            class: d.class,
            index: d.index,
            frame_id: 0,
            start_frame: 0,
        }
    }

    /// `[left, top, w, h]`: the filter's state when there is one, else the detection's box.
    pub fn tlwh(&self) -> [f64; 4] {
        match &self.kalman {
            None => self.tlwh0.map(f64::from),
            Some(g) => {
                let w = g.mean[2] * g.mean[3];
                [g.mean[0] - w / 2.0, g.mean[1] - g.mean[3] / 2.0, w, g.mean[3]]
            }
        }
    }

    /// `[x1, y1, x2, y2]` as float32 (the IoU's input).
    pub fn xyxy(&self) -> [f32; 4] {
        match &self.kalman {
            // float32 arithmetic on the float32 detection box, as NumPy does.
            None => {
                let t = self.tlwh0;
                [t[0], t[1], t[0] + t[2], t[1] + t[3]]
            }
            Some(_) => {
                let t = self.tlwh();
                [t[0] as f32, t[1] as f32, (t[0] + t[2]) as f32, (t[1] + t[3]) as f32]
            }
        }
    }

    /// The oriented box (centre, size, angle) as float32, for OBB tracks.
    pub fn rotated(&self) -> Option<RotatedBox> {
        let angle = self.angle?;
        let t = self.tlwh();
        Some(RotatedBox {
            cx: (t[0] + t[2] / 2.0) as f32,
            cy: (t[1] + t[3] / 2.0) as f32,
            w: t[2] as f32,
            h: t[3] as f32,
            angle: angle as f32,
        })
    }

    /// Starts the filter and gives the track a new ID. Confirmed at once only on the first frame.
    pub fn activate(&mut self, id: u64, frame_id: u64) {
        self.id = id;
        self.kalman = Some(Gaussian::initiate(xyah(self.tlwh0)));
        self.state = State::Tracked;
        self.is_activated = frame_id == 1;
        self.frame_id = frame_id;
        self.start_frame = frame_id;
    }

    /// Corrects the track with a matched detection (a lost track is found again the same way).
    pub fn update(&mut self, det: &Track, frame_id: u64) {
        if let Some(g) = self.kalman.as_mut() {
            g.update(xyah(det.tlwh0));
        }
        self.state = State::Tracked;
        self.is_activated = true;
        self.frame_id = frame_id;
        self.score = det.score;
        self.class = det.class;
        self.index = det.index;
        if let (Some(mine), Some(new)) = (self.angle, det.angle) {
            // The half-turn form of the new angle nearest the track's, so the box never flips.
            self.angle = Some(new - std::f64::consts::PI * ((new - mine) / std::f64::consts::PI).round_ties_even());
        }
    }

    /// The motion model's step; a track that is not matched any more stops growing (`vh = 0`).
    pub fn predict(&mut self) {
        let tracked = self.state == State::Tracked;
        if let Some(g) = self.kalman.as_mut() {
            if !tracked {
                g.mean[7] = 0.0;
            }
            g.predict();
        }
    }
}
