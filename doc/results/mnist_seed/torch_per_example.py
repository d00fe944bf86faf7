#!/usr/bin/python3
"""The PyTorch side of the README's per-example speed table: the 784-128-10
sigmoid network of models/mnist_seed_per_example.nnd (Xavier weights, zero
biases, sigmoid outputs, squared error against the one-hot label summed over
the outputs, SGD lr 0.01) trained one sample per step on the full MNIST,
timed after 500 warm-up steps.

    /usr/bin/python3 doc/results/mnist_seed/torch_per_example.py data/mnist STEPS THREADS

prints steps/s (wall) and steps per CPU-second for torch.set_num_threads(THREADS).
"""
import gzip
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def idx(path):
    with gzip.open(path) as f:
        d = f.read()
    nd = d[3]
    dims = [int.from_bytes(d[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(d, np.uint8, offset=4 + 4 * nd).reshape(dims)


root, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(threads)
torch.manual_seed(42)
X = torch.tensor(idx(root + '/train-images-idx3-ubyte.gz').reshape(-1, 784) / 255.0,
                 dtype=torch.float32)
Y = torch.tensor(idx(root + '/train-labels-idx1-ubyte.gz').astype(np.int64))
model = nn.Sequential(nn.Linear(784, 128), nn.Sigmoid(), nn.Linear(128, 10), nn.Sigmoid())
for m in model:
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)
opt = torch.optim.SGD(model.parameters(), lr=0.01)
perm = torch.randperm(X.shape[0])


def run(n):
    for s in range(n):
        i = perm[s % X.shape[0]]
        target = F.one_hot(Y[i:i + 1], 10).to(torch.float32)
        loss = F.mse_loss(model(X[i:i + 1]), target, reduction='sum')
        opt.zero_grad()
        loss.backward()
        opt.step()


run(500)
t, c = time.perf_counter(), time.process_time()
run(steps)
dt, dc = time.perf_counter() - t, time.process_time() - c
print(f"torch {torch.__version__} threads {threads}: {steps} steps in {dt:.2f} s wall = "
      f"{steps / dt:.0f} steps/s; CPU {dc:.2f} s = {steps / dc:.0f} steps per CPU-second")
