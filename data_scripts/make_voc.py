#!/usr/bin/env python
"""Write a small multi-label data set offline in Pascal VOC 2007's layout: scenes of the generated shapes.

    python data_scripts/make_voc.py --out data/voc --n-images 1000 --size 64

Writes out/VOCdevkit/VOC2007/JPEGImages/<id>.jpg and ImageSets/Main/<split>.txt and <class>_<split>.txt
(1 present, -1 absent, 0 difficult) for the splits train, val, trainval and test (half the images trainval,
half test, as VOC 2007), readable by `deepcluster_nb.voc.VOCClassification` exactly as the real VOCdevkit.
The shape kinds are the classes; a small faint extra shape is labelled difficult.
"""
import argparse
import sys
from pathlib import Path

from deepcluster_nb.shapes import SHAPES
from deepcluster_nb.voc import make_scenes, save_voc, voc_splits


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True, type=Path, help='output folder (must be empty or absent)')
    p.add_argument('--n-images', type=int, default=1000, help='scenes in all (at least 4)')
    p.add_argument('--size', type=int, default=64, help='side in pixels')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)
    if a.out.exists() and any(a.out.iterdir()):
        sys.exit(f"make_voc: {a.out} is not empty; choose a new --out or delete it first")
    if a.n_images < 4: sys.exit(f"make_voc: --n-images {a.n_images}: need at least 4 (one image in each split)")
    images, labels = make_scenes(a.n_images, a.size, a.seed)
    voc = save_voc(images, labels, SHAPES, a.out, voc_splits(a.n_images))
    print(f"wrote {a.n_images} scenes of {len(SHAPES)} shape classes to {voc} (trainval {a.n_images // 2}, "
          f"test {a.n_images - a.n_images // 2})")


if __name__ == '__main__':
    main()
