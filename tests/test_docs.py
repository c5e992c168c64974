"""The course tooling: README.md from nbs/index.ipynb, student copies without solutions, and a docs build that fails on
broken links and on notebooks saved with errors."""
import html
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPONENTS = ['01a_', '01b_'] + [f'{i:02d}_' for i in range(2, 12)] + ['13_']   # lesson notebooks with exercises


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
    cells = json.loads((tmp_path / '08_train.ipynb').read_text())['cells']   # the checks: folded, at the end
    start = nbdocs.checks_start(cells)
    assert 0 < start < len(cells)
    assert all(c['metadata']['jupyter'] == {'source_hidden': True, 'outputs_hidden': True} for c in cells[start:])
    assert not any('jupyter' in c['metadata'] for c in cells[:start])


def notebook(*cells):
    kernel = {'name': 'python3', 'display_name': 'python3', 'language': 'python'}
    return {'cells': [{**c, 'id': f'c{i}'} for i, c in enumerate(cells)], 'metadata': {'kernelspec': kernel},
            'nbformat': 4, 'nbformat_minor': 5}


def md(text): return {'cell_type': 'markdown', 'metadata': {}, 'source': text}


def code(source): return {'cell_type': 'code', 'execution_count': None, 'metadata': {}, 'source': source, 'outputs': []}


def build(src, tmp_path, *pages, execute='off'):
    """Build `pages` ((name, cells or a whole notebook) each) with the kit's docs/conf.py, without the API reference
    (`test_docs_site` builds that); the CompletedProcess."""
    src.mkdir()
    for name, nb in pages: (src / name).write_text(json.dumps(nb if isinstance(nb, dict) else notebook(*nb)))
    return subprocess.run([str(Path(sys.executable).parent / 'sphinx-build'), '-W', '--keep-going', '-q', '-b', 'html',
                           '-c', str(ROOT / 'docs'), str(src), str(tmp_path / 'site')], capture_output=True, text=True,
                          env={**os.environ, 'EXECUTE': execute, 'API': 'off'})


def widget_page():
    "A home page with a saved ipywidgets output (its state in the notebook's metadata) and a link to 01_x."
    widget = {'cell_type': 'code', 'execution_count': 1, 'metadata': {}, 'source': 'ui', 'outputs': [
        {'output_type': 'display_data', 'metadata': {}, 'data': {'text/plain': 'VBox(...)', nbdocs.WIDGET: {
            'model_id': 'abc', 'version_major': 2, 'version_minor': 0}}}]}
    page = notebook(md('# Home\n\nSee [the lesson](01_x.ipynb).'), widget)
    page['metadata']['widgets'] = {'application/vnd.jupyter.widget-state+json': {'state': {}, 'version_major': 2, 'version_minor': 0}}
    return page


def test_docs_build_passes_with_good_links_and_a_widget_page(tmp_path):
    "One build: links between pages resolve, and a widget page builds offline, without its widget (or a CDN script)."
    r = build(tmp_path / 'src', tmp_path, ('index.ipynb', widget_page()), ('01_x.ipynb', [md('# Lesson\n\nBack [home](index.ipynb).')]))
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / 'site' / '01_x.html').exists() and not (tmp_path / 'site' / 'api').exists()   # API=off
    assert 'VBox(' not in (tmp_path / 'site' / 'index.html').read_text()


def test_docs_build_fails_on_a_broken_link_and_on_a_page_that_loads_from_another_host(tmp_path):
    "One build with both faults: each is named (the build keeps going after the first)."
    r = build(tmp_path / 'src', tmp_path, ('index.ipynb', [md('# Home\n\nSee [the lesson](02_missing.ipynb).\n\n'
                                                               '<script src="https://example.org/x.js"></script>')]))
    assert r.returncode != 0 and '02_missing' in r.stderr, r.stderr[-2000:]
    assert 'index.html loads https://example.org/x.js' in r.stderr, r.stderr[-2000:]


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


# --- what the site shows (docs/nbdocs.py) ------------------------------------------------------------------------

sys.path.insert(0, str(ROOT / 'docs'))
import nbdocs  # noqa: E402


