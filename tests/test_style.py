"The library reads like a reference: lines of at most 110 characters, one statement a line (ruff), exports in sync."
import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).parent / 'ruff'


def _all_block(lines):
    "Line numbers (1-based) of the `__all__ = [...]` assignment that nbdev writes (wrapped at 120 characters)."
    start = next((i for i, line in enumerate(lines) if line.startswith('__all__ = ')), None)
    if start is None: return set()
    end = next(i for i in range(start, len(lines)) if lines[i].rstrip().endswith(']'))
    return set(range(start + 1, end + 2))


def test_library_lines_are_short_and_single_statements():
    out = subprocess.run([str(RUFF), 'check', 'deepcluster_nb', '--isolated', '--select', 'E501,E702,E703', '--line-length',
                          '110', '--exclude', 'deepcluster_nb/_modidx.py', '--output-format', 'json'],
                         cwd=ROOT, capture_output=True, text=True).stdout
    bad = []
    for d in json.loads(out):
        lines = Path(d['filename']).read_text().split('\n')
        row = d['location']['row']
        if d['code'] == 'E501' and (row in _all_block(lines) or Path(d['filename']).name == '__init__.py'): continue
        bad.append(f"{Path(d['filename']).name}:{row} {d['code']} {lines[row - 1].strip()[:80]}")
    assert not bad, 'edit the notebook, then nbdev-export:\n' + '\n'.join(bad)


def test_the_check_would_catch_a_long_line(tmp_path):
    f = tmp_path / 'x.py'
    f.write_text('__all__ = ["a"]\n' + 'x = 1; y = 2\n' + f"z = '{'a' * 120}'\n")
    out = subprocess.run([str(RUFF), 'check', str(f), '--isolated', '--select', 'E501,E702', '--line-length', '110',
                          '--output-format', 'json'], capture_output=True, text=True).stdout
    assert sorted(d['code'] for d in json.loads(out)) == ['E501', 'E702']


def _signature_misfits(src: str) -> list[str]:
    "Signatures not in the kit's one style: parameters follow `def f(`, later lines aligned under the first."
    bad = []
    for node in ast.walk(ast.parse(src)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)): continue
        a = node.args
        params = [*a.posonlyargs, *a.args, *([a.vararg] if a.vararg else []), *a.kwonlyargs,
                  *([a.kwarg] if a.kwarg else [])]
        if not params: continue
        line = src.splitlines()[node.lineno - 1]
        paren = line.index('(', line.index('def ' + node.name))
        first, rest = params[0], params[1:]
        if first.lineno != node.lineno: bad.append(f'{node.name}: first parameter not on the def line')
        for p in rest:
            if p.lineno != node.lineno and p.col_offset not in (paren + 1, paren + 2, paren + 3):   # `*a`, `**kw`
                if src.splitlines()[p.lineno - 1][:p.col_offset].strip() == '':
                    bad.append(f'{node.name}: parameter {p.arg} not aligned under the first')
    return bad


def test_one_signature_style():
    bad = [f'{f.name}: {m}' for f in sorted((ROOT / 'deepcluster_nb').glob('[a-z]*.py')) if f.name != '_modidx.py'
           for m in _signature_misfits(f.read_text())]
    assert not bad, 'edit the notebook, then nbdev-export:\n' + '\n'.join(bad)


def test_the_signature_check_would_catch_the_other_style():
    other = 'def f(\n    a: int,  # the a\n    b=2,\n) -> int:\n    return a\n'
    ours = 'def g(a: int,  # the a\n      b=2, *c, **kw) -> int:\n    return a\n'
    assert _signature_misfits(other) == ['f: first parameter not on the def line', 'f: parameter b not aligned under the first']
    assert _signature_misfits(ours) == []
