//! The `--keys` file parser and the constant-time key lookup: the input is the file, then a NUL
//! byte and a presented key (`x-api-key`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use yolo_wasm_server::serve::keys::KeyStore;

fuzz_target!(|data: &[u8]| {
    let (file, candidate) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let file = String::from_utf8_lossy(file);
    if let Ok(store) = KeyStore::parse(&file) {
        assert!(!store.is_empty());
        if let Some(i) = store.find(candidate) {
            assert!(store.entry(i).is_some());
        }
        // Every configured key finds itself.
        for line in file.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let key = line.split_whitespace().next().unwrap_or_default();
            let i = store.find(key.as_bytes()).expect("a configured key is found");
            assert!(store.entry(i).is_some());
        }
    }
});
