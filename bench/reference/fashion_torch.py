#!/usr/bin/env python3
"""The PyTorch reference for bench/run: nnd's two Fashion-MNIST models, trained
and run the way bench/nnd_bench does it, under every thread setting worth
trying on this machine, each in its own process.

    fashion_torch.py --model mlp|cnn|seed --steps N --warmup W [--infer-batch 256]
                     [--infer-batches K] [--max-seconds S] [--omp 1,2] [--blas 1,2]
                     [--wait default,PASSIVE] [--repeat R] [--latency N]

--repeat R runs every setting R times (one process each; bench/run keeps the
best of them: PyTorch's speed varies a lot from run to run). --latency N times
N single-sample forwards (batch 1, inference mode) after inference: the
embedding case. --model seed is the per-example network of the seed problem
set (issue 14): 784-128-10 with sigmoid hidden and output layers, squared
error against the one-hot label summed over the 10 outputs, plain SGD lr
0.01, batch 1 (data: Fashion-MNIST here, which does not change the speed).

prints one JSON line per setting ("kind": "torch") and one with the best
setting for training and for inference ("kind": "torch_best"). With --child
it runs one setting in this process instead (the parent sets its environment).

What is the same as nnd_bench: the layers (models/fashion_mlp.nnd and
models/fashion_cnn.nnd: 784-300-10 ReLU; conv 32 / conv 64 / dense 128 /
dense 10 with 3x3 padding-1 convolutions and 2x2 max pooling, 421,642
parameters), batch 64, the optimizer (Adam lr 0.001; SGD lr 0.01 momentum
0.9), cross-entropy on logits, the data (the Debian package's idx .gz files,
bytes kept in memory and scaled by 1/255 one batch at a time, as nnd does),
a fresh shuffle each epoch with only full batches, warm-up steps that are not
timed, and inference at batch 256 over the test set in order. Initial
weights are PyTorch's own: they do not change the speed.

Thread settings. Debian's torch runs its own kernels and oneDNN's
convolutions on an OpenMP pool (OMP_NUM_THREADS, torch.set_num_threads) and
its matrix products (nn.Linear) in OpenBLAS, which has a pthread pool of its
own (OPENBLAS_NUM_THREADS). Both read the environment when torch is
imported, so each setting needs a new process. OMP_WAIT_POLICY=PASSIVE stops
idle OpenMP threads from spinning, which matters when the two pools take
turns on the same two cores; both the default policy and PASSIVE are tried
and reported.
"""
import argparse
import gzip
import itertools
import json
import os
import resource
import struct
import subprocess
import sys
import time

DATA = "/usr/share/datasets/fashion-mnist"
MODELS = {"mlp": "fashion_mlp", "cnn": "fashion_cnn", "seed": "seed_per_example"}


def read_idx(path):
    """An idx file (gzipped) as a numpy array of its declared shape."""
    import numpy as np

    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise SystemExit(f"{path}: not an unsigned-byte idx file")
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise SystemExit(f"{path}: {data.size} bytes of data, {int(np.prod(dims))} expected")
    return data.reshape(dims)


