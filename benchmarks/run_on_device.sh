#!/usr/bin/env bash
# The device checks of the GPU page, as one script for a machine with a CUDA GPU and many
# cores: the tensor benchmark (bench_device.py) and tiles on every core (bench_scale.py).
# Writes the JSON tables the docs render into OUT (default: doc/_data), and the printed
# tables to OUT/device_run.log.
#
#     bash benchmarks/run_on_device.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-doc/_data}"
mkdir -p "$out"
python -m pip install --quiet -e . || python -m pip install --quiet --no-build-isolation -e .
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.cuda.get_device_name())"
{
    python benchmarks/bench_device.py --device cuda --json "$out/device_cuda.json"
    cores=$(python -c "import os; print(os.cpu_count())")
    jobs=$(python -c "print(','.join(str(j) for j in (1, 2, 4, 8, 16, 32) if 1 < j <= $cores))")
    SKGATE_BENCH_JSON="$out/scale_cores.json" \
        python benchmarks/bench_scale.py --tasks parallel --jobs "$jobs" --megapixels 18
} 2>&1 | tee "$out/device_run.log"
