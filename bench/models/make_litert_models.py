"""Makes bench/models/<stem>.tflite (float32 LiteRT models, for the LiteRT.js peer of the browser
benchmark) from the same weights as each ONNX file the benchmark runs.

- The fixtures (tests/fixtures/models/<stem>.onnx) have their checkpoint next to them
  (<stem>.pt, rebuilt from the ONNX initializers by tools/fixtures/make_checkpoints.py).
- bench/models/yolo11n-seg-random.onnx has none: its fused model is rebuilt here the same way,
  from `yolo11n-seg.yaml` (nc 80) with every parameter copied from the ONNX initializer of the
  same name (only the DFL's fixed arange weights come from the YAML, checked).

Either way every floating-point tensor of the fused model that is exported is first compared with
the ONNX initializer of the same name, bit for bit; the script stops on any difference. Then
`YOLO(pt).export(format="litert", imgsz=640)` in a scratch folder (export writes next to the
`.pt`), and the `.tflite` is copied here. The exported model takes NCHW [1, 3, 640, 640] like
the ONNX file; its output is the ONNX file's [1, 4 + nc (+ 32), 8400] with the 4 box channels
divided by 640 (plus the [1, 32, 160, 160] prototypes for segment). bench/run.mjs checks in the
browser that LiteRT.js's output equals onnxruntime-web's (within 1e-3) before it times anything.

Needs its own venv (litert-torch needs torch < 2.15; see bench/models/README.md):

    python3 -m venv /opt/litert-venv
    /opt/litert-venv/bin/pip install ultralytics==8.4.190 torch==2.14.1 litert-torch==0.10.0 \
        ai-edge-litert==2.3.0 onnx==1.23.2
    /opt/litert-venv/bin/python bench/models/make_litert_models.py [--only yolo11n-shapes]   # ~1 min
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# stem → (ONNX file, its checkpoint or None to rebuild from the ONNX, the YAML to rebuild from)
MODELS = {
    "yolo11n-shapes": ("tests/fixtures/models/yolo11n-shapes.onnx", "tests/fixtures/models/yolo11n-shapes.pt", None),
    "yolov8n-shapes": ("tests/fixtures/models/yolov8n-shapes.onnx", "tests/fixtures/models/yolov8n-shapes.pt", None),
    "yolo11n-seg-random": ("bench/models/yolo11n-seg-random.onnx", None, "yolo11n-seg.yaml"),
    "yolo11n-seg-shapes": ("tests/fixtures/models/yolo11n-seg-shapes.onnx", "tests/fixtures/models/yolo11n-seg-shapes.pt", None),
}


def onnx_tensors(path: Path):
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    props = {p.key: p.value for p in model.metadata_props}
    for key in ("names", "imgsz", "args"):
        if key in props:
            props[key] = ast.literal_eval(props[key])
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    # A parameter's initializer is named after it (`model.2.cv1.conv.weight`) unless the export
    # shared one tensor between equal parameters (the random-init model: every fused bias is 0, so
    # one zero initializer serves many convolutions). So each convolution's weight and bias are
    # found through its node (`/model.2/cv1/conv/Conv` → `model.2.cv1.conv.*`), else by name.
    tensors = dict(arrays)
    for node in model.graph.node:
        if node.op_type in ("Conv", "ConvTranspose") and node.name.startswith("/"):
            # Scopes name a container and then its item (`/model.6/m.0/m/m.0/cv1/conv/Conv`): the
            # container's own scope (`m`) is not part of the parameter name.
            parts = node.name[1:].split("/")[:-1]
            module = ".".join(p for i, p in enumerate(parts) if not (i + 1 < len(parts) and parts[i + 1].startswith(p + ".")))
            for suffix, k in (("weight", 1), ("bias", 2)):
                if len(node.input) > k and node.input[k] in arrays:
                    tensors[f"{module}.{suffix}"] = arrays[node.input[k]]
    return tensors, props


def rebuild(stem: str, yaml: str, inits: dict, meta: dict, work: Path) -> Path:
    """A fused checkpoint of `yaml` holding the ONNX file's parameters (as make_checkpoints.py)."""
    import numpy as np
    import torch

    import ultralytics
    from ultralytics.cfg import get_cfg
    from ultralytics.nn.tasks import DetectionModel, SegmentationModel

    cls = {"detect": DetectionModel, "segment": SegmentationModel}[meta["task"]]
    model = cls(yaml, nc=len(meta["names"]), verbose=False).fuse(verbose=False).eval()
    for name, tensor in model.state_dict().items():
        if name in inits:
            value = torch.from_numpy(np.ascontiguousarray(inits[name]))
            if tuple(value.shape) != tuple(tensor.shape):
                sys.exit(f"{stem}: {name} is {tuple(value.shape)} in the ONNX, {tuple(tensor.shape)} here")
            tensor.copy_(value.to(tensor.dtype))
        elif tensor.is_floating_point() and not name.endswith("dfl.conv.weight"):
            sys.exit(f"{stem}: the ONNX has no initializer for {name}")
    model.names = meta["names"]
    args = dict(vars(get_cfg()))
    args.update(task=meta["task"], imgsz=meta["imgsz"][0], data=None, model=f"{stem}.pt")
    model.args = args
    for p in model.parameters():
        p.requires_grad_(False)
    out = work / f"{stem}.pt"
    torch.save(
        {"date": meta.get("date"), "version": ultralytics.__version__, "license": f"rebuilt from {MODELS[stem][0]}",
         "epoch": -1, "best_fitness": None, "model": model, "ema": None, "updates": None, "optimizer": None,
         "train_args": args},
        out,
    )
    return out


