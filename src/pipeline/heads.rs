//! The task hooks of the one detection flow: what extra values each prediction row carries, how
//! candidates are suppressed, and what a kept row adds to its [`Prediction`].
//!
//! | task | extra values per row | suppression | adds |
//! |---|---|---|---|
//! | detect | — | greedy NMS | `box` |
//! | segment | `nm` mask coefficients | greedy NMS | `box`, `segments` (empty masks dropped) |
//! | pose | `K × D` keypoint values | greedy NMS | `box`, `keypoints` |
//! | obb | angle | rotated Fast-NMS | four-corner `box` |
//!
//! End2end exports carry the same extras after `box4, score, class` and skip suppression.

use super::contours::mask_polygon;
use super::decode::{self, Table};
use super::mapping::BoxMap;
use super::masks::{box_mask, Protos};
use super::nms::{self, Candidate};
use super::rotated::{self, RotatedBox};
use crate::error::{Error, Result};
use crate::model::{ModelInfo, Output, Task};
use crate::options::{PredictOptions, MAX_DET};
use crate::schema::{round_numpy, round_python, BoxCoords, Keypoints, ObbBox, Prediction, RectBox, Segments};

/// The per-task part of a detection-style head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extras {
    /// Plain boxes.
    Boxes,
    /// `nm` mask coefficients per row, prototypes in a second output.
    Masks {
        /// Coefficients per row.
        nm: usize,
    },
    /// `k` keypoints of `d` values (`x, y[, visibility]`) per row.
    Keypoints {
        /// Keypoints per object.
        k: usize,
        /// Values per keypoint (2 or 3).
        d: usize,
    },
    /// One angle (radians) per row.
    Angle,
}

impl Extras {
    /// Values per row after the box/score(s) columns.
    pub fn len(self) -> usize {
        match self {
            Extras::Boxes => 0,
            Extras::Masks { nm } => nm,
            Extras::Keypoints { k, d } => k * d,
            Extras::Angle => 1,
        }
    }

    /// Whether rows carry nothing besides box and score(s).
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// Where a kept row sits, with what suppression left of it.
#[derive(Debug, Clone, Copy)]
struct Kept {
    cand: Candidate,
    angle: f32,
}

/// The outputs of a detection-style model, read for one image.
pub struct Head<'a> {
    info: &'a ModelInfo,
    table: Table<'a>,
    protos: Option<Protos<'a>>,
    extras: Extras,
    /// First column of the extras.
    extra_at: usize,
}

impl<'a> Head<'a> {
    /// Interprets the raw outputs for `info`'s task; outputs that do not fit are typed errors.
    pub fn new(info: &'a ModelInfo, outputs: &'a [Output]) -> Result<Self> {
        let task = info.task.as_str();
        let table_out = outputs
            .iter()
            .find(|o| o.shape.len() == 3)
            .ok_or_else(|| Error::UnsupportedModel(format!("{task}: no output of rank 3 (predictions)")))?;
        let protos = outputs.iter().find(|o| o.shape.len() == 4).map(Protos::new).transpose()?;
        let extras = match info.task {
            Task::Detect => Extras::Boxes,
            Task::Segment => Extras::Masks {
                nm: protos
                    .as_ref()
                    .ok_or_else(|| {
                        Error::UnsupportedModel("segment: the model has no prototype-mask output (output1)".into())
                    })?
                    .nm,
            },
            Task::Pose => {
                let [k, d] =
                    info.kpt_shape.ok_or_else(|| Error::UnsupportedModel("pose: no kpt_shape in metadata".into()))?;
                if !(d == 2 || d == 3) || k == 0 {
                    return Err(Error::UnsupportedModel(format!("pose: kpt_shape [{k}, {d}] is not [K, 2|3]")));
                }
                Extras::Keypoints { k: k as usize, d: d as usize }
            }
            Task::Obb => Extras::Angle,
            Task::Classify => return Err(Error::UnsupportedModel("classify models have no detection head".into())),
        };
        let nc = info.num_classes();
        let (features, extra_at) = if info.end2end { (6 + extras.len(), 6) } else { (4 + nc + extras.len(), 4 + nc) };
        let table = Table::new(table_out, features, info.end2end, task)?;
        Ok(Head { info, table, protos, extras, extra_at })
    }

    /// Decodes, suppresses and maps back: the results of one image, best first.
    pub fn predictions(
        &self,
        map: &BoxMap,
        input_hw: (usize, usize),
        opts: &PredictOptions,
    ) -> Result<Vec<Prediction>> {
        let kept = self.select(opts)?;
        let mut out = Vec::with_capacity(kept.len());
        for k in kept {
            let segments = match self.extras {
                Extras::Masks { nm } => match self.polygon(&k.cand, nm, map, input_hw) {
                    Some(s) => Some(s),
                    None => continue, // empty mask: Ultralytics drops the detection
                },
                _ => None,
            };
            let bbox = if self.extras == Extras::Angle {
                obb_corners(map, k.cand.bbox, k.angle)
            } else {
                let [x1, y1, x2, y2] = map.rect(k.cand.bbox).map(|v| round_python(v as f64));
                BoxCoords::Rect(RectBox { x1, y1, x2, y2 })
            };
            out.push(Prediction {
                bbox: Some(bbox),
                class: k.cand.class,
                confidence: round_python(k.cand.score as f64),
                keypoints: self.keypoints(k.cand.row, map),
                name: self.info.name_of(k.cand.class),
                segments,
                track_id: None,
            });
        }
        Ok(out)
    }