def rss_now_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def child(args):
    import numpy as np  # noqa: F401  (read_idx needs it; imported before torch on purpose)
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    omp = int(os.environ.get("OMP_NUM_THREADS", "1"))
    torch.set_num_threads(omp)
    rss_import = rss_now_mib()

    torch.manual_seed(42)
    if args.model == "seed":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.Sigmoid(),
                              nn.Linear(128, 10), nn.Sigmoid())
        opt = torch.optim.SGD(model.parameters(), lr=0.01)

        def loss_of(out, y):  # nnd's `mse(out, one_hot(digit)) * 10`
            return F.mse_loss(out, F.one_hot(y, 10).to(out.dtype), reduction="sum") / y.shape[0]
    elif args.model == "mlp":
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10))
        opt = torch.optim.Adam(model.parameters(), lr=0.001)
    else:
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    if args.model != "seed":
        loss_of = F.cross_entropy
    params = sum(p.numel() for p in model.parameters())
    expected = {"mlp": 238510, "cnn": 421642, "seed": 101770}[args.model]
    if params != expected:
        raise SystemExit(f"{args.model}: {params} parameters, nnd's model has {expected}")

    # bytes, as nnd keeps them; scaled per batch
    x_train = torch.from_numpy(read_idx(f"{DATA}/train-images-idx3-ubyte.gz").copy())
    y_train = torch.from_numpy(read_idx(f"{DATA}/train-labels-idx1-ubyte.gz").astype("int64"))
    x_test = torch.from_numpy(read_idx(f"{DATA}/t10k-images-idx3-ubyte.gz").copy())
    y_test = torch.from_numpy(read_idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").astype("int64"))
    n, batch, scale = x_train.shape[0], (1 if args.model == "seed" else 64), 1.0 / 255

    gen = torch.Generator().manual_seed(42)
    order, at = torch.randperm(n, generator=gen), 0

    def train_step():
        nonlocal order, at
        if at + batch > n:  # full batches only, a new shuffle per epoch
            order, at = torch.randperm(n, generator=gen), 0
        idx = order[at : at + batch]
        at += batch
        xb = x_train[idx].to(torch.float32).mul_(scale).view(batch, 1, 28, 28)
        yb = y_train[idx]
        opt.zero_grad(set_to_none=True)
        loss = loss_of(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    model.train()
    for _ in range(args.warmup):
        train_step()
    # --max-seconds bounds each timed phase, as nnd_bench's does
    def in_time(start):
        return args.max_seconds <= 0 or time.perf_counter() - start < args.max_seconds

    loss_sum, steps = 0.0, 0
    c0, t0 = time.process_time(), time.perf_counter()
    while steps < args.steps and in_time(t0):
        loss_sum += train_step().item()  # nnd_bench reads its loss every step too
        steps += 1
    train_s, train_cpu = time.perf_counter() - t0, time.process_time() - c0

    ib = args.infer_batch
    full = x_test.shape[0] // ib
    model.eval()
    correct, batches = 0, 0
    with torch.inference_mode():
        def infer(i):
            xb = x_test[(i % full) * ib : (i % full + 1) * ib].to(torch.float32).mul_(scale)
            return model(xb.view(ib, 1, 28, 28)).argmax(1)

        for i in range(2):  # nnd_bench's --infer-warmup default
            infer(i)
        c1, t1 = time.process_time(), time.perf_counter()
        while batches < args.infer_batches and in_time(t1):
            pred = infer(batches)
            j = batches % full
            correct += int((pred == y_test[j * ib : (j + 1) * ib]).sum())
            batches += 1
        infer_s, infer_cpu = time.perf_counter() - t1, time.process_time() - c1
        # batch 1, one sample at a time: the embedding case
        lat = []
        for i in range(-10, args.latency):
            t = time.perf_counter()
            xb = x_test[(i + 10) % x_test.shape[0]].to(torch.float32).mul_(scale)
            model(xb.view(1, 1, 28, 28)).argmax(1)
            if i >= 0:
                lat.append(time.perf_counter() - t)
        lat.sort()

    train_sps = steps * batch / train_s
    print(json.dumps({
        "kind": "torch", "model": MODELS[args.model], "torch": torch.__version__,
        "omp_threads": omp, "torch_threads": torch.get_num_threads(),
        "openblas_threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0")),
        "wait_policy": os.environ.get("OMP_WAIT_POLICY", "default"),
        "params": params, "batch": batch, "steps": steps, "steps_asked": args.steps,
        "warmup": args.warmup, "max_seconds": args.max_seconds,
        "train_seconds": round(train_s, 6), "train_cpu_seconds": round(train_cpu, 6),
        "train_samples_per_s": round(train_sps, 3),
        "step_ms": round(train_s / steps * 1e3, 4),
        "epoch_seconds": round(n / train_sps, 3), "mean_loss": round(loss_sum / steps, 6),
        "infer_batch": ib, "infer_batches": batches, "infer_batches_asked": args.infer_batches,
        "infer_seconds": round(infer_s, 6), "infer_cpu_seconds": round(infer_cpu, 6),
        "infer_samples_per_s": round(batches * ib / infer_s, 3),
        "infer_accuracy": round(correct / (batches * ib), 4),
        "rss_after_import_mib": round(rss_import, 2), "peak_rss_mib": round(peak_rss_mib(), 2),
        **({"latency_samples": len(lat), "latency_best_us": round(lat[0] * 1e6, 2),
            "latency_median_us": round(lat[len(lat) // 2] * 1e6, 2)} if lat else {}),
    }), flush=True)


def setting_name(r):
    return f"omp={r['omp_threads']} blas={r['openblas_threads']} wait={r['wait_policy']}"


def parent(args):
    results = []
    for omp, blas, wait, run in itertools.product(args.omp, args.blas, args.wait,
                                                  range(args.repeat)):
        env = dict(os.environ, OMP_NUM_THREADS=str(omp), OPENBLAS_NUM_THREADS=str(blas))
        env.pop("OMP_WAIT_POLICY", None)
        if wait != "default":
            env["OMP_WAIT_POLICY"] = wait
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--model", args.model,
               "--steps", str(args.steps), "--warmup", str(args.warmup),
               "--infer-batch", str(args.infer_batch), "--infer-batches", str(args.infer_batches),
               "--max-seconds", str(args.max_seconds), "--latency", str(args.latency)]
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        if p.returncode != 0 or not line.startswith("{"):
            r = {"kind": "torch", "model": MODELS[args.model], "omp_threads": omp,
                 "openblas_threads": blas, "wait_policy": wait,
                 "error": (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]}
        else:
            r = json.loads(line)
        r["run"] = run + 1
        print(json.dumps(r), flush=True)
        results.append(r)
    ok = [r for r in results if "error" not in r]
    if not ok:
        print(json.dumps({"kind": "torch_best", "model": MODELS[args.model],
                          "error": "no setting ran"}), flush=True)
        return 1
    best = {"kind": "torch_best", "model": MODELS[args.model]}
    for metric in ("train", "infer"):
        r = max(ok, key=lambda x: x[metric + "_samples_per_s"])
        best[metric] = {"setting": setting_name(r), "omp_threads": r["omp_threads"],
                        "openblas_threads": r["openblas_threads"],
                        "wait_policy": r["wait_policy"],
                        "samples_per_s": r[metric + "_samples_per_s"],
                        "peak_rss_mib": r["peak_rss_mib"]}
    print(json.dumps(best), flush=True)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=sorted(MODELS), required=True)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--infer-batch", type=int, default=256)
    ap.add_argument("--infer-batches", type=int, default=20)
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="stop each timed phase after this many seconds (0: no limit)")
    ints = lambda s: [int(v) for v in s.split(",")]  # noqa: E731
    ap.add_argument("--omp", type=ints, default=[1, 2], help="OpenMP thread counts to try")
    ap.add_argument("--blas", type=ints, default=[1, 2], help="OpenBLAS thread counts to try")
    ap.add_argument("--wait", type=lambda s: s.split(","), default=["default", "PASSIVE"],
                    help="OMP_WAIT_POLICY values to try ('default': unset)")
    ap.add_argument("--repeat", type=int, default=1, help="runs of every setting")
    ap.add_argument("--latency", type=int, default=0,
                    help="single-sample forwards to time after inference (0: none)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return 0
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
