#!/usr/bin/python3
"""PyTorch's figures for MultiheadAttentionBenchmark, measured on this machine in the same session.

The same workloads: causal self-attention with torch.nn.MultiheadAttention(128, 8, batch_first=True) on
(32, 64, 128), and a post-norm torch.nn.TransformerEncoderLayer(128, 8, dim_feedforward=512, dropout=0,
batch_first=True) with the same mask, float64, loss = sum of the output, forward + backward per iteration (and
attention's forward alone). The mask is a boolean upper triangle (True = blocked), as ours. Timing as
torch_lstm_stacked.py: warm-up iterations, then measurement iterations of a fixed length.

Run (PyTorch 1.13 from Debian's python3-torch):
    OMP_NUM_THREADS=1 /usr/bin/python3 autodiff-bench/tools/torch_mha.py --threads 1
    OMP_NUM_THREADS=2 /usr/bin/python3 autodiff-bench/tools/torch_mha.py --threads 2
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
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    dtype = torch.float64
    attention = torch.nn.MultiheadAttention(128, 8, batch_first=True).to(dtype)
    layer = torch.nn.TransformerEncoderLayer(128, 8, dim_feedforward=512, dropout=0.0, batch_first=True).to(dtype)
    causal = torch.triu(torch.ones(64, 64, dtype=torch.bool), diagonal=1)
    x = torch.randn(32, 64, 128, dtype=dtype)

    def attention_forward_backward():
        attention.zero_grad()
        loss = attention(x, x, x, need_weights=False, attn_mask=causal)[0].sum()
        loss.backward()

    def attention_forward():
        return attention(x, x, x, need_weights=False, attn_mask=causal)[0].sum()

    def encoder_layer_forward_backward():
        layer.zero_grad()
        loss = layer(x, src_mask=causal).sum()
        loss.backward()

    for name, fn in (("attentionForwardBackward", attention_forward_backward), ("attentionForward", attention_forward),
                     ("encoderLayerForwardBackward", encoder_layer_forward_backward)):
        for i in range(args.warmup):
            print(f"{name} warm-up {i + 1}: {iteration_ms(fn, args.seconds):.3f} ms", flush=True)
        runs = [iteration_ms(fn, args.seconds) for _ in range(args.iterations)]
        print(f"{name} iterations: " + " ".join(f"{r:.3f}" for r in runs))
        print(f"torch {name} threads={args.threads}: {sum(runs) / len(runs):.3f} ms (min {min(runs):.3f})", flush=True)


if __name__ == "__main__":
    main()
