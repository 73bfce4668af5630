#!/usr/bin/env python3
"""Native benchmark (`make bench-native`): yolo-wasm (tract) at 1 and 2 threads against ONNX
Runtime (Python package, CPU execution provider) at 1 and 2 threads, inference only, interleaved
run by run in one session; then the endpoint's requests per second at --concurrency 1 and 2.

Ours runs in `infer_worker` (examples/infer_worker.rs), a process that times one
`Session::run` per `run N` line; it writes the letterboxed 1x3x640x640 tensor of the image, which
ONNX Runtime is fed as is (same input, bit for bit). Each round runs every runtime once, in a
rotating order. The endpoint part starts `yolo-wasm serve --model M --concurrency C` (default
--threads: the cores shared between slots), keeps 2*C keep-alive clients posting the image, and
counts 200 answers per second, alternating C = 1 and 2 in short windows.

Writes the tables between the `bench-native:latest` markers of BENCHMARKS.md (unless --quick)
and the raw numbers to target/bench-native.json. Never asserts times.
"""

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
WORKER = TARGET / "release/examples/infer_worker"
SERVER = TARGET / "release/yolo-wasm"
MARK_BEGIN = "<!-- bench-native:latest:begin -->"
MARK_END = "<!-- bench-native:latest:end -->"


def load():
    return os.getloadavg()[0]


class Ours:
    """The infer_worker process for one model."""

    def __init__(self, model, image, threads, tensor_path):
        args = [str(WORKER), str(model), str(image), str(tensor_path), *map(str, threads)]
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline().split()
        if not line or line[0] != "ready":
            raise SystemExit(f"infer_worker did not start for {model} (exit {self.p.wait()})")
        self.shape = (int(line[1]), int(line[2]))

    def ask(self, cmd):
        self.p.stdin.write(cmd + "\n")
        self.p.stdin.flush()
        answer = self.p.stdout.readline().strip()
        if not answer:
            raise SystemExit(f"infer_worker stopped on {cmd!r}")
        return answer

    def run(self, threads):
        return float(self.ask(f"run {threads}"))

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def ort_session(model, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])


def bench_inference(models, image, threads, runs, warmup):
    rows, agreement = [], []
    for label, model in models:
        tensor_path = TARGET / "bench-native-input.f32"
        ours = Ours(model, image, threads, tensor_path)
        h, w = ours.shape
        x = np.fromfile(tensor_path, dtype="<f4").reshape(1, 3, h, w)
        sessions = {t: ort_session(model, t) for t in threads}
        name = sessions[threads[0]].get_inputs()[0].name
        # Same outputs? (first output, ours at 1 thread vs ORT at 1 thread)
        out_path = TARGET / "bench-native-output.f32"
        ours.ask(f"dump {threads[0]} {out_path}")
        mine = np.fromfile(out_path, dtype="<f4")
        theirs = sessions[threads[0]].run(None, {name: x})[0].ravel()
        agreement.append((label, float(np.max(np.abs(mine - theirs))), float(np.max(np.abs(theirs)))))
        runners = [(f"yolo-wasm {t}t", t, "ours", lambda t=t: ours.run(t)) for t in threads]
        for t, s in sessions.items():
            def run_ort(s=s):
                start = time.perf_counter()
                s.run(None, {name: x})
                return (time.perf_counter() - start) * 1e3
            runners.append((f"onnxruntime {t}t", t, "ort", run_ort))
        times = {r[0]: [] for r in runners}
        for _ in range(warmup):
            for r in runners:
                r[3]()
        for i in range(runs):
            k = i % len(runners)
            for r in runners[k:] + runners[:k]:
                times[r[0]].append(r[3]())
        ours.close()
        for rname, t, kind, _ in runners:
            v = times[rname]
            rows.append({"model": label, "runtime": rname, "threads": t, "kind": kind,
                         "median": statistics.median(v), "min": min(v), "times": v})
    return rows, agreement


def multipart(image_bytes, boundary):
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bus.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()
    return head + image_bytes + f"\r\n--{boundary}--\r\n".encode()


