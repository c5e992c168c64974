"""The experiment notebooks, run by papermill with tiny parameters on data written by data_scripts/ in
the real on-disk formats; the assertions read the files the notebooks write."""
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import papermill as pm
import pytest
from jupyter_client import KernelManager
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from deepcluster_nb.config import small_config
from deepcluster_nb.data import shapes_dataset
from deepcluster_nb.train import DeepCluster

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
TINY = dict(width=0.25, hidden=256, pca_dim=16, batch_size=32, workers=0, device='cpu')


def run_nb(name, executed, km=None, **parameters):
    """Run notebook `name` with papermill into `executed`, in a new kernel or `km`'s; a cell that stalls (a lost kernel
    reply) fails after 10 minutes."""
    return pm.execute_notebook(NBS / name, executed, cwd=NBS, progress_bar=False, parameters=parameters, execution_timeout=600,
                               km=km)


@pytest.fixture(scope='module')
def kernel():
    "One kernel for the runs that must fail at their checks (a kernel start each cost about 5 s of the suite's time)."
    km = KernelManager(kernel_name='python3')
    km.start_kernel(cwd=str(NBS))
    yield km
    km.shutdown_kernel(now=True)


def run_to_failure(kernel, name, executed, **parameters):
    "`run_nb` in `kernel`, from an empty namespace (`%reset`: only the imports stay warm); it must fail."
    kc = kernel.blocking_client()
    kc.start_channels()
    try: kc.execute_interactive('%reset -f', timeout=60)
    finally: kc.stop_channels()
    run_nb(name, executed, km=kernel, **parameters)
    raise AssertionError(f'{name} ran to its end with {parameters}')


def demo_command(out, **parameters):
    "`make demo`'s papermill line, read from the Makefile, writing `out` with `parameters`."
    line = next(line.strip() for line in (ROOT / 'Makefile').read_text().splitlines() if 'papermill nbs/80' in line)
    args = shlex.split(line.replace('$(BIN)/', f'{Path(sys.executable).parent}/'))
    args[args.index('runs/k_sweep.ipynb')] = str(out)
    return subprocess.run([*args, *[a for k, v in parameters.items() for a in ('-p', k, str(v))]], cwd=ROOT,
                          capture_output=True, text=True)


def check_sweep(run, ks, epochs, reassigns=(1.0,)):
    table = pd.read_csv(run / 'k_sweep.csv')
    assert sorted(zip(table.k, table.reassign, table.epoch)) == sorted((k, r, e) for k in ks for r in reassigns
                                                                         for e in [0, *epochs])   # epoch 0: random init
    assert table.probe_acc.between(0, 1).all() and table.nmi_labels.between(0, 1).all()
    trained, random_init = table[table.epoch > 0], table[table.epoch == 0]
    assert (trained.sse > 0).all() and random_init.sse.isna().all()
    summary = json.loads((run / 'summary.json').read_text())
    best = trained.loc[trained.probe_acc.idxmax()]
    assert (summary['best_k'], summary['best_epoch']) == (best.k, best.epoch)
    assert summary['random_init_probe_acc'] == random_init.set_index(['k', 'reassign']).probe_acc[best.k, best.reassign]
    ceiling = json.loads((run / 'supervised.json').read_text())                      # the supervised row
    assert ceiling['epoch'] == max(epochs) and summary['supervised_probe_acc'] == ceiling['probe_acc']
    for png in ('elbow_and_probe.png', 'nmi.png', 'cluster_sizes.png'): assert (run / png).stat().st_size > 1000
    for k in ks:
        for r in reassigns:
            h = json.loads((run / (f'k{k}' if r == 1 else f'k{k}_r{r:g}') / 'history.json').read_text())
            assert [e['epochs_trained'] for e in h] == [r * (i + 1) for i in range(max(epochs))]   # reassign: r epochs each


