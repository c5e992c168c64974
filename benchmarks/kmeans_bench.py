#!/usr/bin/env python
"""k-means speed, measured side by side in one run (machines are noisy: compare ratios, not seconds).

1. The kit's `run_kmeans` wrapper vs raw faiss with the same settings (goal: ratio <= 1.1).
2. faiss vs scikit-learn KMeans (lloyd) vs the kit's torch k-means, as achieved GFLOP/s (2*N*k*d per
   iteration) against a plain float32 matmul of the same shape measured in the same run.

    python benchmarks/kmeans_bench.py                 # 100k x 256, k = 1000, 20 iterations (about 2 minutes on 2 cores)
    python benchmarks/kmeans_bench.py --n 5000 --k 50 # quick
"""
import argparse
import time

import faiss
import numpy as np
import torch
from sklearn.cluster import KMeans

from deepcluster_nb.kmeans import kmeans_torch, run_kmeans


def timed(f, repeat=1):
    "Best wall-clock seconds of `repeat` calls, and the last result."
    best = float('inf')
    for _ in range(repeat):
        t = time.perf_counter(); r = f(); best = min(best, time.perf_counter() - t)
    return best, r


def raw_faiss(x, k, niter, seed):
    km = faiss.Kmeans(x.shape[1], k, niter=niter, seed=seed, max_points_per_centroid=10_000_000, min_points_per_centroid=1)
    km.train(x)
    return km.index.search(x, 1)[1][:, 0], len(km.obj)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=100_000)
    p.add_argument('--d', type=int, default=256)
    p.add_argument('--k', type=int, default=1000)
    p.add_argument('--niter', type=int, default=20)
    p.add_argument('--repeat', type=int, default=2)
    a = p.parse_args(argv)
    x = np.random.default_rng(0).standard_normal((a.n, a.d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    print(f"k-means on {a.n} x {a.d}, k = {a.k}, {a.niter} iterations, {torch.get_num_threads()} threads, faiss {faiss.__version__}")

    t_raw, _ = timed(lambda: raw_faiss(x, a.k, a.niter, 1), a.repeat)
    t_wrap, _ = timed(lambda: run_kmeans(x, a.k, niter=a.niter, seed=1, backend='faiss-cpu'), a.repeat)
    print(f"wrapper vs raw faiss: {t_wrap:.2f} s vs {t_raw:.2f} s, ratio {t_wrap / t_raw:.3f} (goal <= 1.1)")

    c = x[: a.k].copy()
    t_mm, _ = timed(lambda: x @ c.T, 3)
    peak = 2 * a.n * a.k * a.d / t_mm / 1e9
    rows = [('float32 matmul (N x d) @ (d x k)', t_mm, 1, peak)]
    t_f, (_, it_f) = timed(lambda: raw_faiss(x, a.k, a.niter, 1))
    t_s, km = timed(lambda: KMeans(a.k, init='random', n_init=1, max_iter=a.niter, tol=0, algorithm='lloyd', random_state=1).fit(x))
    xt = torch.from_numpy(x)
    t_t, r_t = timed(lambda: kmeans_torch(xt, a.k, a.niter, seed=1))
    for name, t, iters in (('faiss (CPU)', t_f, it_f), ('scikit-learn lloyd', t_s, km.n_iter_), ('kit torch k-means', t_t, len(r_t.sse))):
        rows.append((name, t, iters, 2 * a.n * a.k * a.d * iters / t / 1e9))
    print(f"{'':34s} {'seconds':>8s} {'iters':>6s} {'GFLOP/s':>8s} {'of matmul':>10s}")
    for name, t, iters, g in rows:
        print(f"{name:34s} {t:8.2f} {iters:6d} {g:8.1f} {g / peak:10.2f}")


if __name__ == '__main__':
    main()
