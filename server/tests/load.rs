//! A bounded loopback load test of the real `yolo-wasm serve` binary: clients posting images as
//! fast as they can, plus header tricklers, stalled uploads and idle sockets, while a prober
//! times `GET /health` and the server's resident memory is read from `/proc`.
//!
//! This is a load test, not a unit test: it reports latencies and asserts only that the server
//! stays up, that every answer is 200/429/503/504 (408 for the stalled uploads) with a JSON body,
//! that `/health` answered every probe within 2 s, and that peak RSS stays under a ceiling.
//! `make test` runs its smallest configuration (4 clients for 3 s); `make loadtest` runs 32
//! clients for 60 s and decompression bombs (`LOADTEST_*` variables below).

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `VmRSS` and `VmHWM` of a process, in MiB.
fn memory_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = |key: &str| {
        status.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
    };
    (kb("VmRSS:").unwrap_or(0.0) / 1024.0, kb("VmHWM:").unwrap_or(0.0) / 1024.0)
}

struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Served {
    let model = fixture("models/yolo11n-shapes.onnx");
    let mut child = Command::new(env!("CARGO_BIN_EXE_yolo-wasm"))
        .arg("serve")
        .arg("--model")
        .arg(&model)
        .args(["--host", "127.0.0.1", "--port", "0"])
        .args(args)
        .env("YOLO_WASM_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn yolo-wasm serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("yolo-wasm serve: listening on ").expect("address line").to_string();
    Served { child, url }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn post_image(url: &str, name: &str, bytes: Vec<u8>) -> (u16, serde_json::Value) {
    let f = form(None, Some((name, bytes, "image/png")), &[]);
    let res = client().post(url).multipart(f).timeout(Duration::from_secs(120)).send().await.expect("request");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {text}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_with_tricklers_and_idle_sockets() {
    let clients = env("LOADTEST_CLIENTS", 4);
    let seconds = env("LOADTEST_SECONDS", 3);
    let tricklers = env("LOADTEST_TRICKLERS", 1);
    let idle = env("LOADTEST_IDLE", 1);
    let bombs = env("LOADTEST_BOMBS", 0);
    let ceiling_mb = env("LOADTEST_RSS_CEILING_MB", 1024) as f64;
    let server = serve(&[
        "--concurrency",
        "2",
        "--queue",
        "8",
        "--header-timeout-s",
        "2",
        "--body-timeout-s",
        "2",
        "--timeout-s",
        "30",
    ]);
    let pid = server.child.id();
    let url = server.url.clone();
    let (rss0, _) = memory_mb(pid);

    // Per-request peak memory: the largest accepted image, then bombs (before the load).
    let mut memory_notes = Vec::new();
    if bombs > 0 {
        let big = tokio::task::spawn_blocking(|| png_bomb(7000, 7000)).await.unwrap();
        let (status, body) = post_image(&url, "big.png", big).await;
        assert_eq!(status, 200, "{body}");
        memory_notes
            .push(format!("after one 7000×7000 RGBA PNG (49 Mpx, accepted): VmHWM {:.0} MiB", memory_mb(pid).1));
        let bomb = tokio::task::spawn_blocking(|| png_bomb(16384, 16384)).await.unwrap();
        let bomb_kb = bomb.len() / 1024;
        for _ in 0..bombs {
            let (status, body) = post_image(&url, "bomb.png", bomb.clone()).await;
            assert_eq!((status, body["code"].as_str()), (413, Some("image_too_large")), "{body}");
        }
        memory_notes.push(format!(
            "after {bombs} × 16384×16384 RGBA PNG bombs ({bomb_kb} KiB each, refused): VmHWM {:.0} MiB",
            memory_mb(pid).1
        ));
    }

    let image = fixture_bytes("images/landscape-800x450.png");
    let end = Instant::now() + Duration::from_secs(seconds);
    let statuses: Arc<Mutex<BTreeMap<u16, u64>>> = Arc::default();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (url, image, statuses) = (url.clone(), image.clone(), statuses.clone());
        tasks.push(tokio::spawn(async move {
            let http = client();
            while Instant::now() < end {
                let f = form(None, Some(("landscape.png", image.clone(), "image/png")), &[]);
                let res = http.post(&url).multipart(f).timeout(Duration::from_secs(60)).send().await.expect("answer");
                let status = res.status().as_u16();
                let text = res.text().await.expect("body");
                let json: serde_json::Value =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {text}"));
                assert!([200, 429, 503, 504].contains(&status), "{status}: {json}");
                *statuses.lock().unwrap().entry(status).or_default() += 1;
            }
        }));
    }
    let addr = url.trim_start_matches("http://").to_string();
    let cut = Arc::new(Mutex::new(0u64));
    for _ in 0..tricklers {
        // Headers at 1 byte per second.
        let (addr, cut) = (addr.clone(), cut.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                let Ok(mut c) = TcpStream::connect(&addr).await else { continue };
                let _ = c.write_all(b"GET /health HTTP/1.1\r\nx-trickle: ").await;
                while Instant::now() < end {
                    if c.write_all(b"a").await.is_err() {
                        break;
                    }
                    if let Ok(Ok(0) | Err(_)) =
                        tokio::time::timeout(Duration::from_secs(1), c.read(&mut [0u8; 64])).await
                    {
                        *cut.lock().unwrap() += 1;
                        break;
                    }
                }
            }
        }));
        // An upload stalled at half its body: 408.
        let (url, image, statuses) = (url.clone(), image.clone(), statuses.clone());
        tasks.push(tokio::spawn(async move {
            let body_len = image.len() + 200;
            while Instant::now() < end {
                let Ok(mut c) = TcpStream::connect(url.trim_start_matches("http://")).await else { continue };
                let head = format!(
                    "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: multipart/form-data; boundary=b\r\ncontent-length: {body_len}\r\n\r\n"
                );
                let _ = c.write_all(head.as_bytes()).await;
                let _ = c.write_all(&image[..image.len() / 2]).await;
                let mut answer = Vec::new();
                let _ = tokio::time::timeout(Duration::from_secs(30), c.read_to_end(&mut answer)).await;
                let text = String::from_utf8_lossy(&answer);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    assert!(head.starts_with("HTTP/1.1 408"), "{text}");
                    let json: serde_json::Value = serde_json::from_str(body).expect("JSON 408");
                    assert_eq!(json["code"], "request_timeout");
                    *statuses.lock().unwrap().entry(408).or_default() += 1;
                }
            }
        }));
    }
    let idle_closed = Arc::new(Mutex::new(0u64));
    for _ in 0..idle {
        let (addr, idle_closed) = (addr.clone(), idle_closed.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < end {
                let Ok(mut c) = TcpStream::connect(&addr).await else { continue };
                let left = end.saturating_duration_since(Instant::now());
                if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(left, c.read(&mut [0u8; 64])).await {
                    *idle_closed.lock().unwrap() += 1;
                }
            }
        }));
    }
    // Health prober and memory sampler.
    let mut health = Vec::new();
    let mut peak_rss: f64 = 0.0;
    let http = client();
    while Instant::now() < end {
        let t = Instant::now();
        let res = http.get(format!("{url}/health")).timeout(Duration::from_secs(2)).send().await;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let ok = match res {
            Ok(r) => r.status() == 200,
            Err(_) => false,
        };
        assert!(ok && ms < 2000.0, "/health did not answer within 2 s ({ms:.0} ms)");
        health.push(ms);
        peak_rss = peak_rss.max(memory_mb(pid).0);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(90), t).await.expect("task ends").expect("task");
    }
    let mut server = server;
    assert!(server.child.try_wait().unwrap().is_none(), "the server exited during the load");
    let (rss_end, hwm) = memory_mb(pid);
    health.sort_by(f64::total_cmp);
    let statuses = statuses.lock().unwrap().clone();
    let requests: u64 = statuses.values().sum();
    println!("loadtest: {clients} clients for {seconds} s, {tricklers} header trickler(s) + {tricklers} stalled upload(s), {idle} idle socket(s); --concurrency 2 --queue 8");
    println!("loadtest: {requests} answers, statuses {statuses:?}");
    println!(
        "loadtest: trickled connections cut {}, idle sockets closed {}",
        cut.lock().unwrap(),
        idle_closed.lock().unwrap()
    );
    println!(
        "loadtest: /health {} probes, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        health.len(),
        percentile(&health, 0.5),
        percentile(&health, 0.99),
        health.last().copied().unwrap_or(0.0)
    );
    println!("loadtest: RSS at start {rss0:.0} MiB, peak sampled {peak_rss:.0} MiB, at end {rss_end:.0} MiB, VmHWM {hwm:.0} MiB (ceiling {ceiling_mb:.0})");
    for note in memory_notes {
        println!("loadtest: {note}");
    }
    assert!(statuses.get(&200).is_some_and(|&n| n > 0), "no request succeeded: {statuses:?}");
    if tricklers > 0 {
        assert!(statuses.get(&408).is_some_and(|&n| n > 0), "no stalled upload got its 408: {statuses:?}");
        assert!(*cut.lock().unwrap() > 0, "no trickled header was cut");
    }
    assert!(hwm < ceiling_mb, "peak RSS {hwm:.0} MiB over the ceiling of {ceiling_mb:.0} MiB");
    let _ = server.child.kill();
}
