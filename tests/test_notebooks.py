"Notebooks run under papermill with injected parameters, and nbdev-clean keeps the tag papermill needs."
import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import papermill as pm

from deepcluster_nb.data import check_image_folder

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'


def test_parameters_tag_survives_nbdev_clean(tmp_path):
    cfg = tomllib.loads((ROOT / 'pyproject.toml').read_text())['tool']['nbdev']
    assert cfg['allowed_cell_metadata_keys'] == ['tags']         # a list: a string would be split into letters
    nb = tmp_path / 'nb.ipynb'
    shutil.copy(NBS / '01c_data.ipynb', nb)
    subprocess.run([str(Path(sys.executable).parent / 'nbdev-clean'), '--fname', str(nb)], cwd=ROOT, check=True, capture_output=True)
    tags = [c['metadata'].get('tags') for c in json.loads(nb.read_text())['cells'] if c['metadata']]
    assert ['parameters'] in tags


def test_demo_notebook_writes_the_data_set(tmp_path):
    out = tmp_path / 'run'
    pm.execute_notebook(NBS / '01c_data.ipynb', tmp_path / 'executed.ipynb', cwd=NBS, progress_bar=False,
                        parameters=dict(n_per_class=5, size=24, seed=1, out_dir=str(out)))
    assert check_image_folder(out / 'shapes') == {c: 5 for c in check_image_folder(out / 'shapes')}
    assert len(check_image_folder(out / 'shapes')) == 10
    assert (out / 'shapes.png').stat().st_size > 1000
    executed = json.loads((tmp_path / 'executed.ipynb').read_text())
    assert any('injected-parameters' in c['metadata'].get('tags', []) for c in executed['cells'])
