#!/usr/bin/python3
"""check_onnx.py — nnd's ONNX export and import, checked by software nnd did
not write (run by tests/onnx/run, with Debian's /usr/bin/python3).

For every model of models/, models/seeds/ and tests/onnx/models/ (the last a
generated set covering every exported op and attribute):
  1. seeded weights (nnd_run init), `nnd export` to ONNX;
  2. onnx.checker.check_model(full_check=True) on the file;
  3. ONNX Runtime (onnxruntime-node, ort_run.js) on 256 samples (the
     Fashion-MNIST test images for a 1x28x28 or 784 input, seeded classes
     for a class input, else seeded random numbers) against nnd's own
     outputs (nnd_run run): to 1e-4;
  4. the round trip: `nnd import` of the exported file predicts exactly
     (bit for bit) what the original model predicts.
Then the PyTorch check (check_torch.py) runs the same networks built, trained
and exported by PyTorch through `nnd import`.
"""
import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx

N = 256
TOL = 1e-4
FASHION = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"

failures = []


def fail(model, msg):
    failures.append(f"{model}: {msg}")
    print(f"FAIL {model}: {msg}", flush=True)


def run(cmd, env=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return r.returncode, (r.stdout + r.stderr).strip()


def fashion_images(n):
    with gzip.open(FASHION, "rb") as f:
        data = f.read()
    return np.frombuffer(data, dtype=np.uint8, offset=16)[: n * 784].astype(np.float32) / 255


def class_inputs(args, path):
    """{input name: K} for the class[K] inputs of an nnd model (its summary):
    ONNX sees them as float inputs, and they must hold valid classes."""
    rc, out = run([args.nnd, "summary", path])
    found = {}
    for line in out.splitlines() if rc == 0 else []:
        m = re.match(r"(\S+)\s+input\s+\[N\]\s+class\[(\d+)\]", line)
        if m:
            found[m.group(1)] = int(m.group(2))
    return found


def inputs_for(model, tmp, n, classes):
    """One raw float32 file per graph input of the ONNX model."""
    feeds = []
    rng = np.random.default_rng(1234)
    for vi in model.graph.input:
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim][1:]
        per = int(np.prod(dims)) if dims else 1
        if vi.name in classes:
            x = rng.integers(0, classes[vi.name], n * per).astype(np.float32)
        elif per == 784 and os.path.exists(FASHION):
            x = fashion_images(n)
        else:
            x = rng.standard_normal(n * per).astype(np.float32)
        path = os.path.join(tmp, f"in_{vi.name}.f32")
        x.tofile(path)
        feeds.append((vi.name, [n] + dims, path))
    return feeds


def nnd_outputs(args, nnd_file, weights, feeds, names, tmp, tag, env=None):
    cmd = [args.nnd_run, "run", nnd_file, weights, str(N)]
    for name, _, path in feeds:
        cmd += ["--in", name, path]
    outs = []
    for i, name in enumerate(names):
        p = os.path.join(tmp, f"{tag}_{i}.f32")
        cmd += ["--out", name, p]
        outs.append(p)
    rc, out = run(cmd, env)
    if rc != 0:
        return None, out
    return [np.fromfile(p, dtype=np.float32) for p in outs], ""


