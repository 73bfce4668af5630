//! Which model a request uses, and the cache of loaded models.
//!
//! Shared style (`--models DIR`): the `model` form field is a HUB model URL
//! (`https://hub.ultralytics.com/models/ID`) or a bare `ID`; `ID` (`[A-Za-z0-9_.-]{1,100}`, no
//! `..`) names `DIR/ID.onnx` (an `ID` that already ends in `.onnx` is used as the file name).
//! Models load once, on first use, off the async workers, and stay cached.
//! Dedicated style (`--model FILE`): one model, loaded at start; the `model` field is ignored.

use super::errors::ApiError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use yolo_wasm::model::CpuEngine;
use yolo_wasm::Code;
use yolo_wasm::{Threads, YoloModel};

/// Prefix of HUB model URLs.
pub const HUB_MODEL_URL: &str = "https://hub.ultralytics.com/models/";
/// Longest model id.
pub const MAX_ID_LEN: usize = 100;

/// The model a request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelRef {
    /// The id: checked against a key's `models=` list, logged.
    pub id: String,
    /// What `metadata.model` reports (the `model` field as sent, or the dedicated file's name).
    pub reported: String,
}

/// How every model of a server runs its inferences.
#[derive(Debug, Clone)]
pub struct RunOn {
    /// The inference threads (a clone shares the pool).
    pub threads: Threads,
    /// The CPU executor (`--cpu-engine`).
    pub engine: CpuEngine,
}

/// Where models come from.
#[derive(Debug)]
pub enum Models {
    /// `--models DIR`: one model per request, by id, cached.
    Shared {
        /// The folder of `ID.onnx` files.
        dir: PathBuf,
        /// Loaded (or loading) models by id.
        cache: Mutex<HashMap<String, Arc<OnceCell<Arc<YoloModel>>>>>,
        /// The inference threads (one shared pool) and CPU executor every model loaded here gets.
        run: RunOn,
    },
    /// `--model FILE`: every request uses this model.
    Dedicated {
        /// The loaded model.
        model: Arc<YoloModel>,
        /// Its id (the file stem).
        id: String,
        /// Its file name, reported in `metadata.model`.
        name: String,
    },
}

/// Extracts the model id from a `model` field: a HUB model URL or a bare id.
pub fn parse_model_id(field: &str) -> Result<String, ApiError> {
    let field = field.trim();
    let id = field.strip_prefix(HUB_MODEL_URL).unwrap_or(field);
    let id = id.strip_suffix('/').unwrap_or(id);
    let valid = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.contains("..")
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !valid {
        return Err(ApiError::argument(
            "model",
            format!("must be a HUB model URL ({HUB_MODEL_URL}ID) or a model ID of 1-{MAX_ID_LEN} characters A-Z a-z 0-9 _ . - (no `..`)"),
        ));
    }
    Ok(id.strip_suffix(".onnx").unwrap_or(id).to_string())
}

/// Reads and loads an ONNX file (blocking: run it off the async workers); its inferences run on
/// `run`'s executor and threads (a clone: the pool is shared, not copied).
pub fn load_file(path: &Path, name: String, run: &RunOn) -> Result<YoloModel, yolo_wasm::Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| yolo_wasm::Error::InvalidModel(format!("cannot read {}: {e}", path.display())))?;
    Ok(YoloModel::load_on(&bytes, name, run.engine)?.with_threads(run.threads.clone()))
}

impl Models {
    /// Shared style over a folder; every model runs as `run` says.
    pub fn shared(dir: PathBuf, run: RunOn) -> Self {
        Models::Shared { dir, cache: Mutex::new(HashMap::new()), run }
    }

    /// Dedicated style: loads `path` now, to run as `run` says.
    pub async fn dedicated(path: PathBuf, run: RunOn) -> Result<Self, String> {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let id = path.file_stem().map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
        let (p, n) = (path.clone(), name.clone());
        let model = tokio::task::spawn_blocking(move || load_file(&p, n, &run))
            .await
            .map_err(|e| format!("loading {} panicked: {e}", path.display()))?
            .map_err(|e| format!("cannot load --model {}: {e}", path.display()))?;
        Ok(Models::Dedicated { model: Arc::new(model), id, name })
    }

    /// Whether requests must name a model.
    pub fn is_shared(&self) -> bool {
        matches!(self, Models::Shared { .. })
    }

    /// The model a request uses, from its `model` field.
    pub fn resolve(&self, field: Option<&str>) -> Result<ModelRef, ApiError> {
        match self {
            Models::Dedicated { id, name, .. } => Ok(ModelRef { id: id.clone(), reported: name.clone() }),
            Models::Shared { .. } => {
                let field = field.ok_or_else(|| {
                    ApiError::argument(
                        "model",
                        format!("is required: a HUB model URL ({HUB_MODEL_URL}ID) or a model ID"),
                    )
                })?;
                Ok(ModelRef { id: parse_model_id(field)?, reported: field.to_string() })
            }
        }
    }

    /// 404 unless the model exists (shared style: `DIR/ID.onnx` is a file).
    pub async fn check_exists(&self, m: &ModelRef) -> Result<(), ApiError> {
        let Models::Shared { dir, .. } = self else { return Ok(()) };
        match tokio::task::spawn_blocking({
            let path = dir.join(format!("{}.onnx", m.id));
            move || path.is_file()
        })
        .await
        {
            Ok(true) => Ok(()),
            _ => Err(ApiError::new(Code::ModelNotFound, format!("Model not found: {}", m.id))),
        }
    }

    /// The loaded model (loading and caching it on first use). Failed loads are not cached.
    pub async fn get(&self, m: &ModelRef) -> Result<Arc<YoloModel>, ApiError> {
        let (dir, cache, run) = match self {
            Models::Dedicated { model, .. } => return Ok(model.clone()),
            Models::Shared { dir, cache, run } => (dir, cache, run.clone()),
        };
        let cell = {
            let mut cache = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            cache.entry(m.id.clone()).or_default().clone()
        };
        let path = dir.join(format!("{}.onnx", m.id));
        let name = format!("{}.onnx", m.id);
        let model = cell
            .get_or_try_init(|| async move {
                match tokio::task::spawn_blocking(move || load_file(&path, name, &run)).await {
                    Ok(loaded) => loaded.map(Arc::new).map_err(ApiError::from),
                    Err(e) => Err(ApiError::new(Code::Internal, format!("model loading stopped: {e}"))),
                }
            })
            .await?;
        Ok(model.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_ids_from_urls_and_bare_ids() {
        assert_eq!(parse_model_id("https://hub.ultralytics.com/models/yolo11n-shapes").unwrap(), "yolo11n-shapes");
        assert_eq!(parse_model_id("yolo11n-shapes").unwrap(), "yolo11n-shapes");
        assert_eq!(parse_model_id("yolo11n-shapes.onnx").unwrap(), "yolo11n-shapes");
        assert_eq!(parse_model_id("Ab_9.x-Y").unwrap(), "Ab_9.x-Y");
        for bad in
            ["", "../etc/passwd", "a/b", "..", "a..b", "x?api_key=1", "https://example.com/models/x", &"a".repeat(101)]
        {
            let e = parse_model_id(bad).unwrap_err();
            assert_eq!((e.status, e.field.as_deref()), (axum::http::StatusCode::BAD_REQUEST, Some("model")), "{bad}");
        }
    }
}
