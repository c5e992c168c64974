"""A practitioner's folder of photos: outputs checked before any work and never clobbered, files that go bad or change
during a long run, images decoded as they are shown, settings all checked, one-line errors, the user's umask, and
checkpoints that never run code (issue 26). Tiny images, one or two epochs."""
import dataclasses
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageOps

from deepcluster_nb import folder
from deepcluster_nb.config import DeepClusterConfig
from deepcluster_nb.core import load_checkpoint
from deepcluster_nb.data import ImageFiles, digits_dataset, get_dataset, load_rgb, shapes_dataset
from deepcluster_nb.evaluate import export_backbone, load_backbone, load_official_checkpoint
from deepcluster_nb.folder import main, past_assignments
from deepcluster_nb.train import DeepCluster

TINY = ['--k', '3', '--epochs', '1', '--width', '0.25', '--hidden', '32', '--pca-dim', '8', '--batch-size', '8', '--device', 'cpu']
CFG = DeepClusterConfig(arch='alexnet', input_size=32, width=0.25, hidden=32, k=3, pca_dim=8, batch_size=8, workers=0,
                        device='cpu', epochs=1, seed=0, augment='shifts', pool=2, init='torch', center_crop=False)


def photos(root, n=24, start=0):
    "n real digits as PNG files under root (and a sub-folder)."
    root.mkdir(parents=True, exist_ok=True)
    for i, im in enumerate(digits_dataset().images[start:start + n]):
        Image.fromarray(im).save(root / f'{start + i:04d}.png')
    return root


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    "A folder and a run trained on it by the command line (one epoch)."
    tmp = tmp_path_factory.mktemp('run')
    main(['train', str(photos(tmp / 'photos')), '--run-dir', str(tmp / 'run'), *TINY])
    return tmp / 'photos', tmp / 'run'


@pytest.fixture
def cli(capsys):
    "The command as a user runs it (in this process): its exit code and what it wrote to stderr."
    def run(*args):
        capsys.readouterr()
        try: main([str(a) for a in args]); code = 0
        except SystemExit as e: code = e.code
        return code, capsys.readouterr().err
    return run


# 1-2, 10. Output paths: checked before any work, never clobbered.
@pytest.fixture
def no_pass(monkeypatch):
    "Fail the test if the features pass starts: every output check must come first."
    def refuse(*a, **k): raise AssertionError('the features pass ran before the outputs were checked')
    monkeypatch.setattr(folder, 'compute_features', refuse)


def test_embed_refuses_outputs_that_collide_or_cannot_be_written(trained, tmp_path, no_pass, cli):
    data, run = trained
    (tmp_path / 'a_file').write_text('x')
    (tmp_path / 'a_dir.npy').mkdir()
    for out, message in [(tmp_path / 'out.txt', 'name the features file X.npy'),
                         (tmp_path / 'a_dir.npy', 'is a folder'),
                         (tmp_path / 'missing' / 'f.npy', 'does not exist; create it'),
                         (tmp_path / 'a_file' / 'f.npy', 'is a file, not a folder'),
                         (Path('/proc/deepcluster_nb_test.npy'), 'cannot write in /proc')]:   # a virtual file system
        code, err = cli('embed', '--run-dir', run, data, out)
        assert code == 2 and message in err and str(out) in err and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / 'a_file').read_text() == 'x' and not list(tmp_path.glob('out*'))


