#!/usr/bin/python3
"""The fashion-mnist sample's recipe in PyTorch, printing the same lines, for whole-run comparisons.

MLP 784-256-10 (ReLU), Adam lr 1e-3, batch 128 (drop-last), 3 epochs, test accuracy after each epoch; float64
unless --float32. Reads the same gzip IDX files (apt-get install dataset-fashion-mnist), pixels / 255 as
torchvision's ToTensor; batches are rows indexed out of one tensor in a seeded permutation, as the sample does.

    OMP_NUM_THREADS=2 /usr/bin/python3 autodiff-bench/tools/torch_fashion_mnist.py --threads 2
"""
import argparse
import gzip
import time

import numpy as np
import torch
import torch.nn.functional as F

FOLDER = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--float32", action="store_true")
    ap.add_argument("--dir", default=FOLDER)
    ap.add_argument("--seed", type=int, default=42, help="the seed of the initial weights and the shuffle")
    ap.add_argument("--steps", type=int, default=0, help="print the time of each of the first N steps")
    args = ap.parse_args()
    start = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dtype = torch.float32 if args.float32 else torch.float64
    train_x = torch.from_numpy(idx(f"{args.dir}/train-images-idx3-ubyte.gz").copy()).to(dtype).div_(255).reshape(-1, 784)
    train_y = torch.from_numpy(idx(f"{args.dir}/train-labels-idx1-ubyte.gz").astype(np.int64))
    test_x = torch.from_numpy(idx(f"{args.dir}/t10k-images-idx3-ubyte.gz").copy()).to(dtype).div_(255).reshape(-1, 784)
    test_y = torch.from_numpy(idx(f"{args.dir}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    print(f"loaded {len(train_y)} training and {len(test_y)} test images in {time.perf_counter() - start:.2f} s")
    model = torch.nn.Sequential(torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)).to(dtype)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    n = len(train_y)
    batch = 128
    step = 0
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        g = torch.Generator().manual_seed(1000 * args.seed + epoch)
        order = torch.randperm(n, generator=g)
        loss_sum = 0.0
        batches = 0
        for start_row in range(0, n - batch + 1, batch):
            s0 = time.perf_counter()
            rows = order[start_row:start_row + batch]
            loss = F.cross_entropy(model(train_x[rows]), train_y[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            batches += 1
            step += 1
            if step <= args.steps:
                print(f"step {step} {(time.perf_counter() - s0) * 1e3:.3f} ms")
        train_seconds = time.perf_counter() - t0
        with torch.no_grad():
            correct = sum(int((model(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum())
                          for i in range(0, len(test_y), 1000))
        print(f"epoch {epoch}  train {train_seconds:.2f} s  loss {loss_sum / batches:.4f}  "
              f"test accuracy {correct / len(test_y):.4f}")
    print(f"total {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