def check_weights(stem: str, pt: Path, inits: dict) -> int:
    """Every float tensor of the checkpoint's fused model = the ONNX initializer, bit for bit."""
    import numpy as np
    from ultralytics import YOLO

    model = YOLO(str(pt)).model.float().fuse(verbose=False).eval()
    same = 0
    for name, tensor in model.state_dict().items():
        if not tensor.is_floating_point():
            continue
        if name not in inits:
            if name.endswith("dfl.conv.weight"):  # fixed arange, not in the ONNX (a constant there)
                continue
            sys.exit(f"{stem}: {name} is not in the ONNX file")
        a = tensor.detach().cpu().numpy().astype(np.float32)
        b = inits[name].astype(np.float32)
        if a.shape != b.shape or a.tobytes() != b.tobytes():
            sys.exit(f"{stem}: {name} differs from the ONNX initializer")
        same += 1
    return same


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=list(MODELS), default=None)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="litert-export-"))
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("YOLO_CONFIG_DIR", str(work / "config"))
    os.chdir(work)
    from ultralytics import YOLO

    for stem, (onnx_file, pt_file, yaml) in MODELS.items():
        if args.only and stem != args.only:
            continue
        inits, meta = onnx_tensors(ROOT / onnx_file)
        scratch = work / stem
        scratch.mkdir()
        if pt_file:
            pt = scratch / f"{stem}.pt"
            shutil.copyfile(ROOT / pt_file, pt)
        else:
            pt = rebuild(stem, yaml, inits, meta, scratch)
        n = check_weights(stem, pt, inits)
        print(f"[{stem}] {n} tensors equal to {onnx_file}'s initializers, bit for bit", file=sys.stderr, flush=True)
        out = Path(YOLO(str(pt)).export(format="litert", imgsz=640, verbose=False))
        if not out.is_absolute():
            out = scratch / out
        dest = HERE / f"{stem}.tflite"
        shutil.copyfile(out, dest)
        from ai_edge_litert.interpreter import Interpreter

        it = Interpreter(model_path=str(dest))
        shapes = [list(d["shape"]) for d in it.get_input_details()], [list(d["shape"]) for d in it.get_output_details()]
        print(f"[{stem}] wrote {dest.relative_to(ROOT)} ({dest.stat().st_size / 1e6:.1f} MB): input {shapes[0]}, outputs {shapes[1]}",
              file=sys.stderr, flush=True)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
