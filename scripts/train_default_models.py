"""Reproduce the models shipped in ``skgate/models/``.

Usage (from the project root, with the BSDS300 training images beside it)::

    python scripts/train_default_models.py --train ../shared/data/bsds300-train \
        --held-out ../shared/data/set12

The default prior ``gmm_8x8_200.npz``: 200 components over DC-removed 8x8 patches, grey images
(``skimage.color.rgb2gray``) scaled to [0, 1]. EM is warm-started: up to 40 iterations on
200,000 random patches, then up to 20 iterations on 1,000,000 patches (``skgate.train``). The
run that produced the shipped file is recorded in the file's metadata (``prior.metadata_``)
and in CHANGELOG.md: patches, iterations, minutes, training and held-out log-likelihood.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from skgate.models import DEFAULT_PRIOR_FILE, save_prior
from skgate.patches import sample_patches
from skgate.train import train_prior


def image_files(folder):
    files = sorted(
        p for p in Path(folder).iterdir() if p.suffix.lower() in {".png", ".jpg", ".tif"}
    )
    if not files:
        sys.exit(f"no images in {folder}")
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", default="../shared/data/bsds300-train")
    parser.add_argument("--held-out", default="../shared/data/set12")
    parser.add_argument("--n-patches", type=int, default=1_000_000)
    parser.add_argument("--warm-up-patches", type=int, default=200_000)
    parser.add_argument("--n-components", type=int, default=200)
    parser.add_argument("--out", default=str(Path(__file__).parents[1] / "skgate" / "models"))
    args = parser.parse_args(argv)

    tic = time.perf_counter()
    prior = train_prior(
        image_files(args.train),
        n_patches=args.n_patches,
        warm_up_patches=args.warm_up_patches,
        n_components=args.n_components,
        random_state=0,
        verbose=1,
    )
    minutes = (time.perf_counter() - tic) / 60
    held_out = sample_patches(image_files(args.held_out), 100_000, 8, random_state=1)
    held_out_ll = prior.score(held_out)
    prior.metadata_.update(
        {
            "training_images": "BSDS300 train (200 images), grey via skimage.color.rgb2gray",
            "total_minutes": round(minutes, 1),
            "held_out": "100,000 random 8x8 patches of Set12 (random_state=1)",
            "held_out_mean_log_likelihood": float(held_out_ll),
            "numpy": np.__version__,
        }
    )
    out = Path(args.out) / DEFAULT_PRIOR_FILE
    save_prior(prior, out)
    print(f"wrote {out}: {prior.metadata_}")


if __name__ == "__main__":
    main()
