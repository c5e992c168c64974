#!/usr/bin/env python
"""Decoding the two views of JPEG photos on one CPU core, side by side in one run (compare ratios, not seconds).

For each photo size (default: ImageNet's typical 500×375, and a 12-megapixel camera photo, 4032×3024) and each
view size (224 px, the paper's, and 64 px, a CPU run on your own photos) it times, per image on one core, the
clustering view (resize, centre crop) and the training view (random resized crop, flip) made three ways:

- **whole**: PIL decodes the whole image, then the kit's transforms (`clustering_transform`, `training_transform`);
- **reduced**: the same, but the JPEG decoded at 1/2, 1/4 or 1/8 size while its short side stays at least
  `view_min_side(size)` (`decode_at_least`, notebook 01c: what the folder notebooks and notebook 90 do);
- **tensor**: `torchvision.io.decode_jpeg` on the CPU, then the batched tensor views of notebook 10.

It also prints how far the reduced views are from the whole ones (mean absolute difference in grey levels).

    python benchmarks/decode_bench.py                  # about two minutes
    python benchmarks/decode_bench.py --n 4 --sizes 640x480 --view-sizes 64  # quick (a test)
"""
import argparse
import io
import time

import numpy as np
import torch
from PIL import Image
from torchvision.io import ImageReadMode, decode_jpeg

from deepcluster_nb.data import load_rgb
from deepcluster_nb.fast import clustering_view, training_view, view_boxes
from deepcluster_nb.views import clustering_transform, training_transform, view_min_side


def photos(m, w, h, rng):
    "`m` photo-like JPEGs (smooth content plus noise, quality 90) of w×h, as bytes."
    out = []
    for _ in range(m):
        base = Image.fromarray(rng.integers(0, 256, (12, 16, 3), dtype=np.uint8)).resize((w, h), Image.BICUBIC)
        noisy = np.clip(np.asarray(base, dtype=np.int16) + rng.integers(-20, 21, (h, w, 3)), 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(noisy).save(buf, 'JPEG', quality=90)
        out.append(buf.getvalue())
    return out


def rate(f, files):
    "Images per second of f over files (best of two passes)."
    best = float('inf')
    for _ in range(2):
        t = time.perf_counter()
        for b in files: f(b)
        best = min(best, time.perf_counter() - t)
    return len(files) / best


def paths(size):
    "The three ways to make each view: name → function of the file's bytes."
    cview, tview, side = clustering_transform(size), training_transform(size), view_min_side(size)
    whole = lambda b: load_rgb(io.BytesIO(b))
    reduced = lambda b: load_rgb(io.BytesIO(b), min_side=side)
    dec = lambda b: decode_jpeg(torch.frombuffer(bytearray(b), dtype=torch.uint8), mode=ImageReadMode.RGB)[None]
    def tensor_train(b):
        x = dec(b)
        return training_view(x, view_boxes(torch.rand(1, 4), x.shape[2], x.shape[3], size), torch.rand(1) < 0.5, size)
    return {
        'clustering': {'whole': lambda b: cview(whole(b)), 'reduced': lambda b: cview(reduced(b)),
                       'tensor': lambda b: clustering_view(dec(b), size)},
        'training': {'whole': lambda b: tview(whole(b)), 'reduced': lambda b: tview(reduced(b)), 'tensor': tensor_train},
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=40, help='photos per size')
    p.add_argument('--sizes', nargs='+', default=['500x375', '4032x3024'])
    p.add_argument('--view-sizes', nargs='+', type=int, default=[224, 64], help='sides of the views')
    a = p.parse_args(argv)
    torch.set_num_threads(1)                                    # one core per image, as a DataLoader worker
    rng = np.random.default_rng(0)
    print("images/s on one core (best of 2 passes); in brackets: x the whole-image path")
    for wh in a.sizes:
        w, h = map(int, wh.split('x'))
        files = photos(a.n, w, h, rng)
        print(f"{w}x{h} ({np.mean([len(b) for b in files]) / 1e3:.0f} kB): decoding alone {rate(lambda b: load_rgb(io.BytesIO(b)), files):,.0f} img/s")
        for size in a.view_sizes:
            ways = paths(size)
            for view, fs in ways.items():
                r = {name: rate(f, files) for name, f in fs.items()}
                print(f"  {size} px {view:10s} " + ', '.join(f"{k} {v:,.0f} ({v / r['whole']:.2f}x)" for k, v in r.items()))
            d = torch.stack([(ways['clustering']['reduced'](b) - ways['clustering']['whole'](b)).abs().mean() for b in files])
            print(f"  {size} px clustering view, reduced vs whole: {d.mean() * 0.225 * 255:.2f} grey levels on average "
                  f"(short side decoded: {min(load_rgb(io.BytesIO(files[0]), min_side=view_min_side(size)).size)} px)")

if __name__ == '__main__':
    main()
