//! A parser for the Python literals Ultralytics writes into ONNX metadata (`str(value)` of
//! dicts, lists, tuples, strings, numbers, booleans and `None`), the subset `ast.literal_eval`
//! accepts for those values.

use std::collections::BTreeMap;

/// A parsed Python literal.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A list or tuple.
    List(Vec<PyValue>),
    /// A dict, keys kept in their literal order.
    Dict(Vec<(PyValue, PyValue)>),
}

impl PyValue {
    /// The value as an integer (ints, and floats with no fraction).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            PyValue::Int(i) => Some(*i),
            PyValue::Float(f) if f.fract() == 0.0 && f.is_finite() => Some(*f as i64),
            PyValue::Bool(b) => Some(*b as i64),
            _ => None,
        }
    }

    /// Truthiness for `True`/`False` (and 0/1).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            PyValue::Bool(b) => Some(*b),
            PyValue::Int(i) => Some(*i != 0),
            _ => None,
        }
    }

    /// The items of a list or tuple.
    pub fn as_list(&self) -> Option<&[PyValue]> {
        match self {
            PyValue::List(v) => Some(v),
            _ => None,
        }
    }

    /// The string of a `Str`.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Looks a string key up in a dict.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(items) => items.iter().find(|(k, _)| k.as_str() == Some(key)).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A `{int: str}` dict as an ordered map (Ultralytics' `names`).
    pub fn as_int_str_map(&self) -> Option<BTreeMap<u32, String>> {
        let PyValue::Dict(items) = self else {
            return None;
        };
        items.iter().map(|(k, v)| Some((u32::try_from(k.as_i64()?).ok()?, v.as_str()?.to_string()))).collect()
    }
}

/// Parses one Python literal; the whole input must be consumed.
pub fn parse(text: &str) -> Result<PyValue, String> {
    let mut p = Parser { s: text.as_bytes(), text, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("unexpected trailing characters"));
    }
    Ok(v)
}

const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        format!("{what} at offset {}", self.i)
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, String> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.ws();
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.dict(depth),
            Some(b'[') => self.seq(b']', depth),
            Some(b'(') => self.seq(b')', depth),
            Some(b'\'') | Some(b'"') => self.string().map(PyValue::Str),
            Some(c) if c == b'-' || c == b'+' || c == b'.' || c.is_ascii_digit() => self.number(),
            Some(_) => self.word(),
        }
    }

    fn dict(&mut self, depth: usize) -> Result<PyValue, String> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.peek() == Some(b'}') {
                self.i += 1;
                return Ok(PyValue::Dict(items));
            }
            let k = self.value(depth + 1)?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err("expected ':' in dict"));
            }
            self.i += 1;
            let v = self.value(depth + 1)?;
            items.push((k, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return Err(self.err("expected ',' or '}' in dict")),
            }
        }
    }

    fn seq(&mut self, close: u8, depth: usize) -> Result<PyValue, String> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.peek() == Some(close) {
                self.i += 1;
                return Ok(PyValue::List(items));
            }
            items.push(self.value(depth + 1)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {}
                _ => return Err(self.err("expected ',' or a closing bracket")),
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.s[self.i];
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.i..];
            let Some(c) = rest.chars().next() else {
                return Err(self.err("unterminated string"));
            };
            self.i += c.len_utf8();
            match c {
                c if c as u32 == quote as u32 => return Ok(out),
                '\\' => out.push(self.escape()?),
                c => out.push(c),
            }
        }
    }

    fn escape(&mut self) -> Result<char, String> {
        let Some(c) = self.peek() else {
            return Err(self.err("unterminated escape"));
        };
        self.i += 1;
        Ok(match c {
            b'n' => '\n',
            b't' => '\t',
            b'r' => '\r',
            b'0' => '\0',
            b'\\' => '\\',
            b'\'' => '\'',
            b'"' => '"',
            b'x' => self.hex(2)?,
            b'u' => self.hex(4)?,
            b'U' => self.hex(8)?,
            _ => return Err(self.err("unsupported escape")),
        })
    }

    fn hex(&mut self, n: usize) -> Result<char, String> {
        let digits = self.text.get(self.i..self.i + n).ok_or_else(|| self.err("short hex escape"))?;
        let code = u32::from_str_radix(digits, 16).map_err(|_| self.err("bad hex escape"))?;
        self.i += n;
        char::from_u32(code).ok_or_else(|| self.err("invalid code point"))
    }

    fn number(&mut self) -> Result<PyValue, String> {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'+' | b'_') {
                self.i += 1;
            } else {
                break;
            }
        }
        let raw: String = self.text[start..self.i].chars().filter(|&c| c != '_').collect();
        if let Ok(i) = raw.parse::<i64>() {
            return Ok(PyValue::Int(i));
        }
        match raw.trim_start_matches(['+', '-']) {
            "inf" | "nan" => {}
            s if s.chars().any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') => {
                return Err(format!("invalid number `{raw}` at offset {start}"));
            }
            _ => {}
        }
        raw.parse::<f64>().map(PyValue::Float).map_err(|_| format!("invalid number `{raw}` at offset {start}"))
    }

    fn word(&mut self) -> Result<PyValue, String> {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
            self.i += 1;
        }
        match &self.text[start..self.i] {
            "None" => Ok(PyValue::None),
            "True" => Ok(PyValue::Bool(true)),
            "False" => Ok(PyValue::Bool(false)),
            "" => Err(self.err("unexpected character")),
            w => Err(format!("unsupported name `{w}` at offset {start}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ultralytics_metadata_values() {
        let names = parse("{0: 'person', 1: \"it's\", 2: 'a\\\\b'}").unwrap();
        let m = names.as_int_str_map().unwrap();
        assert_eq!(m[&0], "person");
        assert_eq!(m[&1], "it's");
        assert_eq!(m[&2], "a\\b");
        assert_eq!(parse("[640, 640]").unwrap(), PyValue::List(vec![PyValue::Int(640), PyValue::Int(640)]));
        assert_eq!(parse("(17, 3)").unwrap().as_list().unwrap().len(), 2);
        assert_eq!(parse("True").unwrap(), PyValue::Bool(true));
        let args = parse("{'batch': 1, 'dynamic': False, 'half': False, 'opset': None, 'nms': False, 'fraction': 1.0}")
            .unwrap();
        assert_eq!(args.get("dynamic"), Some(&PyValue::Bool(false)));
        assert_eq!(args.get("fraction"), Some(&PyValue::Float(1.0)));
        assert_eq!(parse("-1.5e-3").unwrap(), PyValue::Float(-1.5e-3));
        assert_eq!(parse("{'k': 'é'}").unwrap().get("k").unwrap().as_str(), Some("é"));
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["{0: 'a'", "[1, 2", "'abc", "__import__('os')", "{0 'a'}", "1 2", "", "[[[[", "12abc"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(&deep).is_err());
    }
}
