#!/usr/bin/python3
"""check_torch.py — the networks of models/ built in PyTorch (Debian's
python3-torch), trained briefly there, exported by PyTorch's own
torch.onnx.export, imported by `nnd import`, and run by nnd: the same class
for every one of 256 test samples and the same probabilities to 1e-4 (nnd's
raw outputs through nnd_run), the same classes from `nnd predict`, and the
same accuracy from `nnd eval` (run by tests/onnx/run).
"""
import argparse
import gzip
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import torch
from torch import nn

N = 256
TRAIN = 512
TOL = 1e-4
DATA = {
    "fashion": "/usr/share/datasets/fashion-mnist",
    "mnist": "data/mnist10k",
}


def idx(directory, kind, n):
    with gzip.open(os.path.join(directory, f"{kind}-images-idx3-ubyte.gz"), "rb") as f:
        images = np.frombuffer(f.read(), dtype=np.uint8, offset=16)[: n * 784]
    with gzip.open(os.path.join(directory, f"{kind}-labels-idx1-ubyte.gz"), "rb") as f:
        labels = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:n]
    return images, labels


def write_idx(tmp, images, labels):
    """A small raw IDX pair for `nnd eval` and `nnd predict`."""
    ip, lp = os.path.join(tmp, "images.idx"), os.path.join(tmp, "labels.idx")
    with open(ip, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + len(labels).to_bytes(4, "big") + (28).to_bytes(4, "big") * 2)
        f.write(images.tobytes())
    with open(lp, "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + len(labels).to_bytes(4, "big") + labels.tobytes())
    return ip, lp


class FashionMLP(nn.Module):  # models/fashion_mlp.nnd
    def __init__(self):
        super().__init__()
        self.dense_1 = nn.Linear(784, 300)
        self.logits = nn.Linear(300, 10)

    def forward(self, x):
        return self.logits(torch.relu(self.dense_1(torch.flatten(x, 1))))


class MnistMLP(nn.Module):  # models/mnist_mlp.nnd
    def __init__(self):
        super().__init__()
        self.dense_1 = nn.Linear(784, 300)
        self.logits = nn.Linear(300, 10)

    def forward(self, x):
        return self.logits(torch.sigmoid(self.dense_1(torch.flatten(x, 1))))


class FashionCNN(nn.Module):  # models/fashion_cnn.nnd
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.dense_1 = nn.Linear(3136, 128)
        self.logits = nn.Linear(128, 10)

    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.logits(torch.relu(self.dense_1(nn.Flatten()(x))))


class TorchIdioms(nn.Module):
    """What PyTorch code often does and its exporter turns into more than one
    node: batchnorm (folded into the convolution), an average pool (a Pad of
    zeros before it), x.view(x.size(0), -1) (Shape, Gather, Unsqueeze,
    Concat, Reshape), dropout."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.drop = nn.Dropout(0.2)
        self.logits = nn.Linear(8 * 14 * 14, 10)

    def forward(self, x):
        x = nn.functional.avg_pool2d(torch.relu(self.bn(self.conv(x))), 2)
        return self.logits(self.drop(x.view(x.size(0), -1)))


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def check(args, name, net, data, tmp):
    torch.manual_seed(0)
    images, labels = idx(data, "train", TRAIN)
    x = torch.tensor(images, dtype=torch.float32).reshape(-1, 1, 28, 28) / 255
    y = torch.tensor(labels, dtype=torch.long)
    opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    for _ in range(2):
        for b in range(0, TRAIN, 64):
            opt.zero_grad()
            nn.functional.cross_entropy(net(x[b:b + 64]), y[b:b + 64]).backward()
            opt.step()
    net.eval()
    onnx_file = os.path.join(tmp, f"{name}.onnx")
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), onnx_file, opset_version=13,
                      input_names=["image"], output_names=["out"],
                      dynamic_axes={"image": {0: "N"}, "out": {0: "N"}})
    nnd_file = os.path.join(tmp, f"{name}.nnd")
    rc, out = run([args.nnd, "import", onnx_file, "-o", nnd_file])
    if rc != 0:
        return f"nnd import: {out}"
    timages, tlabels = idx(data, "t10k", N)
    tx = torch.tensor(timages, dtype=torch.float32).reshape(-1, 1, 28, 28) / 255
    with torch.no_grad():
        probs = torch.softmax(net(tx), 1).numpy()
    theirs = probs.argmax(1)
    # nnd's raw outputs for the same samples
    inp = os.path.join(tmp, f"{name}.in.f32")
    outp = os.path.join(tmp, f"{name}.out.f32")
    tx.numpy().astype(np.float32).tofile(inp)
    weights = nnd_file[:-4] + ".safetensors"
    rc, out = run([args.nnd_run, "run", nnd_file, weights, str(N), "--in", "image", inp,
                   "--out", "logits", outp])
    if rc != 0:
        return f"nnd_run: {out}"
    logits = np.fromfile(outp, dtype=np.float32).reshape(N, 10)
    e = np.exp(logits - logits.max(1, keepdims=True))
    ours = e / e.sum(1, keepdims=True)
    if not np.all(np.isfinite(ours)):
        return "nnd's probabilities are not finite"
    if not np.array_equal(ours.argmax(1), theirs):
        return f"{int((ours.argmax(1) != theirs).sum())} of {N} samples get another class"
    err = float(np.max(np.abs(ours - probs)))
    if err > TOL:
        return f"probabilities differ by {err:.3g}"
    # nnd eval and nnd predict on the same samples, with a loss and test data
    ip, lp = write_idx(tmp, timages, tlabels)
    with open(nnd_file, "a") as f:
        f.write(f'\ninput label: class[10]\nloss cross_entropy(logits, label)\n'
                f'train {{\n  test = idx("{ip}", "{lp}", scale=1/255)\n}}\n')
    rc, out = run([args.nnd, "predict", nnd_file, "--weights", weights, "--samples", str(N),
                   "--top", "1"])
    if rc != 0:
        return f"nnd predict: {out}"
    classes = [int(m) for m in re.findall(r"^sample \d+: (\d+) ", out, re.M)]
    if classes != list(theirs):
        return f"nnd predict's classes differ from PyTorch's ({len(classes)} read)"
    rc, out = run([args.nnd, "eval", nnd_file, "--weights", weights, "--json"])
    if rc != 0:
        return f"nnd eval: {out}"
    m = re.search(r'"accuracy":\s*([0-9.eE+-]+)', out)
    acc = float((theirs == tlabels).mean())
    if not m or abs(float(m.group(1)) - acc) > 1e-9:
        return f"nnd eval's accuracy is not PyTorch's {acc}: {out[:200]}"
    # training starts from the imported weights: a step too small to move
    # any of them leaves PyTorch's accuracy (nnd's own initializers would not)
    ckpt = os.path.join(tmp, f"{name}.trained.safetensors")
    rc, out = run([args.nnd, "train", nnd_file, "--weights", weights, "--checkpoint", ckpt,
                   "--set", f'data=idx("{ip}", "{lp}", scale=1/255)', "--set",
                   "optimizer=sgd(lr=1e-30)", "--set", "epochs=1", "--set", "batch=64"])
    if rc != 0:
        return f"nnd train --weights: {out}"
    rc, out = run([args.nnd, "eval", nnd_file, "--weights", ckpt, "--json"])
    m2 = re.search(r'"accuracy":\s*([0-9.eE+-]+)', out)
    if rc != 0 or not m2 or abs(float(m2.group(1)) - acc) > 1e-9:
        return f"training from the imported weights lost PyTorch's accuracy {acc}: {out[:200]}"
    print(f"ok {name}: PyTorch -> ONNX -> nnd: {N} classes equal, probabilities to {err:.2g}, "
          f"eval accuracy {acc:.4f}", flush=True)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnd", required=True)
    ap.add_argument("--nnd-run", required=True)
    ap.add_argument("--srcdir", required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    nets = [("fashion_mlp", FashionMLP(), DATA["fashion"]),
            ("fashion_cnn", FashionCNN(), DATA["fashion"]),
            ("mnist_mlp", MnistMLP(), os.path.join(args.srcdir, DATA["mnist"])),
            ("torch_idioms", TorchIdioms(), DATA["fashion"])]
    failed = 0
    with tempfile.TemporaryDirectory(prefix="nnd-torch-") as tmp:
        for name, net, data in nets:
            why = check(args, name, net, data, tmp)
            if why:
                print(f"FAIL {name}: {why}", flush=True)
                failed += 1
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