def cell_of(source, outputs=(), tags=()):
    return {'cell_type': 'code', 'metadata': {'tags': list(tags)} if tags else {}, 'source': source, 'outputs': list(outputs)}


def test_docs_cell_strips_directives_and_leaves_out_checks():
    shown = lambda c: (c['source'], c['metadata'].get('tags', []))
    assert shown(nbdocs.docs_cell(cell_of('#| export\ndef f(x): return x\n'))) == ('def f(x): return x', [])
    assert 'remove-cell' in shown(nbdocs.docs_cell(cell_of('#| hide\nimport os\n')))[1]
    assert 'remove-cell' in shown(nbdocs.docs_cell(cell_of('#| default_exp core\n')))[1]
    assert shown(nbdocs.docs_cell(cell_of('#| export\n#| eval: false\nmain()'))) == ('main()', ['skip-execution'])
    # a test cell: checks and no outputs (it still runs in an executed build)
    assert 'remove-cell' in shown(nbdocs.docs_cell(cell_of('x = 2\nassert x == 2\ntest_eq(x, 2)\n')))[1]
    assert 'remove-cell' in shown(nbdocs.docs_cell(cell_of('for i in range(3):\n    assert i < 3\n')))[1]
    # a demonstration: its top-level checks go, the rest (nested checks too) stays with its outputs
    out = [{'output_type': 'stream', 'name': 'stdout', 'text': '6\n'}]
    src = 'x = 6\nassert (x ==\n        6)   # two lines\nprint(x)\nfor i in range(2):\n    assert i < 2\ntest_close(x, 6)'
    assert shown(nbdocs.docs_cell(cell_of(src, out))) == ('x = 6\nprint(x)\nfor i in range(2):\n    assert i < 2', [])
    # a solution is folded, outputs included, and never left out
    sol = nbdocs.docs_cell(cell_of('y = 1\nassert y', tags=['solution']))
    assert shown(sol) == ('y = 1', ['solution', 'hide-cell'])
    assert nbdocs.docs_cell(cell_of('%%time\nassert 1')) ['source'] == '%%time\nassert 1'   # magics: shown as written


def test_link_names_only_outside_code_headings_and_links():
    targets = {'Timer': 'deepcluster_nb.core.Timer', 'DeepCluster.fit': 'deepcluster_nb.train.DeepCluster.fit'}
    text = ('Use `Timer` and `DeepCluster.fit()`, not `other`.\n# A `Timer` heading\n[`Timer`](00_core.ipynb)\n'
            '```python\nx = `Timer`\n```\n``Timer``')
    out = nbdocs.link_names(text, targets).split('\n')
    assert out[0] == ('Use {py:obj}`Timer <deepcluster_nb.core.Timer>` and '
                      '{py:obj}`DeepCluster.fit() <deepcluster_nb.train.DeepCluster.fit>`, not `other`.')
    assert out[1:] == text.split('\n')[1:]


def page_text(path):
    "A page's text as a reader sees it: tags dropped, entities decoded."
    return html.unescape(re.sub(r'<[^>]+>', '', path.read_text()))