def test_k_sweep_on_cifar_pickles(tmp_path, script):
    script('make_shapes.py', '--out', tmp_path / 'c10', '--format', 'cifar', '--n-per-class', 12, '--n-test', 40)
    run_nb('80_cifar10_k_sweep.ipynb', tmp_path / 'out.ipynb', dataset='cifar10', data_dir=str(tmp_path / 'c10'),
           ks=[2, 5], epochs=[1, 2], reassigns=[1.0, 0.5], out_dir=str(tmp_path / 'run'), probe_n=60, **TINY)
    check_sweep(tmp_path / 'run', [2, 5], [1, 2], reassigns=(0.5, 1.0))     # the student study's k × epochs × reassign
    assert 'Best k = ' in (tmp_path / 'out.ipynb').read_text()


def test_k_sweep_on_image_folder_and_rerun(tmp_path, script):
    script('make_shapes.py', '--out', tmp_path / 'shapes', '--n-per-class', 8, '--n-val-per-class', 3)
    params = dict(dataset=str(tmp_path / 'shapes'), ks='3,6', epochs='[1]', out_dir=str(tmp_path / 'run'), **TINY)
    r = demo_command(tmp_path / 'out.ipynb', **params)                          # list parameters given as text
    assert r.returncode == 0, r.stderr[-3000:]
    check_sweep(tmp_path / 'run', [3, 6], [1])
    # make demo shows a line per (k, epoch) as it goes: work done of 6 (an epoch or an evaluation each), time left
    lines = [line for line in r.stdout.splitlines() if line.startswith('[')]
    assert [line.split(':')[0] for line in lines] == ['[1/6] k=3 reassign 1 epoch 0', '[3/6] k=3 reassign 1 epoch 1',
                                                     '[4/6] k=6 reassign 1 epoch 0', '[6/6] k=6 reassign 1 epoch 1'], r.stdout
    assert all(re.search(r'\| \d+:\d\d elapsed, about \d+:\d\d left$', line) for line in lines[:-1]), lines
    assert lines[-1].endswith(', 0:00 left')
    first = (tmp_path / 'run' / 'k_sweep.csv').read_text()
    run_nb('80_cifar10_k_sweep.ipynb', tmp_path / 'again.ipynb', **params)     # a rerun reuses the finished runs
    assert (tmp_path / 'run' / 'k_sweep.csv').read_text() == first


def test_k_sweep_bad_parameters_fail_before_training(tmp_path, kernel):
    nb, out = '80_cifar10_k_sweep.ipynb', tmp_path / 'o.ipynb'
    with pytest.raises(pm.PapermillExecutionError, match="parameter ks='five'"):
        run_to_failure(kernel, nb, out, ks='five', out_dir=str(tmp_path / 'run'))
    with pytest.raises(pm.PapermillExecutionError, match='k=500 must be an integer from 2 to the number of images'):
        run_to_failure(kernel, nb, out, ks=[500], n_per_class=5, out_dir=str(tmp_path / 'run'))
    assert not (tmp_path / 'run' / 'k500').exists()
    for bad, message in [(dict(probe_layer=9), 'probe layers [9]: alexnet has conv layers 1 to 5'), (dict(probe_n=0), 'probe_n=0'),
                         (dict(probe_per_class=0), 'probe_per_class=0'), (dict(pca_dim=0), 'pca_dim=0 must be at least 1')]:
        with pytest.raises(pm.PapermillExecutionError, match=re.escape(message)):
            run_to_failure(kernel, nb, out, ks=3, n_per_class=5, batch_size=16, out_dir=str(tmp_path / 'run'), **bad)
        assert not (tmp_path / 'run' / 'k3').exists()                      # nothing trained


