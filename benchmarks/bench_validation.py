"""The validation protocol: skgate configurations against BM3D on held-out photographs.

Every default that skgate picks for its user is chosen with this script (see the
"Validation" page of the docs, which carries its tables):

- images: ``../shared/data/bsds500-test200/`` (the 200 photographs BSDS500 added as its test
  set; none is among the BSDS300 training images of the shipped models), sorted by name. Tune
  on the first 50 (``--images 50``, the default), confirm on all 200 (``--images 200``);
- grey: :func:`skimage.color.rgb2gray` (ITU-R 709 luma, as the training images), in [0, 1];
  colour (``--colour``): RGB in [0, 1], restored with ``channel_axis=-1``;
- noise: white Gaussian, ``sigma`` on the 0-255 scale, one seed per (image, sigma), so every
  configuration and BM3D see exactly the same noisy images in every run;
- BM3D: ``bm3d.bm3d`` (grey) or ``bm3d.bm3d_rgb`` (colour) with the true ``sigma``, run on
  the same noisy images. With ``--bm3d-cache FILE`` its results (PSNR, SSIM, seconds per
  image) are kept in a JSON file and reused by later runs on the same images, seeds and
  ``bm3d`` version; without it BM3D runs in the same process, before the skgate rows;
- reported per sigma and configuration: mean PSNR, mean difference to BM3D on the same images
  (and the share of images where skgate is better), mean SSIM, median seconds per image and
  the median ratio of BM3D's time to skgate's.

Configurations are ``denoise_epll`` keyword arguments; ``betas_sigma2`` gives the penalties
in units of ``1/sigma^2``, ``lam_scale`` multiplies the default ``lam`` (``64 / sigma^2``) and
``chroma_scale`` restores the opponent chroma channels at that scale (see
``skgate._colour.CHROMA_SCALE``), ``top_k`` re-scores the shipped network's ``top_k``
best components exactly,
``prior_file`` restores with the prior of that model file (a colour prior restores colour
patches), ``luminance_guided`` (colour, grey prior) restores the luminance channel first and
gates each chroma patch with the component its luminance patch got at the same iteration,
``colour_hybrid`` takes the luminance of the default (grey prior) restoration and the chroma
of the colour prior's,
``local_window`` and ``local_relevance`` run the second stage with
:class:`~skgate.LocalStatistics` of that window and relevance, ``network_file`` gates with the
network of that model file (for the shipped prior), ``flat_tail_rank`` gates with FEPLL's
flat-tail approximation keeping that many eigenvectors, and ``clip`` (``[low, high]``, grey
only) clips every intermediate estimate. A label holds no ``=``.
Named ones live in :data:`CONFIGS`; add any with
``--config 'label={"stride": 1, "betas_sigma2": [1, 4, 8, 16, 32]}'``.

    python benchmarks/bench_validation.py [--images 50] [--sigmas 15,25,50,75]
        [--configs default,network] [--config LABEL=JSON ...] [--colour]
        [--bm3d-cache benchmarks/results/bm3d.json] [--save results.json]
    python benchmarks/bench_validation.py --load results.json [--load more.json] [--rst]
"""

import argparse
import functools
import json
import os
import sys
from pathlib import Path

import numpy as np
from _common import (
    DATA,
    NOISE_SEED,
    cached_prior,
    chroma_scale,
    image_files,
    import_bm3d,
    labelled_configs,
    load_image,
    print_table,
    quality,
    timed,
    write_table_json,
)

from skgate import (
    EPLLRestorer,
    ExactGating,
    Gating,
    GaussianNoise,
    LocalStatistics,
    _colour,
    denoise_epll,
)
from skgate import _shipped as shipped
from skgate._gating import FlatTailGating, NetworkGating, make_gating
from skgate.models import load_network

#: Named configurations (``denoise_epll`` keyword arguments).
CONFIGS = {
    "default": {},
    "network": {"gating": "network"},
    "network+exact": {"gating": "network+exact"},
    "exact stride 1": {"stride": 1},
    "network stride 1": {"gating": "network", "stride": 1},
    "adapt 1": {"adapt": 1},
    "network adapt 1": {"gating": "network", "adapt": 1},
    "network+exact adapt 1": {"gating": "network+exact", "adapt": 1},
    "luminance-guided": {"luminance_guided": True},
    "colour hybrid": {"colour_hybrid": True},
    "local": {"second_stage": "local"},
    "network local": {"gating": "network", "second_stage": "local"},
}


