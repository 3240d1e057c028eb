"""The floor: read + decode + normalise + sentence split only (no cleaning, no stages).

    python benchmarks/floor.py --raw DIR   -> prints JSON {"files", "bytes", "sentences", "seconds"}
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from iraqkit.arabic import normalize, split_sentences
from iraqkit.ingest import Rejected, decode_bytes, list_inputs

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--raw", type=Path, required=True)
    a = ap.parse_args()
    t = time.perf_counter()
    n = nbytes = nsent = 0
    for f in list_inputs(a.raw):
        data = f.read_bytes()
        n += 1
        nbytes += len(data)
        try:
            text, _ = decode_bytes(data)
        except Rejected:
            continue
        normalize(text)
        nsent += len(split_sentences(text))
    print(json.dumps({"files": n, "bytes": nbytes, "sentences": nsent, "seconds": time.perf_counter() - t}))
