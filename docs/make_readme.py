#!/usr/bin/env python
"""Write README.md from nbs/index.ipynb, the docs site's home page: its markdown cells, with relative links
rewritten from nbs/ to the repository root.

nbdev-readme does this through quarto where quarto is installed; this needs only the standard library.

    python docs/make_readme.py           # write README.md (make readme)
    python docs/make_readme.py --check   # exit 1 when README.md differs from what index.ipynb gives
"""
import argparse
import json
import posixpath
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = '<!-- Generated from nbs/index.ipynb by docs/make_readme.py (make readme): edit the notebook, not this file. -->\n\n'
RELATIVE_LINK = re.compile(r'(\]\()(?![a-z]+:|#|/)([^)\s]+)')


def readme() -> str:
    "README.md's text: the markdown cells of index.ipynb, links made relative to the repository root."
    nb = json.loads((ROOT / 'nbs' / 'index.ipynb').read_text())
    text = '\n\n'.join(''.join(c['source']).strip() for c in nb['cells'] if c['cell_type'] == 'markdown')
    return HEADER + RELATIVE_LINK.sub(lambda m: m[1] + posixpath.normpath('nbs/' + m[2]), text) + '\n'


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--check', action='store_true')
    a = p.parse_args(argv)
    path, text = ROOT / 'README.md', readme()
    if a.check:
        if path.read_text() != text: sys.exit("README.md is out of date with nbs/index.ipynb: run `make readme` and commit it")
        print('README.md is up to date')
    else: path.write_text(text)


if __name__ == '__main__':
    main()
