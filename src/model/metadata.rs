//! Ultralytics' ONNX `metadata_props` (Python-literal strings) turned into a typed [`ModelInfo`].

use super::pylit::{self, PyValue};
use crate::error::{Error, Result};
use crate::limits::MAX_MODEL_INPUT as MAX_IMGSZ;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// The five Ultralytics tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Axis-aligned boxes.
    Detect,
    /// Boxes and instance masks (polygons).
    Segment,
    /// Boxes and keypoints.
    Pose,
    /// Oriented boxes.
    Obb,
    /// Whole-image classes.
    Classify,
}

impl Task {
    /// Parses Ultralytics' task name.
    pub fn parse(name: &str) -> Option<Task> {
        Some(match name {
            "detect" => Task::Detect,
            "segment" => Task::Segment,
            "pose" => Task::Pose,
            "obb" => Task::Obb,
            "classify" => Task::Classify,
            _ => return None,
        })
    }

    /// Ultralytics' name of the task.
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Detect => "detect",
            Task::Segment => "segment",
            Task::Pose => "pose",
            Task::Obb => "obb",
            Task::Classify => "classify",
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a YOLO ONNX export says about itself (plus what its graph shows).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelInfo {
    /// Task of the model.
    pub task: Task,
    /// Class names by id (serialised with string keys, as JSON and JS objects need).
    #[serde(serialize_with = "names_with_string_keys")]
    pub names: BTreeMap<u32, String>,
    /// Export size `[h, w]`.
    pub imgsz: [u32; 2],
    /// Largest stride of the head (32 for all current YOLO models).
    pub stride: u32,
    /// Whether NMS is inside the graph (YOLO26 / `nms=True` exports).
    pub end2end: bool,
    /// Whether the input height/width are symbolic (a `dynamic=True` export).
    pub dynamic: bool,
    /// Batch size of the export.
    pub batch: u32,
    /// Input channels.
    pub channels: u32,
    /// `[keypoints, dims]` for pose models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kpt_shape: Option<[u32; 2]>,
    /// Ultralytics version that exported the model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ultralytics_version: Option<String>,
    /// Free-text description written by the exporter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Largest model stride accepted from metadata.
pub const MAX_STRIDE: u32 = 256;

fn names_with_string_keys<S: serde::Serializer>(names: &BTreeMap<u32, String>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(names.iter().map(|(k, v)| (k.to_string(), v)))
}

fn literal(props: &BTreeMap<String, String>, key: &str) -> Result<Option<PyValue>> {
    props
        .get(key)
        .map(|raw| {
            pylit::parse(raw)
                .map_err(|e| Error::NotYoloModel(format!("metadata `{key}` = {raw:?} is not a Python literal: {e}")))
        })
        .transpose()
}

fn int_field(props: &BTreeMap<String, String>, key: &str, default: u32) -> Result<u32> {
    match literal(props, key)? {
        None => Ok(default),
        Some(v) => v
            .as_i64()
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| Error::NotYoloModel(format!("metadata `{key}` must be a non-negative integer, got {v:?}"))),
    }
}

fn pair(v: &PyValue, key: &str) -> Result<[u32; 2]> {
    let bad = || Error::NotYoloModel(format!("metadata `{key}` must be a pair of integers, got {v:?}"));
    if let Some(i) = v.as_i64() {
        let i = u32::try_from(i).map_err(|_| bad())?;
        return Ok([i, i]);
    }
    match v.as_list() {
        Some([a, b]) => Ok([
            a.as_i64().and_then(|i| u32::try_from(i).ok()).ok_or_else(bad)?,
            b.as_i64().and_then(|i| u32::try_from(i).ok()).ok_or_else(bad)?,
        ]),
        _ => Err(bad()),
    }
}

impl ModelInfo {
    /// Reads the metadata an Ultralytics ONNX export carries. `dynamic` comes from the graph.
    pub fn from_props(props: &BTreeMap<String, String>, dynamic: bool) -> Result<ModelInfo> {
        let task_raw = props.get("task").ok_or_else(|| {
            Error::NotYoloModel(
                "the ONNX file has no Ultralytics metadata (`task`, `names`, `imgsz`); \
                 export it with Ultralytics (`yolo export format=onnx`)"
                    .into(),
            )
        })?;
        let task = Task::parse(task_raw.trim())
            .ok_or_else(|| Error::NotYoloModel(format!("unknown task {task_raw:?} in metadata")))?;
        let names = literal(props, "names")?.ok_or_else(|| Error::NotYoloModel("metadata has no `names`".into()))?;
        let names = names.as_int_str_map().ok_or_else(|| {
            Error::NotYoloModel(format!("metadata `names` must be a dict of id → name, got {names:?}"))
        })?;
        if names.is_empty() {
            return Err(Error::NotYoloModel("metadata `names` is empty".into()));
        }
        let imgsz = match literal(props, "imgsz")? {
            Some(v) => pair(&v, "imgsz")?,
            None => return Err(Error::NotYoloModel("metadata has no `imgsz`".into())),
        };
        if imgsz.iter().any(|&v| v == 0 || v > MAX_IMGSZ) {
            return Err(Error::NotYoloModel(format!("metadata `imgsz` must be within 1–{MAX_IMGSZ}, got {imgsz:?}")));
        }
        let args = literal(props, "args")?;
        let nms_arg = args.as_ref().and_then(|a| a.get("nms")).and_then(PyValue::as_bool).unwrap_or(false);
        let end2end = match literal(props, "end2end")? {
            Some(v) => v
                .as_bool()
                .ok_or_else(|| Error::NotYoloModel(format!("metadata `end2end` must be a bool, got {v:?}")))?,
            None => false,
        } || nms_arg;
        let kpt_shape = literal(props, "kpt_shape")?.map(|v| pair(&v, "kpt_shape")).transpose()?;
        if task == Task::Pose && kpt_shape.is_none() {
            return Err(Error::NotYoloModel("pose model without `kpt_shape` metadata".into()));
        }
        let stride = int_field(props, "stride", 32)?;
        if stride > MAX_STRIDE {
            return Err(Error::NotYoloModel(format!("metadata `stride` must be at most {MAX_STRIDE}, got {stride}")));
        }
        Ok(ModelInfo {
            task,
            names,
            imgsz,
            stride: if stride == 0 { 32 } else { stride },
            end2end,
            dynamic,
            batch: int_field(props, "batch", 1)?,
            channels: int_field(props, "channels", 3)?,
            kpt_shape,
            ultralytics_version: props.get("version").cloned(),
            description: props.get("description").cloned(),
        })
    }

