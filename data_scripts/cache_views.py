#!/usr/bin/env python
"""Store the clustering view (resize, centre crop) of every image of a folder once, for the features pass; and, with
--train-copy, a training copy of the folder stored small, for the training pass.

    python data_scripts/cache_views.py --data /data/imagenet/train --out /data/imagenet_views224 --workers 16
    python data_scripts/cache_views.py --data /data/imagenet/train --out /data/imagenet_views224 --verify
    python data_scripts/cache_views.py --data /data/imagenet/train --train-copy /data/imagenet_small --workers 16

The cache is one uint8 file (`views.u8`: 147 KiB per image at 224 px, 193 GB for ImageNet; `--size 112`: 37 KiB)
and `meta.json` (settings, a fingerprint of the file list, a sha256 per chunk). Run the same command again after an
interruption: it resumes at the first chunk without a checksum. `--verify` checks every chunk first and rebuilds
the damaged ones. Then train with it: notebook 90's `-p view_cache /data/imagenet_views224`, or
`CachedViews(cache, dataset)` (notebook 10). `--data` is an ImageFolder tree (class folders), or with `--flat`
any folder of images.

The training copy (`--train-copy`) holds every image with its short side at most `--short-side` (256: the paper's
views at 224 px never need more), as JPEGs under the same relative paths; an interrupted build resumes at the files
still missing. Train from it with notebook 90's `-p train_copy /data/imagenet_small` (beside `-p view_cache`).
"""
import argparse
import sys

from deepcluster_nb.data import ImageFiles, decode_at_least, image_folder
from deepcluster_nb.fast import build_training_copy, build_view_cache, verify_view_cache
from deepcluster_nb.views import view_min_side


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', required=True, help='ImageFolder tree (e.g. imagenet/train)')
    p.add_argument('--out', help='folder for the view cache (resumed if unfinished)')
    p.add_argument('--train-copy', help='folder for a training copy stored small (resumed if unfinished)')
    p.add_argument('--short-side', type=int, default=256, help='the training copy\'s largest short side, in pixels')
    p.add_argument('--size', type=int, default=224, help='side of the clustering view (the run\'s input_size)')
    p.add_argument('--no-crop', action='store_true', help='resize to size without the centre crop (center_crop=False)')
    p.add_argument('--flat', action='store_true', help='--data is a folder of images without class folders')
    p.add_argument('--chunk', type=int, default=1024, help='images per write and per checksum')
    p.add_argument('--workers', type=int, default=4, help='processes decoding the images')
    p.add_argument('--verify', action='store_true', help='check the chunks already there and rebuild damaged ones')
    a = p.parse_args(argv)
    if not (a.out or a.train_copy): p.error('give --out (the view cache), --train-copy (the training copy), or both')
    if a.short_side < 1: p.error(f'--short-side {a.short_side}: give a side of at least 1 pixel')
    try:
        data = ImageFiles(a.data) if a.flat else image_folder(a.data)
        decode_at_least(data, view_min_side(a.size, crop=not a.no_crop))          # as notebook 90 decodes them
        out = a.out and build_view_cache(data, a.out, a.size, not a.no_crop, a.chunk, a.workers, a.verify)
        bad = verify_view_cache(out) if out and a.verify else []
        if bad: sys.exit(f"cache_views: chunks {bad} still differ from their checksums after rebuilding: check the disk")
        if out: print(f"cache_views: {len(data)} images at {a.size} px in {out}" + (' (every chunk verified)' if a.verify else ''))
        copy = a.train_copy and build_training_copy(data, a.train_copy, a.short_side, workers=a.workers)
    except (OSError, ValueError) as e: sys.exit(f"cache_views: {e}")
    if copy: print(f"cache_views: a training copy of {len(data)} images, short side at most {a.short_side} px, in {copy}")


if __name__ == '__main__':
    main()
