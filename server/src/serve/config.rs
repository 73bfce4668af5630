//! `yolo-wasm serve` flags and the checked configuration built from them.

use super::keys::KeyStore;
use super::static_files::Mount;
use axum::http::HeaderValue;
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;
use yolo_wasm::model::CpuEngine;

/// Default requests per hour per key in shared style (the HUB shared API's limit).
pub const SHARED_RATE_LIMIT: u32 = 100;

/// Flags of `yolo-wasm serve`.
#[derive(Debug, Clone, Parser)]
#[command(name = "serve")]
pub struct ServeArgs {
    /// Shared style: folder of ONNX models; the `model` field (HUB model URL or ID) picks `DIR/ID.onnx`.
    #[arg(long, value_name = "DIR", required_unless_present = "model")]
    pub models: Option<PathBuf>,
    /// Dedicated style: every request uses this ONNX model (the `model` field is ignored).
    #[arg(long, value_name = "FILE")]
    pub model: Option<PathBuf>,
    /// API keys file: one key per line, optionally `models=id1,id2` and `rate=N`. Without it the
    /// server is open, which is allowed only on a loopback host.
    #[arg(long, value_name = "FILE")]
    pub keys: Option<PathBuf>,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to bind (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Requests per hour per key (per IP when open); 0 = off. Default 100 in shared style, off in dedicated style.
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Largest request body in MiB (larger: 413).
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub max_body_mb: usize,
    /// Inferences running at once (default: number of CPUs).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Threads per inference slot (tract's multithread executor); default: the CPUs shared
    /// between the slots, max(1, CPUs / concurrency).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// The CPU executor: `tract` (tract's optimised plan, the default) or `program` (our own
    /// program of steps; a graph it does not cover runs on tract's plan).
    #[arg(long, value_name = "ENGINE", default_value = "tract", value_parser = parse_cpu_engine)]
    pub cpu_engine: CpuEngine,
    /// Requests allowed to wait for a free inference slot (more: 503).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub queue: usize,
    /// Seconds a request may wait for and run inference (longer: 504); 0 = no limit. Fractions allowed.
    #[arg(long, value_name = "N", default_value_t = 60.0)]
    pub timeout_s: f64,
    /// Seconds a connection may take to send a request's headers, counted from when it opens or
    /// its previous answer was sent; so also the keep-alive idle limit. 0 = none.
    #[arg(long, value_name = "N", default_value_t = 10.0)]
    pub header_timeout_s: f64,
    /// Seconds a request body may take, plus one second per KiB received (a steady upload faster
    /// than 1 KiB/s never times out), and the longest silence within it; longer: 408. 0 = none.
    #[arg(long, value_name = "N", default_value_t = 30.0)]
    pub body_timeout_s: f64,
    /// Open connections at most; more are answered 503 and closed at once.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_connections: usize,
    /// MiB of request bodies held in memory across all requests (3 bytes counted per byte
    /// received: body, form parser, file); a body that does not fit: 503.
    #[arg(long, value_name = "N", default_value_t = 512)]
    pub max_buffered_mb: usize,
    /// Allowed CORS origin (repeatable); default any origin (`*`).
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// Serve a folder under a URL prefix (repeatable), e.g. `--static /www=www`.
    #[arg(long = "static", value_name = "PREFIX=DIR")]
    pub statics: Vec<String>,
    /// Send the cross-origin isolation headers (COOP same-origin, COEP require-corp, CORP
    /// same-origin) with every static file, so pages served here may use SharedArrayBuffer and
    /// the package's threaded build. Pages then load only same-origin or CORS/CORP resources.
    #[arg(long)]
    pub cross_origin_isolation: bool,
    /// Most frames of a video upload processed (after `vid_stride`); more: 413 `video_too_large`.
    #[arg(long, value_name = "N", default_value_t = 3000)]
    pub video_max_frames: u64,
    /// Most pixels per video frame (default 3840×2160); more: 413 `video_too_large`.
    #[arg(long, value_name = "N", default_value_t = 3840 * 2160)]
    pub video_max_pixels: u64,
    /// Longest video upload in seconds; longer: 413 `video_too_large`.
    #[arg(long, value_name = "N", default_value_t = 600.0)]
    pub video_max_seconds: f64,
}

/// Where models come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// `--models DIR`.
    Shared(PathBuf),
    /// `--model FILE`.
    Dedicated(PathBuf),
}