def noisy_version(clean, index, sigma255):
    """``clean`` plus white noise; the seed depends on the image's index and sigma only."""
    rng = np.random.default_rng((NOISE_SEED, index, round(sigma255 * 100)))
    return clean + (sigma255 / 255) * rng.standard_normal(clean.shape)


def _orthonormal_opponent():
    transform = _colour.opponent_transform()
    return transform / np.linalg.norm(transform, axis=1, keepdims=True)


def run_skgate(kwargs, noisy, sigma, colour):
    kwargs = dict(kwargs)
    with chroma_scale(kwargs.pop("chroma_scale", None)):
        return _run_skgate(kwargs, noisy, sigma, colour)


def _run_skgate(kwargs, noisy, sigma, colour):
    if kwargs.pop("luminance_guided", False):
        return luminance_guided(noisy, sigma, kwargs)
    if kwargs.pop("colour_hybrid", False):
        return colour_hybrid(noisy, sigma, kwargs)
    if "betas_sigma2" in kwargs:
        kwargs["betas"] = np.asarray(kwargs.pop("betas_sigma2"), dtype=float) / sigma**2
    if "lam_scale" in kwargs:
        kwargs["lam"] = kwargs.pop("lam_scale") * 64 / sigma**2
    if "prior_file" in kwargs:
        kwargs["prior"] = cached_prior(kwargs.pop("prior_file"))
    if "local_window" in kwargs or "local_relevance" in kwargs:
        stage = {"window": kwargs.pop("local_window", 64)}
        stage["relevance"] = kwargs.pop("local_relevance", 16.0)
        kwargs["second_stage"] = LocalStatistics(**stage)
    if "network_file" in kwargs:
        # A gating network for the shipped prior, e.g. one trained by a script.
        kwargs["gating"] = _network_from(kwargs.pop("network_file"))
    if "clip" in kwargs:
        # Clipping every intermediate estimate: a restorer option the functions do not expose.
        restorer = EPLLRestorer(
            clip=tuple(kwargs.pop("clip")), stride=kwargs.pop("stride", 3), **kwargs
        )
        return restorer.restore(noisy, GaussianNoise(sigma))
    if "flat_tail_rank" in kwargs:
        # FEPLL's flat-tail approximation of exact gating, with this many eigenvectors.
        tables = shipped.tables_of(shipped.default_prior())
        kwargs["gating"] = FlatTailGating(tables, kwargs.pop("flat_tail_rank"))
    if "top_k" in kwargs:
        # The shipped network proposes top_k components, the exact posterior picks one.
        prior = shipped.default_prior()
        tables = shipped.tables_of(prior)
        kwargs["gating"] = NetworkGating(shipped.default_network(), tables, kwargs.pop("top_k"))
    return denoise_epll(noisy, sigma, channel_axis=-1 if colour else None, **kwargs)


class _Recorded(Gating):
    """Gates as ``gating`` and keeps every call's labels (``replay=False``), or gives back
    the kept labels call by call (``replay=True``): the same grids in the same order."""

    def __init__(self, gating):
        self.gating, self.labels, self.replay, self.calls = gating, [], False, 0

    def assign(self, patches, noise_var):
        if not self.replay:
            self.labels.append(self.gating.assign(patches, noise_var))
            return self.labels[-1]
        labels = self.labels[self.calls]
        self.calls += 1
        if len(labels) != len(patches):
            raise RuntimeError("the chroma channel's grids differ from the luminance's")
        return labels


def luminance_guided(noisy, sigma, kwargs):
    """Opponent channels restored with the grey prior, the chroma ones gated with the labels
    of the luminance's patches (CBM3D's idea: group on luminance, share across channels)."""
    opponent = _orthonormal_opponent()
    channels = noisy @ opponent.T
    tables = shipped.tables_of(shipped.default_prior())
    strategy = kwargs.pop("gating", "exact")
    base = (
        ExactGating(tables)
        if strategy == "exact"
        else make_gating(strategy, tables, shipped.default_network)
    )
    recorder = _Recorded(base)
    out = np.empty_like(channels)
    for c in range(3):
        recorder.replay, recorder.calls = c > 0, 0
        out[..., c] = denoise_epll(channels[..., c], sigma, gating=recorder, **kwargs)
    return out @ opponent


