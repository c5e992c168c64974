"""The GPU code paths, run on the device named by DC_TEST_DEVICE (default: the CPU, as in CI).

The same tests run on a CUDA machine with `DC_TEST_DEVICE=cuda python -m pytest tests/test_devices.py`
(benchmarks/gpu_check.sh does): each compares the device path with the CPU path, so a CUDA run checks
mixed precision, nvJPEG and the torch k-means against their CPU references.
"""
import copy
import os

import numpy as np
import pytest
import torch
from PIL import Image
from sklearn.metrics import normalized_mutual_info_score as nmi
from torchvision.transforms import v2

from deepcluster_nb.config import small_config
from deepcluster_nb.data import image_folder, shapes_dataset
from deepcluster_nb.fast import (
    CachedViews,
    DeviceImages,
    JpegImages,
    build_training_copy,
    build_view_cache,
    normalize,
    training_copy,
    training_source,
    training_views,
    view_boxes,
)
from deepcluster_nb.features import compute_features
from deepcluster_nb.kmeans import run_kmeans
from deepcluster_nb.models import get_model
from deepcluster_nb.pca import WhitenedPCA
from deepcluster_nb.train import DeepCluster, body_optimizer, fresh_top_layer, train_epoch
from deepcluster_nb.views import clustering_transform

DEVICE = torch.device(os.environ.get('DC_TEST_DEVICE', 'cpu'))
GREY = 1 / 255 / 0.225                     # one grey level after normalisation


@pytest.fixture(scope='module')
def shapes():
    return shapes_dataset(6, seed=0)       # 60 images, 32 px


def test_device_views_match_the_cpu(shapes):
    views = [DeviceImages(shapes, device=d).views(32) for d in ('cpu', DEVICE)]
    for which in (0, 1):                    # clustering view, then training view (same seed: same crops)
        a, b = (torch.cat([x.cpu() for x, _ in v[which].batches(16, seed=3)]) for v in views)
        assert a.shape == b.shape == (60, 3, 32, 32)
        assert (a - b).abs().max() < 2 * GREY, (which, (a - b).abs().max())


@pytest.fixture
def tree(tmp_path):
    "Eight photo-like 80×60 JPEGs in two class folders."
    rng = np.random.default_rng(0)
    for i in range(8):
        (tmp_path / f'c{i % 2}').mkdir(exist_ok=True)
        base = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize((80, 60), Image.BICUBIC)
        base.save(tmp_path / f'c{i % 2}' / f'{i}.jpg', quality=90)
    return image_folder(tmp_path)


def test_jpeg_decoding_on_the_device_matches_pil(tree):
    cv, _ = JpegImages(tree, device=DEVICE, workers=2).views(32)       # the files read by worker processes
    got = torch.cat([x.cpu() for x, _ in cv.batches(4)])
    cpu = torch.cat([x for x, _ in JpegImages(tree, device='cpu', workers=0).views(32)[0].batches(4)])
    assert got.shape == (8, 3, 32, 32)
    diff = (got - cpu).abs()                # nvJPEG and libjpeg round the inverse DCT differently
    assert diff.mean() < GREY and diff.max() < 12 * GREY, (diff.mean(), diff.max())   # H200: 0.9 and 8 levels


def test_the_view_cache_read_onto_the_device_is_the_jpeg_paths_view(tree, tmp_path):
    cache = build_view_cache(tree, tmp_path / 'cache', size=32, chunk=4, workers=0, progress=False)
    x = torch.cat([x.cpu() for x, _ in CachedViews(cache, tree, workers=0, device=DEVICE).views(32)[0].batches(3)])
    ref = torch.stack([clustering_transform(32)(tree[i][0]) for i in range(len(tree))])
    assert (x - ref).abs().max() < 1e-5


