//! API keys: the `--keys` file and the `x-api-key` check.
//!
//! File format: one key per line; empty lines and lines starting with `#` are skipped. After the
//! key, optional whitespace-separated options:
//! - `models=id1,id2`: this key may only use these models (others answer 403);
//! - `rate=N`: this key's requests per hour (overrides `--rate-limit`; `0` = unlimited).
//!
//! A presented key is compared with every configured key in constant time (no early exit, and
//! the same work whichever key matches), so response timing tells nothing about the keys.

use std::collections::HashSet;
use std::path::Path;
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// One configured key and its options.
#[derive(Debug, Clone)]
pub struct KeyEntry {
    /// The key's bytes, zero-padded to the store's width.
    padded: Vec<u8>,
    /// The key's true length.
    len: u64,
    /// Models this key may use (`None`: all).
    pub models: Option<HashSet<String>>,
    /// Requests per hour for this key (`None`: the server's `--rate-limit`).
    pub rate: Option<u32>,
    /// Line of the keys file, to name the key in messages without showing it.
    pub line: usize,
}

/// Every configured key.
#[derive(Debug, Clone, Default)]
pub struct KeyStore {
    keys: Vec<KeyEntry>,
    width: usize,
}

impl KeyStore {
    /// Reads and parses a keys file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read keys file {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("keys file {}: {e}", path.display()))
    }

    /// Parses the keys file format (see the module docs). Messages name lines, never keys.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut raw: Vec<(Vec<u8>, KeyEntry)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let key = parts.next().unwrap_or_default().as_bytes().to_vec();
            let mut entry =
                KeyEntry { padded: Vec::new(), len: key.len() as u64, models: None, rate: None, line: line_no };
            for opt in parts {
                match opt.split_once('=') {
                    Some(("models", list)) => {
                        let ids: HashSet<String> =
                            list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
                        if ids.is_empty() {
                            return Err(format!("line {line_no}: `models=` needs at least one model id"));
                        }
                        entry.models = Some(ids);
                    }
                    Some(("rate", n)) => {
                        let n = n
                            .parse()
                            .map_err(|_| format!("line {line_no}: `rate=` needs a whole number, got {n:?}"))?;
                        entry.rate = Some(n);
                    }
                    // Never echo the word itself: a second key on the line would end up in a log.
                    Some((name, _)) if name.len() <= 16 => {
                        return Err(format!("line {line_no}: unknown option `{name}=` (expected models=… or rate=…)"))
                    }
                    _ => return Err(format!("line {line_no}: unexpected word after the key (one key per line)")),
                }
            }
            if raw.iter().any(|(k, _)| *k == key) {
                return Err(format!("line {line_no}: the same key is listed twice"));
            }
            raw.push((key, entry));
        }
        if raw.is_empty() {
            return Err("no keys (one key per line; `#` starts a comment)".into());
        }
        let width = raw.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let keys = raw
            .into_iter()
            .map(|(mut k, mut e)| {
                k.resize(width, 0);
                e.padded = k;
                e
            })
            .collect();
        Ok(KeyStore { keys, width })
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The entry of key `index`.
    pub fn entry(&self, index: usize) -> Option<&KeyEntry> {
        self.keys.get(index)
    }

    /// Index of the key equal to `candidate`, comparing against every key in constant time.
    pub fn find(&self, candidate: &[u8]) -> Option<usize> {
        let mut padded = vec![0u8; self.width];
        let n = candidate.len().min(self.width);
        padded[..n].copy_from_slice(&candidate[..n]);
        let len = candidate.len() as u64;
        let mut found = subtle::Choice::from(0);
        let mut index = 0u64;
        for (i, k) in self.keys.iter().enumerate() {
            let eq = len.ct_eq(&k.len) & padded.as_slice().ct_eq(k.padded.as_slice());
            index.conditional_assign(&(i as u64), eq);
            found |= eq;
        }
        bool::from(found).then_some(index as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# keys\n\nalpha-key-0001\nbeta-key models=yolo11n-shapes,other rate=5\n  gamma rate=0  \n";

    #[test]
    fn parses_keys_and_options() {
        let s = KeyStore::parse(FILE).unwrap();
        assert_eq!(s.len(), 3);
        let beta = s.entry(s.find(b"beta-key").unwrap()).unwrap();
        assert_eq!(beta.rate, Some(5));
        assert!(beta.models.as_ref().unwrap().contains("yolo11n-shapes"));
        assert_eq!(beta.line, 4);
        assert_eq!(s.entry(s.find(b"gamma").unwrap()).unwrap().rate, Some(0));
        assert_eq!(s.find(b"alpha-key-0001"), Some(0));
    }

    #[test]
    fn rejects_near_misses() {
        let s = KeyStore::parse(FILE).unwrap();
        for bad in [&b""[..], b"alpha", b"alpha-key-00010", b"gamma\0", b"beta-key ", b"ALPHA-KEY-0001"] {
            assert_eq!(s.find(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn errors_name_lines_not_keys() {
        let e = KeyStore::parse("secret-123 colour=red").unwrap_err();
        assert!(e.contains("line 1") && e.contains("colour") && !e.contains("secret-123"), "{e}");
        let e = KeyStore::parse("k1\nsecret-123 secret-456").unwrap_err();
        assert!(e.contains("line 2") && !e.contains("secret-"), "{e}");
        let e = KeyStore::parse("secret-123\nsecret-123").unwrap_err();
        assert!(e.contains("line 2") && !e.contains("secret-123"), "{e}");
        assert!(KeyStore::parse("# nothing\n").is_err());
        assert!(KeyStore::parse("k rate=x").is_err());
    }
}
