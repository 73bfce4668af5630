//! Video decoding for the endpoint: the `ffmpeg` and `ffprobe` programs (Debian's FFmpeg,
//! installed by `scripts/setup.sh`) driven as subprocesses, one frame at a time.
//!
//! Why a subprocess and not a libav binding (DESIGN.md "Video"): the pixels are the same — FFmpeg
//! 5.1's decode + swscale to RGB24 is bit-identical to what OpenCV's bundled FFmpeg (8.x) gives
//! Ultralytics on the fixture videos (`server/tests/video.rs`) — while a decoder fault on a hostile
//! file kills a child process instead of the server, no C headers or bindgen enter the build,
//! and the FFmpeg version is whatever the host has. The cost is a process start per video
//! (milliseconds; measured in the closing note of issue 13).
//!
//! Frames stream through a pipe: at most one decoded frame is held at a time, whatever the
//! video's length. The upload is written to a private temporary file first, because containers
//! such as MP4 keep their index at the end and need a seekable input.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use yolo_wasm::Code;

/// Limits on a video upload, each refused with `video_too_large` naming it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VideoLimits {
    /// Most frames processed (after `vid_stride`).
    pub max_frames: u64,
    /// Most pixels per frame.
    pub max_pixels: u64,
    /// Longest duration (seconds).
    pub max_seconds: f64,
}

impl Default for VideoLimits {
    fn default() -> Self {
        VideoLimits { max_frames: 3000, max_pixels: 3840 * 2160, max_seconds: 600.0 }
    }
}

/// A video error: the code (`invalid_video`, `video_too_large`, `video_not_supported`,
/// `server_error`) and a message for the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoError {
    /// Registry code.
    pub code: Code,
    /// What went wrong.
    pub message: String,
}

impl VideoError {
    fn new(code: Code, message: impl Into<String>) -> Self {
        VideoError { code, message: message.into() }
    }
}

/// What `ffprobe` reports of the first video stream.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames in the stream, when the container says (`nb_frames`).
    pub frames: Option<u64>,
    /// Duration in seconds, when known.
    pub seconds: Option<f64>,
    /// Codec name (`h264`, `mpeg4`, `gif`, …).
    pub codec: String,
}

