"""Sphinx + myst-nb configuration of the offline docs site: `make docs` builds the notebooks in nbs/ into _site/html/.

What a page shows is decided in docs/nbdocs.py (directives stripped, test cells left out, solutions folded, names
linked, an API reference generated into nbs/api/ at the addresses of `_modidx.py`). nbdev-docs renders the same
notebooks through quarto where quarto is installed; this build needs only Python packages from the registry. It
fails (warnings are errors, `-W`) on a broken internal link, a missing image, a page left out of the sidebar, or a
notebook whose saved outputs hold an error; `make docs EXECUTE=force` re-runs every lesson notebook (the experiments
80 and 90 are papermill's) and fails on the first cell that raises. `make docs API=off` leaves the API reference
out (and the links to it): the lessons alone, built in a few seconds instead of a quarter minute.
"""
import json
import os
import re
import sys
from pathlib import Path

from sphinx.errors import ExtensionError

sys.path.insert(0, str(Path(__file__).parent))
import nbdocs  # noqa: E402

from deepcluster_nb._modidx import d as MODIDX  # noqa: E402

project = 'deepcluster_nb'
author = 'deepcluster_nb developers'
extensions = ['myst_nb', 'sphinx.ext.autodoc']
root_doc = 'index'
exclude_patterns = ['_proc', '.ipynb_checkpoints', 'llms.txt']
html_theme = 'sphinx_book_theme'
html_title = 'deepcluster_nb: DeepCluster, step by step'
html_theme_options = {'use_download_button': True, 'show_toc_level': 2, 'home_page_in_toc': True,
                      'navigation_with_keys': False}
myst_enable_extensions = ['dollarmath']
myst_heading_anchors = 3
default_role = 'py:obj'            # `name` in a docstring links to the API entry of that name
autodoc_typehints = 'signature'
autodoc_preserve_defaults = True
nb_execution_mode = os.environ.get('EXECUTE', 'off')   # 'off': the outputs saved in the notebooks
nb_execution_raise_on_error = True
nb_execution_timeout = 1800
nb_execution_excludepatterns = ['80_*', '81_*', '82_*', '86_*', '87_*', '90_*']   # long runs: the experiments (papermill runs them)
nb_merge_streams = True
nb_ipywidgets_js = {}   # no widget scripts from a CDN: the site is offline; a still picture stands beside each widget
API_PAGES = os.environ.get('API', 'on') != 'off'   # off: no API reference (its autodoc imports every module)
LINKS = nbdocs.public_names(MODIDX) if API_PAGES else {}
if not API_PAGES: exclude_patterns.append(nbdocs.API)   # pages a full build left there


def sidebar(index: dict) -> str:
    "The sidebar: a section per lesson of the index's course table (`| 1. The idea ... | [00_core](00_core.ipynb), ...`), then the API."
    rows = [line for c in index['cells'] if c['cell_type'] == 'markdown' for line in ''.join(c['source']).splitlines()
            if re.match(r'\|\s*\d+\.\s', line)]
    sections = [(row.split('|')[1].strip(), re.findall(r'\]\(([^)#]+)\.ipynb\)', row.split('|')[2])) for row in rows]
    toc = lambda caption, entries, glob='': f'```{{toctree}}\n:hidden:\n{glob}:caption: {caption}\n\n' + '\n'.join(entries) + '\n```\n'
    lessons = [toc(c, e) for c, e in sections] or [toc('Notebooks', ['[0-9]*'], glob=':glob:\n')]
    api = toc('API reference', ['api/' + p for p in nbdocs.api_pages(MODIDX).values()]) if API_PAGES else ''
    return ''.join(lessons) + api


def prepare_notebook(app, docname, source):
    "Turn a notebook into its page (nbdocs.docs_cell, link_names); give the home page (index.ipynb, the README) the sidebar."
    if Path(app.env.doc2path(docname)).suffix != '.ipynb': return
    nb = json.loads(source[0])
    nb['cells'] = nb['cells'][:nbdocs.checks_start(nb['cells'])]    # the checks run in nbdev-test, not on the page
    nbdocs.without_widgets(nb)
    for cell in nb['cells']:
        nbdocs.docs_cell(cell)
        if cell['cell_type'] == 'markdown': cell['source'] = nbdocs.link_names(''.join(cell['source']), LINKS)
    if docname == root_doc: nb['cells'].append({'cell_type': 'markdown', 'id': 'toctree', 'metadata': {}, 'source': sidebar(nb)})
    else: nb['cells'].insert(1, nbdocs.download_cell(docname))
    source[0] = json.dumps(nb)


def refuse_saved_errors(app):
    "Fail before building when a notebook was saved with an error in its outputs."
    for path in sorted(Path(app.srcdir).glob("*.ipynb")):
        for i, cell in enumerate(json.loads(path.read_text())['cells']):
            for out in cell.get('outputs', []):
                if out.get('output_type') == 'error':
                    raise ExtensionError(f"{path.name}, cell {i}: saved with an error ({out.get('ename')}: {out.get('evalue')}); "
                                         "fix the notebook and run it again before building the docs")


def api_reference(app):
    nbdocs.write_api_pages(Path(app.srcdir), MODIDX)


def param_tables(app, what, name, obj, options, lines):
    "Parameter tables under functions and classes; a module's 'Docs:' line (nbdev's link to its page) goes, being this page."
    if what in ('function', 'method', 'class'): lines.extend(nbdocs.param_table(obj))
    if what == 'module': lines[:] = [line for line in lines if not line.startswith('Docs: ')]


def modidx_anchors(app, pagename, templatename, context, doctree):
    if pagename.startswith(nbdocs.API + '/') and 'body' in context:
        context['body'] = nbdocs.add_anchors(context['body'], pagename.split('/', 1)[1], MODIDX)


def refuse_remote_assets(app, exception):
    "Fail the build on a page that loads a script, style, image or frame from another host: the site must work offline."
    if exception is not None or app.builder.format != 'html': return
    found = [(p.relative_to(app.outdir), url) for p in sorted(Path(app.outdir).rglob('*.html'))
             for url in nbdocs.remote_assets(p.read_text(errors='replace'))]
    if found:
        raise ExtensionError(f"{len(found)} assets from other hosts, e.g. {found[0][0]} loads {found[0][1]}; "
                             "the site must work offline: serve the file from _static or leave it out")


def redirects(app, exception):
    if exception is None and app.builder.format == 'html': nbdocs.write_redirects(Path(app.outdir), MODIDX)


def setup(app):
    app.connect('builder-inited', refuse_saved_errors)
    app.connect('source-read', prepare_notebook)
    app.connect('build-finished', refuse_remote_assets, priority=900)   # after the redirects are written
    if not API_PAGES: return
    app.connect('builder-inited', api_reference)
    app.connect('autodoc-process-docstring', param_tables)
    app.connect('html-page-context', modidx_anchors)
    app.connect('build-finished', redirects)
