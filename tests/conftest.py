import subprocess
import sys
from pathlib import Path

import pytest

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