def colour_hybrid(noisy, sigma, kwargs):
    """The luminance of the grey prior's restoration (channel by channel) with the chroma of
    the shipped colour prior's, in an orthonormal opponent basis."""
    opponent = _orthonormal_opponent()
    grey = denoise_epll(noisy, sigma, channel_axis=-1, **kwargs) @ opponent.T
    colour_prior = shipped.default_prior(3)
    colour = denoise_epll(noisy, sigma, channel_axis=-1, prior=colour_prior, **kwargs)
    colour = colour @ opponent.T
    return np.concatenate([grey[..., :1], colour[..., 1:]], axis=-1) @ opponent


@functools.lru_cache(maxsize=4)
def _network_from(path):
    return load_network(path, shipped.default_prior())


def run_bm3d(noisy, sigma, colour):
    bm3d = import_bm3d()

    if colour:
        return bm3d.bm3d_rgb(noisy, sigma)
    return bm3d.bm3d(noisy, sigma)


class BM3DResults:
    """BM3D's per-image results, optionally kept in a JSON file between runs."""

    def __init__(self, path):
        self.path = None if path is None else Path(path)
        self.entries = {}
        if self.path is not None and self.path.exists():
            self.entries = json.loads(self.path.read_text())

    @staticmethod
    def key(name, sigma255, colour):
        bm3d = import_bm3d()

        version = getattr(bm3d, "__version__", "?")
        return f"bm3d {version}|{'rgb' if colour else 'grey'}|{name}|{sigma255:g}|{NOISE_SEED}"

    def get(self, name, sigma255, colour, clean, noisy):
        key = self.key(name, sigma255, colour)
        if key not in self.entries:  # another run beside this one may have added it since
            self.merge_saved()
        if key not in self.entries:
            estimate, seconds = timed(run_bm3d, noisy, sigma255 / 255, colour)
            self.entries[key] = [*quality(clean, estimate, colour), seconds]
            self.save()
        return self.entries[key]

    def merge_saved(self):
        """Add the entries that the file holds and this run does not (runs side by side
        share one file)."""
        if self.path is not None and self.path.exists():
            self.entries = {**json.loads(self.path.read_text()), **self.entries}

    def save(self):
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.merge_saved()  # keep what a run beside this one added
            tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries, indent=0))
            os.replace(tmp, self.path)


def parse_configs(names, extra):
    configs = {}
    for name in filter(None, names.split(",")):
        if name not in CONFIGS:
            sys.exit(f"unknown configuration {name!r}; named ones: {', '.join(CONFIGS)}")
        configs[name] = CONFIGS[name]
    configs.update(labelled_configs(extra))
    return configs


def evaluate(files, configs, sigmas, colour, bm3d_results):
    """Per-image (PSNR, SSIM, seconds) of BM3D and every configuration, for every sigma."""
    results = {}
    images = [(f.name, load_image(f, colour)) for f in files]
    for sigma255 in sigmas:
        sigma = sigma255 / 255
        noisy = [noisy_version(clean, i, sigma255) for i, (_, clean) in enumerate(images)]
        if bm3d_results is not None:
            results[(sigma255, "BM3D")] = [
                bm3d_results.get(name, sigma255, colour, clean, y)
                for (name, clean), y in zip(images, noisy, strict=True)
            ]
        for label, kwargs in configs.items():
            rows = []
            for (_, clean), y in zip(images, noisy, strict=True):
                estimate, seconds = timed(run_skgate, kwargs, y, sigma, colour)
                rows.append([*quality(clean, estimate, colour), seconds])
            results[(sigma255, label)] = rows
            print(
                f"  sigma {sigma255:g}, {label}: {np.mean([r[0] for r in rows]):.3f} dB", flush=True
            )
    return results


