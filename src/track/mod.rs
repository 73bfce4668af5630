//! Multi-object tracking: ByteTrack with the semantics of Ultralytics' `BYTETracker` (8.4.190,
//! `bytetrack.yaml`), on the results of any box task (detect, segment, pose, OBB), shared by the
//! browser package and the endpoint.
//!
//! Per frame ([`Tracker::update`]): detections split by score into high (≥ `track_high_thresh`)
//! and low (`track_low_thresh` < score < high); confirmed and lost tracks step their Kalman
//! filters and are matched to the high detections (IoU fused with the score, `match_thresh`); the
//! tracks still unmatched to the low ones (plain IoU, 0.5); unconfirmed tracks to the remaining
//! high ones (0.7), the others are dropped; a remaining detection scoring at least
//! `new_track_thresh` starts a track; a track lost for more than `track_buffer` frames is removed;
//! tracked and lost tracks closer than IoU 0.85 are deduplicated (the younger one goes). IDs count
//! from 1 per tracker. Results gain `track_id` and the filtered box.

mod assign;
mod frame;
mod kalman;
mod options;
mod strack;

pub use options::{RawTrackerOptions, TrackerOptions};

use crate::error::Result;
use crate::schema::ImageResult;
use assign::{fuse_score, iou_cost, linear_assignment};
use strack::{State, Track};

/// Removed track IDs remembered (Ultralytics' `removed_buffer`).
const REMOVED_MEMORY: usize = 1000;
/// Tracked and lost tracks closer than this IoU distance are duplicates.
const DUPLICATE_DISTANCE: f32 = 0.15;

/// A ByteTrack tracker over consecutive frames of one video or stream.
#[derive(Debug, Clone)]
pub struct Tracker {
    options: TrackerOptions,
    frame_id: u64,
    next_id: u64,
    tracked: Vec<Track>,
    lost: Vec<Track>,
    removed: Vec<u64>,
}

/// Indices into the frame's arena of tracks.
type Ids = Vec<usize>;

impl Tracker {
    /// A tracker with these settings.
    pub fn new(options: TrackerOptions) -> Self {
        Tracker { options, frame_id: 0, next_id: 1, tracked: vec![], lost: vec![], removed: vec![] }
    }

    /// The settings.
    pub fn options(&self) -> &TrackerOptions {
        &self.options
    }

    /// Frames seen since the start or the last [`Tracker::reset`].
    pub fn frames(&self) -> u64 {
        self.frame_id
    }

    /// Forgets every track; IDs start again from 1.
    pub fn reset(&mut self) {
        *self = Tracker::new(self.options);
    }

    /// Tracks one frame: its results come back as tracked results (see the module docs).
    /// Fails only for results that have no boxes (classification), with nothing changed.
    pub fn update(&mut self, image: ImageResult) -> Result<ImageResult> {
        let dets = frame::detections(&image)?;
        Ok(self.track_frame(image, &dets))
    }

    /// Tracks consecutive frames (a video's answer), in order. Every frame is read before any is
    /// tracked, so a frame without boxes fails the call with nothing changed.
    pub fn update_all(&mut self, images: Vec<ImageResult>) -> Result<Vec<ImageResult>> {
        let dets = images.iter().map(frame::detections).collect::<Result<Vec<_>>>()?;
        Ok(images.into_iter().zip(&dets).map(|(image, d)| self.track_frame(image, d)).collect())
    }

