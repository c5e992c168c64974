#!/usr/bin/env python
"""Student copies of the notebooks: each cell tagged `solution` is replaced by an empty cell to fill in, its
outputs dropped, and the `## Checks` section at the end is folded (JupyterLab shows it collapsed). The solutions
stay in nbs/, where nbdev-test runs and checks them; the docs site shows them folded.

    python docs/student.py --out student   # make student
"""
import argparse
import json
import re
from pathlib import Path

import nbdocs

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = '# Your solution here.\n'
TEACHER = re.compile(r'Solutions follow each exercise[^.]*\.')   # the teacher's sentence about the solutions
STUDENT = 'Write your solution in the empty cell under each exercise.'


def student_copy(nb: dict) -> tuple[dict, int]:
    "The notebook with its solution cells emptied, and how many there were."
    n = 0
    for cell in nb['cells'][nbdocs.checks_start(nb['cells']):]:      # the checks: folded, out of the way
        cell.setdefault('metadata', {})['jupyter'] = {'source_hidden': True, 'outputs_hidden': True}
    for cell in nb['cells']:
        if cell['cell_type'] == 'markdown':
            cell['source'] = TEACHER.sub(STUDENT, ''.join(cell['source']))
        if 'solution' in cell.get('metadata', {}).get('tags', []):
            cell.update(source=PLACEHOLDER, outputs=[], execution_count=None)
            cell['metadata']['tags'] = [t for t in cell['metadata']['tags'] if t != 'solution']
            n += 1
    return nb, n


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out', default='student', help='folder for the copies (created; files in it are replaced)')
    a = p.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    total = 0
    for path in sorted((ROOT / 'nbs').glob('*.ipynb')):
        nb, n = student_copy(json.loads(path.read_text()))
        (out / path.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
        total += n
    print(f'{out}/: {len(list(out.glob("*.ipynb")))} notebooks, {total} solutions replaced by empty cells')


if __name__ == '__main__':
    main()