def test_embed_and_export_never_overwrite_a_file_they_did_not_write(trained, tmp_path, cli):
    data, run = trained
    notes, index = tmp_path / 'notes.pt', tmp_path / 'f.txt'
    notes.write_text('my notes'); index.write_text('my list\n')
    code, err = cli('export', '--run-dir', run, notes)
    assert code == 2 and 'exists and was not written by deepcluster_nb' in err and notes.read_text() == 'my notes', err
    code, err = cli('embed', '--run-dir', run, data, tmp_path / 'f.npy')
    assert code == 2 and 'f.txt exists' in err and index.read_text() == 'my list\n', err
    main(['export', '--run-dir', str(run), str(tmp_path / 'net.pt')])
    main(['export', '--run-dir', str(run), str(tmp_path / 'net.pt')])                  # its own file: replaced
    main(['embed', '--run-dir', str(run), str(data), str(tmp_path / 'g.npy')])
    main(['embed', '--run-dir', str(run), str(data), str(tmp_path / 'g.npy')])
    rows, paths = np.load(tmp_path / 'g.npy'), (tmp_path / 'g.txt').read_text().splitlines()
    assert rows.shape == (len(paths), 32) and paths == ImageFiles(data).paths


def test_a_file_name_with_a_line_break_is_refused_before_the_pass(trained, tmp_path, no_pass, cli):
    _, run = trained
    odd = photos(tmp_path / 'odd', 3)
    (odd / '0001.png').rename(odd / 'two\nlines.png')
    code, err = cli('embed', '--run-dir', run, odd, tmp_path / 'f.npy')
    assert code == 2 and 'line break' in err and 'rename it' in err and not (tmp_path / 'f.npy').exists(), err


# 3-4. Files that go bad or change during a long run.
def test_a_file_that_disappears_or_goes_bad_during_a_run_is_left_out_and_the_run_goes_on(tmp_path):
    root = photos(tmp_path / 'p', 30)
    run = DeepCluster(ImageFiles(root), CFG, tmp_path / 'run', progress=False)
    run.fit()
    (root / '0003.png').unlink()
    (root / '0007.png').write_bytes(b'')                                        # truncated to 0 bytes
    with pytest.warns(UserWarning, match='2 images could not be read and were left out of this epoch'):
        run.fit(2)
    last = run.history[-1]
    assert run.epoch == 2 and last['unreadable'] == 2 and len(last['unreadable_files']) == 2
    assert any('0003.png' in w for w in last['unreadable_files']) and any('0007.png' in w for w in last['unreadable_files'])
    assert (run.assignments[[3, 7]] == -1).all() and (run.assignments[np.r_[0:3, 4:7, 8:30]] >= 0).all()
    assert run.history[0]['unreadable'] == 0
    with pytest.raises(ValueError, match='made on 30 images, this data set has 28.*remap=True'):
        DeepCluster(ImageFiles(root), dataclasses.replace(CFG, epochs=3), tmp_path / 'run', progress=False)
    photos(root, 2, start=100)                                                 # two new photos too
    with pytest.warns(UserWarning, match='matched by path: 28 of 30 images kept their cluster, 2 new, 2 gone'):
        run = DeepCluster(ImageFiles(root), dataclasses.replace(CFG, epochs=3), tmp_path / 'run', progress=False, remap=True)
    assert run.epoch == 2 and (run.assignments[-2:] == -1).all() and (run.assignments[:-2] >= 0).all()
    run.fit()
    assert run.epoch == 3 and run.history[-1]['unreadable'] == 0 and (run.assignments >= 0).all()


def test_resuming_on_another_folder_of_as_many_images_is_refused_naming_both(tmp_path):
    DeepCluster(ImageFiles(photos(tmp_path / 'a', 20)), CFG, tmp_path / 'run', progress=False).fit()
    other = photos(tmp_path / 'b', 20, start=500)
    with pytest.raises(ValueError, match=f"{tmp_path / 'a'} there, {other} here: image 0 is '0000.png' there, '0500.png' here"):
        DeepCluster(ImageFiles(other), CFG, tmp_path / 'run', progress=False)


