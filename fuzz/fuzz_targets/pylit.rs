//! The Python-literal parser of ONNX metadata on arbitrary UTF-8.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yolo_wasm::model::pylit::{self, PyValue};

fuzz_target!(|text: &str| {
    if let Ok(v) = pylit::parse(text) {
        // The accessors the metadata reader uses.
        let _ = (v.as_i64(), v.as_bool(), v.as_list().map(<[PyValue]>::len), v.as_str());
        let _ = v.get("nms");
        let _ = v.as_int_str_map();
    }
});
