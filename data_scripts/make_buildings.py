#!/usr/bin/env python
"""Write a small instance-retrieval set offline in the Oxford5k / Paris6k layout: made-up buildings.

    python data_scripts/make_buildings.py --out data/oxford --seed 0
    python data_scripts/make_buildings.py --out data/paris --seed 1      # other buildings: the whitening's set

Writes out/jpg/<name>.jpg and out/gt_files/<query>_query.txt (`oxc1_<image> x0 y0 x1 y1`, as Oxford's) with
<query>_good.txt, _ok.txt (half of the building in frame) and _junk.txt (a sliver), readable by
`deepcluster_nb.retrieval.OxfordBuildings` exactly as the real data sets.
"""
import argparse
import sys
from pathlib import Path

from deepcluster_nb.retrieval import make_buildings, save_buildings


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', required=True, type=Path, help='output folder (must be empty or absent)')
    p.add_argument('--buildings', type=int, default=6, help='buildings, one query each')
    p.add_argument('--good', type=int, default=6, help='good views per building (besides the query)')
    p.add_argument('--ok', type=int, default=3, help='ok views per building')
    p.add_argument('--junk', type=int, default=2, help='junk views per building')
    p.add_argument('--distractors', type=int, default=30, help='images of other buildings, in no list')
    p.add_argument('--size', type=int, default=96, help='side in pixels')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)
    if a.out.exists() and any(a.out.iterdir()):
        sys.exit(f"make_buildings: {a.out} is not empty; choose a new --out or delete it first")
    if a.buildings < 1: sys.exit(f"make_buildings: --buildings {a.buildings}: need at least one")
    images, truth = make_buildings(a.buildings, a.good, a.ok, a.junk, a.distractors, a.size, a.seed)
    save_buildings(images, truth, a.out)
    print(f"wrote {len(images)} images and {len(truth)} queries to {a.out}")


if __name__ == '__main__':
    main()
