#!/usr/bin/env python
"""Run lesson notebooks top to bottom at full size, time every cell, and keep what they show.

Each notebook runs in a fresh kernel from nbs/ (IN_TEST unset: the sizes a reader gets). The table gives,
per notebook, the total, the longest cell and the cells over 10 s that printed nothing before they ended
(a reader waits on those without a sign of life). With --save the outputs are written back into the
notebook (the docs site and an untrusted JupyterLab show them) and the header's "**CPU time** ..." is
set to what was measured.

    python docs/run_lessons.py nbs/08_train.ipynb --save      # one lesson
    python docs/run_lessons.py --save                         # every lesson, 00 to 15 (about 13 min)
"""
import argparse
import json
import re
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
LESSON = re.compile(r'^(\d\d)[a-z]?_.*\.ipynb$')
HEADER = re.compile(r'(\*\*CPU time\*\*\s+about )[\d.]+ (?:s|min)( on 2 cores \(measured, full size)')
QUIET = 10   # seconds a cell may run without printing


def lessons() -> list[Path]:
    "Every lesson notebook, 00 to 15 (12 reads the bisection that experiment 82 ran)."
    return [p for p in sorted((ROOT / 'nbs').glob('*.ipynb')) if (m := LESSON.match(p.name)) and int(m.group(1)) <= 15]


def seconds(cell) -> float:
    "How long the cell ran, from nbclient's timing record."
    t = cell.metadata.get('execution', {})
    if 'iopub.execute_input' not in t: return 0.0
    stamp = lambda k: datetime.fromisoformat(t[k].replace('Z', '+00:00')).timestamp()
    return stamp('shell.execute_reply') - stamp('iopub.execute_input')


def clock(s: float) -> str: return f'{s:.0f} s' if s < 90 else f'{s / 60:.1f} min'


def run(path: Path, save: bool) -> dict:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=1800, kernel_name='python3', record_timing=True,
                   resources={'metadata': {'path': str(path.parent)}}).execute()
    total = time.perf_counter() - start
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == 'code']
    times = {i: seconds(c) for i, c in code}
    longest = max(times, key=times.get)
    quiet = [i for i, c in code if times[i] > QUIET and not any(o.get('name') == 'stdout' for o in c.outputs)]
    for _, c in code:
        c.metadata.pop('execution', None)
    if save:
        header = nb.cells[0]
        header.source, found = HEADER.subn(lambda m: m.group(1) + clock(total) + m.group(2), header.source)
        if not found: print(f'{path.name}: no "**CPU time** about ... on 2 cores (measured, full size" in its header')
        nbformat.write(nb, path)
    return dict(notebook=path.stem, total=round(total, 1), longest=round(times[longest], 1),
                longest_cell=nb.cells[longest].source.splitlines()[0][:60], quiet=quiet,
                cells={i: round(t, 1) for i, t in times.items() if t >= 1})   # every cell of a second or more


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('notebooks', nargs='*', type=Path, help='lesson notebooks (default: every lesson, 00 to 15)')
    p.add_argument('--save', action='store_true', help='write the outputs and the measured CPU time into each')
    a = p.parse_args(argv)
    times = ROOT / 'docs' / 'lesson_times.json'     # the latest measurement of each notebook run
    kept = {r['notebook']: r for r in json.loads(times.read_text())} if times.exists() else {}
    rows, failed = [], []
    for nb in a.notebooks or lessons():
        try: rows.append(run(nb.resolve(), a.save))
        except CellExecutionError as e:            # reported, not saved; the other notebooks still run
            failed.append(nb.name); print(f'{nb.name}: a cell failed, not saved:\n{str(e)[-1500:]}')
            continue
        kept[rows[-1]['notebook']] = rows[-1]
        times.write_text(json.dumps(list(kept.values()), indent=1) + '\n')
    print(f"{'notebook':<20}{'total':>9}{'longest cell':>14}  first line of the longest cell; cells > {QUIET} s printing nothing")
    for r in rows:
        print(f"{r['notebook']:<20}{clock(r['total']):>9}{clock(r['longest']):>14}  {r['longest_cell']}; {r['quiet'] or '-'}")
        print(' ' * 20, 'cells of 10 s or more:', ', '.join(f'#{i} {clock(t)}' for i, t in r['cells'].items() if t >= 10) or '-')
    if failed: raise SystemExit(f'failed: {", ".join(failed)}')

if __name__ == '__main__':
    main()
