#!/usr/bin/env python
"""Write the generated shapes data set (known classes, offline) in a real on-disk format.

    python data_scripts/make_shapes.py --out data/shapes --format imagefolder --n-per-class 500 --size 32
    python data_scripts/make_shapes.py --out data/shapes_cifar --format cifar --n-per-class 600 --n-test 1000

`imagefolder` writes out/train/<class>/*.jpg and out/val/<class>/*.jpg (the ImageNet layout);
`cifar` writes out/cifar-10-batches-py/ (CIFAR-10's python pickles), readable by `deepcluster_nb.data.cifar10`.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from deepcluster_nb.data import VAL_SEED_OFFSET, save_cifar_pickles, save_image_folder
from deepcluster_nb.shapes import SHAPES, make_shapes


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True, type=Path, help='output folder (must be empty or absent)')
    p.add_argument('--format', choices=['imagefolder', 'cifar'], default='imagefolder')
    p.add_argument('--n-per-class', type=int, default=500, help='training images per class')
    p.add_argument('--n-val-per-class', type=int, default=100, help='imagefolder: validation images per class')
    p.add_argument('--n-test', type=int, default=1000, help='cifar: images in test_batch (taken from the end)')
    p.add_argument('--size', type=int, default=32, help='side in pixels')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--clutter', type=int, default=3, help='distractor strokes per image (difficulty)')
    p.add_argument('--classes', default=','.join(SHAPES), help=f'comma-separated subset of {",".join(SHAPES)}')
    a = p.parse_args(argv)
    if a.out.exists() and any(a.out.iterdir()):
        sys.exit(f"make_shapes: {a.out} is not empty; choose a new --out or delete it first")
    classes = tuple(a.classes.split(','))
    kw = dict(size=a.size, classes=classes, clutter=a.clutter)
    if a.format == 'imagefolder':
        tr = make_shapes(a.n_per_class, seed=a.seed, **kw)
        va = make_shapes(a.n_val_per_class, seed=a.seed + VAL_SEED_OFFSET, **kw)
        save_image_folder(*tr, classes, a.out / 'train')
        save_image_folder(*va, classes, a.out / 'val')
        print(f"wrote {len(tr[1])} train and {len(va[1])} val JPEGs of {len(classes)} classes to {a.out}")
    else:
        images, labels = make_shapes(a.n_per_class, seed=a.seed, **kw)
        if a.n_test >= len(labels): sys.exit(f"make_shapes: --n-test {a.n_test} must be below the {len(labels)} images")
        save_cifar_pickles(images, labels, classes, a.out, n_test=a.n_test)
        counts = np.bincount(labels[:-a.n_test], minlength=len(classes))
        print(f"wrote {len(labels) - a.n_test} train (per class {counts.min()}-{counts.max()}) and {a.n_test} test images "
              f"to {a.out / 'cifar-10-batches-py'}")


if __name__ == '__main__':
    main()
