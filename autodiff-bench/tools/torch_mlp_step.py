#!/usr/bin/python3
"""PyTorch's figure for BackwardBenchmark.mlpSgdStep, measured on this machine in the same session.

The same workload: MLP 784-512-512-10 with ReLU, softmax cross-entropy, batch 128, float64, one SGD step
(lr 0.01) per iteration, written as a PyTorch user writes it (nn.Linear, F.cross_entropy, torch.optim.SGD).
Timing follows JMH's shape: warm-up iterations, then measurement iterations of a fixed length, each
reporting its mean time per step; the script prints every iteration and their mean.

Run (PyTorch 1.13 from Debian's python3-torch; libopenblas0-openmp gives it OpenBLAS):
    OMP_NUM_THREADS=1 /usr/bin/python3 autodiff-bench/tools/torch_mlp_step.py --threads 1
    OMP_NUM_THREADS=2 /usr/bin/python3 autodiff-bench/tools/torch_mlp_step.py --threads 2
and with --dtype float32 for Float32Benchmark.
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
    ap.add_argument("--warmup", type=int, default=4)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--only", choices=("step", "forward"), help="measure one of the two")
    ap.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                    help="the model's and batch's dtype (Float32Benchmark's twin with float32)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(3)
    dtype = torch.float32 if args.dtype == "float32" else torch.float64
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 10)).to(dtype)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    images = torch.rand(128, 784, dtype=dtype)
    labels = torch.tensor([(i * 7 + 3) % 10 for i in range(128)])

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        opt.step()

    def forward():
        return F.cross_entropy(model(images), labels)

    for name, fn in (("step", step), ("forward", forward)):
        if args.only not in (None, name):
            continue
        for i in range(args.warmup):
            print(f"{name} warm-up {i + 1}: {iteration_ms(fn, args.seconds):.3f} ms", flush=True)
        runs = [iteration_ms(fn, args.seconds) for _ in range(args.iterations)]
        print(f"{name} iterations: " + " ".join(f"{r:.3f}" for r in runs))
        print(f"torch {name} {args.dtype} threads={args.threads}: {sum(runs) / len(runs):.3f} ms (min {min(runs):.3f})",
              flush=True)


if __name__ == "__main__":
    main()
