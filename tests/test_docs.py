"""The course tooling: README.md from nbs/index.ipynb, student copies without solutions, and a docs build that fails on
broken links and on notebooks saved with errors."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ['01a_', '01b_'] + [f'{i:02d}_' for i in range(2, 12)]   # lesson notebooks with exercises


def run(*args, **kw):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, cwd=ROOT, **kw)


def test_readme_is_index_notebook():
    r = run('docs/make_readme.py', '--check')
    assert r.returncode == 0, r.stderr
    top = (ROOT / 'README.md').read_text().splitlines()[:12]
    assert any(line.startswith('make demo') for line in top) and any(line.startswith('make test') for line in top)


def test_student_copies_hide_every_solution(tmp_path):
    r = run('docs/student.py', '--out', tmp_path)
    assert r.returncode == 0, r.stderr
    for prefix in COMPONENTS:
        src = next((ROOT / 'nbs').glob(prefix + '*.ipynb'))
        solutions = [c for c in json.loads(src.read_text())['cells'] if 'solution' in c['metadata'].get('tags', [])]
        assert solutions, f'{src.name} has no exercise solutions'
        copy = json.loads((tmp_path / src.name).read_text())['cells']
        texts = {''.join(c['source']) for c in copy}
        assert not any(''.join(s['source']) in texts for s in solutions), src.name
        assert sum(''.join(c['source']) == '# Your solution here.\n' for c in copy) == len(solutions)
        assert not any('Solutions follow' in ''.join(c['source']) for c in copy), src.name   # the teacher's sentence
    assert 'Write your solution in the empty cell' in (tmp_path / '01a_views.ipynb').read_text()


def notebook(*cells):
    kernel = {'name': 'python3', 'display_name': 'python3', 'language': 'python'}
    return {'cells': [{**c, 'id': f'c{i}'} for i, c in enumerate(cells)], 'metadata': {'kernelspec': kernel},
            'nbformat': 4, 'nbformat_minor': 5}


def md(text): return {'cell_type': 'markdown', 'metadata': {}, 'source': text}


def code(source): return {'cell_type': 'code', 'execution_count': None, 'metadata': {}, 'source': source, 'outputs': []}


def build(src, tmp_path, *pages, execute='off'):
    src.mkdir()
    for name, nb in pages: (src / name).write_text(json.dumps(notebook(*nb)))
    return subprocess.run([str(Path(sys.executable).parent / 'sphinx-build'), '-W', '--keep-going', '-q', '-b', 'html',
                           '-c', str(ROOT / 'docs'), str(src), str(tmp_path / 'site')], capture_output=True, text=True,
                          env={**os.environ, 'EXECUTE': execute})


def test_docs_build_passes_with_good_links(tmp_path):
    r = build(tmp_path / 'src', tmp_path, ('index.ipynb', [md('# Home\n\nSee [the lesson](01_x.ipynb).')]),
              ('01_x.ipynb', [md('# Lesson\n\nBack [home](index.ipynb).')]))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / 'site' / '01_x.html').exists()


def test_docs_build_fails_on_broken_link(tmp_path):
    r = build(tmp_path / 'src', tmp_path, ('index.ipynb', [md('# Home\n\nSee [the lesson](02_missing.ipynb).')]))
    assert r.returncode != 0 and '02_missing' in r.stderr


def test_docs_build_fails_on_saved_error(tmp_path):
    err = {'cell_type': 'code', 'execution_count': 1, 'metadata': {}, 'source': '1/0',
           'outputs': [{'output_type': 'error', 'ename': 'ZeroDivisionError', 'evalue': 'division by zero', 'traceback': []}]}
    r = build(tmp_path / 'src', tmp_path, ('index.ipynb', [md('# Home'), err]))
    assert r.returncode != 0 and 'saved with an error (ZeroDivisionError' in r.stderr


def test_docs_build_executes_and_fails_on_a_raising_cell(tmp_path):
    ok = build(tmp_path / 'ok', tmp_path, ('index.ipynb', [md('# Home'), code('print(6 * 7)')]), ('01_x.ipynb', [md('# Lesson')]),
               execute='force')
    assert ok.returncode == 0, ok.stderr
    assert '42' in (tmp_path / 'site' / 'index.html').read_text()
    bad = build(tmp_path / 'bad', tmp_path, ('index.ipynb', [md('# Home'), code('1 / 0')]), execute='force')
    assert bad.returncode != 0 and 'ExecutionError' in bad.stderr and 'index.ipynb' in bad.stderr
