"""OpenBLAS GEMM through numpy on GemmBenchmark's shapes, float32 and float64: the baseline for blocked32/blocked.

Run beside the JMH benchmark, in the same session (the machine's speed varies):
    OMP_NUM_THREADS=1 /usr/bin/python3 autodiff-bench/tools/numpy_gemm.py [shapes...]
and, to let OpenBLAS pick its AVX-512 kernels where the environment pins AVX2 (PERF-NOTES):
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 /usr/bin/python3 autodiff-bench/tools/numpy_gemm.py
Shapes as GemmBenchmark's: "n" or "MxKxN" with ":nt" (A B^T) or ":tn" (A^T B). Prints GFLOP/s, the best of 5
rounds of at least 0.5 s each.
"""
import sys
import time

import numpy as np

SHAPES = ["256", "512", "1024", "128x784x512", "128x512x784:nt", "784x128x512:tn", "128x512x10"]


def operands(shape, dtype):
    parts = shape.split(":")
    dims = [int(d) for d in parts[0].split("x")]
    m, k, n = (dims[0],) * 3 if len(dims) == 1 else dims
    rng = np.random.default_rng(1)
    t = parts[1] if len(parts) > 1 else ""
    a = rng.uniform(-1, 1, (k, m) if t == "tn" else (m, k)).astype(dtype)
    b = rng.uniform(-1, 1, (n, k) if t == "nt" else (k, n)).astype(dtype)
    c = np.empty((m, n), dtype)
    a = a.T if t == "tn" else a
    b = b.T if t == "nt" else b
    return a, b, c, 2.0 * m * n * k


def rate(shape, dtype):
    a, b, c, flop = operands(shape, dtype)
    for _ in range(3):
        np.matmul(a, b, out=c)
    best = 0.0
    for _ in range(5):
        reps = 0
        t0 = time.perf_counter()
        while True:
            np.matmul(a, b, out=c)
            reps += 1
            dt = time.perf_counter() - t0
            if dt >= 0.5:
                break
        best = max(best, flop * reps / dt / 1e9)
    return best


if __name__ == "__main__":
    for s in sys.argv[1:] or SHAPES:
        print(f"{s:>16}  float32 {rate(s, np.float32):7.1f}  float64 {rate(s, np.float64):7.1f} GFLOP/s", flush=True)