def report(results, sigmas, labels, title, rst=False, json_pattern=None, command=""):
    """Print one table per noise level; with ``json_pattern`` (containing ``{sigma}``) also
    write each as JSON for the documentation."""
    for sigma255 in sigmas:
        reference = results.get((sigma255, "BM3D"))
        rows = []
        for label in (["BM3D"] if reference is not None else []) + labels:
            if (sigma255, label) not in results:
                continue
            table = np.asarray(results[(sigma255, label)])
            row = [label, f"{table[:, 0].mean():.3f}"]
            if reference is not None:
                ref = np.asarray(reference)
                diff = table[:, 0] - ref[:, 0]
                row += [
                    f"{diff.mean():+.3f}",
                    f"{np.mean(diff > 0):.0%}",
                    f"{table[:, 1].mean():.4f}",
                    f"{np.median(table[:, 2]):.2f}",
                    f"{np.median(ref[:, 2] / table[:, 2]):.1f}x",
                ]
            else:
                row += ["", "", f"{table[:, 1].mean():.4f}", f"{np.median(table[:, 2]):.2f}", ""]
            rows.append(row)
        header = ("configuration", "PSNR", "vs BM3D", "better on", "SSIM", "s/image")
        header += ("BM3D time / skgate's",)
        print_table(f"{title}, sigma {sigma255:g}", header, rows, rst=rst)
        if json_pattern:
            path = json_pattern.format(sigma=f"{sigma255:g}")
            write_table_json(path, f"{title}, sigma {sigma255:g}", header, rows, command)


def load_results(paths):
    """Per-image results of earlier runs (``--save``), merged; the labels in first-seen order."""
    results, labels = {}, {}
    for path in paths:
        saved = json.loads(Path(path).read_text())["results"]
        for key, rows in saved.items():
            sigma, label = key.split("|", 1)
            results[(float(sigma), label)] = rows
            labels[label] = None
    return results, list(labels)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", default=str(DATA / "bsds500-test200"))
    parser.add_argument("--images", type=int, default=50, help="first N files (sorted)")
    parser.add_argument("--sigmas", default="15,25,50,75")
    parser.add_argument("--configs", default="default,network")
    parser.add_argument("--config", action="append", default=[], metavar="LABEL=JSON")
    parser.add_argument("--colour", action="store_true")
    parser.add_argument("--no-bm3d", action="store_true")
    parser.add_argument("--bm3d-cache", default=None, metavar="FILE")
    parser.add_argument("--save", default=None, metavar="FILE", help="per-image results (JSON)")
    parser.add_argument(
        "--load",
        action="append",
        default=[],
        metavar="FILE",
        help="report results saved by earlier runs (--save) instead of running",
    )
    parser.add_argument("--rst", action="store_true", help="tables in reStructuredText")
    parser.add_argument("--title", help="the tables' title (default: the number of images)")
    parser.add_argument(
        "--json",
        metavar="PATTERN",
        help="also write each table as JSON for the documentation, e.g. "
        "doc/_data/validation200_{sigma}.json",
    )
    args = parser.parse_args(argv)
    command = "python benchmarks/bench_validation.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:]) if not a.startswith("doc/")
    )

    sigmas = [float(s) for s in args.sigmas.split(",")]
    kind = "colour" if args.colour else "grey"
    if args.load:
        results, configs = load_results(args.load)
        n_images = len(next(iter(results.values())))
        sigmas = [s for s in sigmas if any(key[0] == s for key in results)]
        title = args.title or f"{n_images} {kind} images"
        labels = [c for c in configs if c != "BM3D"]
        report(results, sigmas, labels, title, args.rst, args.json, command)
        return
    files = image_files(args.folder)[: args.images]
    if not files:
        sys.exit(f"no images in {args.folder}")
    configs = parse_configs(args.configs, args.config)
    bm3d_results = None if args.no_bm3d else BM3DResults(args.bm3d_cache)
    results = evaluate(files, configs, sigmas, args.colour, bm3d_results)
    title = args.title or f"{len(files)} {kind} images"
    report(results, sigmas, list(configs), title, args.rst, args.json, command)
    if args.save:
        serial = {f"{s:g}|{label}": rows for (s, label), rows in results.items()}
        Path(args.save).write_text(json.dumps({"configs": configs, "results": serial}))


if __name__ == "__main__":
    main()
