//! The error registry (`yolo_wasm::codes`) is the only definition of the error codes: the
//! TypeScript union `YoloErrorCode` and the demo's messages must agree with it.

use std::collections::BTreeSet;
use yolo_wasm::Code;

/// Every `"snake_case"` string literal in `text`.
fn quoted_codes(text: &str) -> BTreeSet<String> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        .map(str::to_string)
        .collect()
}

fn registry() -> BTreeSet<String> {
    Code::ALL.iter().map(|c| c.as_str().to_string()).collect()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn the_typescript_union_lists_exactly_the_registry() {
    let ts = read("src/web/types.rs");
    let start = ts.find("export type YoloErrorCode =").expect("YoloErrorCode in types.rs");
    let end = start + ts[start..].find(";\n").expect("end of the union");
    let union: String = ts[start..end].lines().map(|l| l.split("//").next().unwrap_or("")).collect();
    assert_eq!(quoted_codes(&union), registry());
}

#[test]
fn the_demo_explains_only_registered_codes_and_every_common_one() {
    let ui = read("www/ui.js");
    let start = ui.find("export function describeError").expect("describeError in www/ui.js");
    let end = start + ui[start..].find("switch (e.name)").expect("the DOMException part");
    let cases: BTreeSet<String> = ui[start..end]
        .lines()
        .filter_map(|l| l.trim().strip_prefix("case \"")?.split('"').next())
        .map(str::to_string)
        .collect();
    let registry = registry();
    let unknown: Vec<_> = cases.difference(&registry).collect();
    assert!(unknown.is_empty(), "www/ui.js explains codes the registry does not have: {unknown:?}");
    for code in [Code::Internal, Code::ImageTooLarge, Code::Timeout, Code::ServerBusy, Code::RateLimited] {
        assert!(cases.contains(code.as_str()), "www/ui.js has no message for `{code}`");
    }
}

#[test]
fn every_code_has_a_status_and_a_meaning() {
    for &c in Code::ALL {
        assert!(!c.meaning().is_empty(), "{c}");
        assert!((400..600).contains(&c.status()), "{c}");
    }
}