@pytest.fixture
def photos(tmp_path):
    "Twelve photo-like JPEGs of twelve sizes (40 to 120 px a side) in two class folders."
    rng = np.random.default_rng(1)
    for i in range(12):
        (tmp_path / 'photos' / f'c{i % 2}').mkdir(parents=True, exist_ok=True)
        size = int(rng.integers(40, 120)), int(rng.integers(40, 120))
        base = Image.fromarray(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)).resize(size, Image.BICUBIC)
        base.save(tmp_path / 'photos' / f'c{i % 2}' / f'{i}.jpg', quality=95)
    return image_folder(tmp_path / 'photos')


def pil_views(ds, boxes):
    "The reference: torchvision's resized_crop of each PIL image at its integer box (x1, y1, x2, y2), 32 px."
    return normalize(torch.stack([v2.functional.resized_crop(v2.functional.pil_to_tensor(ds[i][0]), y1, x1, y2 - y1,
                                                             x2 - x1, [32, 32], antialias=True)
                                  for i, (x1, y1, x2, y2) in enumerate(boxes.int().tolist())]).float())


def test_batched_crops_on_the_device_are_the_reference_views(photos):
    imgs = [v2.functional.pil_to_tensor(photos[i][0]).to(DEVICE) for i in range(len(photos))]
    h, w = torch.tensor([im.shape[1:] for im in imgs], dtype=torch.float32).unbind(1)
    boxes = view_boxes(torch.rand(len(imgs), 4, generator=torch.Generator().manual_seed(0)), h, w, 32).round()
    got = training_views(imgs, boxes, torch.zeros(len(imgs), dtype=torch.bool), 32, budget=3 * 121 * 121).cpu()
    grey = (got - pil_views(photos, boxes)).abs() / GREY          # roi_align's box filter vs antialiased bilinear
    assert grey.mean() < 1 and grey.max() < 12, (grey.mean(), grey.max())      # CPU: 0.4 and 5 levels


def test_the_device_path_draws_its_boxes_as_the_cpu_path(photos):
    views = [torch.cat([x.cpu() for x, _ in JpegImages(photos, device=d, workers=w).views(32)[1].batches(5, seed=4)])
             for d, w in (('cpu', 0), (DEVICE, 2))]
    diff = (views[0] - views[1]).abs()                  # the same boxes and flips; nvJPEG rounds its own way
    assert views[0].shape == (12, 3, 32, 32) and diff.mean() < GREY and diff.max() < 12 * GREY, (diff.mean(), diff.max())


def test_uint8_crops_normalised_on_the_device_are_the_workers_views(photos):
    float_views, uint8_views = (torch.cat([x.cpu() for x, _ in training_source(photos, p, 32, workers=w, device=d)
                                           .batches(5, seed=2)]) for p, w, d in (('workers', 0, 'cpu'), ('uint8', 2, DEVICE)))
    assert float_views.shape == (12, 3, 32, 32) and (float_views - uint8_views).abs().max() < 1e-5


def test_the_training_copy_keeps_the_views_close(photos, tmp_path):
    small = training_copy(photos, build_training_copy(photos, tmp_path / 'small', short_side=37, workers=2, progress=False))
    assert [min(small[i][0].size) for i in range(12)] == [min(37, *photos[i][0].size) for i in range(12)]
    big, sm = ([v2.functional.pil_to_tensor(d[i][0]).to(DEVICE) for i in range(12)] for d in (photos, small))
    h, w = torch.tensor([im.shape[1:] for im in big], dtype=torch.float32).unbind(1)
    boxes = view_boxes(torch.rand(12, 4, generator=torch.Generator().manual_seed(0)), h, w, 32)
    scale = torch.tensor([[s.shape[2] / b.shape[2], s.shape[1] / b.shape[1]] * 2 for s, b in zip(sm, big)])
    flat = torch.zeros(12, dtype=torch.bool)
    grey = (training_views(sm, boxes * scale, flat, 32) - training_views(big, boxes, flat, 32)).abs().cpu() / GREY
    assert grey.mean() < 2.5 and grey.max() < 40, (grey.mean(), grey.max())   # less detail in small crops: 1.1, 9
    x, _ = next(iter(training_source(small, 'device', 32, workers=0, device=DEVICE).batches(12)))
    assert x.shape == (12, 3, 32, 32) and torch.isfinite(x).all()


