#!/usr/bin/env python
"""Write scikit-learn's 1,797 real handwritten digits (offline, shipped inside scikit-learn) in a real on-disk format.

    python data_scripts/make_digits.py --out data/digits                   # out/train/<digit>/*.jpg, out/val/<digit>/*.jpg
    python data_scripts/make_digits.py --out data/digits_cifar --format cifar

The splits are the kit's (`deepcluster_nb.data.digits_dataset`): 1,437 training and 360 validation images
(a class-stratified fifth), upscaled to --size pixels. `cifar` writes out/cifar-10-batches-py/ with the
validation split as test_batch, readable by `deepcluster_nb.data.cifar10`.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

from deepcluster_nb.data import digits_dataset, save_cifar_pickles, save_image_folder


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True, type=Path, help='output folder (must be empty or absent)')
    p.add_argument('--format', choices=['imagefolder', 'cifar'], default='imagefolder')
    p.add_argument('--size', type=int, default=32, help='side in pixels (the scans are 8×8)')
    a = p.parse_args(argv)
    if a.out.exists() and any(a.out.iterdir()):
        sys.exit(f"make_digits: {a.out} is not empty; choose a new --out or delete it first")
    tr, va = digits_dataset(True, a.size), digits_dataset(False, a.size)
    if a.format == 'imagefolder':
        save_image_folder(tr.images, tr.targets, tr.classes, a.out / 'train')
        save_image_folder(va.images, va.targets, va.classes, a.out / 'val')
        print(f"wrote {len(tr)} train and {len(va)} val JPEGs of 10 digits to {a.out}")
    else:
        save_cifar_pickles(np.concatenate([tr.images, va.images]), tr.targets + va.targets, tr.classes, a.out, n_test=len(va))
        print(f"wrote {len(tr)} train and {len(va)} test images to {a.out / 'cifar-10-batches-py'}")


if __name__ == '__main__':
    main()
