"The data scripts write and check the real on-disk formats, and fail with a clear message on bad input."
import re
import time

import numpy as np
from PIL import Image

from deepcluster_nb.data import check_image_folder, cifar10, digits_dataset, get_dataset, image_folder
from deepcluster_nb.retrieval import OxfordBuildings
from deepcluster_nb.shapes import SHAPES, make_shapes
from deepcluster_nb.voc import VOCClassification, make_scenes


def test_make_shapes_imagefolder(tmp_path, script):
    script('make_shapes.py', '--out', tmp_path / 's', '--n-per-class', 3, '--n-val-per-class', 2, '--size', 24)
    train, val = check_image_folder(tmp_path / 's/train'), check_image_folder(tmp_path / 's/val')
    assert train == {c: 3 for c in SHAPES} and val == {c: 2 for c in SHAPES}
    ds = image_folder(tmp_path / 's/train')
    assert ds[0][0].size == (24, 24) and ds.classes == sorted(SHAPES)
    # same seed, same pixels as the library's generator (up to JPEG loss)
    ims, labels = make_shapes(3, size=24)
    first = Image.open(next((tmp_path / 's/train' / SHAPES[labels[0]]).glob('000000.jpg')))
    assert np.abs(np.asarray(first, float) - ims[0]).mean() < 8


def test_make_shapes_cifar(tmp_path, script):
    out = script('make_shapes.py', '--out', tmp_path / 'c', '--format', 'cifar', '--n-per-class', 5, '--n-test', 10).stdout
    assert 'wrote 40 train' in out
    tr, te = cifar10(tmp_path / 'c'), cifar10(tmp_path / 'c', train=False)
    assert (len(tr), len(te)) == (40, 10) and tr.data.shape == (40, 32, 32, 3) and tr.classes == list(SHAPES)


def test_make_shapes_refuses_nonempty_out(tmp_path, script):
    (tmp_path / 'x').mkdir(); (tmp_path / 'x' / 'keep.txt').write_text('mine')
    r = script('make_shapes.py', '--out', tmp_path / 'x', check=False)
    assert r.returncode and 'is not empty' in r.stderr and (tmp_path / 'x/keep.txt').read_text() == 'mine'


def test_make_digits_both_formats(tmp_path, script):
    "The real digits written as an ImageFolder tree and as CIFAR pickles read back as the kit's splits."
    assert 'wrote 1437 train and 360 val' in script('make_digits.py', '--out', tmp_path / 'd').stdout
    tr, va = get_dataset(tmp_path / 'd'), get_dataset(tmp_path / 'd', train=False)
    assert (len(tr), len(va)) == (1437, 360) and tr.classes == [str(c) for c in range(10)]
    mem = digits_dataset(train=False)
    assert np.bincount(va.targets).tolist() == np.bincount(mem.targets).tolist()
    script('make_digits.py', '--out', tmp_path / 'c', '--format', 'cifar')
    te = cifar10(tmp_path / 'c', train=False)
    assert (te.data == mem.images).all() and te.targets == mem.targets          # pickles are lossless
    r = script('make_digits.py', '--out', tmp_path / 'c', check=False)
    assert r.returncode and 'is not empty' in r.stderr


def test_make_voc_writes_the_voc2007_layout(tmp_path, script):
    "Scenes in VOCdevkit/VOC2007: the official file formats, read back by the VOC reader as the generator made them."
    assert 'wrote 12 scenes' in script('make_voc.py', '--out', tmp_path / 'v', '--n-images', 12, '--size', 32).stdout
    main = tmp_path / 'v/VOCdevkit/VOC2007/ImageSets/Main'
    assert sorted(p.name for p in main.glob('*.txt') if '_' not in p.name) == ['test.txt', 'train.txt', 'trainval.txt', 'val.txt']
    lines = (main / 'star_trainval.txt').read_text().splitlines()
    assert len(lines) == 6 and all(re.fullmatch(r'\d{6} (-1| 0| 1)', line) for line in lines)
    assert (main / 'trainval.txt').read_text().split() == [line.split()[0] for line in lines]
    ds, test = VOCClassification(tmp_path / 'v', 'trainval'), VOCClassification(tmp_path / 'v/VOCdevkit', 'test')
    _, labels = make_scenes(12, 32)
    assert (len(ds), len(test), ds.classes) == (6, 6, sorted(SHAPES))
    assert (test.labels == labels[6:, [SHAPES.index(c) for c in test.classes]]).all() and ds[0][0].size == (32, 32)
    r = script('make_voc.py', '--out', tmp_path / 'v', check=False)
    assert r.returncode and 'is not empty' in r.stderr


def test_make_buildings_writes_the_oxford_layout(tmp_path, script):
    "Made-up buildings in Oxford5k's layout: query files with oxc1_ names and boxes, lists read back by the reader."
    out = script('make_buildings.py', '--out', tmp_path / 'b', '--buildings', 2, '--good', 2, '--ok', 1, '--junk', 1,
                 '--distractors', 3, '--size', 48).stdout
    assert 'wrote 13 images and 2 queries' in out
    query = (tmp_path / 'b/gt_files/landmark1_1_query.txt').read_text().split()
    assert query[0] == 'oxc1_landmark1_000000' and len(query) == 5 and all(0 <= float(v) <= 48 for v in query[1:])
    data = OxfordBuildings(tmp_path / 'b')
    assert len(data.images) == 13 and [q['name'] for q in data.queries] == ['landmark0_1', 'landmark1_1']
    assert [len(data.queries[0][k]) for k in ('good', 'ok', 'junk')] == [3, 1, 1] and data.open(data.images[0]).size == (48, 48)
    r = script('make_buildings.py', '--out', tmp_path / 'b', check=False)
    assert r.returncode and 'is not empty' in r.stderr


