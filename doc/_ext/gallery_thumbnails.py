"""Gallery thumbnails of wide multi-panel figures show one panel instead of a thin strip.

``conf.py`` names the panel: ``gallery_thumbnail_panels = {"plot_denoise": (3, 3)}`` cuts
the third of three side-by-side panels of the example's first figure (in ``conf.py``, not in
the example, where a comment would show on its page). After sphinx-gallery has run the
examples (it does so when the builder starts), the thumbnail is cut from that figure and
fitted, centred on white, into sphinx-gallery's thumbnail size.
"""

from pathlib import Path


def _panel(figure, k, n):
    """The k-th of n equal-width panels of ``figure`` (a PIL image)."""
    width, height = figure.size
    left = (k - 1) * width // n
    return figure.crop((left, 0, left + width // n, height))


def _fitted(image, size):
    """``image`` scaled to fit ``size`` and centred on a white canvas of that size."""
    from PIL import Image

    image = image.convert("RGB")
    image.thumbnail(size)
    canvas = Image.new("RGB", size, "white")
    canvas.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return canvas


def crop_thumbnails(app):
    from PIL import Image

    conf = app.config.sphinx_gallery_conf
    examples = (Path(app.srcdir) / conf["examples_dirs"]).resolve()
    gallery = Path(app.srcdir) / conf["gallery_dirs"]
    size = tuple(conf.get("thumbnail_size", (400, 280)))
    panels = app.config.gallery_thumbnail_panels
    for script in sorted(examples.rglob("plot_*.py")):
        if script.stem not in panels:
            continue
        images = gallery / script.parent.relative_to(examples) / "images"
        figure = images / f"sphx_glr_{script.stem}_001.png"
        thumb = images / "thumb" / f"sphx_glr_{script.stem}_thumb.png"
        if not figure.exists():
            continue  # not executed in this build (e.g. filename_pattern)
        k, n = panels[script.stem]
        with Image.open(figure) as opened:
            _fitted(_panel(opened, k, n), size).save(thumb)


def setup(app):
    app.add_config_value("gallery_thumbnail_panels", {}, "html")
    # after sphinx-gallery's own builder-inited handler, which writes the thumbnails
    app.connect("builder-inited", crop_thumbnails, priority=900)
    return {"parallel_read_safe": True}
