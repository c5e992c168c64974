"""Sphinx + myst-nb configuration of the offline docs site: `make docs` builds the notebooks in nbs/ into _site/html/.

nbdev-docs renders the same notebooks through quarto where quarto is installed; this build needs only Python
packages from the registry. It fails (warnings are errors, `-W`) on a broken internal link, a missing image, or a
notebook whose saved outputs hold an error; `make docs EXECUTE=force` re-runs every lesson notebook (the experiments
80 and 90 are papermill's) and fails on the first cell that raises.
"""
import json
import os
from pathlib import Path

from sphinx.errors import ExtensionError

project = 'deepcluster_nb'
author = 'deepcluster_nb developers'
extensions = ['myst_nb']
root_doc = 'index'
exclude_patterns = ['_proc', '.ipynb_checkpoints', 'llms.txt']
html_theme = 'alabaster'
html_title = 'deepcluster_nb: DeepCluster, step by step'
html_theme_options = {'page_width': '1200px', 'sidebar_width': '260px'}
myst_heading_anchors = 3
nb_execution_mode = os.environ.get('EXECUTE', 'off')   # 'off': the outputs saved in the notebooks
nb_execution_raise_on_error = True
nb_execution_timeout = 1800
nb_execution_excludepatterns = ['12_*', '80_*', '81_*', '90_*']   # long runs: 12 (nbdev-test runs it small), the experiments (papermill)
nb_merge_streams = True

TOCTREE = '```{toctree}\n:hidden:\n:glob:\n\n[0-9]*\n```\n'


def prepare_notebook(app, docname, source):
    "Fold the exercise solutions (cells tagged `solution`); give the home page (index.ipynb, also the README) its sidebar."
    if Path(app.env.doc2path(docname)).suffix != ".ipynb": return
    nb = json.loads(source[0])
    for cell in nb['cells']:
        tags = cell.get('metadata', {}).get('tags', [])
        if 'solution' in tags: cell['metadata']['tags'] = [*tags, 'hide-input']
    if docname == root_doc: nb['cells'].append({'cell_type': 'markdown', 'id': 'toctree', 'metadata': {}, 'source': TOCTREE})
    source[0] = json.dumps(nb)


def refuse_saved_errors(app):
    "Fail before building when a notebook was saved with an error in its outputs."
    for path in sorted(Path(app.srcdir).glob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())['cells']):
            for out in cell.get('outputs', []):
                if out.get('output_type') == 'error':
                    raise ExtensionError(f"{path.name}, cell {i}: saved with an error ({out.get('ename')}: {out.get('evalue')}); "
                                         "fix the notebook and run it again before building the docs")


def setup(app):
    app.connect('source-read', prepare_notebook)
    app.connect('builder-inited', refuse_saved_errors)
