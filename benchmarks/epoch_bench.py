#!/usr/bin/env python
"""One DeepCluster epoch on CIFAR-sized data, measured side by side in one run (compare ratios, not seconds).

1. The time split of an epoch (features / PCA / k-means / training) on the DataLoader path and on the
   GPU-resident path (`DeviceImages`, notebook 10). Goals: PCA + k-means <= 5 % of the epoch; the features
   pass <= 0.4x the training pass.
2. The loop's overhead: the kit's `train_epoch` vs a bare PyTorch loop (zero_grad, forward, backward, step)
   on the same model and the same batches, already in memory. Goal: >= 0.95x the bare loop's throughput.

    python benchmarks/epoch_bench.py                                      # 10,000 shapes, 32 px (about 4 minutes on 2 cores)
    python benchmarks/epoch_bench.py --n-per-class 30 --width 0.25 --k 10 # quick
"""
import argparse
import time

import torch
from torch.nn import functional as F

from deepcluster_nb.config import DeepClusterConfig
from deepcluster_nb.core import get_device
from deepcluster_nb.data import shapes_dataset
from deepcluster_nb.fast import DeviceImages
from deepcluster_nb.models import get_model
from deepcluster_nb.train import DeepCluster, body_optimizer, fresh_top_layer, train_epoch

STAGES = ('features', 'pca', 'kmeans', 'train')


def time_split(data, cfg, epochs):
    "Mean seconds per stage over `epochs` epochs, after one epoch of warm-up."
    run = DeepCluster(data, cfg, progress=False)
    run.step()
    logs = [run.step() for _ in range(epochs)]
    return {s: sum(log[f't_{s}'] for log in logs) / epochs for s in STAGES}


def loop_overhead(cfg, n_batches, repeat, device):
    "Best seconds of the bare loop and of `train_epoch` over the same in-memory batches (channels-last, as the kit runs), alternated."
    model = get_model('alexnet', input_size=cfg.input_size, width=cfg.width, hidden=cfg.hidden, num_classes=cfg.k)
    model = model.to(device, memory_format=torch.channels_last)
    g = torch.Generator().manual_seed(0)
    batches = [(torch.randn(cfg.batch_size, 3, cfg.input_size, cfg.input_size, generator=g).to(device, memory_format=torch.channels_last),
                torch.randint(0, cfg.k, (cfg.batch_size,), generator=g).to(device)) for _ in range(n_batches)]
    opt = body_optimizer(model, cfg)
    top_opt = torch.optim.SGD(fresh_top_layer(model, cfg.k).parameters(), lr=cfg.lr)

    def bare():
        model.train()
        for x, y in batches:
            opt.zero_grad(); top_opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step(); top_opt.step()

    def kit(): train_epoch(model, batches, opt, top_opt, progress=False)
    best = {'bare': float('inf'), 'kit': float('inf')}
    kit(); bare()                                                       # warm-up
    for _ in range(repeat):
        for name, f in (('bare', bare), ('kit', kit)):
            if device.type == 'cuda': torch.cuda.synchronize()
            t = time.perf_counter(); f()
            if device.type == 'cuda': torch.cuda.synchronize()
            best[name] = min(best[name], time.perf_counter() - t)
    return best


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--n-per-class', type=int, default=1000, help='shapes per class (10 classes)')
    p.add_argument('--width', type=float, default=0.5)
    p.add_argument('--hidden', type=int, default=1024)
    p.add_argument('--k', type=int, default=100)
    p.add_argument('--batch-size', type=int, default=256)
    p.add_argument('--workers', type=int, default=2, help='DataLoader workers of the DataLoader path')
    p.add_argument('--epochs', type=int, default=1, help='measured epochs per path, after one of warm-up')
    p.add_argument('--device', default=None)
    p.add_argument('--repeat', type=int, default=3)
    a = p.parse_args(argv)
    device = get_device(a.device)
    data = shapes_dataset(a.n_per_class, seed=0)
    cfg = DeepClusterConfig(arch='alexnet', input_size=32, width=a.width, hidden=a.hidden, k=a.k, pca_dim=min(256, a.hidden),
                            batch_size=a.batch_size, workers=a.workers, device=str(device))
    print(f"{len(data)} images at 32 px, AlexNet (small input) width {a.width}, hidden {a.hidden}, k = {a.k}, batch {a.batch_size}, "
          f"{device}, {torch.get_num_threads()} threads")
    print(f"{'path':<22}" + ''.join(f'{s:>10}' for s in STAGES) + f"{'PCA+k-means':>13}{'features/train':>16}")
    for name, d in ((f'DataLoader ({a.workers} workers)', data), ('GPU-resident (device)', DeviceImages(data, device))):
        t = time_split(d, cfg, a.epochs)
        total = sum(t.values())
        print(f'{name:<22}' + ''.join(f'{t[s]:>9.2f}s' for s in STAGES)
              + f"{(t['pca'] + t['kmeans']) / total:>12.1%} {t['features'] / t['train']:>14.2f}x")
    n_batches = max(2, min(10, len(data) // a.batch_size))
    best = loop_overhead(cfg, n_batches, a.repeat, device)
    print(f"loop overhead, {n_batches} batches: bare loop {best['bare']:.3f} s, train_epoch {best['kit']:.3f} s: "
          f"throughput ratio {best['bare'] / best['kit']:.3f} (goal >= 0.95)")


if __name__ == '__main__':
    main()
