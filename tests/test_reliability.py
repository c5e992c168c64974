"""Nothing is lost: a run killed at a random moment resumes and ends exactly where an uninterrupted run ends."""
import random
import subprocess
import sys
import time

import torch

TRAIN = """
import sys
from deepcluster_nb.data import shapes_dataset
from deepcluster_nb.train import DeepCluster, DeepClusterConfig
cfg = DeepClusterConfig(arch='alexnet', input_size=32, width=0.25, hidden=256, k=10, pca_dim=16, batch_size=16, workers=0,
                        device='cpu', epochs=6, seed=3, deterministic=True, keep_checkpoints=2)
DeepCluster(shapes_dataset(20, seed=0), cfg, sys.argv[1], progress=False).fit()
"""


def train(run_dir):
    return subprocess.Popen([sys.executable, '-c', TRAIN, str(run_dir)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sigkill_mid_run_then_resume_equals_uninterrupted(tmp_path):
    straight = train(tmp_path / 'straight')
    assert straight.wait(timeout=300) == 0, straight.stderr.read()
    killed = train(tmp_path / 'killed')
    t0 = time.time()
    while not (tmp_path / 'killed' / 'checkpoint_epoch0002.pt').exists():   # two epochs done ...
        assert killed.poll() is None and time.time() - t0 < 300, 'the run ended before it could be killed'
        time.sleep(0.01)
    time.sleep(random.uniform(0, 0.6))                                        # ... then a random moment of the third or fourth
    killed.kill(); killed.wait()
    history = (tmp_path / 'killed' / 'history.json').read_text()
    print(f'killed after {history.count("sse")} of 6 epochs')
    assert history.count('"sse"') < 6
    resumed = train(tmp_path / 'killed')
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    a = torch.load(tmp_path / 'straight' / 'checkpoint.pt', weights_only=False)
    b = torch.load(tmp_path / 'killed' / 'checkpoint.pt', weights_only=False)
    assert a['epoch'] == b['epoch'] == 6
    assert (a['assignments'] == b['assignments']).all()
    for name, w in a['model'].items(): assert torch.equal(w, b['model'][name]), name
    assert [h['sse'] for h in a['history']] == [h['sse'] for h in b['history']]
    names = sorted(p.name for p in (tmp_path / 'killed').iterdir())
    assert names == ['checkpoint.pt', 'checkpoint_epoch0005.pt', 'checkpoint_epoch0006.pt', 'history.json'], names
