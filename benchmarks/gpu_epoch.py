#!/usr/bin/env python
"""One DeepCluster epoch at ImageNet size on a CUDA card, and what it implies for the paper's 500 epochs.

A prepared check for a GPU machine (under 5 minutes on one modern card). On a synthetic ImageNet-sized subset
(N random 256×256 images held on the GPU, AlexNet-BN with Sobel at 224 px, the paper's settings) it measures,
with the kit's own functions:

- the features pass (clustering view, inference mode) and the training pass (training view, channels-last), in
  images per second, each with AMP (the kit's default on CUDA) and in fp32 (`amp=False`, the official code's);
  the training pass split into its two parts: the network alone on one batch already made, and the views alone;
- PCA (4096 → 256, whitened) of the N and N/2 features (a fixed eigen-decomposition plus a part linear in N);
- k-means with k = 10,000 on random 256-d rows: the torch k-means on the device with ImageNet's 1,281,167 rows,
  faiss on the CPU's cores with fewer rows (scaled up linearly), and faiss on the GPU where faiss-gpu is installed;
- JPEG decoding of ImageNet-like photos (about 500×375): PIL on one CPU core vs `torchvision.io.decode_jpeg`
  on the GPU, in batches;
- the training view's paths (notebook 10) on a tree of such photos, side by side: `train_path` 'workers' (float
  views from the DataLoader workers), 'uint8' (uint8 crops, normalised on the GPU) and 'device' (batched nvJPEG
  decoding and one `roi_align` a batch), each from the JPEGs and from their training copy (short side 256): the views
  alone, and the whole training pass of the network on them; the features pass from the tree's view cache;
- the network alone with its conv layers compiled (`torch.compile`, as notebook 90's `compile_network`).

It then projects one epoch of ImageNet (1,281,167 images): each pass at the slower of the network and the
decoder (GPU decoding when it is faster than the machine's CPU cores), k-means and PCA's linear part scaled to N;
and, per training path, the epoch beside the view cache (the features pass and the training pass as measured on
the photos); and prints a one-line summary with the card's name and every path's 500 epochs. Goal: 500 epochs in under 24 hours (the paper: about 12
days on a P100).

    python benchmarks/gpu_epoch.py                              # on a CUDA machine
    python benchmarks/gpu_epoch.py --device cpu --n 64 --quick  # the same code on the CPU, tiny (a test)
"""
import argparse
import copy
import io
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from decode_bench import photos
from PIL import Image

from deepcluster_nb.config import DeepClusterConfig
from deepcluster_nb.core import get_device, set_seed
from deepcluster_nb.data import ImageArrayDataset, image_folder
from deepcluster_nb.fast import (
    CachedViews,
    DeviceImages,
    build_training_copy,
    build_view_cache,
    training_copy,
    training_path_rates,
    training_source,
)
from deepcluster_nb.features import compute_features
from deepcluster_nb.kmeans import faiss_gpus, run_kmeans
from deepcluster_nb.models import get_model
from deepcluster_nb.pca import WhitenedPCA
from deepcluster_nb.sampler import UniformClusterSampler
from deepcluster_nb.train import body_optimizer, fresh_top_layer, train_epoch

IMAGENET = 1_281_167


def timed(device, f):
    "Seconds of f() with the device synchronised before and after, and its result."
    if device.type == 'cuda': torch.cuda.synchronize()
    t = time.perf_counter(); r = f()
    if device.type == 'cuda': torch.cuda.synchronize()
    return time.perf_counter() - t, r


def decode_rates(device, m, rng):
    "Images per second: PIL decode on one CPU core, and batched decode_jpeg on `device`."
    from torchvision.io import decode_jpeg
    files = photos(m, 500, 375, rng)
    t_pil, _ = timed(device, lambda: [Image.open(io.BytesIO(b)).convert('RGB') for b in files])
    data = [torch.frombuffer(bytearray(b), dtype=torch.uint8) for b in files]
    decode_jpeg(data[:4], device=device)                                  # warm-up (loads the decoder)
    t_dev, _ = timed(device, lambda: decode_jpeg(data, device=device))
    return m / t_pil, m / t_dev