    /// One frame's step, on its already-read detections.
    fn track_frame(&mut self, image: ImageResult, dets: &[strack::Detection]) -> ImageResult {
        self.frame_id += 1;
        let o = self.options;
        let (n_tracked, n_lost) = (self.tracked.len(), self.lost.len());
        let mut arena: Vec<Track> = self.tracked.drain(..).chain(self.lost.drain(..)).collect();
        let tracked_ids: Ids = (0..n_tracked).collect();
        let lost_ids: Ids = (n_tracked..n_tracked + n_lost).collect();
        let mut high = Ids::new();
        let mut low = Ids::new();
        for d in dets.iter().filter(|d| d.xywh[2] > 0.0 && d.xywh[3] > 0.0) {
            let list = if d.score >= o.track_high_thresh {
                &mut high
            } else if d.score > o.track_low_thresh {
                &mut low
            } else {
                continue;
            };
            list.push(arena.len());
            arena.push(Track::from_detection(d));
        }
        let (unconfirmed, confirmed): (Ids, Ids) = tracked_ids.iter().partition(|&&i| !arena[i].is_activated);
        let pool = joint(&arena, &confirmed, &lost_ids);
        for &i in &pool {
            arena[i].predict();
        }
        let (mut activated, mut refind, mut lost_now, mut removed_now) =
            (Ids::new(), Ids::new(), Ids::new(), Ids::new());

        // First association: confirmed + lost tracks with the high detections.
        let a = self.assign(&arena, &pool, &high, o.fuse_score, o.match_thresh);
        for &(t, d) in &a.matches {
            self.apply_match(&mut arena, pool[t], high[d], &mut activated, &mut refind);
        }
        // Second: the tracks still unmatched (and tracked last frame) with the low detections.
        let rest: Ids =
            a.unmatched_rows.iter().map(|&t| pool[t]).filter(|&i| arena[i].state == State::Tracked).collect();
        let unmatched: Ids = if !rest.is_empty() && !low.is_empty() {
            let b = self.assign(&arena, &rest, &low, false, 0.5);
            for &(t, d) in &b.matches {
                self.apply_match(&mut arena, rest[t], low[d], &mut activated, &mut refind);
            }
            b.unmatched_rows.iter().map(|&t| rest[t]).collect()
        } else {
            rest
        };
        for i in unmatched {
            arena[i].state = State::Lost;
            lost_now.push(i);
        }
        // Unconfirmed tracks with the high detections left; the unmatched ones are dropped.
        let left: Ids = a.unmatched_cols.iter().map(|&d| high[d]).collect();
        let new_dets: Ids = if unconfirmed.is_empty() {
            left
        } else {
            let c = self.assign(&arena, &unconfirmed, &left, o.fuse_score, 0.7);
            for &(t, d) in &c.matches {
                let det = arena[left[d]].clone();
                arena[unconfirmed[t]].update(&det, self.frame_id);
                activated.push(unconfirmed[t]);
            }
            for &t in &c.unmatched_rows {
                arena[unconfirmed[t]].state = State::Removed;
                removed_now.push(unconfirmed[t]);
            }
            c.unmatched_cols.iter().map(|&d| left[d]).collect()
        };
        // New tracks.
        for i in new_dets {
            if arena[i].score < o.new_track_thresh {
                continue;
            }
            arena[i].activate(self.next_id, self.frame_id);
            self.next_id += 1;
            activated.push(i);
        }
        // Lost for too long.
        for &i in &lost_ids {
            if self.frame_id - arena[i].frame_id > o.track_buffer as u64 {
                arena[i].state = State::Removed;
                removed_now.push(i);
            }
        }
        self.merge(arena, tracked_ids, lost_ids, activated, refind, lost_now, removed_now);
        let out: Vec<&Track> = self.tracked.iter().filter(|t| t.is_activated).collect();
        let any_unconfirmed = self.tracked.iter().any(|t| !t.is_activated);
        frame::tracked_results(image, &out, any_unconfirmed)
    }

    /// Matches `rows` (tracks) to `cols` (detections) under `thresh`.
    fn assign(&self, arena: &[Track], rows: &[usize], cols: &[usize], fuse: bool, thresh: f32) -> assign::Assignment {
        let a: Vec<&Track> = rows.iter().map(|&i| &arena[i]).collect();
        let b: Vec<&Track> = cols.iter().map(|&i| &arena[i]).collect();
        let mut cost = iou_cost(&a, &b);
        if fuse {
            fuse_score(&mut cost, &b);
        }
        linear_assignment(&cost, rows.len(), cols.len(), thresh)
    }

