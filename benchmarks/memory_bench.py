#!/usr/bin/env python
"""Peak memory, time and forward passes of the features + PCA stage at ImageNet feature size (4096-d), side by side.

Each configuration runs in a fresh process: N synthetic 8×8 images held as one tensor, a stand-in network
whose FC2 layer has 4096 outputs (the stage's memory is set by the feature matrix, not by the network), and
`features_pca` to 256 dimensions. Reported: the peak resident memory above the process's baseline, as a share
of the N×4096 float32 matrix that the stage would otherwise hold. Goal: the streaming path (a memory budget
below the matrix) <= 0.25x, with one forward pass per image on both paths.

    python benchmarks/memory_bench.py             # N = 250,000: a 4.1 GB matrix (about 2 minutes on 2 cores)
    python benchmarks/memory_bench.py --n 20000   # quick
    python benchmarks/memory_bench.py --n 6000 --dim 1024   # the test's check of both paths (eigh 64x cheaper)
"""
import argparse
import json
import subprocess
import sys

SIDE = 8


def rss_kib(field):
    "VmRSS (now) or VmHWM (peak) of this process, in KiB."
    for line in open('/proc/self/status'):
        if line.startswith(field): return int(line.split()[1])


def child(n, budget, d):
    "Run the stage once and print the baseline and peak resident memory as JSON."
    import numpy as np
    from torch import nn

    from deepcluster_nb.data import ImageArrayDataset
    from deepcluster_nb.fast import DeviceImages
    from deepcluster_nb.pca import features_pca

    class StandIn(nn.Module):
        "FC2 with `d` outputs on flattened 8×8 images, shaped as the kit's networks are (classifier ending in ReLU, top_layer)."
        def __init__(self):
            super().__init__()
            self.classifier, self.top_layer = nn.Sequential(nn.Flatten(), nn.Linear(3 * SIDE * SIDE, d), nn.ReLU()), None
        def forward(self, x): return self.classifier(x)

    images = np.random.default_rng(0).integers(0, 256, (n, SIDE, SIDE, 3), dtype=np.uint8)
    data = DeviceImages(ImageArrayDataset(images, np.zeros(n, int), ['x']), 'cpu').views(SIDE)[0]
    import time
    model, passes = StandIn(), []
    model.register_forward_pre_hook(lambda m, args: passes.append(len(args[0])))
    del images
    base, t0 = rss_kib('VmRSS'), time.perf_counter()
    x = features_pca(model, data, dim=256, backend='torch', memory_budget=budget, batch_size=4096, progress=False)
    assert len(x) == n
    print(json.dumps(dict(base=base, peak=rss_kib('VmHWM'), seconds=time.perf_counter() - t0, passes=sum(passes))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=250_000)
    p.add_argument('--fit-share', type=float, default=1 / 16, help='streaming: share of the images the PCA is fitted on')
    p.add_argument('--dim', type=int, default=4096, help='feature dimensions (4096: AlexNet FC2, as on ImageNet)')
    p.add_argument('--child', nargs=3, type=float, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child: return child(int(a.child[0]), a.child[1], int(a.child[2]))
    matrix = a.n * a.dim * 4
    print(f"features + PCA of {a.n} images at {a.dim} dims: the float32 matrix is {matrix / 2**30:.2f} GiB")
    for name, budget in (('in memory', 2.0 * matrix), (f'streaming (fit on {a.fit_share:.0%})', a.fit_share * matrix)):
        out = subprocess.run([sys.executable, __file__, '--child', str(a.n), str(budget), str(a.dim)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        extra = (r['peak'] - r['base']) * 1024
        print(f"{name:<26} peak above baseline {extra / 2**30:6.2f} GiB = {extra / matrix:.2f}x the matrix; "
              f"{r['seconds']:.1f} s; {r['passes'] / a.n:.2f} forward passes per image")
    print("goal: streaming <= 0.25x, one forward pass per image")


if __name__ == '__main__':
    main()
