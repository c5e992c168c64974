#!/usr/bin/env python
"""How the lesson notebooks read: the figures of issue 25, measured on the saved .ipynb files.

For each lesson (nbs/00..15) and over all of them, above the `## Checks` heading: code cells, the share
holding a `test_*`/`assert` line, the share with a saved output, lines per code cell (median, p90, max),
figures, and where the first figure of a lesson that trains a network lies. Fails (exit 1) where a
lesson, or all of them together, misses a target.

    python docs/lesson_shape.py          # make test runs it
"""
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LESSON = re.compile(r'^(\d\d)[a-z]?_.*\.ipynb$')
ASSERT = re.compile(r'^\s*(assert\b|test_\w+\()', re.M)
TRAINS = re.compile(r'\.step\(\)|train_epoch\(|DeepCluster\(|compare_with_random_init\(')   # trains a network
TARGETS = dict(assert_share=0.20, output_share=0.35, median_lines=5, p90_lines=15, max_lines=40)


def reading_part(nb: dict) -> list[dict]:
    "The cells above the `## Checks` heading."
    cells = nb['cells']
    for i, c in enumerate(cells):
        if c['cell_type'] == 'markdown' and ''.join(c['source']).lstrip().startswith('## Checks'): return cells[:i]
    return cells


def is_figure(output: dict) -> bool: return 'image/png' in output.get('data', {})


def shape(nb: dict) -> dict:
    "The figures of one notebook's reading part."
    cells = reading_part(nb)
    code = [c for c in cells if c['cell_type'] == 'code']
    lines = np.array([len(''.join(c['source']).splitlines()) for c in code])
    figures = [i for i, c in enumerate(cells) if c['cell_type'] == 'code' and any(map(is_figure, c.get('outputs', [])))]
    trains = any(TRAINS.search(''.join(c['source'])) for c in code)
    return dict(code=len(code), lines=lines,
                asserts=sum(bool(ASSERT.search(''.join(c['source']))) for c in code),
                outputs=sum(bool(c.get('outputs')) for c in code), figures=len(figures), trains=trains,
                first_figure=(figures[0] / len(cells)) if figures else None)


def misses(s: dict) -> list[str]:
    "The targets a notebook's figures miss."
    t, out = TARGETS, []
    if s['asserts'] > t['assert_share'] * s['code']: out.append(f"asserts in {s['asserts']}/{s['code']} cells")
    if s['outputs'] < t['output_share'] * s['code']: out.append(f"outputs in {s['outputs']}/{s['code']} cells")
    if np.median(s['lines']) > t['median_lines']: out.append(f"median {np.median(s['lines']):g} lines")
    if np.percentile(s['lines'], 90) > t['p90_lines']: out.append(f"p90 {np.percentile(s['lines'], 90):g} lines")
    if s['lines'].max() > t['max_lines']: out.append(f"a cell of {s['lines'].max()} lines")
    if s['trains'] and (s['first_figure'] is None or s['first_figure'] > 0.5): out.append('no figure in its first half')
    return out


def main() -> int:
    rows, failed = [], []
    for path in sorted((ROOT / 'nbs').glob('*.ipynb')):
        m = LESSON.match(path.name)
        if not m or int(m.group(1)) > 15: continue
        s = shape(json.loads(path.read_text()))
        rows.append((path.stem, s))
        if misses(s): failed.append(path.stem)
    allcode = sum(s['code'] for _, s in rows)
    every = dict(code=allcode, lines=np.concatenate([s['lines'] for _, s in rows]), trains=False, first_figure=None,
                 **{k: sum(s[k] for _, s in rows) for k in ('asserts', 'outputs', 'figures')})
    print(f"{'lesson':<20}{'cells':>6}{'assert':>8}{'output':>8}{'median':>8}{'p90':>6}{'max':>5}{'figs':>6}  misses")
    if misses(every): failed.append('all lessons')
    for name, s in rows + [('all lessons', every)]:
        print(f" {name:<19}{s['code']:>6}{s['asserts'] / s['code']:>8.0%}{s['outputs'] / s['code']:>8.0%}"
              f"{np.median(s['lines']):>8g}{np.percentile(s['lines'], 90):>6.0f}{s['lines'].max():>5}{s['figures']:>6}"
              f"  {'; '.join(misses(s)) or '-'}")
    print(f"targets: asserts ≤ {TARGETS['assert_share']:.0%}, outputs ≥ {TARGETS['output_share']:.0%}, lines median ≤ "
          f"{TARGETS['median_lines']}, p90 ≤ {TARGETS['p90_lines']}, max ≤ {TARGETS['max_lines']}; a lesson that trains "
          "shows a figure in its first half")
    if failed: print('missed by:', ', '.join(failed)); return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
