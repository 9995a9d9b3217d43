#!/usr/bin/python3
"""PyTorch's figures for LayersBenchmark.lenetForward and lenetForwardBackward, measured on this machine in the same session.

The same workload: LeNet-5 on a batch of 64 images 1 x 28 x 28 (conv 6@5x5 pad 2, ReLU, max pool 2, conv 16@5x5, ReLU,
max pool 2, flatten, 120, 84, 10 with ReLU), softmax cross-entropy against the labels i % 10; "forward" is the loss
alone, "step" is zero_grad, the loss and its backward (no optimizer step, as the benchmark). Timing follows JMH's shape:
warm-up iterations, then measurement iterations of a fixed length, each reporting its mean time per call; the script
prints every iteration and their mean.

Run (PyTorch 1.13 from Debian's python3-torch):
    OMP_NUM_THREADS=1 /usr/bin/python3 autodiff-bench/tools/torch_lenet_step.py --threads 1 --dtype float32
    OMP_NUM_THREADS=1 /usr/bin/python3 autodiff-bench/tools/torch_lenet_step.py --threads 1 --dtype float64
"""
import argparse
import time

import torch
import torch.nn.functional as F


def iteration_ms(fn, seconds):
    """Mean milliseconds per call of fn over at least `seconds`."""
    n = 0
    start = time.perf_counter()
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return elapsed * 1e3 / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--only", choices=("step", "forward"), help="measure one of the two")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                    help="the model's and batch's dtype (LayersBenchmark's dtype parameter)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(3)
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(400, 120), torch.nn.ReLU(), torch.nn.Linear(120, 84), torch.nn.ReLU(),
        torch.nn.Linear(84, 10)).to(dtype)
    images = torch.rand(64, 1, 28, 28, dtype=dtype)
    labels = torch.tensor([i % 10 for i in range(64)])

    def step():
        model.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()

    def forward():
        return F.cross_entropy(model(images), labels)

    for name, fn in (("step", step), ("forward", forward)):
        if args.only not in (None, name):
            continue
        for i in range(args.warmup):
            print(f"{name} warm-up {i + 1}: {iteration_ms(fn, args.seconds):.3f} ms", flush=True)
        runs = [iteration_ms(fn, args.seconds) for _ in range(args.iterations)]
        print(f"{name} iterations: " + " ".join(f"{r:.3f}" for r in runs))
        print(f"torch lenet {name} {args.dtype} threads={args.threads}: {sum(runs) / len(runs):.3f} ms "
              f"(min {min(runs):.3f})", flush=True)


if __name__ == "__main__":
    main()
