//! Model bytes → `YoloModel::load`: ONNX protobuf decoding, Ultralytics metadata (the Python
//! literal parser), the graph's input shape, tract's analysis and optimisation for that shape,
//! and the tensor-size limit. Every input must give a model or a typed error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yolo_wasm::YoloModel;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(model) = YoloModel::load(bytes, "fuzz.onnx") {
        let info = model.info();
        let _ = serde_json::to_string(info);
        let _ = info.num_classes();
    }
});
