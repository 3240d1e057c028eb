"""save_figure's threaded PNG encoding gives exactly what matplotlib's savefig gives.

``_rasterise`` + ``_encode_png_async`` split the PNG save into the draw and an encoding in a
worker thread (overlapping the SVG); it must be invisible in the output: same bytes as
``savefig`` with the same Pillow options, errors propagated, no encoding left running.
"""
from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from iraqkit import figures as F


@pytest.fixture(autouse=True)
def _setup():
    F.setup()
    yield
    plt.close("all")


def _barh():
    df = pd.DataFrame({"name": ["كتائب حزب الله", "عين الأسد (Ain al-Asad) 2020", "الحوار الاستراتيجي ٢٠٢١"],
                       "n": [3, 5, 2], "al": ["Iran-aligned", "US-led", "Iraqi government"]})
    return F.barh(df, "name", "n", title="هجمات ٢٠٢١", color="al")[0]


def test_async_png_is_byte_identical_to_savefig(tmp_path):
    fig = _barh()
    fig.draw_without_rendering()
    ref = tmp_path / "ref.png"
    fig.savefig(ref, format="png", dpi=120, metadata=F.SAVE_METADATA["png"], pil_kwargs=F.PNG_OPTIONS)
    raster = F._rasterise(fig, 120)
    assert raster is not None
    assert F._encode_png_async(raster, tmp_path / "fast.png").result() is None
    fast = (tmp_path / "fast.png").read_bytes()
    assert fast == ref.read_bytes()
    assert fast.startswith(b"\x89PNG") and b"Software" not in fast
    # the run-length strategy changes the compression only: the pixels and the dpi are those
    # of matplotlib's default PNG
    default = tmp_path / "default.png"
    fig.savefig(default, format="png", dpi=120, metadata=F.SAVE_METADATA["png"])
    assert default.read_bytes() != fast
    with Image.open(default) as a, Image.open(tmp_path / "fast.png") as b:
        assert a.info == b.info and a.mode == b.mode
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_save_figure_with_the_helpers_equals_plain_savefig(tmp_path):
    F.save_figure(_barh(), "bar", formats=("png", "svg"), dpi=150, directory=tmp_path / "fast")
    fig = _barh()
    (tmp_path / "ref").mkdir()
    fig.draw_without_rendering()
    fig.set_layout_engine("none")  # save_figure draws every file from the one layout
    for fmt in ("png", "svg"):
        fig.savefig(tmp_path / "ref" / f"bar.{fmt}", format=fmt, dpi=150, metadata=F.SAVE_METADATA[fmt],
                    **({"pil_kwargs": F.PNG_OPTIONS} if fmt == "png" else {}))
    for fmt in ("png", "svg"):
        assert (tmp_path / "fast" / f"bar.{fmt}").read_bytes() == (tmp_path / "ref" / f"bar.{fmt}").read_bytes()
    # formats keep their order; a format other than PNG is still written directly
    out = F.save_figure(_barh(), "b2", formats=("svg", "png", "pdf"), dpi=100, directory=tmp_path)
    assert [p.name for p in out] == ["b2.svg", "b2.png", "b2.pdf"]
    assert all(p.stat().st_size > 1000 for p in out)


def test_save_figure_error_leaves_no_png_job_running(tmp_path, monkeypatch):
    """An error after the PNG was handed to the encoder: the error propagates, the figure is
    closed, and the encoding has finished (nothing half-written is left behind running)."""
    fig = _barh()

    def broken(*a, **k):
        raise OSError("disk full")

    real = matplotlib.figure.Figure.savefig

    def savefig(self, fname, *a, format=None, **k):
        if format == "svg":
            broken()
        return real(self, fname, *a, format=format, **k)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    with pytest.raises(OSError, match="disk full"):
        F.save_figure(fig, "x", directory=tmp_path)
    assert not plt.fignum_exists(fig.number)
    assert F._encoder().submit(lambda: 1).result(timeout=30) == 1
    assert (tmp_path / "x.png").read_bytes().startswith(b"\x89PNG")
    assert not (tmp_path / "x.labels.json").exists()


def test_a_raster_format_after_the_png_waits_for_its_encoding(tmp_path):
    """The PNG is encoded from the Agg renderer's own buffer; another raster format drawn on
    the same canvas at the same dpi reuses that renderer, so it must wait for the encoding
    (else the PNG is encoded from a buffer being redrawn)."""
    out = F.save_figure(_barh(), "r", formats=("png", "jpg", "svg"), dpi=300, directory=tmp_path / "fast")
    assert [p.name for p in out] == ["r.png", "r.jpg", "r.svg"]
    fig = _barh()
    F._lay_out(fig)
    F._freeze_layout(fig)
    fig.savefig(tmp_path / "ref.png", format="png", dpi=300, metadata=F.SAVE_METADATA["png"],
                pil_kwargs=F.PNG_OPTIONS)
    assert (tmp_path / "fast" / "r.png").read_bytes() == (tmp_path / "ref.png").read_bytes()
    assert (tmp_path / "fast" / "r.jpg").read_bytes()[:2] == b"\xff\xd8"
