//! ByteTrack's settings, named and defaulted as in Ultralytics' `bytetrack.yaml` (8.4.190).

use crate::error::{Error, Result};

/// Settings of a [`super::Tracker`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackerOptions {
    /// First-stage threshold: detections scoring at least this are matched first (0.25).
    pub track_high_thresh: f32,
    /// Detections scoring above this (and below the high threshold) are matched second (0.1).
    pub track_low_thresh: f32,
    /// An unmatched detection starts a new track when it scores at least this (0.25).
    pub new_track_thresh: f32,
    /// Frames a lost track is kept for, to be found again (30).
    pub track_buffer: u32,
    /// Largest fused cost a first-stage match may have (0.8).
    pub match_thresh: f32,
    /// Weigh the IoU by the detection's score in the first stage (true).
    pub fuse_score: bool,
}

impl Default for TrackerOptions {
    fn default() -> Self {
        TrackerOptions {
            track_high_thresh: 0.25,
            track_low_thresh: 0.1,
            new_track_thresh: 0.25,
            track_buffer: 30,
            match_thresh: 0.8,
            fuse_score: true,
        }
    }
}

/// Raw settings as they arrive from JS or a form (`None`: the default).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[allow(missing_docs)]
pub struct RawTrackerOptions {
    pub track_high_thresh: Option<f64>,
    pub track_low_thresh: Option<f64>,
    pub new_track_thresh: Option<f64>,
    pub track_buffer: Option<f64>,
    pub match_thresh: Option<f64>,
    pub fuse_score: Option<bool>,
}

fn unit(field: &str, v: Option<f64>, default: f32) -> Result<f32> {
    match v {
        None => Ok(default),
        Some(v) if v.is_finite() && (0.0..=1.0).contains(&v) => Ok(v as f32),
        Some(v) => Err(Error::invalid_argument(field, format!("must be a number from 0 to 1, got {v}"))),
    }
}

impl TrackerOptions {
    /// Validates raw settings; every failure names the setting and its range.
    pub fn from_raw(raw: RawTrackerOptions) -> Result<Self> {
        let d = TrackerOptions::default();
        let track_buffer = match raw.track_buffer {
            None => d.track_buffer,
            Some(v) if v.fract() == 0.0 && (0.0..=100_000.0).contains(&v) => v as u32,
            Some(v) => {
                return Err(Error::invalid_argument(
                    "track_buffer",
                    format!("must be a whole number of frames from 0 to 100000, got {v}"),
                ))
            }
        };
        let opts = TrackerOptions {
            track_high_thresh: unit("track_high_thresh", raw.track_high_thresh, d.track_high_thresh)?,
            track_low_thresh: unit("track_low_thresh", raw.track_low_thresh, d.track_low_thresh)?,
            new_track_thresh: unit("new_track_thresh", raw.new_track_thresh, d.new_track_thresh)?,
            track_buffer,
            match_thresh: unit("match_thresh", raw.match_thresh, d.match_thresh)?,
            fuse_score: raw.fuse_score.unwrap_or(d.fuse_score),
        };
        if opts.track_low_thresh > opts.track_high_thresh {
            return Err(Error::invalid_argument(
                "track_low_thresh",
                format!(
                    "must not exceed track_high_thresh ({}), got {}",
                    opts.track_high_thresh, opts.track_low_thresh
                ),
            ));
        }
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_bytetrack_yaml_and_bad_values_name_their_field() {
        assert_eq!(TrackerOptions::from_raw(RawTrackerOptions::default()).unwrap(), TrackerOptions::default());
        let bad = RawTrackerOptions { match_thresh: Some(1.5), ..Default::default() };
        assert!(
            matches!(TrackerOptions::from_raw(bad), Err(Error::InvalidArgument { field, .. }) if field == "match_thresh")
        );
        let bad = RawTrackerOptions { track_buffer: Some(2.5), ..Default::default() };
        assert!(
            matches!(TrackerOptions::from_raw(bad), Err(Error::InvalidArgument { field, .. }) if field == "track_buffer")
        );
        let bad = RawTrackerOptions { track_low_thresh: Some(0.5), ..Default::default() };
        assert!(
            matches!(TrackerOptions::from_raw(bad), Err(Error::InvalidArgument { field, .. }) if field == "track_low_thresh")
        );
    }
}