def test_full_imagenet_trains_resumes_and_probes(tmp_path, script):
    script('make_shapes.py', '--out', tmp_path / 'inet', '--n-per-class', 6, '--n-val-per-class', 2)
    run = tmp_path / 'run'
    params = dict(data_dir=str(tmp_path / 'inet'), k=5, batch_size=16, workers=0, input_size=32, width=0.25, hidden=256,
                  pca_dim=16, run_dir=str(run), estimate_batches=2, probe_per_class=4, probe_layers=[1, 5], device='cpu',
                  memory_budget_gb=1e-5)   # below the feature matrix's size: the streaming PCA path runs
    run_nb('90_full_imagenet.ipynb', tmp_path / 'o1.ipynb', epochs=1, tensorboard=str(tmp_path / 'board'), **params)
    h1 = json.loads((run / 'history.json').read_text())
    events = EventAccumulator(str(tmp_path / 'board')); events.Reload()             # the run's TensorBoard events
    assert [round(e.value, 4) for e in events.Scalars('loss')] == [round(h1[0]['loss'], 4)]
    assert {'nmi_labels', 'sse', 'lr', 'time/features'} <= set(events.Tags()['scalars'])
    assert [h['epoch'] for h in h1] == [0] and (run / 'history.png').exists()
    out1 = (tmp_path / 'o1.ipynb').read_text()
    assert 'min per epoch' in out1 and 'PCA is fitted on a subset' in out1
    probes = json.loads((run / 'probes.json').read_text())
    assert (probes['protocol'], probes['probe_per_class']) == ('quick', 4) and 'quick probe, fitted on 4' in out1   # a CPU's default
    script('cache_views.py', '--data', tmp_path / 'inet' / 'train', '--out', tmp_path / 'cache', '--size', 32, '--workers', 0,
           '--train-copy', tmp_path / 'small', '--short-side', 40)
    run_nb('90_full_imagenet.ipynb', tmp_path / 'o2.ipynb', epochs=2, probe_protocol='paper', probe_epochs=1,
           view_cache=str(tmp_path / 'cache'), train_copy=str(tmp_path / 'small'), train_path='fastest',
           **{**params, 'probe_per_class': None})   # continues, now from the cache and the training copy
    h2 = json.loads((run / 'history.json').read_text())
    assert [h['epoch'] for h in h2] == [0, 1] and h2[0] == h1[0]
    out2 = (tmp_path / 'o2.ipynb').read_text()
    assert 'resuming after epoch 1' in out2 and 'features from JPEGs' in out2 and 'features from view cache' in out2
    assert re.search(r'training view alone, images/s: workers [\d,]+, uint8 [\d,]+, device [\d,]+; this run: \w+, from the '
                     'training copy', out2)
    probes = json.loads((run / 'probes.json').read_text())
    assert probes['epoch'] == 2 and (probes['protocol'], probes['probe_per_class']) == ('paper', None) and set(probes['top1']) == {'conv1', 'conv5'} and all(0 <= a <= 1 for a in probes['top1'].values())
    assert set(probes['random_init_top1']) == {'conv1', 'conv5'} and 'random init: conv1' in (tmp_path / 'o2.ipynb').read_text()


def test_full_imagenet_checks_the_data_first(tmp_path, kernel):
    with pytest.raises(pm.PapermillExecutionError, match='no such directory') as e:
        run_to_failure(kernel, '90_full_imagenet.ipynb', tmp_path / 'o.ipynb', run_dir=str(tmp_path / 'run'))
    assert 'make_shapes.py' in str(e.value) and 'data_dir' in str(e.value)      # the rehearsal command, in the message
    assert not (tmp_path / 'run').exists()


def test_full_imagenet_checks_its_settings_before_training(tmp_path, script, kernel):
    script('make_shapes.py', '--out', tmp_path / 'inet', '--n-per-class', 3, '--n-val-per-class', 1)
    base = dict(data_dir=str(tmp_path / 'inet'), k=5, batch_size=8, workers=0, input_size=32, width=0.25, hidden=64, pca_dim=8,
                device='cpu', run_dir=str(tmp_path / 'run'))
    for bad, message in [(dict(probe_layers='[6]'), 'probe layers [6]'), (dict(probe_per_class=0), 'probe_per_class=0'),
                         (dict(estimate_batches=0), 'estimate_batches=0'), (dict(memory_budget_gb=0), 'memory_budget=0'),
                         (dict(train_copy='small'), 'pass -p view_cache')]:
        with pytest.raises(pm.PapermillExecutionError, match=re.escape(message)):
            run_to_failure(kernel, '90_full_imagenet.ipynb', tmp_path / 'o.ipynb', **base, **bad)
        assert not (tmp_path / 'run' / 'checkpoint.pt').exists()


