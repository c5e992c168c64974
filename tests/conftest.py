import os
import subprocess
import sys
from pathlib import Path

import pytest

# Each xdist worker (and the kernels and scripts it starts) gets its share of the cores. Left alone, torch's and
# faiss's OpenMP in each of two workers spin on every core; two digits seeds side by side then took 442 s against
# 93 s with one thread each (2 cores). Set in each worker before any test module imports torch.
if 'PYTEST_XDIST_WORKER' in os.environ:
    _cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count() or 1   # macOS: no affinity
    _share = _cores // int(os.environ['PYTEST_XDIST_WORKER_COUNT'])
    os.environ.setdefault('OMP_NUM_THREADS', str(max(1, _share)))

ROOT = Path(__file__).resolve().parents[1]


def run_script(name, *args, check=True):
    "Run data_scripts/`name` with this Python; return the CompletedProcess (stdout and stderr as text)."
    r = subprocess.run([sys.executable, str(ROOT / 'data_scripts' / name), *map(str, args)],
                       capture_output=True, text=True, timeout=300)
    if check and r.returncode: raise AssertionError(f"{name} {args} failed:\n{r.stdout}\n{r.stderr}")
    return r


@pytest.fixture
def script():
    return run_script


# The longest first: xdist (`--dist worksteal`, the Makefile's) then shares the short ones out at the end, so
# neither worker waits while the other runs a minute-long test alone.
LONGEST_FIRST = ['test_learning.py', 'test_experiments.py', 'test_docs.py', 'test_data_scripts.py']


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # stable: each file keeps its order