class Served:
    def __init__(self, model, concurrency, threads=None):
        args = [str(SERVER), "serve", "--model", str(model), "--port", "0", "--concurrency", str(concurrency),
                "--queue", "64", "--rate-limit", "0"]
        if threads:
            args += ["--threads", str(threads)]
        self.p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                  env={**os.environ, "YOLO_WASM_LOG": "warn"})
        line = self.p.stdout.readline().strip()
        prefix = "yolo-wasm serve: listening on http://"
        if not line.startswith(prefix):
            raise SystemExit(f"serve did not start: {line!r}")
        host, port = line[len(prefix):].rsplit(":", 1)
        self.addr = (host, int(port))

    def close(self):
        self.p.terminate()
        self.p.wait()


def load_window(served, body, boundary, clients, seconds):
    """200 answers per second over `seconds`, with `clients` keep-alive connections."""
    ok, bad = [0], [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection(*served.addr, timeout=120)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        while time.monotonic() < stop:
            conn.request("POST", "/", body=body, headers=headers)
            res = conn.getresponse()
            res.read()
            with lock:
                if res.status == 200:
                    ok[0] += 1
                else:
                    bad[0] += 1
        conn.close()

    start = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ok[0] / (time.monotonic() - start), bad[0]


def bench_endpoint(model, image, configs, rounds, seconds):
    body_image = Path(image).read_bytes()
    boundary = "yolowasmbench"
    body = multipart(body_image, boundary)
    results = {c: [] for c in configs}
    errors = {c: 0 for c in configs}
    for r in range(rounds):
        order = configs if r % 2 == 0 else list(reversed(configs))
        for c in order:
            concurrency, threads = c
            served = Served(model, concurrency, threads)
            load_window(served, body, boundary, 2 * concurrency, 1.5)  # warm-up
            rps, bad = load_window(served, body, boundary, 2 * concurrency, seconds)
            served.close()
            results[c].append(rps)
            errors[c] += bad
    return results, errors


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def git_commit():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return rev.strip() + (" (work tree has uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def render(rows, agreement, endpoint, errors, meta):
    out = [f"Run {meta['date']} on {meta['cores']} cores ({meta['cpu']}), commit {meta['commit']}; "
           f"onnxruntime {ort.__version__} (PyPI wheel, CPUExecutionProvider), numpy {np.__version__}, "
           f"Python {platform.python_version()}. Load average {meta['load0']:.2f} at start, "
           f"{meta['load1']:.2f} after inference, {meta['load2']:.2f} at end (the cores are shared: read "
           "the ratios, measured side by side).", "",
           f"Inference only (`Session::run` / `InferenceSession.run` on the same 1×3×640×640 tensor of "
           f"{meta['image']}), median and min of {meta['runs']} runs after {meta['warmup']} warm-up runs each, "
           "runtimes taking turns run by run. ORT: `intra_op_num_threads` = threads, sequential, "
           "all graph optimisations, its default spinning thread pool.", "",
           "| model | runtime | threads | median ms | min ms | ours / ORT (median) | ours / ORT (min) |",
           "|---|---|---:|---:|---:|---:|---:|"]
    ratios = []
    for r in rows:
        cell, cell_min = "", ""
        if r["kind"] == "ours":
            o = next(x for x in rows if x["model"] == r["model"] and x["kind"] == "ort" and x["threads"] == r["threads"])
            ratio, ratio_min = r["median"] / o["median"], r["min"] / o["min"]
            ratios.append((ratio, f"{r['model']} {r['threads']}t"))
            cell, cell_min = f"{ratio:.2f}", f"{ratio_min:.2f}"
        out.append(f"| {r['model']} | {r['runtime']} | {r['threads']} | {r['median']:.1f} | {r['min']:.1f} | "
                   f"{cell} | {cell_min} |")
    speedups = []
    for model in dict.fromkeys(r["model"] for r in rows):
        for kind in ("ours", "ort"):
            m = {r["threads"]: r["median"] for r in rows if r["model"] == model and r["kind"] == kind}
            if 1 in m and 2 in m:
                speedups.append(f"{model} {'yolo-wasm' if kind == 'ours' else 'ORT'} {m[1] / m[2]:.2f}×")
    worst = max(ratios)
    out += ["", f"Worst ours / ORT (medians): **{worst[0]:.2f}** ({worst[1]}). "
            f"Target ≤ 1.0 at equal threads: **{'met' if worst[0] <= 1.0 else 'not met'}**.",
            "", "Speed-up from 1 to 2 threads (median 1t ÷ median 2t): " + "; ".join(speedups) + ".",
            "", "Outputs, ours vs ORT (first output, 1 thread): " + "; ".join(
                f"{m} max |Δ| {d:.2e} (max |value| {v:.0f})" for m, d, v in agreement)
            + ". Ours at 1 and 2 threads: bit-identical (checked by infer_worker at start-up).", ""]
    out += [f"Endpoint (`yolo-wasm serve --model {meta['endpoint_model']}`, {meta['image']} posted by "
            f"2 × concurrency keep-alive clients from this script on loopback; 200 answers per second, "
            f"{meta['rounds']} windows of {meta['seconds']:.0f} s per configuration, alternating):", "",
            "| --concurrency | --threads (per slot) | req/s per window | req/s (median) | non-200 |",
            "|---:|---:|---|---:|---:|"]
    for (c, t), v in endpoint.items():
        tl = str(t) if t else f"default ({max(1, meta['cores'] // c)})"
        out.append(f"| {c} | {tl} | {', '.join(f'{x:.2f}' for x in v)} | {statistics.median(v):.2f} | {errors[(c, t)]} |")
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3, help="endpoint windows per configuration")
    ap.add_argument("--seconds", type=float, default=10.0, help="length of one endpoint window")
    ap.add_argument("--models", default="yolo11n-shapes,yolov8n-shapes,yolo11n-seg-shapes")
    ap.add_argument("--quick", action="store_true", help="a smoke run: few runs, writes nothing")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.warmup, args.rounds, args.seconds = 3, 1, 1, 3.0
    for exe in (WORKER, SERVER):
        if not exe.exists():
            raise SystemExit(f"{exe} is missing: cargo build --release -p yolo-wasm-server --example infer_worker")
    image = ROOT / "tests/fixtures/images/bus.jpg"
    models = [(m, ROOT / f"tests/fixtures/models/{m}.onnx") for m in args.models.split(",")]
    meta = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "cores": os.cpu_count(),
            "cpu": cpu_name(), "commit": git_commit(), "load0": load(), "runs": args.runs,
            "warmup": args.warmup, "image": "bus.jpg (810×1080)", "rounds": args.rounds,
            "seconds": args.seconds, "endpoint_model": "yolo11n-shapes.onnx"}
    rows, agreement = bench_inference(models, image, [1, 2], args.runs, args.warmup)
    meta["load1"] = load()
    configs = [(1, None), (2, None), (1, 1)]
    endpoint, errors = bench_endpoint(models[0][1], image, configs, args.rounds, args.seconds)
    meta["load2"] = load()
    text = render(rows, agreement, endpoint, errors, meta)
    print(text)
    if args.quick:
        return
    (TARGET / "bench-native.json").write_text(json.dumps(
        {"meta": meta, "inference": rows, "agreement": agreement,
         "endpoint": {f"c{c}_t{t or 'default'}": v for (c, t), v in endpoint.items()}}, indent=1))
    md = ROOT / "BENCHMARKS.md"
    doc = md.read_text()
    if MARK_BEGIN in doc and MARK_END in doc:
        head, rest = doc.split(MARK_BEGIN, 1)
        _, tail = rest.split(MARK_END, 1)
        md.write_text(head + MARK_BEGIN + "\n" + text + MARK_END + tail)
        print(f"wrote {md.relative_to(ROOT)} (between the bench-native markers)")
    else:
        print("BENCHMARKS.md has no bench-native markers: nothing written", file=sys.stderr)


if __name__ == "__main__":
    main()