/// A checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared or dedicated style.
    pub source: ModelSource,
    /// API keys (`None`: open).
    pub keys: Option<KeyStore>,
    /// Host to bind.
    pub host: String,
    /// Port to bind.
    pub port: u16,
    /// Requests per hour per key / IP (0 = off).
    pub rate_limit: u32,
    /// Largest body in bytes.
    pub max_body: usize,
    /// Inference slots.
    pub concurrency: usize,
    /// Threads per inference slot (1: each inference on its own thread, no pool).
    pub threads: usize,
    /// The CPU executor every model runs on.
    pub cpu_engine: CpuEngine,
    /// Queue places.
    pub queue: usize,
    /// Request timeout (`None`: none).
    pub timeout: Option<Duration>,
    /// Header-read (and keep-alive idle) timeout (`None`: none).
    pub header_timeout: Option<Duration>,
    /// Body-read timeout (`None`: none).
    pub body_timeout: Option<Duration>,
    /// Open connections at most.
    pub max_connections: usize,
    /// Bytes of request bodies held in memory at most (see [`super::budget`]).
    pub max_buffered: usize,
    /// Allowed origins (empty: any).
    pub cors_origins: Vec<HeaderValue>,
    /// Static mounts.
    pub mounts: Vec<Mount>,
    /// Static files carry the cross-origin isolation headers.
    pub cross_origin_isolation: bool,
    /// Limits of video uploads.
    pub video: crate::video::VideoLimits,
    /// Notes for the operator (e.g. an ignored flag), printed on stderr at start.
    pub notes: Vec<String>,
}

impl ServeArgs {
    /// Checks the flags and reads the keys file.
    pub fn into_config(self) -> Result<Config, String> {
        let mut notes = Vec::new();
        let source = match (self.model, self.models) {
            (Some(file), models) => {
                if !file.is_file() {
                    return Err(format!("--model {}: no such file", file.display()));
                }
                if let Some(dir) = models {
                    notes.push(format!("--model given: --models {} is not used (dedicated style)", dir.display()));
                }
                ModelSource::Dedicated(file)
            }
            (None, Some(dir)) if dir.is_dir() => ModelSource::Shared(dir),
            (None, Some(dir)) => return Err(format!("--models {}: not a folder", dir.display())),
            (None, None) => return Err("give --models DIR (shared style) or --model FILE (dedicated style)".into()),
        };
        let keys = self.keys.as_deref().map(KeyStore::load).transpose()?;
        let default_rate = match source {
            ModelSource::Shared(_) => SHARED_RATE_LIMIT,
            ModelSource::Dedicated(_) => 0,
        };
        if self.max_body_mb == 0 {
            return Err("--max-body-mb must be at least 1".into());
        }
        let cpus = yolo_wasm::model::threads::available();
        let concurrency = self.concurrency.unwrap_or(cpus);
        if concurrency == 0 {
            return Err("--concurrency must be at least 1".into());
        }
        let threads = self.threads.unwrap_or_else(|| default_threads(cpus, concurrency));
        if threads == 0 {
            return Err("--threads must be at least 1".into());
        }
        if concurrency.saturating_mul(threads) > cpus {
            notes.push(format!(
                "--concurrency {concurrency} × --threads {threads} = {} inference threads on {cpus} CPUs: \
                 busy slots will compete for the cores",
                concurrency.saturating_mul(threads)
            ));
        }
        let timeout = seconds("--timeout-s", self.timeout_s)?;
        let header_timeout = seconds("--header-timeout-s", self.header_timeout_s)?;
        let body_timeout = seconds("--body-timeout-s", self.body_timeout_s)?;
        if self.max_connections == 0 {
            return Err("--max-connections must be at least 1".into());
        }
        let max_buffered = self.max_buffered_mb.saturating_mul(1 << 20);
        if max_buffered < 3 * self.max_body_mb.saturating_mul(1 << 20) {
            return Err(format!(
                "--max-buffered-mb {} cannot hold one largest body: it must be at least 3 × --max-body-mb ({})",
                self.max_buffered_mb,
                3 * self.max_body_mb
            ));
        }
        let cors_origins = self
            .cors_origins
            .iter()
            .map(|o| HeaderValue::from_str(o.trim()).map_err(|_| format!("--cors-origin {o:?}: not a valid origin")))
            .collect::<Result<Vec<_>, _>>()?;
        let mounts = self.statics.iter().map(|s| s.parse()).collect::<Result<Vec<Mount>, _>>()?;
        if self.cross_origin_isolation && mounts.is_empty() {
            notes.push("--cross-origin-isolation without --static: there are no static files to send it with".into());
        }
        Ok(Config {
            source,
            keys,
            host: self.host,
            port: self.port,
            rate_limit: self.rate_limit.unwrap_or(default_rate),
            max_body: self.max_body_mb.saturating_mul(1 << 20),
            concurrency,
            threads,
            cpu_engine: self.cpu_engine,
            queue: self.queue,
            timeout,
            header_timeout,
            body_timeout,
            max_connections: self.max_connections,
            max_buffered,
            cors_origins,
            mounts,
            cross_origin_isolation: self.cross_origin_isolation,
            video: video_limits(self.video_max_frames, self.video_max_pixels, self.video_max_seconds)?,
            notes,
        })
    }
}