    /// Name of a class id (`"class_<id>"` when the metadata has none).
    pub fn name_of(&self, class: u32) -> String {
        self.names.get(&class).cloned().unwrap_or_else(|| format!("class_{class}"))
    }

    /// Number of classes the head predicts.
    pub fn num_classes(&self) -> usize {
        self.names.keys().next_back().map_or(0, |&k| k as usize + 1).max(self.names.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn reads_a_detect_export() {
        let p = props(&[
            ("task", "detect"),
            ("names", "{0: 'circle', 1: 'square', 2: 'triangle'}"),
            ("imgsz", "[640, 640]"),
            ("stride", "32"),
            ("batch", "1"),
            ("args", "{'batch': 1, 'dynamic': False, 'nms': False}"),
            ("end2end", "False"),
        ]);
        let info = ModelInfo::from_props(&p, false).unwrap();
        assert_eq!(info.task, Task::Detect);
        assert_eq!(info.num_classes(), 3);
        assert_eq!(info.imgsz, [640, 640]);
        assert!(!info.end2end);
    }

    #[test]
    fn nms_export_is_end2end() {
        let p = props(&[("task", "detect"), ("names", "{0: 'a'}"), ("imgsz", "[320, 480]"), ("args", "{'nms': True}")]);
        let info = ModelInfo::from_props(&p, false).unwrap();
        assert!(info.end2end);
        assert_eq!(info.imgsz, [320, 480]);
    }

    #[test]
    fn missing_or_bad_metadata_is_not_yolo() {
        for p in [
            props(&[]),
            props(&[("task", "detect")]),
            props(&[("task", "dance"), ("names", "{0: 'a'}"), ("imgsz", "640")]),
            props(&[("task", "detect"), ("names", "[1, 2]"), ("imgsz", "640")]),
            props(&[("task", "pose"), ("names", "{0: 'a'}"), ("imgsz", "640")]),
            props(&[("task", "detect"), ("names", "{0: 'a'"), ("imgsz", "640")]),
            props(&[("task", "detect"), ("names", "{0: 'a'}"), ("imgsz", "[100000, 640]")]),
            props(&[("task", "detect"), ("names", "{0: 'a'}"), ("imgsz", "640"), ("stride", "1000000")]),
        ] {
            let err = ModelInfo::from_props(&p, false).unwrap_err();
            assert_eq!(err.code(), "not_yolo_model", "{err}");
        }
    }
}
