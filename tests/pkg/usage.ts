// Compiled with `tsc --strict --noEmit` by `make test-pkg`: the package's declarations must
// type a real use of the API without `any` leaking into user code.
import init, { LocalModel } from "../../pkg/yolo_wasm.js";
import type { HubResponse, ModelInfo, PredictOptions, Prediction, YoloError, YoloErrorCode } from "../../pkg/yolo_wasm.js";

export async function detect(img: HTMLImageElement, file: File): Promise<number> {
  await init();
  const model: LocalModel = await LocalModel.load(file);
  const info: ModelInfo = model.info;
  const opts: PredictOptions = { imgsz: info.imgsz[0], conf: 0.25, iou: 0.45 };
  const res: HubResponse = await model.predict(img, opts);
  const again: HubResponse = await model.predict(await createImageBitmap(file));
  const first: Prediction | undefined = res.images[0]?.results[0];
  const x1: number | undefined = first?.box?.x1;
  const shape: [number, number] = again.images[0].shape;
  return (x1 ?? 0) + shape[0] + res.metadata.imageCount;
}

export function codeOf(e: unknown): YoloErrorCode | null {
  const err = e as YoloError;
  return err.name === "YoloError" ? err.code : null;
}