def test_voc_transfer_offline_and_on_the_voc_layout(tmp_path, kernel, script):
    "Experiment 86 on generated scenes (three networks, two protocols), then on a VOCdevkit and a kit run's checkpoint."
    tiny = dict(iterations=4, crops=2, device='cpu', step=None)
    run_nb('86_voc_transfer.ipynb', tmp_path / 'o1.ipynb', n_scenes=50, scene_size=32, pretrain_per_class=3, pretrain_epochs=1,
           k=5, pretrain_batch_size=10, out_dir=str(tmp_path / 'a'), **tiny)
    r = json.loads((tmp_path / 'a/voc_transfer.json').read_text())
    assert r['protocols'] == ['linear', 'fc6_8'] and len(r['classes']) == 10
    for protocol in r['protocols']:
        assert set(r['ap'][protocol]) == {'random init', 'DeepCluster', 'supervised'}
        assert all(len(ap) == 10 and all(0 <= a <= 1 for a in ap) for ap in r['ap'][protocol].values())
    script('make_voc.py', '--out', tmp_path / 'voc', '--n-images', 50, '--size', 32)
    kit = DeepCluster(shapes_dataset(2), small_config(width=0.25, hidden=64, k=4, pca_dim=8, batch_size=10, epochs=1),
                      tmp_path / 'run', progress=False)
    kit.fit()
    run_nb('86_voc_transfer.ipynb', tmp_path / 'o2.ipynb', voc_dir=str(tmp_path / 'voc'), checkpoint=str(tmp_path / 'run'),
           protocols='linear,all', layer='fc2', linear_size=32, out_dir=str(tmp_path / 'b'), **tiny)   # FC2 at 32 px
    r = json.loads((tmp_path / 'b/voc_transfer.json').read_text())
    assert set(r['ap']['all']) == {'random init', 'DeepCluster'} and r['params']['checkpoint'] == str(tmp_path / 'run')
    assert r['params']['layer'] == 'fc2' and all(len(ap) == 10 for ap in r['ap']['linear'].values())
    with pytest.raises(pm.PapermillExecutionError, match=re.escape("protocols ['fc7']")):
        run_to_failure(kernel, '86_voc_transfer.ipynb', tmp_path / 'o3.ipynb', protocols='fc7', out_dir=str(tmp_path / 'c'))
    assert not (tmp_path / 'c' / 'scenes').exists()                                     # nothing generated or trained


def test_retrieval_offline_and_on_the_oxford_layout(tmp_path, kernel, script):
    "Experiment 87 on made-up buildings with a network trained there, then on sets in Oxford's layout and a kit run."
    run_nb('87_retrieval.ipynb', tmp_path / 'o1.ipynb', buildings=2, pretrain_per_class=3, pretrain_epochs=1, k=5,
           pretrain_batch_size=10, side=32, pca_dim=16, out_dir=str(tmp_path / 'a'), device='cpu')
    r = json.loads((tmp_path / 'a/retrieval.json').read_text())
    assert r['datasets'] == ['oxford', 'paris'] and set(r['ap']['paris']) == {'random init', 'DeepCluster'}
    assert all(len(aps) == 2 and all(0 <= a <= 1 for a in aps) for d in r['ap'].values() for aps in d.values())
    for name, seed in (('ox', 0), ('pa', 1)):
        script('make_buildings.py', '--out', tmp_path / name, '--buildings', 2, '--good', 2, '--ok', 1, '--junk', 1,
               '--distractors', 2, '--size', 48, '--seed', seed)
    kit = DeepCluster(shapes_dataset(2), small_config(width=0.25, hidden=64, k=4, pca_dim=8, batch_size=10, epochs=1),
                      tmp_path / 'run', progress=False)
    kit.fit()
    run_nb('87_retrieval.ipynb', tmp_path / 'o2.ipynb', oxford_dir=str(tmp_path / 'ox'), paris_dir=str(tmp_path / 'pa'),
           checkpoint=str(tmp_path / 'run'), side=48, scales='1,0.7', pca_dim=8, out_dir=str(tmp_path / 'b'), device='cpu')
    r = json.loads((tmp_path / 'b/retrieval.json').read_text())
    assert r['params']['scales'] == [1.0, 0.7] and all(len(aps) == 2 for d in r['ap'].values() for aps in d.values())
    with pytest.raises(pm.PapermillExecutionError, match='side=8'):
        run_to_failure(kernel, '87_retrieval.ipynb', tmp_path / 'o3.ipynb', side=8, out_dir=str(tmp_path / 'c'))
    assert not (tmp_path / 'c').exists()                                               # refused before anything