    /// A track matched a detection: a tracked one is updated, a lost one found again.
    fn apply_match(&self, arena: &mut [Track], track: usize, det: usize, activated: &mut Ids, refind: &mut Ids) {
        let was_tracked = arena[track].state == State::Tracked;
        let d = arena[det].clone();
        arena[track].update(&d, self.frame_id);
        if was_tracked { activated } else { refind }.push(track);
    }

    /// The end of a frame: the new tracked and lost lists (`merge_track_pools`).
    #[allow(clippy::too_many_arguments)]
    fn merge(
        &mut self,
        arena: Vec<Track>,
        tracked: Ids,
        lost: Ids,
        activated: Ids,
        refind: Ids,
        lost_now: Ids,
        removed_now: Ids,
    ) {
        let still: Ids = tracked.into_iter().filter(|&i| arena[i].state == State::Tracked).collect();
        let tracked = joint(&arena, &joint(&arena, &still, &activated), &refind);
        let mut lost = sub(&arena, &lost, tracked.iter().map(|&i| arena[i].id));
        lost.extend(lost_now);
        // Ultralytics subtracts the removed tracks known *before* this frame (this frame's removals
        // leave the lost list one frame later): kept as is for identical IDs.
        let lost = sub(&arena, &lost, self.removed.iter().copied());
        let (tracked, lost) = remove_duplicates(&arena, tracked, lost);
        self.removed.extend(removed_now.iter().map(|&i| arena[i].id));
        if self.removed.len() > REMOVED_MEMORY {
            self.removed.drain(..self.removed.len() - REMOVED_MEMORY);
        }
        let mut slots: Vec<Option<Track>> = arena.into_iter().map(Some).collect();
        self.tracked = tracked.into_iter().filter_map(|i| slots[i].take()).collect();
        self.lost = lost.into_iter().filter_map(|i| slots[i].take()).collect();
    }
}

/// `a` then the tracks of `b` whose ID is not in `a` (`joint_stracks`).
fn joint(arena: &[Track], a: &[usize], b: &[usize]) -> Ids {
    let mut out = a.to_vec();
    for &j in b {
        if !a.iter().any(|&i| arena[i].id == arena[j].id) {
            out.push(j);
        }
    }
    out
}

/// The tracks of `a` whose ID is not among `ids` (`sub_stracks`).
fn sub(arena: &[Track], a: &[usize], ids: impl Iterator<Item = u64>) -> Ids {
    let ids: std::collections::HashSet<u64> = ids.collect();
    a.iter().copied().filter(|&i| !ids.contains(&arena[i].id)).collect()
}

/// Drops, of each tracked/lost pair closer than IoU distance 0.15, the one tracked for fewer
/// frames (`remove_duplicate_stracks`; on a tie the tracked one goes).
fn remove_duplicates(arena: &[Track], a: Ids, b: Ids) -> (Ids, Ids) {
    let ta: Vec<&Track> = a.iter().map(|&i| &arena[i]).collect();
    let tb: Vec<&Track> = b.iter().map(|&i| &arena[i]).collect();
    let cost = iou_cost(&ta, &tb);
    let (mut drop_a, mut drop_b) = (vec![false; a.len()], vec![false; b.len()]);
    for (p, row) in cost.chunks(b.len().max(1)).enumerate().take(a.len()) {
        for (q, &d) in row.iter().enumerate() {
            if d < DUPLICATE_DISTANCE {
                let age_p = ta[p].frame_id - ta[p].start_frame;
                let age_q = tb[q].frame_id - tb[q].start_frame;
                if age_p > age_q {
                    drop_b[q] = true;
                } else {
                    drop_a[p] = true;
                }
            }
        }
    }
    let keep = |ids: Ids, drop: &[bool]| ids.into_iter().zip(drop).filter(|(_, &d)| !d).map(|(i, _)| i).collect();
    (keep(a, &drop_a), keep(b, &drop_b))
}
