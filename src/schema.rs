//! The HUB Inference API response, the single source of truth of both paths.
//!
//! Fields are declared in alphabetical order so that serialisation matches the HUB server's
//! sorted-key wire order. Values are rounded to 5 decimals the way Ultralytics does
//! (`round_python` for boxes and confidences, `round_numpy` for polygon / keypoint arrays).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Decimals of every rounded float in a response (`Results.summary(decimals=5)`).
pub const DECIMALS: i32 = 5;

/// A whole response: one entry per image (or video frame), and metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// Per-image results.
    pub images: Vec<ImageResult>,
    /// Information on the call.
    pub metadata: Metadata,
}

/// Results of one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageResult {
    /// Detections (or top-5 classes), in descending confidence.
    pub results: Vec<Prediction>,
    /// Original image size `[height, width]`.
    pub shape: [u32; 2],
    /// Milliseconds per stage.
    pub speed: Speed,
}

/// Milliseconds spent per stage, rounded to 5 decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Speed {
    /// Running the network.
    pub inference: f64,
    /// Decoding, NMS, masks, back-mapping.
    pub postprocess: f64,
    /// Letterbox / crop and tensor layout.
    pub preprocess: f64,
}

/// One detection (or one class of a classification).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Box in original-image pixels; absent for classification.
    #[serde(rename = "box", default, skip_serializing_if = "Option::is_none")]
    pub bbox: Option<BoxCoords>,
    /// Class id.
    pub class: u32,
    /// Score in [0, 1].
    pub confidence: f64,
    /// Pose keypoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keypoints: Option<Keypoints>,
    /// Class name from the model's metadata.
    pub name: String,
    /// Segment polygon in original-image pixels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segments: Option<Segments>,
    /// Track ID, on tracked results only (Ultralytics' `track_id`; see [`crate::track`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_id: Option<u64>,
}

/// A box: four corners for OBB, two for axis-aligned boxes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BoxCoords {
    /// Oriented box corners in Ultralytics' order.
    Obb(ObbBox),
    /// Axis-aligned `x1,y1` (top-left) and `x2,y2` (bottom-right).
    Rect(RectBox),
}

/// Axis-aligned box.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RectBox {
    /// Left.
    pub x1: f64,
    /// Right.
    pub x2: f64,
    /// Top.
    pub y1: f64,
    /// Bottom.
    pub y2: f64,
}

/// Oriented box: four corners.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)]
pub struct ObbBox {
    pub x1: f64,
    pub x2: f64,
    pub x3: f64,
    pub x4: f64,
    pub y1: f64,
    pub y2: f64,
    pub y3: f64,
    pub y4: f64,
}

impl ObbBox {
    /// The box of four corners `[[x, y]; 4]`, in Ultralytics' corner order.
    pub fn from_corners(c: [[f64; 2]; 4]) -> Self {
        ObbBox {
            x1: c[0][0],
            x2: c[1][0],
            x3: c[2][0],
            x4: c[3][0],
            y1: c[0][1],
            y2: c[1][1],
            y3: c[2][1],
            y4: c[3][1],
        }
    }
}

/// A polygon as parallel coordinate arrays.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Segments {
    /// X coordinates.
    pub x: Vec<f64>,
    /// Y coordinates.
    pub y: Vec<f64>,
}

/// Keypoints as parallel arrays; `visible` only for 3-dim keypoints.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Keypoints {
    /// Per-keypoint confidence in [0, 1] (not a COCO 0/1/2 flag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<Vec<f64>>,
    /// X coordinates.
    pub x: Vec<f64>,
    /// Y coordinates.
    pub y: Vec<f64>,
}

/// Call metadata. The HUB server fills `functionTime*`; local runs fill `task`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Seconds since the serving process started (HUB servers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_time_alive: Option<f64>,
    /// Seconds this call took (HUB servers only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_time_call: Option<f64>,
    /// Number of entries in `images`.
    pub image_count: u32,
    /// Model identifier (HUB model URL, or the local model's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Task of the model (`detect`, `segment`, `pose`, `obb`, `classify`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<String>,
    /// Versions of the software that produced the response.
    #[serde(default)]
    pub version: BTreeMap<String, String>,
}

/// Python's `round(x, 5)`: correctly rounded from the exact binary value, ties to even.
pub fn round_python(x: f64) -> f64 {
    if !x.is_finite() {
        return x;
    }
    // Rust's fixed-precision formatting is exact (it rounds the exact binary expansion), which is
    // what CPython's `round` does through its correctly-rounded dtoa.
    format!("{:.*}", DECIMALS as usize, x).parse().unwrap_or(x)
}

/// NumPy's `ndarray.round(5)` on float64: `rint(x * 1e5) / 1e5` (half to even).
pub fn round_numpy(x: f64) -> f64 {
    let scale = 10f64.powi(DECIMALS);
    (x * scale).round_ties_even() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_round_matches_cpython() {
        // Values checked with CPython 3.11: round(2.675, 2) == 2.67 analogues at 5 decimals.
        assert_eq!(round_python(0.123456), 0.12346);
        assert_eq!(round_python(2.000005), 2.0); // CPython: round(2.000005, 5) == 2.0
        assert_eq!(round_python(1.000005), 1.00001); // CPython: round(1.000005, 5) == 1.00001
        assert_eq!(round_python(-3.3333333), -3.33333);
    }

    #[test]
    fn numpy_round_is_half_even_on_scaled_value() {
        // Values from NumPy 2.4: np.round(v, 5).
        assert_eq!(round_numpy(0.000025), 0.00002);
        assert_eq!(round_numpy(0.000035), 0.00003); // 0.000035 * 1e5 == 3.4999999999999996
        assert_eq!(round_numpy(0.000125), 0.00012);
        assert_eq!(round_numpy(12.3456789), 12.34568);
        assert_eq!(round_numpy(1.000005), 1.0); // while Python's round gives 1.00001
    }

    #[test]
    fn hub_response_round_trips_in_sorted_key_order() {
        let json = r#"{"images":[{"results":[{"box":{"x1":745.75464,"x2":1085.06458,"y1":388.19571,"y2":772.09497},"class":8,"confidence":0.93324,"name":"no_jacket"}],"shape":[1328,1770],"speed":{"inference":687.46101,"postprocess":0.74014,"preprocess":3.17581}}],"metadata":{"functionTimeAlive":42087.042,"functionTimeCall":1.851,"imageCount":1,"model":"https://hub.ultralytics.com/models/modelid","version":{"python":"3.11.10","torch":"2.8.0+cpu","torchvision":"0.23.0+cpu","ultralytics":"8.3.189"}}}"#;
        let r: Response = serde_json::from_str(json).unwrap();
        assert!(matches!(r.images[0].results[0].bbox, Some(BoxCoords::Rect(_))));
        assert_eq!(serde_json::to_string(&r).unwrap(), json);
    }

    #[test]
    fn obb_box_parses_as_obb() {
        let json = r#"{"x1":1,"x2":2,"x3":3,"x4":4,"y1":5,"y2":6,"y3":7,"y4":8}"#;
        let b: BoxCoords = serde_json::from_str(json).unwrap();
        assert!(matches!(b, BoxCoords::Obb(_)));
    }
}
