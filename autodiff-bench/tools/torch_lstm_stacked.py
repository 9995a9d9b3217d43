#!/usr/bin/python3
"""PyTorch's figure for StackedLstmBenchmark, measured on this machine in the same session.

The same workload: torch.nn.LSTM(64, 128, num_layers=2), time first, 50 steps, batch 32, float64,
loss = sum of the output, forward + backward per iteration (and the forward alone), written as a PyTorch
user writes it. Timing follows JMH's shape: warm-up iterations, then measurement iterations of a fixed
length, each reporting its mean time per call; the script prints every iteration and their mean.

Run (PyTorch 1.13 from Debian's python3-torch):
    OMP_NUM_THREADS=1 /usr/bin/python3 autodiff-bench/tools/torch_lstm_stacked.py --threads 1
    OMP_NUM_THREADS=2 /usr/bin/python3 autodiff-bench/tools/torch_lstm_stacked.py --threads 2
Quick check that it runs: add --warmup 1 --iterations 1 --seconds 0.5
"""
import argparse
import time

import torch


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
    ap.add_argument("--only", choices=("forwardBackward", "forward"), help="measure one of the two")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    dtype = torch.float64
    lstm = torch.nn.LSTM(64, 128, num_layers=2).to(dtype)
    sequence = torch.randn(50, 32, 64, dtype=dtype)

    def forward_backward():
        lstm.zero_grad()
        loss = lstm(sequence)[0].sum()
        loss.backward()

    def forward():
        return lstm(sequence)[0].sum()

    for name, fn in (("forwardBackward", forward_backward), ("forward", forward)):
        if args.only not in (None, name):
            continue
        for i in range(args.warmup):
            print(f"{name} warm-up {i + 1}: {iteration_ms(fn, args.seconds):.3f} ms", flush=True)
        runs = [iteration_ms(fn, args.seconds) for _ in range(args.iterations)]
        print(f"{name} iterations: " + " ".join(f"{r:.3f}" for r in runs))
        print(f"torch lstm {name} threads={args.threads}: {sum(runs) / len(runs):.3f} ms (min {min(runs):.3f})",
              flush=True)


if __name__ == "__main__":
    main()
