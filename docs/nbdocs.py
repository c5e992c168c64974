"""What the docs site makes of an nbdev notebook, and the API reference it adds (used by docs/conf.py).

A lesson page shows the lesson: nbdev's `#|` directives are stripped, `#| hide` cells and test cells are not
rendered (they still run under `make docs EXECUTE=force`), the top-level checks of a demonstration cell are left out,
exercise solutions are folded with their outputs, the `## Checks` section at the end is left out (nbdev-test runs it), backticked names of the library link to the API reference, and
each page offers its notebook for download. The API reference has one page per module, at the address nbdev's
`_modidx.py` gives each name (`api/core.html#timer`), with signatures and the parameter comments as tables.
"""
import ast
import importlib
import inspect
import re
from pathlib import Path

from fastcore.docments import docments

API = 'api'
TESTS = ('test_eq', 'test_ne', 'test_close', 'test_fail', 'test_warns', 'test_is', 'test_shuffled', 'test_stdout')
EXPORTS = ('export', 'exports', 'exporti')


def is_check(node) -> bool:
    "Is `node` an `assert` or a call of fastcore's `test_*` functions?"
    if isinstance(node, ast.Assert): return True
    return isinstance(node, ast.Call) and getattr(node.func, 'id', '') in TESTS


def top_level_checks(source: str) -> list[range] | None:
    "The line ranges (0-based) of the top-level checks in `source`; None when it is not plain Python (magics)."
    try: tree = ast.parse(source)
    except SyntaxError: return None
    return [range(n.lineno - 1, n.end_lineno) for n in tree.body
            if isinstance(n, ast.Assert) or (isinstance(n, ast.Expr) and is_check(n.value))]


def has_checks(source: str) -> bool:
    try: return any(map(is_check, ast.walk(ast.parse(source))))
    except SyntaxError: return False


def directives(lines: list[str]) -> list[str]:
    return [line[2:].strip() for line in lines if line.startswith('#|')]


def is_test_cell(cell: dict) -> bool:
    "A code cell that only checks: not exported, not a solution, with checks and no outputs."
    if cell['cell_type'] != 'code' or 'solution' in cell.get('metadata', {}).get('tags', []): return False
    lines = ''.join(cell['source']).splitlines()
    if any(d.split()[0] in EXPORTS for d in directives(lines) if d): return False
    body = '\n'.join(line for line in lines if not line.startswith('#|'))
    return has_checks(body) and not cell.get('outputs')


def add_tags(cell: dict, *tags: str):
    meta = cell.setdefault('metadata', {})
    meta['tags'] = [*meta.get('tags', []), *tags]


def docs_cell(cell: dict) -> dict:
    "The cell as the site shows it (see the module's docstring); `remove-cell` keeps it in an executed build."
    if cell['cell_type'] != 'code': return cell
    lines = ''.join(cell['source']).splitlines()
    if 'hide' in directives(lines) or is_test_cell(cell): add_tags(cell, 'remove-cell')
    if any(d.replace(' ', '') == 'eval:false' for d in directives(lines)): add_tags(cell, 'skip-execution')
    body = [line for line in lines if not line.startswith('#|')]
    drop = {i for r in top_level_checks('\n'.join(body)) or [] for i in r}
    shown = '\n'.join(line for i, line in enumerate(body) if i not in drop).strip('\n')
    cell['source'] = shown
    if not shown and not cell.get('outputs'): add_tags(cell, 'remove-cell')
    if 'solution' in cell.get('metadata', {}).get('tags', []): add_tags(cell, 'hide-cell')
    return cell


CHECKS = re.compile(r'\s*## Checks\b')


def checks_start(cells: list) -> int:
    "Where a lesson's `## Checks` section (its assertions, after the reading part) begins; len(cells) if none."
    return next((i for i, c in enumerate(cells)
                 if c['cell_type'] == 'markdown' and CHECKS.match(''.join(c['source']))), len(cells))


REMOTE = re.compile(r'<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)="((?:https?:)?//[^"]+)"')
WIDGET = 'application/vnd.jupyter.widget-view+json'


def remote_assets(html: str) -> list[str]:
    "The scripts, styles, images and frames a page loads from another host (an offline site has none)."
    return REMOTE.findall(html)


def without_widgets(nb: dict) -> dict:
    "The notebook without widget outputs and widget state: the still picture saved beside each widget stands in."
    nb.get('metadata', {}).pop('widgets', None)
    for cell in nb['cells']:
        if cell['cell_type'] == 'code':
            cell['outputs'] = [o for o in cell.get('outputs', []) if WIDGET not in o.get('data', {})]
    return nb


FENCE = re.compile(r'^(```|~~~)')


def link_names(text: str, targets: dict[str, str]) -> str:
    "Backticked library names (`Timer`, `DeepCluster.fit()`) become links to the API reference, outside code blocks, headings and links."
    def link(m):
        name = m.group(1)
        return f'{{py:obj}}`{name}{m.group(2) or ""} <{targets[name]}>`' if name in targets else m.group(0)
    out, fenced = [], False
    for line in text.split('\n'):
        if FENCE.match(line.strip()): fenced = not fenced
        elif not fenced and not line.startswith('#'): line = re.sub(r'(?<![\[`])`([A-Za-z]\w*(?:\.\w+)?)(\(\))?`(?![\]`])', link, line)
        out.append(line)
    return '\n'.join(out)


