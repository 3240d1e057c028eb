"""Progress bars that show on a terminal and stay quiet in CI and notebooks."""
from __future__ import annotations

import os
import sys
from typing import Iterable, TypeVar

T = TypeVar("T")


def progress_enabled(enabled: bool | None = None) -> bool:
    """``enabled`` wins; else ``IRAQKIT_PROGRESS=1/0``; else only on an interactive
    terminal outside CI."""
    if enabled is not None:
        return enabled
    env = os.environ.get("IRAQKIT_PROGRESS")
    if env is not None:
        return env not in ("0", "", "false", "no")
    return sys.stderr.isatty() and not os.environ.get("CI")


def progress_bar(items: Iterable[T], desc: str, unit: str = "it", enabled: bool | None = None,
                 total: int | None = None) -> Iterable[T]:
    if not progress_enabled(enabled):
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit=unit, total=total, file=sys.stderr, dynamic_ncols=True)
