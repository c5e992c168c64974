#!/usr/bin/env python
"""Download CIFAR-10 (python version) with torchvision and verify it (official MD5s and image counts).

    python data_scripts/get_cifar10.py --root data/cifar10        # then dataset='cifar10', data_dir='data/cifar10'
    python data_scripts/get_cifar10.py --root data/cifar10 --verify-only

Needs internet once; offline it stops within seconds with a message instead of hanging.
"""
import argparse
import os
import sys
import urllib.request
from pathlib import Path

from torchvision.datasets import CIFAR10

URL = os.environ.get('DEEPCLUSTER_CIFAR10_URL', CIFAR10.url)


def reachable(url, timeout=10):
    "True if the server answers a HEAD request for `url` within `timeout` seconds."
    try:
        urllib.request.urlopen(urllib.request.Request(url, method='HEAD'), timeout=timeout).close()
        return True
    except OSError:
        return False


def verify(root):
    "Check the official MD5s and the 50,000 / 10,000 split; return a one-line summary or exit with the problem."
    folder = Path(root) / CIFAR10.base_folder
    try:
        tr, te = CIFAR10(str(root), train=True), CIFAR10(str(root), train=False)
    except RuntimeError as e:
        sys.exit(f"get_cifar10: {folder}: {e} (MD5 check against the official files failed); delete it and run again")
    if (len(tr), len(te)) != (50_000, 10_000):
        sys.exit(f"get_cifar10: {folder}: {len(tr)} train / {len(te)} test images, expected 50000 / 10000")
    return f"CIFAR-10 verified at {folder}: 50000 train, 10000 test images, classes {', '.join(tr.classes)}"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--root', required=True, type=Path, help='folder to hold cifar-10-batches-py/')
    p.add_argument('--verify-only', action='store_true', help='do not download, only verify what is there')
    a = p.parse_args(argv)
    if not a.verify_only and not (a.root / CIFAR10.base_folder).is_dir():
        if not reachable(URL):
            sys.exit(f"get_cifar10: cannot reach {URL} (no internet?). Download cifar-10-python.tar.gz on a machine "
                     f"with internet and extract it into {a.root}, then run with --verify-only")
        a.root.mkdir(parents=True, exist_ok=True)
        CIFAR10.url = URL
        CIFAR10(str(a.root), train=True, download=True)
    print(verify(a.root))


if __name__ == '__main__':
    main()