    /// Candidates above `conf`, suppressed (dense heads) or taken in order (end2end heads).
    fn select(&self, opts: &PredictOptions) -> Result<Vec<Kept>> {
        let nc = self.info.num_classes();
        let t = &self.table;
        let angle = |c: &Candidate| if self.extras == Extras::Angle { t.get(c.row, self.extra_at) } else { 0.0 };
        let with_angle = |c: Candidate| Kept { angle: angle(&c), cand: c };
        if self.info.end2end {
            return Ok(decode::end2end_candidates(t, nc, opts.conf, MAX_DET)?.into_iter().map(with_angle).collect());
        }
        if self.extras == Extras::Angle {
            let cands = decode::dense_candidates(t, nc, opts.conf, false).into_iter().map(|c| (c, angle(&c))).collect();
            return Ok(rotated::fast_nms(cands, opts.iou, MAX_DET)
                .into_iter()
                .map(|(cand, angle)| Kept { cand, angle })
                .collect());
        }
        let cands = decode::dense_candidates(t, nc, opts.conf, true);
        Ok(nms::greedy(cands, opts.iou, MAX_DET).into_iter().map(with_angle).collect())
    }

    /// The extras of row `row`.
    fn extras_of(&self, row: usize) -> impl Iterator<Item = f32> + '_ {
        (0..self.extras.len()).map(move |i| self.table.get(row, self.extra_at + i))
    }

    /// Keypoints of a pose row, mapped back and clipped; `visible` only for 3-value keypoints.
    fn keypoints(&self, row: usize, map: &BoxMap) -> Option<Keypoints> {
        let Extras::Keypoints { k, d } = self.extras else { return None };
        let vals: Vec<f32> = self.extras_of(row).collect();
        let mut kp = Keypoints {
            visible: (d == 3).then(|| Vec::with_capacity(k)),
            x: Vec::with_capacity(k),
            y: Vec::with_capacity(k),
        };
        for p in vals.chunks_exact(d) {
            let [x, y] = map.point([p[0], p[1]]);
            kp.x.push(round_numpy(x as f64));
            kp.y.push(round_numpy(y as f64));
            if let Some(v) = kp.visible.as_mut() {
                v.push(round_numpy(p[2] as f64));
            }
        }
        Some(kp)
    }

    /// The polygon of a segment row, mapped back; `None` when its mask is empty.
    fn polygon(&self, cand: &Candidate, nm: usize, map: &BoxMap, (ih, iw): (usize, usize)) -> Option<Segments> {
        let protos = self.protos.as_ref()?;
        let coeffs: Vec<f32> = self.extras_of(cand.row).take(nm).collect();
        let mask = box_mask(protos, &coeffs, cand.bbox, ih, iw);
        if mask.is_empty() {
            return None;
        }
        let pts = mask_polygon(&mask.bits, mask.width, mask.height);
        let mut seg = Segments { x: Vec::with_capacity(pts.len()), y: Vec::with_capacity(pts.len()) };
        for p in pts {
            let [x, y] = map.point([(p[0] as usize + mask.x0) as f32, (p[1] as usize + mask.y0) as f32]);
            seg.x.push(round_numpy(x as f64));
            seg.y.push(round_numpy(y as f64));
        }
        Some(seg)
    }
}

/// Corners of an oriented box given in input pixels, mapped back (not clipped).
fn obb_corners(map: &BoxMap, xywh: [f32; 4], angle: f32) -> BoxCoords {
    let c = RotatedBox::new(map.xywh(xywh), angle).corners().map(|p| p.map(|v| round_python(v as f64)));
    BoxCoords::Obb(ObbBox::from_corners(c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::preprocess::Letterbox;
    use std::collections::BTreeMap;

    fn info(task: &str, extra: &[(&str, &str)]) -> ModelInfo {
        let mut props: BTreeMap<String, String> =
            [("task", task), ("names", "{0: 'a'}"), ("imgsz", "[64, 64]")].map(|(k, v)| (k.into(), v.into())).into();
        props.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        ModelInfo::from_props(&props, false).unwrap()
    }

    #[test]
    fn two_dim_keypoints_have_no_visible() {
        // One anchor: box, 1 class score, 2 keypoints × (x, y).
        let info = info("pose", &[("kpt_shape", "[2, 2]")]);
        let out = [Output { shape: vec![1, 9, 1], data: vec![32., 32., 10., 10., 0.9, 30., 31., 34., 35.] }];
        let map = BoxMap::new(&Letterbox::new(64, 64, (64, 64), false, 32), 64, 64);
        let preds = Head::new(&info, &out).unwrap().predictions(&map, (64, 64), &PredictOptions::default()).unwrap();
        let k = preds[0].keypoints.as_ref().unwrap();
        assert_eq!((k.x.clone(), k.y.clone(), k.visible.clone()), (vec![30.0, 34.0], vec![31.0, 35.0], None));
    }

    #[test]
    fn outputs_must_fit_the_task() {
        let seg = info("segment", &[]);
        let no_protos = [Output { shape: vec![1, 37, 4], data: vec![0.0; 148] }];
        assert!(Head::new(&seg, &no_protos).err().unwrap().to_string().contains("prototype"));
        let obb = info("obb", &[]);
        let no_angle = [Output { shape: vec![1, 5, 4], data: vec![0.0; 20] }];
        assert_eq!(Head::new(&obb, &no_angle).err().unwrap().code(), "unsupported_model");
    }
}
