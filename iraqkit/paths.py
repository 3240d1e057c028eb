"""Every path the package, the notebooks and the tests use, in one place.

Notebooks take ``RAW``, ``PROCESSED``, ``FIGURES`` … from here instead of typing
``"../data/…"``. ``IRAQKIT_RAW``, ``IRAQKIT_PROCESSED`` and ``IRAQKIT_FIGURES`` override
the defaults so the same notebooks run on a researcher's own corpus.
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
RAW = Path(os.environ.get("IRAQKIT_RAW", DATA / "raw"))
PROCESSED = Path(os.environ.get("IRAQKIT_PROCESSED", DATA / "processed"))
FIGURES = Path(os.environ.get("IRAQKIT_FIGURES", ROOT / "figures"))
REPORTS = ROOT / "reports"
NOTEBOOKS = ROOT / "notebooks"
GAZETTEERS = DATA / "gazetteers"
LEXICONS = DATA / "lexicons"
SHARED_CORPUS = ROOT.parent / "shared" / "corpus"