def check_model(args, path, tmp, stats):
    name = os.path.relpath(path, args.srcdir)
    base = os.path.join(tmp, os.path.basename(path)[:-4])
    weights, onnx_file = base + ".safetensors", base + ".onnx"
    rc, out = run([args.nnd_run, "init", path, weights])
    if rc != 0:
        return fail(name, f"nnd_run init: {out}")
    rc, out = run([args.nnd, "export", path, "--weights", weights, "-o", onnx_file])
    if rc != 0:  # every model here uses only ops with an ONNX form: no skipping
        return fail(name, f"nnd export: {out}")
    try:  # by path: the checker reads the file itself (s001_dense_big's is 1.7 GB)
        onnx.checker.check_model(onnx_file, full_check=True)
    except Exception as e:  # the checker's own exception types vary by version
        return fail(name, f"onnx.checker: {e}")
    model = onnx.load(onnx_file)
    for t in model.graph.initializer:  # only the graph's interface is needed below
        t.ClearField("raw_data")
    if model.ir_version != 7 or model.opset_import[0].version != 13:
        return fail(name, f"IR version {model.ir_version}, opset {model.opset_import[0].version}")
    for vi in model.graph.input:
        if vi.type.tensor_type.shape.dim[0].dim_param != "N":
            return fail(name, f"input {vi.name}: the batch dimension is not symbolic")
    feeds = inputs_for(model, tmp, N, class_inputs(args, path))
    outputs = [o.name for o in model.graph.output]
    ours, err = nnd_outputs(args, path, weights, feeds, outputs, tmp, "nnd")
    if ours is None:
        return fail(name, f"nnd_run run: {err}")
    spec = [f"{n}:{','.join(map(str, d))}:{p}" for n, d, p in feeds]
    rc, out = run(["node", os.path.join(args.srcdir, "tests/onnx/ort_run.js"), args.ort,
                   onnx_file, base + "_ort_"] + spec)
    if rc != 0:
        return fail(name, f"onnxruntime: {out}")
    for i, o in enumerate(outputs):
        theirs = np.fromfile(f"{base}_ort_{i}.f32", dtype=np.float32)
        if theirs.shape != ours[i].shape:
            return fail(name, f"output {o}: {theirs.size} values from ONNX Runtime, "
                        f"{ours[i].size} from nnd")
        if not (np.all(np.isfinite(ours[i])) and np.all(np.isfinite(theirs))):
            return fail(name, f"output {o}: values that are not finite")
        err = np.max(np.abs(theirs - ours[i]) / np.maximum(1, np.abs(ours[i])))
        if err > TOL:
            return fail(name, f"output {o}: ONNX Runtime differs from nnd by {err:.3g}")
    stats["ort"] += 1
    # the round trip: the same ops come back, so the same kernels run them
    rt = base + "_rt.nnd"
    rc, out = run([args.nnd, "import", onnx_file, "-o", rt])
    if rc != 0:  # what nnd exports, it imports: every model here round-trips
        return fail(name, f"nnd import: {out}")
    a, err = ours, ""
    b, err2 = nnd_outputs(args, rt, base + "_rt.safetensors", feeds, outputs, tmp, "rt")
    if a is None or b is None:
        return fail(name, f"round trip: {err or err2}")
    for i, o in enumerate(outputs):
        if a[i].tobytes() != b[i].tobytes():
            return fail(name, f"round trip: output {o} differs by "
                        f"{np.max(np.abs(a[i] - b[i])):.3g}")
    stats["roundtrip"] += 1
    print(f"ok {name}: checker, ONNX Runtime to {TOL}, round trip exact", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnd", required=True)
    ap.add_argument("--nnd-run", required=True)
    ap.add_argument("--ort", required=True)
    ap.add_argument("--srcdir", required=True)
    ap.add_argument("models", nargs="*")
    args = ap.parse_args()
    paths = args.models
    if not paths:
        for d in ("models", "models/seeds", "tests/onnx/models"):
            full = os.path.join(args.srcdir, d)
            paths += sorted(os.path.join(full, f) for f in os.listdir(full) if f.endswith(".nnd"))
        # s001_dense_big (441 million parameters: a 1.7 GB ONNX file, several GB
        # of Python memory, 8-10 minutes) is checked when NND_ONNX_BIG=1, not in
        # every make check (CI runs make check twice, once in the package build)
        if os.environ.get("NND_ONNX_BIG") != "1":
            big = [p for p in paths if os.path.basename(p) == "s001_dense_big.nnd"]
            for p in big:
                print(f"skip {p}: 441M parameters; NND_ONNX_BIG=1 checks it", flush=True)
            paths = [p for p in paths if p not in big]
    stats = {"ort": 0, "roundtrip": 0}
    with tempfile.TemporaryDirectory(prefix="nnd-onnx-") as tmp:
        for p in paths:
            check_model(args, p, tmp, stats)
    print(f"{len(paths)} models: {stats['ort']} match ONNX Runtime, "
          f"{stats['roundtrip']} round trips exact, {len(failures)} failures")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
