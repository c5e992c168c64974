#!/usr/bin/env python
"""Whitening PCA, torch vs faiss, fit and transform, measured side by side in one run.

    python benchmarks/pca_bench.py                   # 100k x 4096 -> 256 (1.6 GB of features; a few minutes on 2 cores)
    python benchmarks/pca_bench.py --n 5000 --d 512  # quick
"""
import argparse
import time

import faiss
import numpy as np
import torch

from deepcluster_nb.pca import WhitenedPCA


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=100_000)
    p.add_argument('--d', type=int, default=4096)
    p.add_argument('--dim', type=int, default=256)
    a = p.parse_args(argv)
    rng = np.random.default_rng(0)
    # features with a decaying spectrum, like a network's
    x = (rng.standard_normal((a.n, 64)).astype(np.float32) @ rng.standard_normal((64, a.d)).astype(np.float32)
         + 0.1 * rng.standard_normal((a.n, a.d)).astype(np.float32))
    print(f"PCA {a.n} x {a.d} -> {a.dim}, {torch.get_num_threads()} threads, faiss {faiss.__version__}, torch {torch.__version__}")
    res = {}
    for backend in ('faiss', 'torch'):
        t0 = time.perf_counter(); pca = WhitenedPCA(a.dim, backend).fit(x)
        t1 = time.perf_counter(); y = pca.transform(x)
        t2 = time.perf_counter()
        res[backend] = (t1 - t0, t2 - t1, y)
        print(f"{backend:6s}: fit {t1 - t0:7.2f} s, transform {t2 - t1:6.2f} s")
    (ff, tf, yf), (ft, tt, yt) = res['faiss'], res['torch']
    # Components with (nearly) equal eigenvalues are defined only up to a rotation, so compare what k-means sees:
    # the cosine similarities between rows after L2 normalisation, on a sample of rows.
    yf, yt = (y[:2000] / np.linalg.norm(y[:2000], axis=1, keepdims=True) for y in (yf, yt))
    print(f"torch / faiss time: fit {ft / ff:.2f}x, transform {tt / tf:.2f}x, total {(ft + tt) / (ff + tf):.2f}x; "
          f"row cosine similarities agree to {np.abs(yf @ yf.T - yt @ yt.T).max():.1e}")


if __name__ == '__main__':
    main()
