#!/usr/bin/env python
"""The features pass from JPEGs vs from the view cache, side by side in one run (compare ratios, not seconds).

On a generated ImageFolder tree of photo-like 500×375 JPEGs (ImageNet's typical size) it builds the view cache
(`data_scripts/cache_views.py`'s `build_view_cache`) and measures, at 224 px:

- the clustering view alone: images/s of the batches from the JPEGs (DataLoader workers decoding) and from the cache;
- the whole features pass of AlexNet-BN (the paper's network) on each;
- the training view alone, which no cache can hold (it is random), by each path of notebook 10 (`training_path_rates`):
  float views from the DataLoader workers, uint8 crops normalised on the device, decoded and cropped on the device;
- the disk: bytes per image of the JPEGs and of the cache.

    python benchmarks/cache_bench.py                                  # 512 photos, 2 workers, the CPU (about 2 minutes)
    python benchmarks/cache_bench.py --n 16384 --workers 16 --device cuda
    python benchmarks/cache_bench.py --n 16 --size 32 --quick         # tiny (a test)
"""
import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from decode_bench import photos

from deepcluster_nb.core import get_device
from deepcluster_nb.data import LoaderView, image_folder
from deepcluster_nb.fast import CachedViews, build_view_cache, training_path_rates
from deepcluster_nb.features import compute_features
from deepcluster_nb.models import get_model
from deepcluster_nb.views import clustering_transform


def timed(device, f):
    "Seconds of f() with the device synchronised after."
    t = time.perf_counter()
    f()
    if device.type == 'cuda': torch.cuda.synchronize()
    return time.perf_counter() - t


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=512, help='photos (files); keep n ≥ 4 x workers x batch size, since a worker '
                   'makes whole batches')
    p.add_argument('--unique', type=int, default=256, help='distinct photos among them (each decodes at the same cost)')
    p.add_argument('--size', type=int, default=224)
    p.add_argument('--workers', type=int, default=2)
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--device', default=None)
    p.add_argument('--quick', action='store_true', help='a small network: checks the code, measures nothing useful')
    a = p.parse_args(argv)
    device = get_device(a.device)
    with tempfile.TemporaryDirectory() as tmp:
        root, rng = Path(tmp) / 'photos', np.random.default_rng(0)
        files = photos(min(a.n, a.unique), 500, 375, rng)
        for i in range(a.n):
            (root / f'c{i % 10}').mkdir(parents=True, exist_ok=True)
            (root / f'c{i % 10}' / f'{i:06d}.jpg').write_bytes(files[i % len(files)])
        tree = image_folder(root)
        t_build = timed(device, lambda: build_view_cache(tree, Path(tmp) / 'cache', a.size, chunk=a.batch_size,
                                                                workers=a.workers, progress=False))
        jpeg = LoaderView(tree, clustering_transform(a.size), a.workers, device.type == 'cuda')
        cache = CachedViews(Path(tmp) / 'cache', tree, a.workers, device).views(a.size)[0]
        kw = dict(width=0.25, hidden=256) if a.quick else {}
        model = get_model('alexnet', num_classes=10, input_size=a.size, **kw).to(device, memory_format=torch.channels_last)
        views = {'JPEGs': jpeg, 'cache': cache}
        for v in views.values():                                            # warm-up: workers start, cuDNN picks kernels
            compute_features(model, v, a.batch_size, indices=np.arange(min(a.n, 2 * a.batch_size)), progress=False)
        data = {k: a.n / timed(device, lambda: [x.to(device) for x, _ in v.batches(a.batch_size)]) for k, v in views.items()}
        feat = {k: a.n / timed(device, lambda: compute_features(model, v, a.batch_size, progress=False))
                for k, v in views.items()}
        train = training_path_rates(tree, a.size, batches=-(-a.n // a.batch_size), batch_size=a.batch_size, workers=a.workers,
                                    device=device)
        jpeg_bytes = sum(f.stat().st_size for f in root.rglob('*.jpg')) / a.n
        cache_bytes = (Path(tmp) / 'cache' / 'views.u8').stat().st_size / a.n
    where = f"{device.type}, {a.workers} workers, {os.cpu_count()} cores"
    print(f"{a.n} photos 500x375 at {a.size} px ({where}); cache built at {a.n / t_build:,.0f} img/s")
    print(f"clustering view alone: JPEGs {data['JPEGs']:,.0f} img/s, cache {data['cache']:,.0f} img/s: "
          f"{data['cache'] / data['JPEGs']:.1f}x")
    print(f"features pass: JPEGs {feat['JPEGs']:,.0f} img/s, cache {feat['cache']:,.0f} img/s: "
          f"{feat['cache'] / feat['JPEGs']:.2f}x")
    print("training view alone: " + ', '.join(f"{k} {v:,.0f} img/s" for k, v in train.items()))
    print(f"disk per image: JPEG {jpeg_bytes / 1e3:.0f} kB, cache {cache_bytes / 1e3:.0f} kB "
          f"({cache_bytes / jpeg_bytes:.1f}x); ImageNet (1,281,167 images): cache {cache_bytes * 1_281_167 / 1e9:.0f} GB")


if __name__ == '__main__':
    main()