def test_compiled_conv_layers_train_as_the_eager_ones(shapes):
    torch.manual_seed(0)
    eager = get_model('alexnet', num_classes=10, input_size=32, width=0.25, hidden=256).to(DEVICE)
    start, compiled = copy.deepcopy(eager), copy.deepcopy(eager)
    compiled.features.compile()                         # in place: the checkpoint's keys stay the same
    assert compiled.state_dict().keys() == eager.state_dict().keys()
    x, _ = next(iter(DeviceImages(shapes, device=DEVICE).views(32)[1].batches(16, seed=0)))
    y = torch.arange(16, device=DEVICE) % 10
    losses = []
    for m in (eager, compiled):
        torch.manual_seed(1)                            # the classifier's dropout draws the same
        opt, top = body_optimizer(m, small_config(width=0.25, k=10)), torch.optim.SGD(fresh_top_layer(m, 10).parameters(), lr=0.05)
        losses.append(train_epoch(m, [(x, y)] * 2, opt, top, progress=False, amp=False))
    assert abs(losses[0] - losses[1]) < 1e-3 * abs(losses[0]), losses
    a, b, s = (torch.cat([p.detach().flatten() for p in m.features.parameters()]) for m in (eager, compiled, start))
    assert (a - b).norm() < 1e-3 * (a - s).norm(), ((a - b).norm(), (a - s).norm())   # the same two SGD steps


def test_features_with_mixed_precision_match_fp32_on_the_cpu(shapes):
    torch.manual_seed(0)
    model = get_model('alexnet', num_classes=10, input_size=32, width=0.25, hidden=256)
    cv, _ = DeviceImages(shapes, device='cpu').views(32)
    ref = compute_features(model, cv, batch_size=32, progress=False)
    got = compute_features(model.to(DEVICE), DeviceImages(shapes, device=DEVICE).views(32)[0], batch_size=32,
                           progress=False)                             # AMP on CUDA (the default), fp32 on a CPU
    cos = (ref * got).sum(1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(got, axis=1)
    assert got.dtype == np.float32 and cos.min() > 0.99, cos.min()


def test_pca_on_the_device_matches_the_cpu():
    x = torch.randn(2000, 64, generator=torch.Generator().manual_seed(0)) @ torch.randn(64, 64)
    a = WhitenedPCA(16, 'torch').fit(x).transform(x)
    b = WhitenedPCA(16, 'torch').fit(x.to(DEVICE)).transform(x.to(DEVICE)).cpu()
    cos = (a * b).sum(0) / a.norm(dim=0) / b.norm(dim=0)              # each component, up to its sign
    assert cos.abs().min() > 0.999, cos


def test_torch_kmeans_on_the_device_matches_the_cpu():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 20, 4000)
    x = ((rng.standard_normal((20, 32)) * 4)[truth] + rng.standard_normal((4000, 32))).astype(np.float32)
    dev = run_kmeans(x, 20, seed=1, backend='torch', device=DEVICE)
    cpu = run_kmeans(x, 20, seed=1, backend='torch', device='cpu')        # the same start (seeded on the CPU)
    assert dev.backend == f'torch-{DEVICE.type}'
    assert nmi(cpu.assignments, dev.assignments) > 0.99 and abs(dev.sse[-1] / cpu.sse[-1] - 1) < 1e-3
    assert nmi(truth, dev.assignments) > 0.9 and nmi(truth, run_kmeans(x, 20, seed=1, backend='faiss-cpu').assignments) > 0.9


def test_two_epochs_on_the_device_learn_and_stay_finite(shapes):
    cfg = small_config(width=0.25, hidden=256, k=10, pca_dim=16, batch_size=16, epochs=2, seed=0, device=str(DEVICE))
    run = DeepCluster(DeviceImages(shapes, device=DEVICE), cfg, progress=False)
    before = [p.detach().clone() for p in run.model.features.parameters()]
    h = run.fit()
    assert len(h) == 2 and all(np.isfinite(e['loss']) for e in h)
    assert next(run.model.parameters()).device.type == DEVICE.type
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, run.model.features.parameters()))
