//! `yolo-wasm`: the yolo-wasm core as a native command.
//!
//! `yolo-wasm predict --model m.onnx --image a.jpg [--imgsz 640 --conf 0.25 --iou 0.45 --threads N
//! --cpu-engine tract|program]` prints
//! the HUB-shaped JSON on stdout: the same code path the browser package runs, so anyone can
//! check parity with Ultralytics from outside the tests.
//!
//! `yolo-wasm serve --models DIR …` answers the HUB Inference API over HTTP; its first stdout
//! line is `yolo-wasm serve: listening on http://HOST:PORT`.

use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use yolo_wasm::model::CpuEngine;
use yolo_wasm::{Error, PredictOptions, Threads, YoloModel};
use yolo_wasm_server::serve::{self, ServeArgs, Server};

#[derive(Parser)]
#[command(name = "yolo-wasm", version, about = "Ultralytics YOLO ONNX models answering in the HUB Inference API JSON")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Predicts images with a local ONNX export and prints the HUB JSON.
    Predict {
        /// Ultralytics ONNX export.
        #[arg(long)]
        model: PathBuf,
        /// Image file(s); each becomes one entry of `images`.
        #[arg(long, required = true, num_args = 1..)]
        image: Vec<PathBuf>,
        /// Inference size, 32–1280 (static exports always use their export size).
        #[arg(long)]
        imgsz: Option<f64>,
        /// Confidence threshold, 0.01–1.0.
        #[arg(long)]
        conf: Option<f64>,
        /// NMS IoU threshold, 0.0–0.95.
        #[arg(long)]
        iou: Option<f64>,
        /// Pretty-print the JSON.
        #[arg(long)]
        pretty: bool,
        /// Inference threads (tract's multithread executor); default: every CPU. 1 = one thread.
        #[arg(long, value_name = "N")]
        threads: Option<usize>,
        /// The CPU executor: `tract` (tract's optimised plan, the default) or `program` (our own
        /// program of steps; a graph it does not cover runs on tract's plan).
        #[arg(long, value_name = "ENGINE", default_value = "tract", value_parser = serve::config::parse_cpu_engine)]
        cpu_engine: CpuEngine,
    },
    /// Serves the HUB Inference API (`POST /`, multipart) over HTTP.
    Serve(ServeArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Predict { model, image, imgsz, conf, iou, pretty, threads, cpu_engine } => {
            let opts = PredictArgs { imgsz, conf, iou, pretty, threads, cpu_engine };
            match predict(model, image, opts) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error [{}]: {e}", e.code());
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve(args) => match run_server(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("yolo-wasm serve: error: {e}");
                ExitCode::from(2)
            }
        },
    }
}

/// `predict`'s flags besides the files.
struct PredictArgs {
    imgsz: Option<f64>,
    conf: Option<f64>,
    iou: Option<f64>,
    pretty: bool,
    threads: Option<usize>,
    cpu_engine: CpuEngine,
}

fn predict(model: PathBuf, image: Vec<PathBuf>, args: PredictArgs) -> Result<(), Error> {
    let PredictArgs { imgsz, conf, iou, pretty, threads, cpu_engine } = args;
    let opts = PredictOptions::from_raw(imgsz, conf, iou)?;
    let threads = Threads::new(threads.unwrap_or_else(yolo_wasm::model::threads::available))?;
    let bytes =
        std::fs::read(&model).map_err(|e| Error::InvalidModel(format!("cannot read {}: {e}", model.display())))?;
    let name = model.file_name().map_or_else(|| model.display().to_string(), |n| n.to_string_lossy().into());
    let yolo = YoloModel::load_on(&bytes, name, cpu_engine)?.with_threads(threads);
    let mut images = Vec::with_capacity(image.len());
    for path in &image {
        let decoded = yolo_wasm_server::decode::read_image(path)?;
        images.push(yolo.predict(&decoded.pixels()?, &opts)?);
    }
    if let Some(reason) = yolo.cpu_engine_fallback() {
        eprintln!("yolo-wasm predict: note: the program does not cover this model, tract's plan ran it: {reason}");
    }
    let response = yolo.response(images);
    let json = if pretty { serde_json::to_string_pretty(&response) } else { serde_json::to_string(&response) };
    println!("{}", json.map_err(|e| Error::Inference(e.to_string()))?);
    Ok(())
}

fn run_server(args: ServeArgs) -> Result<(), String> {
    let config = args.into_config()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        serve::logging::init();
        for note in &config.notes {
            eprintln!("yolo-wasm serve: note: {note}");
        }
        let server = Server::bind(config).await?;
        let addr = server.local_addr().map_err(|e| format!("no local address: {e}"))?;
        if server.is_open() {
            eprintln!(
                "yolo-wasm serve: WARNING: no --keys: the endpoint is OPEN (no API key needed) to anyone who can reach {addr}"
            );
        }
        let mut out = std::io::stdout().lock();
        writeln!(out, "yolo-wasm serve: listening on http://{addr}").and_then(|()| out.flush()).map_err(|e| e.to_string())?;
        drop(out);
        server.run(serve::shutdown_signal()).await.map_err(|e| format!("server stopped: {e}"))
    })
}