def test_get_cifar10_offline_fails_fast(tmp_path, script, monkeypatch):
    monkeypatch.setenv('DEEPCLUSTER_CIFAR10_URL', 'http://127.0.0.1:9/cifar-10-python.tar.gz')   # nothing listens there
    t = time.time()
    r = script('get_cifar10.py', '--root', tmp_path, check=False)
    assert r.returncode and 'cannot reach' in r.stderr and '--verify-only' in r.stderr
    assert time.time() - t < 60


def test_get_cifar10_verify_rejects_non_official_files(tmp_path, script):
    script('make_shapes.py', '--out', tmp_path, '--format', 'cifar', '--n-per-class', 2, '--n-test', 5)
    r = script('get_cifar10.py', '--root', tmp_path, '--verify-only', check=False)
    assert r.returncode and 'MD5' in r.stderr


def _imagenet_like(tmp_path, script):
    script('make_shapes.py', '--out', tmp_path / 'in', '--n-per-class', 3, '--n-val-per-class', 2, '--classes', 'circle,square,star')
    val = tmp_path / 'in' / 'val'
    lines = []
    for img in sorted(val.rglob('*.jpg')):                      # flatten val, as ImageNet ships it
        flat = val / f'ILSVRC2012_val_{img.parent.name}_{img.name}'
        img.rename(flat)
        lines.append(f'{flat.stem},n_{img.parent.name} 1 2 3 4')
    for d in [d for d in val.iterdir() if d.is_dir()]: d.rmdir()
    gt = tmp_path / 'LOC_val_solution.csv'
    gt.write_text('ImageId,PredictionString\n' + '\n'.join(lines) + '\n')
    return tmp_path / 'in', gt


def test_prepare_imagenet_reorganize_and_check(tmp_path, script):
    root, gt = _imagenet_like(tmp_path, script)
    r = script('prepare_imagenet.py', 'check', '--val', root / 'val', check=False)
    assert r.returncode and 'holds 6 images directly' in r.stderr
    assert 'would move 6' in script('prepare_imagenet.py', 'reorganize-val', root / 'val', gt, '--dry-run').stdout
    assert len(list((root / 'val').glob('*.jpg'))) == 6                        # dry run moved nothing
    script('prepare_imagenet.py', 'reorganize-val', root / 'val', gt)
    assert check_image_folder(root / 'val') == {'n_circle': 2, 'n_square': 2, 'n_star': 2}
    for d in (root / 'train').iterdir(): d.rename(d.parent / f'n_{d.name}')
    assert 'layout OK' in script('prepare_imagenet.py', 'check', '--train', root / 'train', '--val', root / 'val', '--verify').stdout


def test_prepare_imagenet_reports_problems(tmp_path, script):
    root, gt = _imagenet_like(tmp_path, script)
    gt.write_text('\n'.join(gt.read_text().splitlines()[:-1]) + '\n')           # one image loses its label
    r = script('prepare_imagenet.py', 'reorganize-val', root / 'val', gt, check=False)
    assert r.returncode and '1 images have no label' in r.stderr and len(list((root / 'val').glob('*.jpg'))) == 6
    bad = next((root / 'train' / 'star').glob('*.jpg'))
    bad.write_bytes(bad.read_bytes()[:300])                                     # truncate one JPEG
    (root / 'train' / 'extra').mkdir()
    Image.new('RGB', (8, 8)).save(root / 'train' / 'extra' / 'a.png')
    r = script('prepare_imagenet.py', 'check', '--train', root / 'train', '--verify', check=False)
    assert r.returncode and f'{bad}: unreadable image' in r.stderr
    r = script('prepare_imagenet.py', 'check', '--train', root / 'nowhere', check=False)
    assert r.returncode and 'no such directory' in r.stderr
    r = script('prepare_imagenet.py', 'reorganize-val', root / 'val', tmp_path / 'missing.csv', check=False)
    assert r.returncode and 'missing.csv: no such file' in r.stderr


def test_cache_views_builds_verifies_and_refuses_other_settings(tmp_path, script):
    "The view cache of a generated JPEG tree: built, checked, its pixels those of the clustering view (issue 19)."
    from deepcluster_nb.fast import CachedViews, uint8_view
    script('make_shapes.py', '--out', tmp_path / 's', '--n-per-class', 3, '--n-val-per-class', 1, '--size', 40)
    data, out = tmp_path / 's' / 'train', tmp_path / 'cache'
    r = script('cache_views.py', '--data', data, '--out', out, '--size', 32, '--chunk', 8, '--workers', 0)
    assert 'cache_views: 30 images at 32 px' in r.stdout and '[30/30]' in r.stdout
    assert (out / 'views.u8').stat().st_size == 30 * 3 * 32 * 32
    assert 'every chunk verified' in script('cache_views.py', '--data', data, '--out', out, '--size', 32, '--chunk', 8,
                                            '--verify').stdout
    tree = image_folder(data)
    assert (CachedViews(out, tree, workers=0, device='cpu').pixels[11] == uint8_view(32)(tree[11][0]).numpy()).all()
    r = script('cache_views.py', '--data', data, '--out', out, '--size', 48, '--chunk', 8, check=False)
    assert r.returncode and 'size differ' in r.stderr and 'another folder' in r.stderr
    r = script('cache_views.py', '--data', tmp_path / 'nowhere', '--out', tmp_path / 'c2', check=False)
    assert r.returncode and 'cache_views:' in r.stderr and not (tmp_path / 'c2').exists()
