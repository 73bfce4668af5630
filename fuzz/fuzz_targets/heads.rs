//! The detection heads over arbitrary output tensors: a `ModelInfo` for each task (detect,
//! segment, pose, obb; dense or end2end; few or many classes, odd `kpt_shape`s) and outputs whose
//! shapes are right, slightly wrong or arbitrary, holding arbitrary floats (NaN, ±inf, huge,
//! subnormal). `Head::new` must refuse what does not fit with a typed error, and `predictions`
//! (decode, NMS, rotated NMS, masks, contours, back-mapping) must not panic on what it accepts.
//! The classifier's `top_k` reads the first output too.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use yolo_wasm::model::{ModelInfo, Output, Task};
use yolo_wasm::pipeline::classify::{top_k, TOP_K};
use yolo_wasm::pipeline::heads::Head;
use yolo_wasm::pipeline::mapping::BoxMap;
use yolo_wasm::pipeline::preprocess::Letterbox;
use yolo_wasm::pipeline::rotated::{probiou, RotatedBox};
use yolo_wasm::PredictOptions;

/// Most values generated for one output (more are declared by the shape only).
const MAX_VALUES: usize = 1 << 16;

/// A float: mostly score-like (0..1) or coordinate-like (0..~380), sometimes special.
fn value(u: &mut Unstructured) -> arbitrary::Result<f32> {
    let tag = u8::arbitrary(u)?;
    Ok(match tag {
        0..=127 => tag as f32 / 127.0,
        128..=239 => (tag - 128) as f32 * 3.4,
        240 => f32::NAN,
        241 => f32::INFINITY,
        242 => f32::NEG_INFINITY,
        243 => 1e30,
        244 => -1e30,
        245 => f32::MAX,
        246 => f32::MIN,
        247 => -0.0,
        248 => f32::from_bits(1),
        249 => -1.0,
        250 => -300.0,
        _ => f32::from_bits(u32::arbitrary(u)?),
    })
}

fn values(u: &mut Unstructured, n: usize) -> arbitrary::Result<Vec<f32>> {
    (0..n).map(|_| value(u)).collect()
}

/// A shape's volume, when it is small enough to fill.
fn fillable(shape: &[usize]) -> Option<usize> {
    shape.iter().try_fold(1usize, |v, &d| v.checked_mul(d)).filter(|&v| v <= MAX_VALUES)
}

fn output(u: &mut Unstructured, shape: Vec<usize>) -> arbitrary::Result<Output> {
    // Mostly as many values as the shape says; sometimes a wrong count.
    let n = match (fillable(&shape), u8::arbitrary(u)? % 8) {
        (Some(n), 0) => n.saturating_sub(1),
        (Some(n), 1) => n + 1,
        (Some(n), _) => n,
        (None, _) => u.int_in_range(0..=64)?,
    };
    Ok(Output { shape, data: values(u, n)? })
}

