"""Makes bench/models/yolo11n-seg-random.onnx: a real-width YOLO11n-seg (80 classes) with random
initial weights, for timing only. Needs the fixtures venv (tests/fixtures/README.md); offline.

    cd "$(mktemp -d)" && YOLO_OFFLINE=1 /opt/fxvenv/bin/python /work/main/bench/models/make_seg_model.py
"""

import os
import shutil
import sys

import torch
from ultralytics import YOLO

os.environ.setdefault("YOLO_OFFLINE", "1")
torch.manual_seed(0)
path = YOLO("yolo11n-seg.yaml").export(format="onnx", imgsz=640, opset=18, simplify=True)
dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "yolo11n-seg-random.onnx")
shutil.copyfile(path, dest)
print(f"wrote {dest}", file=sys.stderr)