@pytest.mark.parametrize('name', ['80_cifar10_k_sweep.ipynb', '81_deep_dive.ipynb', '82_small_images_bisection.ipynb',
                                  '86_voc_transfer.ipynb', '87_retrieval.ipynb',
                                  '85_your_images.ipynb', '90_full_imagenet.ipynb'])
def test_help_notebook_lists_every_parameter_with_its_type(name):
    "`papermill --help-notebook` shows each parameter of the experiment with a type, its default and a line of help."
    import ast
    cell = next(c for c in json.loads((NBS / name).read_text())['cells'] if 'parameters' in c['metadata'].get('tags', []))
    names = [n.target.id for n in ast.parse(''.join(cell['source'])).body if isinstance(n, ast.AnnAssign)]
    out = subprocess.run([str(Path(sys.executable).parent / 'papermill'), '--help-notebook', str(NBS / name)],
                         capture_output=True, text=True).stdout
    plain = [n for n in ast.parse(''.join(cell['source'])).body if isinstance(n, ast.Assign)]
    assert len(names) >= 5 and not plain                                      # every assignment is annotated
    for n in names:
        line = next((ln for ln in out.splitlines() if ln.strip().startswith(f'{n}: ')), None)
        assert line is not None and 'Unknown type' not in line and '(default ' in line, (n, line)
    assert 'Unable to parse' not in out


def test_deep_dive_runs_its_three_studies(tmp_path):
    "Notebook 81 with tiny parameters: reassignment at equal training, early stopping, and transferred filters."
    out = tmp_path / 'dive'
    run_nb('81_deep_dive.ipynb', tmp_path / 'o.ipynb', epochs=4, reassigns=[1.0, 2.0], seeds=[0, 1], patience=1,
           min_delta=1.0, n_per_class=10, digits_per_class=10, device='cpu', out_dir=str(out))
    reassign = pd.read_csv(out / 'reassign.csv')
    assert len(reassign) == 2 * 3 and set(reassign.reassign) == {'random init', '1.0', '2.0'}
    assert sorted(reassign[reassign.reassign == '2.0'].clusterings) == [2, 2]          # equal training: half the clusterings
    stop = pd.read_csv(out / 'early_stopping.csv')
    assert len(stop) == 4 and (stop.stopped_at == 3).all() and (stop.epochs_saved == 1).all()   # min_delta 1: stops
    transfer = pd.read_csv(out / 'initial_filters.csv')
    assert set(transfer.start) == {'random', 'from digits', 'from shapes'} and set(transfer.epoch) == {0, 4}
    assert json.loads((out / 'summary.json').read_text())['early_stopping']


def test_small_images_bisection_writes_what_lesson_12_reads(tmp_path, kernel):
    "Notebook 82 with tiny parameters: every setting with every seed in one JSON file; run again, it goes on from it."
    out, params = tmp_path / 'bisection.json', dict(seeds=[0], epochs=1, n_images=100, shapes_per_class=10, shapes_epochs=1)
    run_nb('82_small_images_bisection.ipynb', tmp_path / 'o.ipynb', **params, out=str(out))
    saved = json.loads(out.read_text())
    lesson = json.loads((NBS / 'results' / 'small_images.json').read_text())          # the file lesson 12 reads
    assert saved['params'] == params and set(saved['digits']) == set(lesson['digits']) == set(saved['variants'])
    assert set(saved['shapes']) == set(lesson['shapes']) and all(list(runs) == ['0'] for runs in saved['digits'].values())
    assert saved['kit'] == lesson['kit'] and saved['kit'] in saved['digits']
    assert {'nmi_before', 'nmi_after', 'loss', 'random init', 'DeepCluster'} <= set(saved['digits'][saved['kit']]['0'])
    before = out.stat().st_mtime_ns
    again = run_nb('82_small_images_bisection.ipynb', tmp_path / 'again.ipynb', **params, out=str(out))
    printed = ''.join(o.get('text', '') for c in again.cells for o in c.get('outputs', []))
    assert f'13 runs already in {out}' in printed and out.stat().st_mtime_ns == before   # nothing trained, nothing written
    (tmp_path / 'mine.json').write_text('my notes')                                  # a file of the user's: refused
    with pytest.raises(pm.PapermillExecutionError, match='was not written by deepcluster_nb'):
        run_to_failure(kernel, '82_small_images_bisection.ipynb', tmp_path / 'x.ipynb', **params, out=str(tmp_path / 'mine.json'))
    assert (tmp_path / 'mine.json').read_text() == 'my notes'