# 5. Decoded as shown.
def test_images_are_decoded_upright_and_float_images_by_their_range(tmp_path):
    im = Image.fromarray(np.arange(20 * 40 * 3, dtype=np.uint8).reshape(40, 20, 3))
    exif = im.getexif(); exif[0x0112] = 6                                      # "rotate 90° to show"
    im.save(tmp_path / 'phone.jpg', exif=exif)
    up = load_rgb(tmp_path / 'phone.jpg')
    assert up.size == (40, 20) and np.array_equal(np.asarray(up), np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / 'phone.jpg'))))
    grey = np.linspace(0, 1, 100, dtype=np.float32).reshape(10, 10)
    Image.fromarray(grey).save(tmp_path / 'float.tif')
    assert np.abs(np.asarray(load_rgb(tmp_path / 'float.tif'))[..., 0] - np.round(grey * 255)).max() <= 1
    Image.fromarray(grey * 1000 - 500).save(tmp_path / 'wide.tif')                   # another range: scaled by its own
    wide = np.asarray(load_rgb(tmp_path / 'wide.tif'))
    assert wide.min() == 0 and wide.max() == 255


def test_a_nan_image_or_a_file_that_is_not_its_format_is_skipped_and_counted(tmp_path):
    root = photos(tmp_path / 'p', 4)
    nan = np.ones((8, 8), np.float32); nan[2, 2] = np.nan
    Image.fromarray(nan).save(root / 'nan.tif')
    (root / 'page.jpg').write_text('<html>not a photo</html>')
    good = (root / '0000.png').read_bytes()
    at = good.index(b'IDAT') + 8
    (root / 'bad_chunk.png').write_bytes(good[:at] + bytes(b ^ 0xFF for b in good[at:at + 16]) + good[at + 16:])
    with pytest.warns(UserWarning, match='skipped 3 unreadable files of 7'):
        data = ImageFiles(root)
    assert len(data) == 4 and sorted(Path(p).name for p in data.skipped) == ['bad_chunk.png', 'nan.tif', 'page.jpg']


# 6. The lock.
def test_a_run_whose_lock_is_deleted_or_taken_stops_without_writing(tmp_path, monkeypatch):
    data = shapes_dataset(2, seed=0)
    run = DeepCluster(data, dataclasses.replace(CFG, epochs=2), tmp_path, progress=False)
    run.fit(1)
    assert not (tmp_path / 'run.lock').exists()                                # the lock goes with the finished run
    train = DeepCluster.train_on_clusters

    def meddle(self, *a):
        loss = train(self, *a)
        (tmp_path / 'run.lock').unlink()                                       # someone deletes it mid-epoch ...
        return loss
    monkeypatch.setattr(DeepCluster, 'train_on_clusters', meddle)
    with pytest.raises(RuntimeError, match='run.lock was deleted while this run held it'):
        run.fit(2)
    assert load_checkpoint(tmp_path / 'checkpoint.pt')['epoch'] == 1              # nothing written

    def taken(self, *a):
        loss = train(self, *a)
        (tmp_path / 'run.lock').write_text('otherhost 4242')                  # ... or another process takes it
        return loss
    monkeypatch.setattr(DeepCluster, 'train_on_clusters', taken)
    with pytest.raises(RuntimeError, match="taken by process 'otherhost 4242'"):
        DeepCluster(data, dataclasses.replace(CFG, epochs=2), tmp_path, progress=False).fit()
    assert load_checkpoint(tmp_path / 'checkpoint.pt')['epoch'] == 1
    assert (tmp_path / 'run.lock').read_text() == 'otherhost 4242'             # the other process's lock is left alone


