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
