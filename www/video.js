// Video sources. A video file is processed frame by frame by seeking (deterministic, however slow
// the inference), every `stride`-th frame, into one HUB-shaped response with one `images[]` entry
// per processed frame, as the HUB API answers a video upload. The webcam is a live loop: grab the
// current frame, infer, draw, repeat.

const once = (target, ok, bad = "error") =>
  new Promise((resolve, reject) => {
    const done = (ev) => {
      target.removeEventListener(ok, done);
      target.removeEventListener(bad, fail);
      resolve(ev);
    };
    const fail = () => {
      target.removeEventListener(ok, done);
      target.removeEventListener(bad, fail);
      const code = target.error?.code;
      reject(new Error(`this video cannot be played${code ? ` (media error ${code})` : ""}: ${target.error?.message || "unsupported format?"}`));
    };
    target.addEventListener(ok, done);
    target.addEventListener(bad, fail);
  });

/** Seeks and waits until the frame at `t` can be read. */
export async function seekTo(video, t) {
  if (Math.abs(video.currentTime - t) < 1e-4 && video.readyState >= 2) return;
  const seeked = once(video, "seeked");
  video.currentTime = t;
  await seeked;
}

/** Points `video` at a file and waits for its first frame; resolves to its duration in seconds. */
export async function openVideoFile(video, file) {
  stopWebcam(video);
  if (video.src.startsWith("blob:")) URL.revokeObjectURL(video.src);
  const loaded = once(video, "loadeddata");
  video.src = URL.createObjectURL(file);
  await loaded;
  // Files from MediaRecorder carry no duration: seeking past the end makes the browser find it.
  if (!Number.isFinite(video.duration)) {
    await seekTo(video, 1e7);
    await seekTo(video, 0);
  }
  if (!Number.isFinite(video.duration) || video.duration <= 0) throw new Error("this video has no readable duration");
  await seekTo(video, 0);
  return video.duration;
}

/**
 * Runs `predict(bitmap) → {response, bitmap}` on frames 0, stride, 2·stride… of the file at the
 * nominal frame rate `fps` (browsers do not expose a file's frame rate).
 * `onFrame(combined, bitmap, k, frame)` sees the response so far after each frame; the bitmap is
 * closed afterwards. Resolves to {response, frames: [{index, time}]}.
 */
export async function processVideo({ video, fps, stride, predict, onFrame, signal }) {
  const count = Math.max(1, Math.floor(video.duration * fps + 1e-6));
  const combined = { images: [], metadata: null };
  const frames = [];
  for (let index = 0; index < count && !signal.aborted; index += stride) {
    // The middle of frame `index`, so rounding never lands on its neighbour.
    const time = Math.min((index + 0.5) / fps, Math.max(0, video.duration - 1e-3));
    await seekTo(video, time);
    const { response, bitmap } = await predict(await createImageBitmap(video));
    combined.images.push(response.images[0]);
    combined.metadata = { ...response.metadata, imageCount: combined.images.length };
    frames.push({ index, time });
    try {
      onFrame(combined, bitmap, combined.images.length - 1, frames.at(-1));
    } finally {
      bitmap.close();
    }
  }
  return { response: combined, frames, count };
}

/** Starts the camera in `video`; throws readable DOMExceptions (NotAllowedError, NotFoundError…). */
export async function openWebcam(video) {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw Object.assign(new Error("this browser gives no camera access here (it needs https: or localhost)"), {
      name: "SecurityError",
    });
  }
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: { ideal: 1280 }, height: { ideal: 720 } },
    audio: false,
  });
  if (video.src.startsWith("blob:")) URL.revokeObjectURL(video.src);
  video.removeAttribute("src");
  video.srcObject = stream;
  await video.play();
  if (video.readyState < 2) await once(video, "loadeddata");
}

export function stopWebcam(video) {
  const stream = video.srcObject;
  if (stream) {
    for (const track of stream.getTracks()) track.stop();
    video.srcObject = null;
  }
}

/** Live loop over the current frame of a playing `video` until `signal` aborts. */
export async function liveLoop({ video, predict, onFrame, signal }) {
  while (!signal.aborted) {
    const { response, bitmap } = await predict(await createImageBitmap(video));
    try {
      if (!signal.aborted) onFrame(response, bitmap);
    } finally {
      bitmap.close();
    }
  }
}