# 7. Every setting is checked.
BAD = dict(arch=('resnet', "arch='resnet' must be one of"), sobel=('yes', 'sobel='), input_size=(8, 'input_size=8'), width=(0, 'width=0'),
           hidden=(0, 'hidden=0'), pool=(5, 'pool=5'), init=('he', 'init='), augment=('rotate', 'rotate'), flip=(1, 'flip='),
           center_crop=('no', 'center_crop='), k=(1, 'k=1'), pca_dim=(0, 'pca_dim=0'), kmeans_iters=(0, 'kmeans_iters=0'),
           kmeans_backend=('scipy', 'scipy'), clustering=('spectral', "clustering='spectral' must be one of"),
           pca_backend=('numpy', 'pca_backend='), epochs=(0, 'epochs=0'),
           batch_size=(0, 'batch_size=0'), lr=(-1.0, 'lr=-1'), momentum=(1.0, 'momentum=1'), weight_decay=(-1e-5, 'weight_decay='),
           workers=(-1, 'workers=-1'), device=('tpu', "device='tpu'"), seed=(2**32, 'seed=4294967296'),
           memory_budget=(0, 'memory_budget=0'), deterministic=('no', 'deterministic='),
           keep_checkpoints=(0, 'keep_checkpoints=0'), warn_largest_share=(1.5, 'warn_largest_share=1.5'),
           warn_empty_share=(-0.1, 'warn_empty_share=-0.1'), reassign=(0, 'reassign=0'), patience=(0, 'patience=0'),
           min_delta=(-1.0, 'min_delta=-1'), stop_on=('loss', 'stop_on='), init_from=('/nowhere.pt', 'init_from='),
           amp=('on', 'amp='))


def test_every_setting_has_a_check_that_names_it():
    assert set(BAD) == {f.name for f in dataclasses.fields(DeepClusterConfig)}, 'a new setting needs a bad value here'
    for name, (value, message) in BAD.items():
        with pytest.raises((ValueError, TypeError, FileNotFoundError), match=None) as e:
            dataclasses.replace(CFG, **{name: value}).check(20)
        assert message in str(e.value), (name, str(e.value))
    for name, value in [('seed', -1), ('keep_checkpoints', -1)]:
        with pytest.raises(ValueError, match=f'{name}=-1 must be'):
            dataclasses.replace(CFG, **{name: value}).check(20)


# 8. Messages that say what to do.
def test_embed_or_export_without_a_trained_run_say_so(tmp_path, cli):
    photos(tmp_path / 'p', 2)
    (tmp_path / 'empty').mkdir()
    for run in ('empty', 'missing'):
        code, err = cli('embed', '--run-dir', tmp_path / run, tmp_path / 'p', tmp_path / 'f.npy')
        assert code == 2 and 'no trained run there' in err and 'deepcluster-nb train' in err and 'overwrite' not in err, err
        code, err = cli('export', '--run-dir', tmp_path / run, tmp_path / 'n.pt')
        assert code == 2 and 'no trained run there' in err, err


def test_get_dataset_names_the_data_sets_it_knows():
    for name in ('Shapes', None, 'imagenet'):
        with pytest.raises(ValueError, match="choose one of 'shapes', 'digits', 'cifar10', or the path"):
            get_dataset(name)
    with pytest.raises(ValueError, match="did you mean 'shapes'"):
        get_dataset('Shapes')