def test_your_images_on_a_flat_folder(tmp_path, kernel):
    "Notebook 85 on JPEGs without class folders (one sub-folder, one broken file): groups, table, features, network."
    import numpy as np
    import torch
    from PIL import Image

    from deepcluster_nb.evaluate import load_backbone
    from deepcluster_nb.shapes import make_shapes
    from deepcluster_nb.views import clustering_transform
    ims, _ = make_shapes(4, size=32, seed=1)                                    # 40 images, labels thrown away
    photos = tmp_path / 'photos'
    (photos / 'day2').mkdir(parents=True)
    for i, im in enumerate(ims): Image.fromarray(im).save(photos / ('day2' if i % 2 else '') / f'{i:03d}.jpg')
    (photos / 'broken.jpg').write_bytes(b'not a jpeg')
    out = tmp_path / 'out'
    tiny = dict(k=4, epochs=2, width=0.25, hidden=64, pca_dim=8, batch_size=16, show=3, device='cpu', browser=False)
    run_nb('85_your_images.ipynb', tmp_path / 'o.ipynb', folder=str(photos), out_dir=str(out), **tiny)
    table = pd.read_csv(out / 'assignments.csv')
    assert list(table.columns) == ['path', 'cluster', 'distance'] and len(table) == 40
    assert table.cluster.between(0, 3).all() and (table.distance >= 0).all() and not table.path.str.contains('broken').any()
    summary = json.loads((out / 'summary.json').read_text())
    assert (summary['images'], summary['skipped'], summary['epochs']) == (40, 1, 2) and 'demo_nmi' not in summary
    # the three files agree: backbone → FC2 features → the saved PCA → L2 gives the saved rows
    x, pca, net = np.load(out / 'features.npy'), np.load(out / 'pca.npz'), load_backbone(out / 'backbone.pt')
    assert x.shape == (40, 8) and np.allclose(np.linalg.norm(x, axis=1), 1, atol=1e-4)
    view = torch.stack([clustering_transform(32, crop=False)(Image.open(p).convert('RGB')) for p in table.path[:5]])
    with torch.no_grad(): y = net(view).numpy() @ pca['W'] + pca['b']
    assert np.allclose(y / np.linalg.norm(y, axis=1, keepdims=True), x[:5], atol=1e-3)
    with pytest.raises(pm.PapermillExecutionError, match='not a folder'):
        run_to_failure(kernel, '85_your_images.ipynb', tmp_path / 'bad.ipynb', folder=str(tmp_path / 'nowhere'), out_dir=str(out), **tiny)


def test_your_images_demo_scores_against_random_init(tmp_path):
    "Without a folder, 85 writes real digits as a flat folder of PNGs and scores its groups against random init."
    out = tmp_path / 'out'
    run_nb('85_your_images.ipynb', tmp_path / 'o.ipynb', n_demo=40, k=5, epochs=1, width=0.25, hidden=64, pca_dim=8, browser=False,
           batch_size=16, show=2, device='cpu', out_dir=str(out))
    summary = json.loads((out / 'summary.json').read_text())
    assert summary['images'] == 40 and len(list((out / 'demo_images').glob('*.png'))) == 40
    assert set(summary['demo_nmi']) == {'random init', 'trained'}
