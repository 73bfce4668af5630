//! `--static PREFIX=DIR` mounts (e.g. the demo page, the wasm package and the fixtures), served
//! with tower-http's `ServeDir`, with `.wasm` as `application/wasm` and `.js`/`.mjs` as
//! JavaScript whatever the platform's MIME table says. With `--cross-origin-isolation` every file
//! also carries the headers that make a page cross-origin isolated (COOP `same-origin`, COEP
//! `require-corp`, CORP `same-origin`): `SharedArrayBuffer` then exists and the package's threaded
//! build runs (`make demo` turns it on).

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::ServeDir;

/// Paths a mount may not take (the API's own).
const RESERVED: [&str; 2] = ["/predict", "/health"];

/// One `--static` mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// URL prefix, `/name` (no trailing slash).
    pub prefix: String,
    /// Folder served under it.
    pub dir: PathBuf,
}

impl std::str::FromStr for Mount {
    type Err = String;

    /// Parses `PREFIX=DIR`; the folder must exist.
    fn from_str(s: &str) -> Result<Self, String> {
        let (prefix, dir) = s.split_once('=').ok_or_else(|| format!("--static {s:?}: expected PREFIX=DIR"))?;
        let prefix = format!("/{}", prefix.trim().trim_matches('/'));
        let plain = prefix.len() > 1
            && prefix[1..].split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            });
        if !plain || RESERVED.contains(&prefix.as_str()) {
            return Err(format!(
                "--static {s:?}: PREFIX must be a path like /www (letters, digits, - _ .), not / nor {}",
                RESERVED.join(" nor ")
            ));
        }
        let dir = PathBuf::from(dir.trim());
        if !dir.is_dir() {
            return Err(format!("--static {s:?}: {} is not a folder", dir.display()));
        }
        Ok(Mount { prefix, dir })
    }
}

/// The JavaScript / wasm content type of a path, when the extension needs one fixed.
pub fn content_type_for(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "wasm" => Some("application/wasm"),
        "js" | "mjs" => Some("text/javascript; charset=utf-8"),
        _ => None,
    }
}

/// The headers `--cross-origin-isolation` adds to every static file.
pub const ISOLATION_HEADERS: [(&str, &str); 3] = [
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-embedder-policy", "require-corp"),
    ("cross-origin-resource-policy", "same-origin"),
];

/// What the mounts' middleware needs.
struct FixUp {
    prefixes: Vec<String>,
    isolate: bool,
}

/// Middleware of the mounts: `/prefix` → `/prefix/` (so relative links work), fixed types, and
/// the isolation headers when asked for.
async fn fix_up(State(fix): State<Arc<FixUp>>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if fix.prefixes.contains(&path) {
        return Redirect::permanent(&format!("{path}/")).into_response();
    }
    let mut response = next.run(request).await;
    if response.status().is_success() {
        if let Some(ct) = content_type_for(&path) {
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
    }
    if fix.isolate {
        for (name, value) in ISOLATION_HEADERS {
            response.headers_mut().insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// A router serving every mount; `isolate`: with the cross-origin isolation headers.
pub fn router(mounts: &[Mount], isolate: bool) -> Router {
    let mut router = Router::new();
    for m in mounts {
        router = router.nest_service(&m.prefix, ServeDir::new(&m.dir));
    }
    let fix = Arc::new(FixUp { prefixes: mounts.iter().map(|m| m.prefix.clone()).collect(), isolate });
    router.layer(axum::middleware::from_fn_with_state(fix, fix_up))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mounts() {
        let here = env!("CARGO_MANIFEST_DIR");
        let m: Mount = format!("/www/={here}").parse().unwrap();
        assert_eq!(m.prefix, "/www");
        assert_eq!("tests=.".parse::<Mount>().unwrap().prefix, "/tests");
        assert_eq!("/tests/fixtures=.".parse::<Mount>().unwrap().prefix, "/tests/fixtures");
        for bad in ["/=.", "=.", "/health=.", "/predict=.", "/a/../b=.", "nodir", "/x=/definitely/not/here"] {
            assert!(bad.parse::<Mount>().is_err(), "{bad}");
        }
    }

    #[test]
    fn wasm_and_js_types() {
        assert_eq!(content_type_for("/pkg/yolo_wasm_bg.wasm"), Some("application/wasm"));
        assert_eq!(content_type_for("/pkg/yolo_wasm.js"), Some("text/javascript; charset=utf-8"));
        assert_eq!(content_type_for("/www/worker.MJS"), Some("text/javascript; charset=utf-8"));
        assert_eq!(content_type_for("/www/index.html"), None);
    }
}
