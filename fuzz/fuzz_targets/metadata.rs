//! `ModelInfo::from_props` on arbitrary metadata maps: every key the reader knows, each absent,
//! a well-formed literal or arbitrary text, plus arbitrary other keys.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use yolo_wasm::ModelInfo;

const KEYS: [&str; 12] = [
    "task",
    "names",
    "imgsz",
    "stride",
    "batch",
    "args",
    "end2end",
    "kpt_shape",
    "channels",
    "version",
    "description",
    "nms",
];

#[derive(Debug, Arbitrary)]
struct Input {
    /// One optional value per known key.
    known: [Option<String>; 12],
    /// Anything else.
    other: BTreeMap<String, String>,
    dynamic: bool,
}

fuzz_target!(|input: Input| {
    let mut props = input.other;
    for (key, value) in KEYS.iter().zip(input.known) {
        if let Some(v) = value {
            props.insert(key.to_string(), v);
        }
    }
    if let Ok(info) = ModelInfo::from_props(&props, input.dynamic) {
        let nc = info.num_classes();
        assert!(nc >= info.names.len());
        let _ = info.name_of(nc as u32);
        let _ = serde_json::to_string(&info).expect("ModelInfo serialises");
    }
});