/// `--cpu-engine`'s value (shared with `predict`'s).
pub fn parse_cpu_engine(name: &str) -> Result<CpuEngine, String> {
    CpuEngine::parse(name).ok_or_else(|| format!("{name:?}: expected `tract` or `program`"))
}

/// Threads per inference slot when `--threads` is not given: the CPUs shared between the
/// slots, at least one.
pub fn default_threads(cpus: usize, concurrency: usize) -> usize {
    (cpus / concurrency.max(1)).max(1)
}

impl Config {
    /// Threads of the one inference pool every slot shares: `concurrency × threads`, or 1 (no
    /// pool) when each slot has one thread.
    pub fn pool_threads(&self) -> usize {
        if self.threads <= 1 {
            1
        } else {
            self.concurrency.saturating_mul(self.threads)
        }
    }
}

/// A flag in seconds: `None` for 0, an error for a negative or non-finite number.
fn seconds(flag: &str, value: f64) -> Result<Option<Duration>, String> {
    if !value.is_finite() || !(0.0..=1e9).contains(&value) {
        return Err(format!("{flag} must be a number of seconds ≥ 0, got {value}"));
    }
    Ok((value > 0.0).then(|| Duration::from_secs_f64(value)))
}

/// The video limits from their flags: each must be positive.
fn video_limits(max_frames: u64, max_pixels: u64, max_seconds: f64) -> Result<crate::video::VideoLimits, String> {
    if max_frames == 0 || max_pixels == 0 {
        return Err("--video-max-frames and --video-max-pixels must be at least 1".into());
    }
    if !max_seconds.is_finite() || max_seconds <= 0.0 {
        return Err(format!("--video-max-seconds must be a number of seconds > 0, got {max_seconds}"));
    }
    Ok(crate::video::VideoLimits { max_frames, max_pixels, max_seconds })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Config, String> {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        ServeArgs::try_parse_from(all).map_err(|e| e.to_string())?.into_config()
    }

    #[test]
    fn defaults_per_style() {
        let here = env!("CARGO_MANIFEST_DIR");
        let c = parse(&["--models", here]).unwrap();
        assert_eq!((c.rate_limit, c.max_body, c.queue, c.port), (100, 32 << 20, 8, 8080));
        assert_eq!(c.timeout, Some(Duration::from_secs(60)));
        assert!(c.concurrency >= 1 && c.keys.is_none() && c.cors_origins.is_empty());
        let manifest = format!("{here}/Cargo.toml");
        let c = parse(&["--model", &manifest]).unwrap();
        assert_eq!((c.rate_limit, c.source), (0, ModelSource::Dedicated(manifest.into())));
        assert_eq!(parse(&["--models", here, "--timeout-s", "0"]).unwrap().timeout, None);
        let c = parse(&["--models", here]).unwrap();
        assert_eq!((c.header_timeout, c.body_timeout), (Some(Duration::from_secs(10)), Some(Duration::from_secs(30))));
        assert_eq!((c.max_connections, c.max_buffered), (256, 512 << 20));
    }

    #[test]
    fn the_cpu_engine_is_tracts_plan_unless_asked() {
        let here = env!("CARGO_MANIFEST_DIR");
        assert_eq!(parse(&["--models", here]).unwrap().cpu_engine, CpuEngine::Tract);
        let c = parse(&["--models", here, "--cpu-engine", "program"]).unwrap();
        assert_eq!(c.cpu_engine, CpuEngine::Program);
        assert!(ServeArgs::try_parse_from(["serve", "--models", here, "--cpu-engine", "gpu"]).is_err());
    }

    #[test]
    fn threads_default_to_the_cpus_shared_between_slots() {
        assert_eq!(default_threads(2, 1), 2);
        assert_eq!(default_threads(2, 2), 1);
        assert_eq!(default_threads(8, 3), 2);
        assert_eq!(default_threads(2, 5), 1);
        assert_eq!(default_threads(1, 1), 1);
        assert_eq!(default_threads(16, 0), 16);
        let here = env!("CARGO_MANIFEST_DIR");
        let cpus = yolo_wasm::model::threads::available();
        let c = parse(&["--models", here]).unwrap();
        assert_eq!((c.concurrency, c.threads, c.pool_threads()), (cpus, 1, 1));
        let c = parse(&["--models", here, "--concurrency", "1"]).unwrap();
        assert_eq!(c.threads, cpus);
        assert_eq!(c.pool_threads(), if cpus > 1 { cpus } else { 1 });
        assert!(c.notes.is_empty(), "{:?}", c.notes);
        let c = parse(&["--models", here, "--concurrency", "2", "--threads", "3"]).unwrap();
        assert_eq!((c.threads, c.pool_threads()), (3, 6));
        let over = parse(&["--models", here, "--concurrency", "1", "--threads", &(cpus + 1).to_string()]).unwrap();
        assert!(over.notes.iter().any(|n| n.contains("compete")), "{:?}", over.notes);
        let c = parse(&["--models", here, "--concurrency", "4", "--threads", "1"]).unwrap();
        assert_eq!(c.pool_threads(), 1);
    }

    #[test]
    fn bad_flags_are_refused() {
        let here = env!("CARGO_MANIFEST_DIR");
        assert!(parse(&[]).is_err());
        assert!(parse(&["--models", "/definitely/not/here"]).is_err());
        assert!(parse(&["--models", here, "--concurrency", "0"]).is_err());
        let e = parse(&["--models", here, "--threads", "0"]).unwrap_err();
        assert!(e.contains("--threads must be at least 1"), "{e}");
        assert!(parse(&["--models", here, "--threads", "-1"]).is_err());
        assert!(parse(&["--models", here, "--max-body-mb", "0"]).is_err());
        assert!(parse(&["--models", here, "--timeout-s", "-1"]).is_err());
        assert!(parse(&["--models", here, "--header-timeout-s", "nan"]).is_err());
        assert!(parse(&["--models", here, "--max-connections", "0"]).is_err());
        assert!(parse(&["--models", here, "--max-buffered-mb", "64"]).is_err());
        assert!(parse(&["--models", here, "--static", "/=."]).is_err());
        assert!(parse(&["--models", here, "--keys", "/definitely/not/here"]).is_err());
    }
}
