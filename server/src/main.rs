//! `yolo-wasm`: the yolo-wasm core as a native command.
//!
//! `yolo-wasm predict --model m.onnx --image a.jpg [--imgsz 640 --conf 0.25 --iou 0.45]` prints
//! the HUB-shaped JSON on stdout: the same code path the browser package runs, so anyone can
//! check parity with Ultralytics from outside the tests.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use yolo_wasm::{Error, Pixels, PredictOptions, YoloModel};

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
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error [{}]: {e}", e.code());
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Predict { model, image, imgsz, conf, iou, pretty } => {
            let opts = PredictOptions::from_raw(imgsz, conf, iou)?;
            let bytes = std::fs::read(&model)
                .map_err(|e| Error::InvalidModel(format!("cannot read {}: {e}", model.display())))?;
            let name = model.file_name().map_or_else(|| model.display().to_string(), |n| n.to_string_lossy().into());
            let yolo = YoloModel::load(&bytes, name)?;
            let mut images = Vec::with_capacity(image.len());
            for path in &image {
                let rgb = decode_image(path)?;
                let px = Pixels::new(rgb.width(), rgb.height(), 3, rgb.as_raw())?;
                images.push(yolo.predict(&px, &opts)?);
            }
            let response = yolo.response(images);
            let json = if pretty { serde_json::to_string_pretty(&response) } else { serde_json::to_string(&response) };
            println!("{}", json.map_err(|e| Error::Inference(e.to_string()))?);
            Ok(())
        }
    }
}

/// Decodes an image file to RGB8, applying its EXIF orientation like OpenCV's `imread`.
fn decode_image(path: &std::path::Path) -> Result<image::RgbImage, Error> {
    let bad = |e: &dyn std::fmt::Display| Error::InvalidImage(format!("{}: {e}", path.display()));
    let mut decoder = image::ImageReader::open(path)
        .map_err(|e| bad(&e))?
        .with_guessed_format()
        .map_err(|e| bad(&e))?
        .into_decoder()
        .map_err(|e| bad(&e))?;
    let orientation = image::ImageDecoder::orientation(&mut decoder).map_err(|e| bad(&e))?;
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(|e| bad(&e))?;
    img.apply_orientation(orientation);
    Ok(img.into_rgb8())
}