def download_cell(docname: str) -> dict:
    name = Path(docname).name
    return {'cell_type': 'markdown', 'id': 'download', 'metadata': {},
            'source': f'{{download}}`Download this notebook <{name}.ipynb>` to run it in JupyterLab.'}


# --- the API reference -------------------------------------------------------------------------------------------

def api_pages(modidx: dict) -> dict[str, str]:
    "Each module of the library and the page nbdev's `_modidx.py` sends its names to (`deepcluster_nb.core` → `core`)."
    pages = {}
    for mod, syms in modidx['syms'].items():
        for page, _ in syms.values(): pages.setdefault(mod, page.split('#')[0].removesuffix('.html'))
    return pages


def public_names(modidx: dict) -> dict[str, str]:
    "Short name (`Timer`, `RunDir.save`) → full name, for the public names that only one module defines."
    seen = {}
    for mod, syms in modidx['syms'].items():
        for full in syms:
            short = full[len(mod) + 1:]
            if not any(p.startswith('_') for p in short.split('.')): seen.setdefault(short, []).append(full)
    return {short: fulls[0] for short, fulls in seen.items() if len(fulls) == 1}


def lesson_of(nbs: Path, module: str) -> str | None:
    "The notebook that exports `module` (`#| default_exp`)."
    for path in sorted(nbs.glob('*.ipynb')):
        if re.search(rf'#\|\s*default_exp\s+{module}\b', path.read_text()): return path.stem
    return None


def write_api_pages(srcdir: Path, modidx: dict):
    "One reStructuredText page per module in `srcdir/api/` (generated at each build; git ignores the folder)."
    out = srcdir / API
    out.mkdir(exist_ok=True)
    for mod, page in api_pages(modidx).items():
        short = mod.split('.')[-1]
        lesson = lesson_of(srcdir, short)
        built = f', built step by step in :doc:`../{lesson}`' if lesson else ''
        title = f'``{short}``'
        text = (f'{title}\n{"=" * len(title)}\n\n``{mod}``{built}.\n\n'
                f'.. automodule:: {mod}\n   :members:\n   :undoc-members:\n   :member-order: bysource\n'
                + ''.join(map(constant_entry, constants(mod).items())))
        path = out / f'{page}.rst'
        if not path.exists() or path.read_text() != text: path.write_text(text)


def constants(mod: str) -> dict:
    "The names of `__all__` that are neither functions nor classes (autodoc leaves them out without a doc comment)."
    m = importlib.import_module(mod)
    return {n: getattr(m, n) for n in m.__all__ if not (inspect.isclass(getattr(m, n)) or callable(getattr(m, n)))}


def constant_entry(item) -> str:
    name, value = item
    text = repr(value)
    return f'\n.. py:data:: {name}\n' + (f'   :value: {text}\n' if len(text) <= 80 and '\n' not in text else '')


def type_name(anno) -> str:
    if anno is inspect.Parameter.empty: return ''
    return anno if isinstance(anno, str) else getattr(anno, '__name__', repr(anno))


def param_table(obj) -> list[str]:
    "The parameters of `obj` with their comments (nbdev's docments) as a reStructuredText table; [] without comments."
    try: params = docments(obj, full=True)
    except (TypeError, ValueError, OSError): return []
    rows = [(name, p) for name, p in params.items() if name not in ('self', 'return')]
    if not any(p['docment'] for _, p in rows): return []
    try: annos = {n: q.annotation for n, q in inspect.signature(obj).parameters.items()}   # as written, not inferred
    except (TypeError, ValueError): annos = {}
    lines = ['', '.. list-table::', '   :header-rows: 1', '   :widths: 20 20 20 40', '',
             '   * - Parameter', '     - Type', '     - Default', '     - Details']
    for name, p in rows:
        default = '' if p['default'] is inspect.Parameter.empty else f'``{p["default"]!r}``'
        anno = type_name(annos.get(name, inspect.Parameter.empty))
        lines += [f'   * - ``{name}``', f'     - {f"``{anno}``" if anno else ""}', f'     - {default}',
                  f'     - {p["docment"] or ""}']
    return lines


def add_anchors(body: str, page: str, modidx: dict) -> str:
    "Give every name `_modidx.py` sends to `page` the anchor it names, on its entry (or its class's, or the top)."
    for syms in modidx['syms'].values():
        for full, (url, _) in syms.items():
            where, _, anchor = url.partition('#')
            if where != f'{page}.html' or f'id="{anchor}"' in body: continue
            parts, done = full.split('.'), False
            while len(parts) > 2 and not done:
                dt = re.compile(rf'(<dt[^>]*\bid="{re.escape(".".join(parts))}"[^>]*>)')
                body, done = dt.subn(rf'\1<span id="{anchor}"></span>', body, count=1)
                parts.pop()
            if not done: body = f'<span id="{anchor}"></span>' + body
    return body


def write_redirects(outdir: Path, modidx: dict):
    "`core.html#timer` (where `_modidx.py` sends `Timer`, as on nbdev's site) forwards to `api/core.html#timer`."
    for page in set(api_pages(modidx).values()):
        target = f'{API}/{page}.html'
        (outdir / f'{page}.html').write_text(
            f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{page}</title>'
            f'<script>location.replace("{target}" + location.hash)</script></head>'
            f'<body><a href="{target}">{target}</a></body></html>\n')
