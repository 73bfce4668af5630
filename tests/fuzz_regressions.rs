//! Inputs the fuzz targets (`fuzz/`, FUZZING.md) found crashing, kept as plain tests: each fails
//! on the code before its fix.

use yolo_wasm::pipeline::contours::merge_parts;

/// fuzz target `contours`, input `fuzz/artifacts/contours/crash-ba78525c…` (4 bytes): parts
/// `[[]]`. `merge_parts` indexed the first point of every part (`seg[0]`) and panicked on an
/// empty one. Empty parts are now skipped.
#[test]
fn merge_parts_skips_empty_parts() {
    assert!(merge_parts(&[vec![]]).is_empty());
    assert!(merge_parts(&[vec![], vec![]]).is_empty());
    assert_eq!(merge_parts(&[vec![], vec![[1, 2], [3, 4]]]), vec![[1, 2], [3, 4]]);
    assert_eq!(
        merge_parts(&[vec![[0, 0]], vec![], vec![[5, 5], [6, 6]]]),
        merge_parts(&[vec![[0, 0]], vec![[5, 5], [6, 6]]])
    );
}

/// Found next to the previous one (same function): the squared distance of the closest-pair search
/// was computed as `(p - q) as i64` in i32, which overflows for points far apart (a panic with
/// overflow checks, a wrapped distance and a wrong link without). Now exact over the i32 range.
#[test]
fn merge_parts_links_far_points_by_their_true_distance() {
    // From (MAX, 0): (MIN, 0) is 2^32 - 1 away, (0, 0) 2^31 - 1; the link must go to (0, 0).
    let merged = merge_parts(&[vec![[i32::MAX, 0]], vec![[i32::MIN, 0], [0, 0]]]);
    assert_eq!(merged, vec![[i32::MAX, 0], [i32::MAX, 0], [0, 0], [i32::MIN, 0], [0, 0]]);
}

/// fuzz target `model_load`, input `tests/fixtures/fuzz/model_load-tract-unknown-output.onnx`
/// (`bad-obb.onnx` with one digit of its output's name changed): a graph output no node
/// produces. tract 0.23.9 panicked ("no entry found for key", `tract-onnx/src/model.rs:187`);
/// the load now refuses it first with `invalid_model`.
#[test]
fn a_graph_output_nobody_produces_is_an_invalid_model() {
    let bytes = std::fs::read("tests/fixtures/fuzz/model_load-tract-unknown-output.onnx").unwrap();
    let err = yolo_wasm::YoloModel::load(&bytes, "fuzz.onnx").unwrap_err();
    assert_eq!(err.code(), "invalid_model", "{err}");
}

/// fuzz target `model_load`, input `tests/fixtures/fuzz/model_load-tract-short-conv-attribute.onnx`
/// (a mutated `bad-obb.onnx`, `fuzz/artifacts/model_load/crash-efb3baca…`): tract 0.23.9 indexed a
/// convolution attribute past its length ("index out of bounds: the len is 1 but the index is
/// 1", `tract-core/src/ops/cnn/padding.rs:77`) while preparing the graph. Natively the load now
/// catches tract's panic and refuses the model with `invalid_model` (in wasm the export guard
/// turns the trap into `internal`).
#[test]
fn a_convolution_attribute_tract_overruns_is_an_invalid_model() {
    let bytes = std::fs::read("tests/fixtures/fuzz/model_load-tract-short-conv-attribute.onnx").unwrap();
    let err = yolo_wasm::YoloModel::load(&bytes, "fuzz.onnx").unwrap_err();
    assert_eq!(err.code(), "invalid_model", "{err}");
    assert!(err.to_string().contains("tract failed on this graph"), "{err}");
}

/// fuzz target `png_alpha`, input `tests/fixtures/fuzz/png_alpha-png-crate-short-palette.png` (a
/// 16×16 palette PNG whose `PLTE` chunk has 197 bytes, CRCs valid): the `png` crate 0.18.1
/// panicked expanding the palette (`transform/palette.rs:74`) — in the browser build a trap that
/// poisons the module, natively a panic of the CLI and the server's decoder (the `image` crate
/// uses the same code). Both refuse it first now with `invalid_image`, as libpng does.
#[test]
fn a_palette_that_is_not_whole_rgb_entries_is_an_invalid_image() {
    let bytes = std::fs::read("tests/fixtures/fuzz/png_alpha-png-crate-short-palette.png").unwrap();
    let err = yolo_wasm::png_alpha::decode(&bytes).unwrap_err();
    assert_eq!(err.code(), "invalid_image", "{err}");
    assert!(err.to_string().contains("palette of 197 bytes"), "{err}");
}
