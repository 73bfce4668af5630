//! Prediction options with the HUB Inference API's defaults and ranges.
//!
//! One validation path serves every front door: JS objects (the wasm layer reads raw numbers and
//! calls [`PredictOptions::from_raw`]), the native CLI, and later the HUB client and server.

use crate::error::{Error, Result};

/// Smallest `imgsz` the HUB API accepts.
pub const IMGSZ_MIN: u32 = 32;
/// Largest `imgsz` the HUB API accepts.
pub const IMGSZ_MAX: u32 = 1280;
/// Default inference size (HUB and Ultralytics).
pub const IMGSZ_DEFAULT: u32 = 640;
/// Allowed confidence threshold range (inclusive).
pub const CONF_RANGE: (f64, f64) = (0.01, 1.0);
/// Default confidence threshold.
pub const CONF_DEFAULT: f32 = 0.25;
/// Allowed IoU threshold range (inclusive).
pub const IOU_RANGE: (f64, f64) = (0.0, 0.95);
/// Default IoU threshold (the HUB API's; plain Ultralytics uses 0.7).
pub const IOU_DEFAULT: f32 = 0.45;
/// Most detections kept per image, as Ultralytics' `max_det`.
pub const MAX_DET: usize = 300;

/// Validated options of one prediction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PredictOptions {
    /// Inference size in pixels (32–1280). Static exports always run at their export size, as
    /// Ultralytics does; dynamic exports round it up to a multiple of the model stride.
    pub imgsz: u32,
    /// Confidence threshold (0.01–1.0); a detection is kept when its score is strictly greater.
    pub conf: f32,
    /// IoU threshold of non-maximum suppression (0.0–0.95); overlap strictly greater suppresses.
    pub iou: f32,
}

impl Default for PredictOptions {
    fn default() -> Self {
        PredictOptions { imgsz: IMGSZ_DEFAULT, conf: CONF_DEFAULT, iou: IOU_DEFAULT }
    }
}

impl PredictOptions {
    /// Builds options from raw numbers as they arrive from JS, a form field or a command line;
    /// `None` means "use the default". Every failure names the field and the allowed range.
    pub fn from_raw(imgsz: Option<f64>, conf: Option<f64>, iou: Option<f64>) -> Result<Self> {
        let mut opts = PredictOptions::default();
        if let Some(v) = imgsz {
            opts.imgsz = check_imgsz(v)?;
        }
        if let Some(v) = conf {
            opts.conf = check_range("conf", v, CONF_RANGE)?;
        }
        if let Some(v) = iou {
            opts.iou = check_range("iou", v, IOU_RANGE)?;
        }
        Ok(opts)
    }

    /// Checks options built by hand against the HUB ranges.
    pub fn validate(&self) -> Result<()> {
        Self::from_raw(Some(self.imgsz as f64), Some(self.conf as f64), Some(self.iou as f64)).map(|_| ())
    }
}

fn check_imgsz(v: f64) -> Result<u32> {
    let allowed = format!("an integer from {IMGSZ_MIN} to {IMGSZ_MAX}");
    if !v.is_finite() || v.fract() != 0.0 {
        return Err(Error::invalid_argument("imgsz", format!("must be {allowed}, got {v}")));
    }
    if v < IMGSZ_MIN as f64 || v > IMGSZ_MAX as f64 {
        return Err(Error::invalid_argument("imgsz", format!("must be {allowed}, got {v}")));
    }
    Ok(v as u32)
}

/// Compares in f32, the precision the thresholds are used at, so that a value that passed once
/// (e.g. `conf = 0.01` stored as f32) passes again in [`PredictOptions::validate`].
fn check_range(field: &str, v: f64, (lo, hi): (f64, f64)) -> Result<f32> {
    let x = v as f32;
    if !v.is_finite() || x < lo as f32 || x > hi as f32 {
        return Err(Error::invalid_argument(field, format!("must be a number from {lo} to {hi}, got {v}")));
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_hub_defaults() {
        let o = PredictOptions::from_raw(None, None, None).unwrap();
        assert_eq!(o, PredictOptions { imgsz: 640, conf: 0.25, iou: 0.45 });
    }

    #[test]
    fn bounds_are_inclusive_and_stable() {
        for (imgsz, conf, iou) in [(32.0, 0.01, 0.0), (1280.0, 1.0, 0.95)] {
            let o = PredictOptions::from_raw(Some(imgsz), Some(conf), Some(iou)).unwrap();
            o.validate().unwrap();
        }
    }

    #[test]
    fn out_of_range_names_the_field() {
        for (raw, field) in [
            ((Some(31.0), None, None), "imgsz"),
            ((Some(1281.0), None, None), "imgsz"),
            ((Some(640.5), None, None), "imgsz"),
            ((None, Some(0.0), None), "conf"),
            ((None, Some(1.5), None), "conf"),
            ((None, Some(f64::NAN), None), "conf"),
            ((None, None, Some(0.96)), "iou"),
            ((None, None, Some(-0.1)), "iou"),
            ((None, None, Some(f64::INFINITY)), "iou"),
        ] {
            let err = PredictOptions::from_raw(raw.0, raw.1, raw.2).unwrap_err();
            match &err {
                Error::InvalidArgument { field: f, .. } => assert_eq!(f, field, "{err}"),
                other => panic!("unexpected {other:?}"),
            }
            assert_eq!(err.code(), "invalid_argument");
        }
    }
}
