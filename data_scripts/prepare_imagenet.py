#!/usr/bin/env python
"""Check an ImageNet (ILSVRC-2012) ImageFolder layout, and sort the flat validation set into class folders.

    python data_scripts/prepare_imagenet.py check --train /data/imagenet/train --val /data/imagenet/val [--verify]
    python data_scripts/prepare_imagenet.py reorganize-val /data/imagenet/val LOC_val_solution.csv [--dry-run]

`check` reports classes, image counts and (with --verify) every unreadable image, and exits non-zero on a
problem. `reorganize-val` reads the ground truth either as Kaggle's LOC_val_solution.csv
(`ImageId,PredictionString`, the class id first in PredictionString) or as lines `<file name> <wnid>`,
checks that every image has a label before moving anything, then moves val/<image> to val/<wnid>/<image>.
"""
import argparse
import csv
import os
import sys
from collections import Counter
from pathlib import Path

from deepcluster_nb.data import IMG_EXTENSIONS, check_image_folder, load_rgb

ILSVRC2012 = {'classes': 1000, 'train': 1_281_167, 'val': 50_000}


def unreadable(root):
    "Images under `root` that the kit's loader cannot fully decode, with the reason."
    bad = []
    for p in sorted(Path(root).rglob('*')):
        if p.suffix.lower() not in IMG_EXTENSIONS: continue
        try: load_rgb(p)
        except ValueError as e: bad.append((p, str(e)))
    return bad


def check(train, val, verify):
    problems = []
    counts = {}
    for split, root in (('train', train), ('val', val)):
        if root is None: continue
        try: counts[split] = check_image_folder(root)
        except (OSError, ValueError) as e:
            problems.append(str(e)); continue
        c = counts[split]
        n = sum(c.values())
        print(f"{split}: {root}: {len(c)} classes, {n} images, {min(c.values())}-{max(c.values())} per class "
              f"(ILSVRC-2012: {ILSVRC2012['classes']} classes, {ILSVRC2012[split]} images)")
        if len(c) < 2: problems.append(f"{root}: only {len(c)} class folder; DeepCluster's evaluation needs at least 2 classes")
        if verify: problems += [why for _, why in unreadable(root)]
    if len(counts) == 2 and set(counts['train']) != set(counts['val']):
        only_t, only_v = set(counts['train']) - set(counts['val']), set(counts['val']) - set(counts['train'])
        problems.append(f"train and val class folders differ: {len(only_t)} only in train (e.g. {sorted(only_t)[:3]}), "
                        f"{len(only_v)} only in val (e.g. {sorted(only_v)[:3]})")
    return problems


def read_ground_truth(path):
    "Map image stem -> class id from LOC_val_solution.csv or `<file> <wnid>` lines."
    path = Path(path)
    if not path.is_file(): sys.exit(f"prepare_imagenet: {path}: no such file; expected LOC_val_solution.csv or '<file> <wnid>' lines")
    text = path.read_text().splitlines()
    if text and text[0].replace(' ', '').lower().startswith('imageid,predictionstring'):
        return {row['ImageId']: row['PredictionString'].split()[0] for row in csv.DictReader(text)}
    gt = {}
    for i, line in enumerate(text, 1):
        parts = line.split()
        if not parts: continue
        if len(parts) != 2 or parts[1].isdigit():
            sys.exit(f"prepare_imagenet: {path}:{i}: {line!r} is not '<file name> <wnid>' (class indices need the devkit's "
                     "meta.mat: convert them to wnids first, or use LOC_val_solution.csv)")
        gt[Path(parts[0]).stem] = parts[1]
    return gt


def reorganize_val(val, gt_file, dry_run):
    val = Path(val)
    if not val.is_dir(): sys.exit(f"prepare_imagenet: {val}: no such directory; expected the flat ImageNet val folder")
    images = sorted(p for p in val.iterdir() if p.is_file() and p.suffix.lower() in IMG_EXTENSIONS)
    if not images: sys.exit(f"prepare_imagenet: {val}: no images directly inside (already sorted into class folders?)")
    gt = read_ground_truth(gt_file)
    missing = [p.name for p in images if p.stem not in gt]
    if missing: sys.exit(f"prepare_imagenet: {len(missing)} images have no label in {gt_file} (e.g. {missing[:3]}); nothing was moved")
    moves = [(p, val / gt[p.stem] / p.name) for p in images]
    per_class = Counter(dst.parent.name for _, dst in moves)
    print(f"{'would move' if dry_run else 'moving'} {len(moves)} images into {len(per_class)} class folders "
          f"({min(per_class.values())}-{max(per_class.values())} per class)")
    if dry_run: return
    for src, dst in moves:
        dst.parent.mkdir(exist_ok=True)
        os.replace(src, dst)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('check', help='check train/val ImageFolder layouts')
    c.add_argument('--train', type=Path)
    c.add_argument('--val', type=Path)
    c.add_argument('--verify', action='store_true', help='decode every image (slow on the full set)')
    r = sub.add_parser('reorganize-val', help='sort the flat val folder into class folders')
    r.add_argument('val', type=Path)
    r.add_argument('ground_truth', type=Path)
    r.add_argument('--dry-run', action='store_true')
    a = p.parse_args(argv)
    if a.cmd == 'check':
        if a.train is None and a.val is None: p.error('check needs --train and/or --val')
        problems = check(a.train, a.val, a.verify)
        for msg in problems: print(f"problem: {msg}", file=sys.stderr)
        if problems: sys.exit(1)
        print('layout OK')
    else:
        reorganize_val(a.val, a.ground_truth, a.dry_run)


if __name__ == '__main__':
    main()
