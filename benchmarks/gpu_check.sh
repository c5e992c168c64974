#!/bin/bash
# The GPU check (issues 19, 28): one prepared script, about 6 minutes on one card, ending with one summary line.
#   bash benchmarks/gpu_check.sh          # on a CUDA machine, from the repository root
# 1. benchmarks/gpu_epoch.py: features and training img/s at 224 px with AMP on and off (and the training pass
#    split into network and views), PCA, k-means k = 10,000 on ImageNet's 1,281,167 rows (torch on the GPU, faiss
#    on the CPU cores, faiss-gpu where installed), JPEG decoding, the network with its conv layers compiled, each
#    training path (workers, uint8, device; from the JPEGs and from a training copy) alone and in the training
#    pass, the projection of one epoch and of 500 epochs, per path beside the view cache;
# 2. benchmarks/cache_bench.py: the features pass from JPEGs (all cores decoding) vs from the view cache, and the
#    training view by each path;
# 3. tests/test_devices.py on CUDA: each GPU path against its CPU reference.
# Wheels missing there (faiss-cpu, fastcore) may travel in .whl/ and are installed into /tmp/site first.
LOG=${OUT:-/tmp}/gpu_check.log
exec > >(tee "$LOG") 2>&1
if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
cores=$(nproc)
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__)"
python3 benchmarks/gpu_epoch.py
python3 benchmarks/cache_bench.py --n $((cores * 1024)) --workers "$cores" --device cuda
DC_TEST_DEVICE=cuda python3 -m pytest -q -p no:cacheprovider tests/test_devices.py 2>&1 | tail -3
echo "GPU CHECK $(grep -h '^SUMMARY' "$LOG" | cut -c9-) | features pass at 224 px with $cores workers: \
$(grep -h '^features pass:' "$LOG" | cut -c16-) | tests on CUDA: $(grep -hE '[0-9]+ (passed|failed)' "$LOG" | tail -1)"
