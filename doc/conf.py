"""Sphinx configuration for skgate.

Builds offline and strictly: ``python -m sphinx -W -b html doc doc/_build/html`` with
``nitpicky`` on, so every cross-reference must resolve. Other projects' inventories are read
from ``doc/_intersphinx`` (see ``make_inventories.py`` there), never from the web.
"""

import sys
from pathlib import Path

from sphinx_gallery.sorting import ExplicitOrder

import skgate

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

project = "skgate"
author = "skgate developers"
copyright = "2026, skgate developers"
release = skgate.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # MathJax served from the site itself: formulas render offline (no CDN)
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "benchmark_tables",
    "gallery_thumbnails",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
autosummary_generate = True
# The class template (doc/_templates/autosummary/class.rst) lists the methods instead.
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
exclude_patterns = ["_build", "auto_examples/*.ipynb", "_intersphinx", "_data", "_ext"]

_INVENTORIES = {
    "numpy": "https://numpy.org/doc/stable/",
    "scipy": "https://docs.scipy.org/doc/scipy/",
    "skimage": "https://scikit-image.org/docs/stable/",
    "sklearn": "https://scikit-learn.org/stable/",
    "joblib": "https://joblib.readthedocs.io/en/stable/",
    "dask": "https://docs.dask.org/en/stable/",
}
intersphinx_mapping = {
    name: (url, str(HERE / "_intersphinx" / f"{name}.inv")) for name, url in _INVENTORIES.items()
}

nitpicky = True
# What cannot resolve: numpydoc's plain-language types, and names from libraries without an
# inventory here (Python's own types resolve without one: see python_types below).
nitpick_ignore = [
    ("py:class", name)
    for name in (
        "array_like",
        "array-like",
        "optional",
        "callable",
        "path-like",
        "default",
        "PathLike",
        "abc.ABC",  # the likelihoods' and gatings' base (no Python inventory offline)
    )
]
nitpick_ignore_regex = [
    ("py:class", r"(int|float|bool|str|tuple|list|dict|None|object|Path|bytes)"),
    ("py:class", r"\{.*\}|.*\}"),  # numpydoc's {"a", "b"} choices
    ("py:class", r"\(.*\)|.*\)|\(.*"),  # shapes such as (M, N)
]

html_theme = "pydata_sphinx_theme"
html_title = "skgate"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navbar_align": "left",
    # the six pages a reader looks for first; the rest under "More", so that the search box
    # stays on the first row at 1400 px
    "header_links_before_dropdown": 6,
    "show_toc_level": 2,
}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "subsection_order": ExplicitOrder(
        [
            "../examples/getting_started",
            "../examples/denoising",
            "../examples/deblurring_inpainting",
            "../examples/gating",
            "../examples/priors",
            "../examples/scaling",
        ]
    ),
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("skgate",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"skgate": None},
    "min_reported_time": 1,
}


def _skip_sklearn_request_methods(app, what, name, obj, skip, options):
    """scikit-learn adds ``set_*_request`` methods (metadata routing) to every estimator;
    they belong to its documentation, not ours."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_sklearn_request_methods)


# The panel each wide multi-panel example shows as its thumbnail (doc/_ext/gallery_thumbnails.py):
# (panel, panels side by side) of its first figure; the restored image where there is one.
gallery_thumbnail_panels = {
    "plot_denoise": (3, 3),
    "plot_1_adapt": (3, 3),
    "plot_2_colour": (3, 3),
    "plot_1_deblur": (3, 3),
    "plot_2_inpaint": (3, 3),
    "plot_3_custom_likelihood": (3, 3),
    "plot_4_demosaic": (4, 4),
    "plot_3_own_network": (1, 3),
    "plot_2_component_maps": (2, 3),
}