def test_a_user_error_is_one_line_and_exit_code_2_and_debug_keeps_the_traceback(tmp_path, cli):
    code, err = cli('train', tmp_path / 'nowhere', '--run-dir', tmp_path / 'x')
    assert code == 2 and err.strip().count('\n') == 0 and 'not a folder' in err, err
    with pytest.raises(NotADirectoryError, match='not a folder'):                # --debug: the exception itself
        main(['--debug', 'train', str(tmp_path / 'nowhere'), '--run-dir', str(tmp_path / 'x')])
    r = subprocess.run([sys.executable, '-m', 'deepcluster_nb.folder', 'export', '--run-dir', str(tmp_path), str(tmp_path / 'n.pt')],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.count('\n') == 1 and 'no trained run there' in r.stderr, r.stderr   # as a shell sees it


# 9. The user's umask.
@pytest.mark.parametrize('umask', [0o022, 0o077])
def test_written_files_take_the_users_umask(trained, tmp_path, umask):
    data, run = trained
    old = os.umask(umask)
    try:
        main(['train', str(data), '--run-dir', str(tmp_path / 'run'), *TINY])
        main(['export', '--run-dir', str(tmp_path / 'run'), str(tmp_path / 'backbone.pt')])
        main(['embed', '--run-dir', str(tmp_path / 'run'), str(data), str(tmp_path / 'e.npy')])
    finally:
        os.umask(old)
    files = [*(tmp_path / 'run').iterdir(), tmp_path / 'backbone.pt', tmp_path / 'e.npy', tmp_path / 'e.txt']
    assert {'checkpoint.pt', 'assignments.csv', 'features.npy', 'pca.npz', 'history.json'} <= {f.name for f in files}
    modes = {f.name: oct(f.stat().st_mode & 0o777) for f in files}
    assert set(modes.values()) == {oct(0o666 & ~umask)}, modes


# 11. A checkpoint never runs code.
class Payload:
    "Unpickling this object creates a file."
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (Path.touch, (self.marker,))


def test_a_crafted_checkpoint_is_refused_by_every_loading_path_and_never_runs(trained, tmp_path):
    _, run = trained
    marker = tmp_path / 'pwned'
    good = load_checkpoint(run / 'checkpoint.pt')
    evil = tmp_path / 'evil.pt'
    torch.save({**good, 'extra': Payload(marker)}, evil)
    rundir = tmp_path / 'evil_run'
    rundir.mkdir()
    torch.save({**good, 'extra': Payload(marker)}, rundir / 'checkpoint.pt')
    torch.save({**good, 'extra': Payload(marker)}, rundir / 'checkpoint_epoch0001.pt')
    with pytest.raises(pickle.UnpicklingError):
        torch.load(evil, weights_only=True)                                    # what the kit builds on
    cfg = DeepClusterConfig(**{**good['config'], 'epochs': 2})
    data = ImageFiles(trained[0])
    paths = [lambda: load_checkpoint(evil), lambda: export_backbone(evil, tmp_path / 'b.pt'), lambda: load_backbone(evil),
             lambda: load_official_checkpoint(evil), lambda: past_assignments(rundir),
             lambda: DeepCluster(data, dataclasses.replace(cfg, init_from=str(evil)), progress=False)]
    for load in paths:
        with pytest.raises(ValueError, match='refused: it holds Python objects'):
            load()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter('always')
        for load in [lambda: DeepCluster(data, cfg, rundir, progress=False), lambda: export_backbone(rundir, tmp_path / 'b.pt'),
                     lambda: DeepCluster(data, dataclasses.replace(cfg, init_from=str(rundir)), progress=False)]:
            with pytest.raises(RuntimeError, match='none of its checkpoints loads'):
                load()
    assert sum('refused: it holds Python objects' in str(w.message) for w in seen) == 6
    assert not marker.exists() and not (tmp_path / 'b.pt').exists()
    torch.load(evil, weights_only=False)                                       # the payload is real: unpickled, it runs
    assert marker.exists()


def test_the_kits_own_checkpoints_load_with_weights_only(trained):
    _, run = trained
    ck = torch.load(run / 'checkpoint.pt', weights_only=True)
    assert ck['epoch'] == 1 and ck['images']['paths'].split('\0')[0] == '0000.png' and ck['assignments'].dtype == torch.int64


# Issue 25, 7: the command line takes folder_config's presets; only what the user typed overrides them.
def test_train_keeps_folder_configs_presets_unless_typed(trained, tmp_path):
    data, _ = trained
    main(['train', str(data), '--run-dir', str(tmp_path / 'small'), '--k', '3', '--epochs', '1', '--batch-size', '8', '--device', 'cpu'])
    cfg = load_checkpoint(tmp_path / 'small' / 'checkpoint.pt')['config']
    assert (cfg['pca_dim'], cfg['width'], cfg['hidden'], cfg['pool'], cfg['augment']) == (128, 0.5, 512, 2, 'shifts')
    paper = folder.train_config(folder.parser().parse_args(['train', 'f', '--run-dir', 'r', '--size', '224', '--pca-dim', '8']), 1000)
    assert (paper.width, paper.hidden, paper.pool, paper.augment, paper.pca_dim, paper.k) == (1.0, 4096, None, 'paper', 8, 20)
