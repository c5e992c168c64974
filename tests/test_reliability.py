"""Nothing is lost: a run killed at a random moment resumes and ends exactly where an uninterrupted run ends; a
diverged, damaged, shared or out-of-space run directory is refused or recovered with a message, never silently."""
import dataclasses
import os
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from deepcluster_nb import core
from deepcluster_nb.config import DeepClusterConfig
from deepcluster_nb.core import DiskFullError
from deepcluster_nb.data import shapes_dataset
from deepcluster_nb.train import DeepCluster

TRAIN = """
import sys
from deepcluster_nb.data import shapes_dataset
from deepcluster_nb.config import DeepClusterConfig
from deepcluster_nb.train import DeepCluster
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
    assert names == ['checkpoint.pt', 'checkpoint_epoch0005.pt', 'checkpoint_epoch0006.pt', 'history.json'], names   # the lock went with the run


# Runs and checkpoints: each way a run could be lost or silently wrong, reproduced at a tiny size.
TINY = DeepClusterConfig(arch='alexnet', input_size=32, width=0.25, hidden=64, k=4, pca_dim=8, batch_size=8, workers=0,
                         device='cpu', epochs=2, seed=0)
DATA = shapes_dataset(2, seed=0)                                        # 20 images


def finite(path):
    ck = torch.load(path, weights_only=False)
    states = [v for st in ck['optimizer']['state'].values() for v in st.values()]
    return all(torch.isfinite(t).all() for t in [*ck['model'].values(), *states] if torch.is_tensor(t) and t.is_floating_point())


def test_a_diverging_run_never_saves_non_finite_weights(tmp_path):
    run = DeepCluster(DATA, dataclasses.replace(TINY, lr=1e3, epochs=4), tmp_path, progress=False)
    with pytest.raises((FloatingPointError, ValueError), match='NaN or inf|became nan|became inf'):   # loss, weights or features
        run.fit()
    assert all(finite(p) for p in tmp_path.glob('checkpoint*.pt'))     # whatever was written can be resumed from


def test_resuming_with_a_lower_lr_uses_it_and_says_so(tmp_path):
    DeepCluster(DATA, dataclasses.replace(TINY, epochs=1), tmp_path, progress=False).fit()
    with pytest.warns(UserWarning, match=r'resuming with lr=0.01 \(the checkpoint\'s run had 0.05\)'):
        run = DeepCluster(DATA, dataclasses.replace(TINY, lr=0.01), tmp_path, progress=False)
    assert run.epoch == 1 and {g['lr'] for g in run.optimizer.param_groups} == {0.01}


@pytest.mark.parametrize('damage', ['deleted', 'empty', 'random bytes', 'truncated'])
def test_a_lost_or_damaged_checkpoint_falls_back_to_the_newest_epoch_file(tmp_path, damage):
    DeepCluster(DATA, TINY, tmp_path, progress=False).fit()
    ck = tmp_path / 'checkpoint.pt'
    whole = ck.read_bytes()
    ck.unlink()                                                          # a hard link to the epoch file: replace, not overwrite
    if damage != 'deleted': ck.write_bytes({'empty': b'', 'random bytes': os.urandom(5000), 'truncated': whole[:len(whole) // 2]}[damage])
    with pytest.warns(UserWarning, match='resuming from checkpoint_epoch0002.pt'):
        run = DeepCluster(DATA, dataclasses.replace(TINY, epochs=3), tmp_path, progress=False)
    assert run.epoch == 2 and len(run.history) == 2
    run.fit()
    assert [h['epoch'] for h in run.history] == [0, 1, 2]


def test_no_readable_checkpoint_is_an_error_naming_them(tmp_path):
    DeepCluster(DATA, dataclasses.replace(TINY, epochs=1), tmp_path, progress=False).fit()
    for p in tmp_path.glob('checkpoint*.pt'): p.unlink(); p.write_bytes(b'junk')
    with pytest.raises(RuntimeError, match='none of its checkpoints loads'), pytest.warns(UserWarning):
        DeepCluster(DATA, TINY, tmp_path, progress=False)


def test_resuming_on_a_data_set_of_another_size_is_refused(tmp_path):
    DeepCluster(DATA, dataclasses.replace(TINY, epochs=1), tmp_path, progress=False).fit()
    smaller = shapes_dataset(2, seed=0); smaller.images, smaller.targets = smaller.images[:18], smaller.targets[:18]
    with pytest.raises(ValueError, match='made on 20 images, this data set has 18'):
        DeepCluster(smaller, TINY, tmp_path, progress=False)


def test_two_processes_on_one_run_dir(tmp_path):
    holder = subprocess.Popen([sys.executable, '-c', TRAIN.replace('.fit()', '; print("ready", flush=True); import time; time.sleep(60)'),
                               str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'ready', holder.stderr.read()
        with pytest.raises(RuntimeError, match=f'is in use by process {holder.pid} on'):
            DeepCluster(DATA, TINY, tmp_path, progress=False)
    finally:
        holder.send_signal(signal.SIGKILL); holder.wait()
    assert DeepCluster(DATA, TINY, tmp_path, progress=False).epoch == 0   # its process is gone: the lock is taken over


def test_a_full_disk_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    run = DeepCluster(DATA, dataclasses.replace(TINY, epochs=1), tmp_path, progress=False)
    run.fit()
    def full(obj, f): raise RuntimeError('[enforce fail at inline_container.cc:672] . unexpected pos 64 vs 0')
    monkeypatch.setattr(core.torch, 'save', full)
    with pytest.raises(DiskFullError, match='is it full?'):
        run.fit(2)
    monkeypatch.undo()
    assert torch.load(tmp_path / 'checkpoint.pt', weights_only=False)['epoch'] == 1 and not list(tmp_path.glob('*.tmp'))


def test_a_run_dir_under_home_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path)); monkeypatch.chdir(tmp_path)
    DeepCluster(DATA, dataclasses.replace(TINY, epochs=1), '~/runs/x', progress=False).fit()
    assert (tmp_path / 'runs' / 'x' / 'checkpoint.pt').exists() and not (tmp_path / '~').exists()
