#!/usr/bin/python3
"""The lenet sample's recipe in PyTorch, for comparing accuracy per epoch (and time).

LeNet-5 (conv 6@5x5 pad 2, ReLU, max pool 2, conv 16@5x5, ReLU, max pool 2, 120, 84, 10), Adam lr 1e-3, batches of
64 shuffled per epoch, 5,000 of the 60,000 training images held out at random for validation, 3 epochs, float64
unless --float32; validation accuracy after each epoch and test accuracy at the end. Initial weights and shuffles
come from PyTorch's generator, so single runs differ from ours by seed noise: compare several seeds (--seed).

    OMP_NUM_THREADS=2 /usr/bin/python3 autodiff-bench/tools/torch_lenet.py --seed 1
"""
import argparse
import time

import torch
import torch.nn.functional as F

from torch_fashion_mnist import FOLDER, idx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--float32", action="store_true")
    ap.add_argument("--dir", default=FOLDER)
    args = ap.parse_args()
    start = time.perf_counter()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    dtype = torch.float32 if args.float32 else torch.float64
    x = torch.from_numpy(idx(f"{args.dir}/train-images-idx3-ubyte.gz").copy()).to(dtype).div_(255).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(idx(f"{args.dir}/train-labels-idx1-ubyte.gz").astype("int64"))
    test_x = torch.from_numpy(idx(f"{args.dir}/t10k-images-idx3-ubyte.gz").copy()).to(dtype).div_(255).reshape(-1, 1, 28, 28)
    test_y = torch.from_numpy(idx(f"{args.dir}/t10k-labels-idx1-ubyte.gz").astype("int64"))
    perm = torch.randperm(len(y))
    val, train = perm[:5000], perm[5000:]
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84), torch.nn.ReLU(),
        torch.nn.Linear(84, 10)).to(dtype)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def accuracy(images, labels):
        with torch.no_grad():
            return sum(int((model(images[i:i + 1000]).argmax(1) == labels[i:i + 1000]).sum())
                       for i in range(0, len(labels), 1000)) / len(labels)

    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        order = train[torch.randperm(len(train))]
        loss_sum, n = 0.0, 0
        for s in range(0, len(order), 64):
            rows = order[s:s + 64]
            loss = F.cross_entropy(model(x[rows]), y[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(rows)
            n += len(rows)
        print(f"epoch {epoch}  train {time.perf_counter() - t0:.1f} s  loss {loss_sum / n:.4f}  "
              f"val accuracy {accuracy(x[val], y[val]):.4f}")
    print(f"test accuracy {accuracy(test_x, test_y):.4f}")
    print(f"total {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
