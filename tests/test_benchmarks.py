"The benchmark scripts run (tiny sizes) and print the ratios they promise; their numbers live in the README."
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench(name, *args):
    r = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / name), *args], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_kmeans_bench_runs():
    out = bench('kmeans_bench.py', '--n', '3000', '--d', '32', '--k', '20', '--repeat', '1')
    assert 'wrapper vs raw faiss' in out and 'ratio' in out
    for row in ('faiss (CPU)', 'scikit-learn lloyd', 'kit torch k-means'): assert row in out


def test_pca_bench_runs():
    out = bench('pca_bench.py', '--n', '2000', '--d', '256', '--dim', '32')
    assert 'torch / faiss time' in out and 'row cosine similarities agree' in out


def test_epoch_bench_runs():
    out = bench('epoch_bench.py', '--n-per-class', '20', '--width', '0.25', '--hidden', '64', '--k', '10', '--batch-size', '32',
                '--workers', '0', '--repeat', '1')
    assert 'DataLoader (0 workers)' in out and 'GPU-resident (device)' in out and 'throughput ratio' in out


def test_memory_bench_runs():
    out = bench('memory_bench.py', '--n', '6000', '--dim', '1024')   # 4096-d: 45 s more, in eigh alone
    assert 'in memory' in out and 'streaming' in out and 'x the matrix' in out
    assert out.count('1.00 forward passes per image') == 2, out          # the streaming path too (issue 19)


def test_gpu_epoch_runs_on_cpu():
    out = bench('gpu_epoch.py', '--device', 'cpu', '--n', '16', '--quick')
    assert 'SUMMARY CPU' in out and 'projected ImageNet epoch' in out and '500 epochs' in out
    assert 'the network alone' in out and 'the fp32 speed' in out and 'torch' in out and 'faiss-cpu' in out
    for path in ('workers', 'uint8', 'device'):                         # each path, from the JPEGs and from the copy
        assert f"training path '{path}' from the JPEGs" in out and f"training path '{path}' from the copy" in out
    assert 'training paths beside the view cache' in out and '; fastest ' in out


def test_cache_bench_runs():
    out = bench('cache_bench.py', '--n', '16', '--unique', '4', '--size', '32', '--batch-size', '8', '--quick')
    assert 'features pass: JPEGs' in out and 'cache' in out and 'training view alone' in out and 'disk per image' in out


def test_decode_bench_runs():
    out = bench('decode_bench.py', '--n', '2', '--sizes', '640x480', '--view-sizes', '64')
    assert out.count('(1.00x), reduced') == 2 and 'short side decoded: 240 px' in out