def photo_tree(root, m, unique, rng):
    "An ImageFolder tree of `m` photo-like 500×375 JPEGs (`unique` distinct ones, repeated), in ten class folders."
    files = photos(min(m, unique), 500, 375, rng)
    for i in range(m):
        (root / f'c{i % 10}').mkdir(parents=True, exist_ok=True)
        (root / f'c{i % 10}' / f'{i:06d}.jpg').write_bytes(files[i % len(files)])
    return image_folder(root)


def path_rates(device, a, model, cfg, tmp):
    "Per training path and source: views alone and the training pass (img/s); and the features pass from the cache."
    tree, workers = photo_tree(tmp / 'photos', a.photos, a.unique, np.random.default_rng(1)), 0 if a.quick else os.cpu_count()
    sources = {'JPEGs': tree, 'copy': training_copy(tree, build_training_copy(tree, tmp / 'small', workers=workers,
                                                                               progress=False))}
    bs, labels = min(cfg.batch_size, a.photos // 2), torch.zeros(a.photos, dtype=torch.long)
    opt, order = body_optimizer(model, cfg), np.random.default_rng(0).permutation(a.photos)
    top_opt = torch.optim.SGD(fresh_top_layer(model, cfg.k).parameters(), lr=cfg.lr)
    alone, passes = {}, {}
    for name, src in sources.items():
        for p, r in training_path_rates(src, 224, batches=a.photos // bs, batch_size=bs, workers=workers,
                                        device=device).items():
            view = training_source(src, p, 224, workers=workers, device=device)
            train = lambda idx: train_epoch(model, view.batches(bs, idx, seed=0), opt, top_opt, labels, progress=False)
            train(order[:bs])                                                       # warm-up: workers start
            alone[p, name], passes[p, name] = r, a.photos / timed(device, lambda: train(order))[0]
    cache = build_view_cache(tree, tmp / 'cache', 224, chunk=bs, workers=workers, progress=False)
    cv = CachedViews(cache, tree, workers, device).views(224)[0]
    feats = lambda: compute_features(model, cv, batch_size=2 * bs, progress=False)
    feats()                                                                        # warm-up
    return alone, passes, a.photos / timed(device, feats)[0]


def compiled_rate(device, model, batch, steps, cfg, labels):
    "The network alone (img/s) with its conv layers compiled, after the compilation (a warm-up pass)."
    model = copy.deepcopy(model)
    model.features.compile()
    opt, top_opt = body_optimizer(model, cfg), torch.optim.SGD(fresh_top_layer(model, cfg.k).parameters(), lr=cfg.lr)
    run = lambda k: train_epoch(model, [batch] * k, opt, top_opt, labels, progress=False)
    run(2)
    return steps * len(batch[0]) / timed(device, lambda: run(steps))[0]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n', type=int, default=10_240, help='synthetic images (256×256) held on the device; a multiple of 512 '
                   'keeps every batch whole (a new batch shape costs a cuDNN search, once per run, not per epoch)')
    p.add_argument('--kmeans-n', type=int, default=IMAGENET, help='rows for the torch k-means timing')
    p.add_argument('--faiss-n', type=int, default=100_000, help='rows for the faiss CPU k-means timing (scaled up)')
    p.add_argument('--k', type=int, default=10_000)
    p.add_argument('--jpegs', type=int, default=512)
    p.add_argument('--photos', type=int, default=4096, help='photos (500×375 JPEG files) for the training paths')
    p.add_argument('--unique', type=int, default=256, help='distinct photos among them (each decodes at the same cost)')
    p.add_argument('--no-compile', action='store_true', help='skip the compiled network (a minute or more of compiling)')
    p.add_argument('--device', default=None)
    p.add_argument('--quick', action='store_true', help='tiny sizes everywhere: checks the code, measures nothing useful')
    a = p.parse_args(argv)
    if a.quick: a.kmeans_n, a.faiss_n, a.k, a.jpegs, a.photos, a.unique, a.no_compile = 2000, 1000, 20, 8, 4, 2, True
    device = get_device(a.device)
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else f'CPU ({os.cpu_count()} cores)'
    set_seed(0)
    rng = np.random.default_rng(0)
    cfg = DeepClusterConfig(k=a.k if a.k <= a.n else 10, batch_size=min(256, a.n), device=str(device))
    images = rng.integers(0, 256, (a.n, 256, 256, 3), dtype=np.uint8)
    cview, tview = DeviceImages(ImageArrayDataset(images, np.zeros(a.n, int), ['x']), device).views(224)
    del images
    small = dict(width=0.25, hidden=256) if a.quick else {}                # quick: a narrow AlexNet, the same code
    model = get_model('alexnet', num_classes=cfg.k, **small).to(device, memory_format=torch.channels_last)
    opt = body_optimizer(model, cfg)

    feats = lambda idx=None, amp=None: compute_features(model, cview, batch_size=2 * cfg.batch_size, indices=idx,
                                                        progress=False, amp=amp)
    for amp in (None, False): feats(range(min(a.n, 512)), amp)          # warm-up: cuDNN picks its kernels per dtype
    t_feat, f = timed(device, feats)
    t_feat32, _ = timed(device, lambda: feats(amp=False))
    f = torch.from_numpy(f).to(device)
    pca = lambda rows: timed(device, lambda: WhitenedPCA(256, 'torch').fit(rows).transform(rows))[0]
    t_half, t_pca = pca(f[:a.n // 2]), pca(f)
    per_row = max(0.0, (t_pca - t_half) / (a.n - a.n // 2))       # covariance and projection: linear in N
    pca_imagenet = t_pca - per_row * a.n + per_row * IMAGENET       # plus the eigen-decomposition: fixed
    labels = torch.as_tensor(rng.integers(0, cfg.k, a.n))
    order = UniformClusterSampler(labels.numpy(), seed=0).indices
    top_opt = torch.optim.SGD(fresh_top_layer(model, cfg.k).parameters(), lr=cfg.lr)
    def train(idx, amp=None):
        return train_epoch(model, tview.batches(cfg.batch_size, idx, seed=0), opt, top_opt, labels, progress=False, amp=amp)
    for amp in (None, False): train(order[:min(a.n, 512)], amp)                                               # warm-up
    t_train, _ = timed(device, lambda: train(order))
    t_fp32, _ = timed(device, lambda: train(order, amp=False))          # the official code trains in fp32
    batch = next(iter(tview.batches(cfg.batch_size, order[:cfg.batch_size], seed=1)))
    steps = max(1, a.n // cfg.batch_size)
    t_net, _ = timed(device, lambda: train_epoch(model, [batch] * steps, opt, top_opt, labels, progress=False))
    t_views, _ = timed(device, lambda: [v for v, _ in tview.batches(cfg.batch_size, order, seed=2)])
    km = {}
    for backend, rows in (('torch', a.kmeans_n), ('faiss-cpu', a.faiss_n)) + (('faiss-gpu', a.kmeans_n),) * (faiss_gpus() > 0):
        pts = torch.nn.functional.normalize(torch.randn(rows, 256, device=device if backend == 'torch' else 'cpu'), dim=1)
        pts = pts if backend == 'torch' else pts.numpy()
        t, _ = timed(device, lambda: run_kmeans(pts, a.k, niter=cfg.kmeans_iters, backend=backend, device=device))
        km[backend] = t * IMAGENET / rows                   # Lloyd's iterations: linear in the rows
    t_km = min(km.values())
    pil_rate, dev_rate = decode_rates(device, a.jpegs, rng)
    net_compiled = None if a.no_compile else compiled_rate(device, model, batch, steps, cfg, labels)
    with tempfile.TemporaryDirectory() as tmp:
        alone, passes, cache_feat = path_rates(device, a, model, cfg, Path(tmp))

    feat_rate, train_rate = a.n / t_feat, a.n / t_train
    cpu_decode = pil_rate * (os.cpu_count() or 1)                       # all cores decoding, at best
    decode = max(cpu_decode, dev_rate) if device.type == 'cuda' else cpu_decode
    epoch = IMAGENET / min(feat_rate, decode) + IMAGENET / min(train_rate, decode) + pca_imagenet + t_km
    print(f"features pass {feat_rate:,.0f} img/s (fp32 {a.n / t_feat32:,.0f}); training pass {train_rate:,.0f} img/s "
          f"(fp32 {a.n / t_fp32:,.0f}); features/train time {t_feat / t_train:.2f}x")
    print(f"training pass split: the network alone {steps * cfg.batch_size / t_net:,.0f} img/s, the training views "
          f"alone {a.n / t_views:,.0f} img/s")
    print(f"PCA of {a.n} rows {t_pca:.2f} s; k-means k={a.k}, 20 iterations, on ImageNet's rows: "
          + ', '.join(f"{b} {t:.1f} s" for b, t in km.items()) + f" (faiss-cpu measured on {a.faiss_n:,} rows, "
          f"torch on {a.kmeans_n:,}; faiss-gpu {'installed' if faiss_gpus() else 'not installed'})")
    print(f"JPEG decode: PIL {pil_rate:,.0f} img/s per core (x{os.cpu_count()} cores = {cpu_decode:,.0f}); "
          f"decode_jpeg on {device.type} {dev_rate:,.0f} img/s")
    print(f"projected ImageNet epoch: features {IMAGENET / min(feat_rate, decode) / 60:.1f} min, training "
          f"{IMAGENET / min(train_rate, decode) / 60:.1f} min, PCA {pca_imagenet / 60:.1f} min, k-means {t_km / 60:.1f} min")
    print(f"AMP: training {t_fp32 / t_train:.2f}x, features {t_feat32 / t_feat:.2f}x the fp32 speed "
          f"(on a CPU autocast is off either way)")
    net = steps * cfg.batch_size / t_net
    print("network alone, training: eager {:,.0f} img/s".format(net) + ('' if net_compiled is None else
          f", conv layers compiled {net_compiled:,.0f} img/s ({net_compiled / net:.2f}x)"))
    fixed = pca_imagenet + t_km + IMAGENET / cache_feat                 # beside the view cache: features from it
    hours = {k: 500 * (fixed + IMAGENET / r) / 3600 for k, r in passes.items()}
    for (p, src), r in passes.items():
        print(f"training path {p!r} from the {src}: views alone {alone[p, src]:,.0f} img/s, training pass {r:,.0f} img/s; "
              f"beside the view cache (features {cache_feat:,.0f} img/s) 500 epochs {hours[p, src]:.1f} h")
    best = min(hours, key=hours.get)
    paths = ', '.join(f"{p}{' (copy)' if s == 'copy' else ''} {passes[p, s]:,.0f} img/s {h:.0f} h" for (p, s), h in hours.items())
    print(f"SUMMARY {name}: train {train_rate:,.0f} img/s (fp32 {a.n / t_fp32:,.0f}), features {feat_rate:,.0f} img/s "
          f"(fp32 {a.n / t_feat32:,.0f}), k-means k={a.k} on {IMAGENET:,} rows "
          + ', '.join(f"{b} {t:.0f} s" for b, t in km.items())
          + f"; ImageNet epoch {epoch / 60:.1f} min, 500 epochs {500 * epoch / 3600:.1f} h (goal < 24 h)"
          + f"; training paths beside the view cache: {paths}; fastest {best[0]!r} from the {best[1]}: 500 epochs "
          f"{hours[best]:.1f} h" + ('' if net_compiled is None else f"; compiled network {net_compiled / net:.2f}x"))

if __name__ == '__main__':
    main()
