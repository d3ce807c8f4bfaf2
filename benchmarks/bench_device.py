"""The same restoration on an accelerator: PyTorch tensors (CUDA, or the CPU build) against
NumPy, same noisy images, same run.

Rows: a 481 x 321 photograph (exact gating stride 1, network gating stride 1 and 3, one
scale; the default) and an 18-megapixel image (network stride 3 and the default). Columns:
NumPy seconds, the tensor's seconds (median of ``--repeats``, after one warm-up call that
moves the models to the device), the ratio, both PSNRs and their difference, and the
device's peak memory. deepinv's EPLL is not run: it loads its mixture from a hub at run time.

    python benchmarks/bench_device.py [--device cuda] [--repeats 5] [--sizes small,18mp]
        [--json doc/_data/device.json]
"""

import argparse
import statistics
import time
from functools import partial

import numpy as np
from _common import print_table, psnr, write_table_json
from bench_scale import synthetic
from skimage import data
from skimage.transform import resize

from skgate import denoise_epll

SIGMA = 25 / 255

CONFIGS = {
    "exact, stride 1": dict(gating="exact", stride=1, scales=1),
    "network, stride 1": dict(gating="network", stride=1, scales=1),
    "network, stride 3": dict(gating="network", stride=3, scales=1),
    "default": {},
}
SIZES = {
    "small": ("481 x 321", list(CONFIGS)),
    "18mp": ("18 MP", ["network, stride 3", "default"]),
}


def _images(size):
    if size == "small":
        clean = resize(data.camera() / 255.0, (321, 481))
        noisy = clean + SIGMA * np.random.default_rng(0).standard_normal(clean.shape)
        return clean, noisy
    return synthetic(18)


def _seconds(call, repeats, synchronize):
    times = []
    for _ in range(repeats):
        if synchronize is not None:
            synchronize()
        tic = time.perf_counter()
        out = call()
        if synchronize is not None:
            synchronize()
        times.append(time.perf_counter() - tic)
    return statistics.median(times), out


def main():
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sizes", default="small,18mp")
    parser.add_argument("--json", help="write the table as JSON for the documentation")
    args = parser.parse_args()
    cuda = args.device.startswith("cuda")

    def synchronize():
        if cuda:
            torch.cuda.synchronize()

    rows = []
    for size in args.sizes.split(","):
        label, names = SIZES[size]
        clean, noisy = _images(size)
        tensor = torch.asarray(noisy.astype(np.float32), device=args.device)
        for name in names:
            kwargs = dict(sigma=SIGMA, **CONFIGS[name])
            repeats = 1 if size == "18mp" else args.repeats
            host = noisy.astype(np.float32)
            numpy_s, expected = _seconds(partial(denoise_epll, host, **kwargs), repeats, None)
            denoise_epll(tensor, **kwargs)  # warm-up: the models move to the device once
            if cuda:
                torch.cuda.reset_peak_memory_stats()
            device_s, got = _seconds(partial(denoise_epll, tensor, **kwargs), repeats, synchronize)
            peak = torch.cuda.max_memory_allocated() / 2**20 if cuda else float("nan")
            got = got.cpu().numpy().astype(np.float64)
            numpy_psnr, device_psnr = psnr(clean, expected), psnr(clean, got)
            rows.append(
                [
                    label,
                    name,
                    f"{numpy_s:.3f}",
                    f"{device_s:.3f}",
                    f"{numpy_s / device_s:.1f}x",
                    f"{numpy_psnr:.3f}",
                    f"{device_psnr:.3f}",
                    f"{device_psnr - numpy_psnr:+.4f}",
                    "-" if not cuda else f"{peak:.0f}",
                ]
            )
    header = [
        "image",
        "configuration",
        "NumPy s",
        f"{args.device} s",
        "NumPy / device",
        "PSNR NumPy",
        "PSNR device",
        "difference",
        "peak MB",
    ]
    where = f"{args.device} ({torch.cuda.get_device_name()})" if cuda else args.device
    title = f"Tensors on {where} against NumPy (sigma 25, float32, torch {torch.__version__})"
    print_table(title, header, rows)
    if args.json:
        command = "python benchmarks/bench_device.py " + " ".join(
            f"--{k} {v}" for k, v in vars(args).items() if v is not None
        )
        write_table_json(args.json, title, header, rows, command)


if __name__ == "__main__":
    main()