/// Whether `ffmpeg` and `ffprobe` can be started (checked once at server start).
pub fn available() -> bool {
    ["ffmpeg", "ffprobe"].iter().all(|p| {
        Command::new(p).arg("-version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
    })
}

/// A temporary copy of the upload, deleted on drop.
#[derive(Debug)]
pub struct TempVideo {
    path: PathBuf,
}

impl TempVideo {
    /// Writes `bytes` to a new file only this process can read.
    pub fn write(bytes: &[u8]) -> Result<Self, VideoError> {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("yolo-wasm-video-{}-{n}", std::process::id()));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let io = |e: std::io::Error| VideoError::new(Code::ServerError, format!("could not buffer the video: {e}"));
        let mut f = options.open(&path).map_err(io)?;
        let video = TempVideo { path };
        f.write_all(bytes).map_err(io)?;
        Ok(video)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempVideo {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

fn first_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("no message");
    line.chars().take(300).collect()
}

fn spawn_error(program: &str, e: std::io::Error) -> VideoError {
    VideoError::new(
        Code::VideoNotSupported,
        format!("this server cannot decode video: `{program}` did not start ({e})"),
    )
}

/// Reads the first video stream's size, frame count and duration.
pub fn probe(path: &Path) -> Result<VideoInfo, VideoError> {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .arg("stream=width,height,nb_frames,duration,codec_name:stream_side_data=rotation:format=duration")
        .args(["-of", "json"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| spawn_error("ffprobe", e))?;
    let invalid = |why: String| VideoError::new(Code::InvalidVideo, format!("the file is not a readable video: {why}"));
    if !out.status.success() {
        return Err(invalid(first_line(&out.stderr)));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(|e| invalid(format!("unreadable ffprobe answer ({e})")))?;
    let stream = json["streams"].get(0).ok_or_else(|| invalid("it has no video stream".into()))?;
    let dim = |k: &str| stream[k].as_u64().and_then(|v| u32::try_from(v).ok()).filter(|&v| v > 0);
    let (Some(mut width), Some(mut height)) = (dim("width"), dim("height")) else {
        return Err(invalid("its video stream has no frame size".into()));
    };
    // FFmpeg (like OpenCV) turns frames upright by the stream's display matrix: a quarter turn
    // swaps the decoded frame's sides.
    let rotation = stream["side_data_list"].as_array().into_iter().flatten().find_map(|d| d["rotation"].as_f64());
    if rotation.is_some_and(|r| (r.abs() as i64 / 90) % 2 == 1) {
        std::mem::swap(&mut width, &mut height);
    }
    let number = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse::<f64>().ok()).filter(|v| v.is_finite());
    Ok(VideoInfo {
        width,
        height,
        frames: stream["nb_frames"].as_str().and_then(|s| s.parse().ok()),
        seconds: number(&stream["duration"]).or_else(|| number(&json["format"]["duration"])),
        codec: stream["codec_name"].as_str().unwrap_or("?").to_string(),
    })
}

/// Checks the probed video against the limits, before any frame is decoded.
pub fn check(info: &VideoInfo, stride: u32, limits: &VideoLimits) -> Result<(), VideoError> {
    let too_large = |m: String| Err(VideoError::new(Code::VideoTooLarge, m));
    let pixels = info.width as u64 * info.height as u64;
    if pixels > limits.max_pixels {
        return too_large(format!(
            "frames of {}×{} ({pixels} pixels) are over this endpoint's limit of {} pixels per frame",
            info.width, info.height, limits.max_pixels
        ));
    }
    if let Some(s) = info.seconds.filter(|&s| s > limits.max_seconds) {
        return too_large(format!("the video lasts {s:.1} s, over this endpoint's limit of {} s", limits.max_seconds));
    }
    if let Some(n) = info.frames.map(|n| n / stride as u64).filter(|&n| n > limits.max_frames) {
        return too_large(format!(
            "the video has {n} frames to process (vid_stride {stride}), over this endpoint's limit of {}",
            limits.max_frames
        ));
    }
    Ok(())
}

/// Decoded frames of a video, in decode order, RGB24, one at a time (`vid_stride` applied:
/// frames `s − 1, 2s − 1, …` as Ultralytics' loader takes them). Kills `ffmpeg` when dropped.
pub struct Frames {
    child: Child,
    stdout: ChildStdout,
    /// The thread draining `ffmpeg`'s stderr (joined once, when it failed).
    stderr: Option<std::thread::JoinHandle<Vec<u8>>>,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    max_frames: u64,
    read: u64,
    buffer: Vec<u8>,
}

impl Frames {
    /// Starts decoding `path` (already probed: `info`), at most `limits.max_frames` frames.
    pub fn open(path: &Path, info: &VideoInfo, stride: u32, limits: &VideoLimits) -> Result<Self, VideoError> {
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-nostdin", "-v", "error", "-i"]).arg(path).args(["-map", "0:v:0", "-an", "-sn", "-dn"]);
        if stride > 1 {
            cmd.arg("-vf").arg(format!("select=not(mod(n+1\\,{stride}))"));
        }
        // One output frame per decoded frame (no duplication or dropping to a frame rate).
        cmd.args(["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| spawn_error("ffmpeg", e))?;
        let (Some(stdout), Some(mut err)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            return Err(VideoError::new(Code::ServerError, "ffmpeg started without pipes"));
        };
        // stderr is drained on its own thread so a chatty decoder cannot block on a full pipe.
        let stderr = std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = err.by_ref().take(64 << 10).read_to_end(&mut buf);
            let _ = std::io::copy(&mut err, &mut std::io::sink());
            buf
        });
        let frame_bytes = info.width as usize * info.height as usize * 3;
        Ok(Frames {
            child,
            stdout,
            stderr: Some(stderr),
            width: info.width,
            height: info.height,
            max_frames: limits.max_frames,
            read: 0,
            buffer: vec![0; frame_bytes],
        })
    }

    /// The next frame's RGB24 pixels, `None` at the end of the video.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, VideoError> {
        let mut filled = 0;
        while filled < self.buffer.len() {
            match self.stdout.read(&mut self.buffer[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(VideoError::new(Code::ServerError, format!("reading decoded frames failed: {e}")))
                }
            }
        }
        if filled == 0 {
            return self.finish().map(|()| None);
        }
        if filled < self.buffer.len() {
            self.finish()?;
            return Err(VideoError::new(Code::InvalidVideo, "the video's frames changed size mid-stream"));
        }
        self.read += 1;
        if self.read > self.max_frames {
            return Err(VideoError::new(
                Code::VideoTooLarge,
                format!("the video has more than {} frames to process, this endpoint's limit", self.max_frames),
            ));
        }
        Ok(Some(&self.buffer))
    }

    /// Frames read so far.
    pub fn count(&self) -> u64 {
        self.read
    }

    /// Waits for `ffmpeg` at the end of its output: a failure exit is `invalid_video`.
    fn finish(&mut self) -> Result<(), VideoError> {
        let status = self.child.wait().map_err(|e| VideoError::new(Code::ServerError, format!("ffmpeg: {e}")))?;
        if status.success() {
            return Ok(());
        }
        let stderr = self.stderr.take().and_then(|t| t.join().ok()).unwrap_or_default();
        Err(VideoError::new(Code::InvalidVideo, format!("the video could not be decoded: {}", first_line(&stderr))))
    }
}

impl Drop for Frames {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