fn run(u: &mut Unstructured) -> arbitrary::Result<()> {
    let task = *u.choose(&[Task::Detect, Task::Segment, Task::Pose, Task::Obb, Task::Classify])?;
    let end2end = bool::arbitrary(u)?;
    // Class ids: 1..=8 consecutive, or a sparse set up to u32::MAX.
    let names: BTreeMap<u32, String> = if bool::arbitrary(u)? {
        (0..u.int_in_range(1..=8u32)?).map(|i| (i, format!("c{i}"))).collect()
    } else {
        let ids: Vec<u32> = u.arbitrary()?;
        let mut m: BTreeMap<u32, String> = ids.into_iter().take(8).map(|i| (i, String::new())).collect();
        m.entry(*u.choose(&[0u32, 3, 79, 999, u32::MAX])?).or_default();
        m
    };
    let kpt_shape = match task {
        Task::Pose => Some([*u.choose(&[1u32, 2, 17, 0, 5000])?, *u.choose(&[2u32, 3, 0, 1, 4])?]),
        _ => None,
    };
    let s = *u.choose(&[32u32, 64, 96, 160, 256])?;
    let info = ModelInfo {
        task,
        names,
        imgsz: [s, s],
        stride: 32,
        end2end,
        dynamic: bool::arbitrary(u)?,
        batch: 1,
        channels: 3,
        kpt_shape,
        ultralytics_version: None,
        description: None,
    };
    let nc = info.num_classes();
    let nm = u.int_in_range(1..=16usize)?;
    let extras = match task {
        Task::Segment => nm,
        Task::Pose => kpt_shape.map_or(0, |[k, d]| k as usize * d as usize),
        Task::Obb => 1,
        _ => 0,
    };
    let features = if end2end { 6 + extras } else { 4usize.saturating_add(nc).saturating_add(extras) };

    let mut outputs = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let shape = match u8::arbitrary(u)? % 5 {
            // The prediction table, either orientation, sometimes a feature off.
            0 | 1 => {
                let f = match u8::arbitrary(u)? % 6 {
                    0 => features.saturating_add(1),
                    1 => features.saturating_sub(1),
                    _ => features,
                };
                let rows = u.int_in_range(0..=(MAX_VALUES / f.max(1)).clamp(1, 600))?;
                if bool::arbitrary(u)? {
                    vec![1, f, rows]
                } else {
                    vec![1, rows, f]
                }
            }
            // Prototype masks (a quarter of the input, or anything small).
            2 => {
                let (mh, mw) = if bool::arbitrary(u)? {
                    ((s / 4) as usize, (s / 4) as usize)
                } else {
                    (u.int_in_range(0..=48)?, u.int_in_range(0..=48)?)
                };
                vec![if bool::arbitrary(u)? { 1 } else { 2 }, nm, mh, mw]
            }
            // A classifier's output.
            3 => match bool::arbitrary(u)? {
                true => vec![1, nc],
                false => vec![1, nc, 1, 1],
            },
            // Anything: any rank, dimensions up to usize::MAX.
            _ => {
                let dims: Vec<u64> = u.arbitrary()?;
                dims.into_iter().take(5).map(|d| d as usize).collect()
            }
        };
        outputs.push(output(u, shape)?);
    }

    let (orig_h, orig_w) = (u.int_in_range(1..=16_384u32)?, u.int_in_range(1..=16_384u32)?);
    let auto = info.dynamic;
    let lb = Letterbox::new(orig_h, orig_w, (s, s), auto, info.stride);
    let map = BoxMap::new(&lb, orig_h, orig_w);
    let opts = PredictOptions {
        imgsz: s,
        conf: *u.choose(&[0.01f32, 0.1, 0.25, 0.5, 0.9, 1.0])?,
        iou: *u.choose(&[0.0f32, 0.3, 0.45, 0.7, 0.95])?,
    };

    if let Some(first) = outputs.first() {
        if let Ok(top) = top_k(first, nc) {
            assert!(top.len() <= TOP_K && top.len() <= nc);
            assert!(top.iter().all(|&(c, _)| (c as usize) < nc));
        }
    }
    match Head::new(&info, &outputs) {
        Ok(head) => {
            assert_ne!(task, Task::Classify);
            let input = (lb.input_h as usize, lb.input_w as usize);
            if let Ok(preds) = head.predictions(&map, input, &opts) {
                assert!(preds.len() <= yolo_wasm::options::MAX_DET, "{} predictions", preds.len());
                let _ = serde_json::to_string(&preds).expect("predictions serialise");
            }
        }
        Err(e) => assert_eq!(e.code(), yolo_wasm::Code::UnsupportedModel, "{e}"),
    }

    // Rotated IoU on arbitrary boxes.
    let a = RotatedBox::new([value(u)?, value(u)?, value(u)?, value(u)?], value(u)?);
    let b = RotatedBox::new([value(u)?, value(u)?, value(u)?, value(u)?], value(u)?);
    let _ = (probiou(&a, &b), a.corners());
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