def test_docs_site(tmp_path):
    "The whole site from nbs/: what each page shows and hides, the API reference, _modidx links, the sidebar."
    site = tmp_path / 'html'
    r = subprocess.run([str(Path(sys.executable).parent / 'sphinx-build'), '-W', '--keep-going', '-q', '-b', 'html',
                        '-c', str(ROOT / 'docs'), str(ROOT / 'nbs'), str(site)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-3000:]
    lessons = sorted(p.stem for p in (ROOT / 'nbs').glob('[0-9]*.ipynb'))
    for page in [*site.glob('*.html'), *site.glob('api/*.html')]:
        lines = page_text(page).splitlines()
        assert not [l for l in lines if l.lstrip().startswith('#|')], f'{page.name} shows an nbdev directive'
        checks = [l for l in lines if re.match(r'(assert\b|test_(eq|ne|close|fail|warns|is)\()', l)]
        assert not checks, f'{page.name} shows test code: {checks[:3]}'
    for name in lessons:   # each lesson page: its notebook to download, its solutions folded with their outputs
        text = (site / f'{name}.html').read_text()
        link = re.search(rf'href="(_downloads/[^"]+/{name}\.ipynb)"', text)
        assert link and (site / link.group(1)).exists(), f'{name}: no download link'
        nb = json.loads((ROOT / 'nbs' / f'{name}.ipynb').read_text())
        solutions = [c for c in nb['cells'] if 'solution' in c['metadata'].get('tags', [])]
        folded = re.findall(r'<div class="cell tag_solution[^"]*">\s*<details.*?</details>', text, re.S)
        assert len(folded) == len(solutions), name
        assert sum('cell_output' in f for f in folded) == sum(bool(c.get('outputs')) for c in solutions), name
        if nbdocs.checks_start(nb['cells']) < len(nb['cells']):   # a lesson's ## Checks: not on its page
            assert 'id="checks"' not in text, f'{name} shows its checks'
    from deepcluster_nb._modidx import d
    root = d['settings']['doc_host'] + d['settings']['doc_baseurl'] + '/'
    for mod, syms in d['syms'].items():   # the API page lists every name of __all__, with a signature
        page = nbdocs.api_pages(d)[mod]
        text = (site / 'api' / f'{page}.html').read_text()
        missing = [n for n in importlib.import_module(mod).__all__ if f'id="{mod}.{n}"' not in text]
        assert not missing, f'api/{page}.html lacks {missing}'
        for full, (url, _) in syms.items():   # every _modidx link resolves: core.html forwards to api/core.html#anchor
            where, _, anchor = url.partition('#')
            assert f'location.replace("api/{where}"' in (site / where).read_text(), url
            assert f'id="{anchor}"' in text, f'{root}{url} ({full}) has no anchor'
    assert 'mixed precision on CUDA' in page_text(site / 'api' / 'features.html')   # parameter comments, as a table
    assert re.search(r'<table.*?Parameter.*?Details.*?dataset', (site / 'api' / 'features.html').read_text(), re.S)
    assert 'href="api/core.html#deepcluster_nb.core.Timer"' in (site / '00_core.html').read_text()   # `Timer` links
    index = page_text(site / 'index.html')
    for caption in ('1. The idea and the data', '7. Your own images', '8. Features for other tasks', '9. Experiments', 'API reference'):
        assert caption in index, caption


def test_make_lab_gives_every_notebook_the_kits_kernel(tmp_path):
    "`make lab`'s python3 kernel is .venv's Python, even where the user has another python3 kernel installed."
    plan = subprocess.run(['make', '-n', 'lab'], cwd=ROOT, capture_output=True, text=True).stdout.splitlines()
    install = next(line for line in plan if 'ipykernel install' in line)
    lab = next(line for line in plan if 'jupyter lab' in line)
    assert '--notebook-dir=nbs' in lab and lab.startswith('JUPYTER_PREFER_ENV_PATH=1 .venv/bin/jupyter'), lab
    theirs = tmp_path / 'kernels' / 'python3'
    theirs.mkdir(parents=True)
    (theirs / 'kernel.json').write_text(json.dumps({'argv': ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f',
                                                             '{connection_file}'], 'display_name': 'theirs'}))
    env = {**os.environ, 'JUPYTER_DATA_DIR': str(tmp_path)}     # the user's own kernels
    subprocess.run(install, shell=True, cwd=ROOT, check=True, env=env)
    def python3(**extra):
        r = subprocess.run([str(ROOT / '.venv/bin/jupyter'), 'kernelspec', 'list', '--json'], capture_output=True,
                           text=True, cwd=ROOT, env={**env, **extra}, check=True)
        return Path(json.loads(r.stdout)['kernelspecs']['python3']['resource_dir'])
    assert python3(JUPYTER_PREFER_ENV_PATH='0') == theirs       # a user's setting that plain `jupyter lab` obeys
    spec = json.loads((python3(JUPYTER_PREFER_ENV_PATH='1') / 'kernel.json').read_text())   # what make lab sets
    assert Path(spec['argv'][0]).resolve() == (ROOT / '.venv/bin/python').resolve(), spec
