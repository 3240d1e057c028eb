"""Sorted runs on disk: a per-document table kept out of memory during a build.

The streaming engine (:mod:`iraqkit.pipeline`) hands each batch's per-document frames of a
table to :class:`SortedRuns`. They are concatenated, sorted by the table's key (plus the
row's position inside its document, then arrival order) and written to
``<dir>/<name>-<run>.pkl`` as a sequence of pickled chunks of at most ``chunk_rows`` rows.
At the end :meth:`SortedRuns.iter_chunks` merges the runs (``heapq.merge``; more than
``fan_in`` runs are first merged in groups, so at most ``fan_in`` files are open and at
most ``fan_in`` chunks are in memory) and yields the table in its final order, chunk by
chunk, with the column dtypes that ``pd.concat`` of every per-document frame would have.

That order is the one of ``concat(frames in doc_id order).sort_values(keys, kind="stable")``
(what :func:`iraqkit.actors.sort_part` does): rows are compared by the key values with
Python's ordering (strings by code point, as pandas sorts them; a missing value sorts
last, as ``na_position="last"``), ties by the position of the row in its document's frame,
then by arrival (file) order. Writing the yielded chunks one after the other with
``to_csv`` gives the same bytes as writing the whole sorted table.
"""
from __future__ import annotations

import heapq
import os
import pickle
from pathlib import Path
from typing import Iterable, Iterator

import pandas as pd

POS = "__pos"  # position of the row in its document's frame (tie-break), dropped on output
#: rows per pickled chunk, and runs merged at once: a merge holds about ``FAN_IN`` chunks
#: (plus the output chunk) in memory whatever the corpus size. With 2,048 rows and 64 runs
#: the merges of a 1 GB corpus held hundreds of MB (a 1 MB batch is one run, so a large
#: corpus always had 64 runs open, a 10 MB one about 10); with 1,024 and 16 they hold
#: about the same at 10 MB and at 1 GB, for one more merge pass over the largest tables
CHUNK_ROWS = 1024
FAN_IN = 16


class _Last:
    """Sorts after every value and equal to itself (a missing key value: ``na_position="last"``)."""

    __slots__ = ()

    def __lt__(self, other):
        return False

    def __le__(self, other):
        return isinstance(other, _Last)

    def __gt__(self, other):
        return not isinstance(other, _Last)

    def __ge__(self, other):
        return True

    def __eq__(self, other):
        return isinstance(other, _Last)

    def __hash__(self):
        return 0


LAST = _Last()


def _key_columns(df: pd.DataFrame, keys: list[str], tie: list[str] = ()) -> list[list]:
    cols = []
    for k in [*keys, POS, *tie]:
        s = df[k]
        vals = s.tolist()
        na = s.isna()
        if na.any():
            vals = [LAST if m else v for v, m in zip(vals, na.tolist())]
        cols.append(vals)
    return cols


_DTYPE_NAMES: dict = {}
#: id(dtype) -> (dtype, its name): the same lookup without hashing the dtype
_DTYPE_BY_ID: dict[int, tuple] = {}


class PackedRows:
    """One document's frame as the rows ``frame[start:start + n]`` of a packed frame
    (:func:`iraqkit.pipeline.pack_batch`: a batch's frames of one table and dtype signature
    ``sig``, concatenated for the trip from a Dask worker). :meth:`SortedRuns.add_batch`
    takes all of a batch's rows from that frame at once: slicing every document's frame out
    and concatenating them again took about 30 % of the Dask driver's main thread (30 MB
    benchmark corpus: 20.4 s of CPU with the slices, 14.6 s without). :meth:`frame_slice` is
    the document's frame itself."""

    __slots__ = ("frame", "start", "n", "sig")

    def __init__(self, frame: pd.DataFrame, start: int, n: int, sig: tuple):
        self.frame, self.start, self.n, self.sig = frame, start, n, sig

    def __len__(self) -> int:
        return self.n

    @property
    def columns(self) -> pd.Index:
        return self.frame.columns

    def frame_slice(self) -> pd.DataFrame:
        return self.frame.iloc[self.start:self.start + self.n].reset_index(drop=True)


def concat_frames(frames: list) -> pd.DataFrame:
    """``pd.concat(frames, ignore_index=True)`` of frames or :class:`PackedRows`: the same
    rows, values and dtypes. The rows of each packed frame are taken from it at once (it
    holds frames of one dtype signature only); when they come from several packed frames
    the pieces are concatenated and the rows put back in the frames' order with one more
    take. pandas decides a concatenated column's dtype from the dtypes alone (not from the
    values, since pandas 3), so a piece per packed frame gives the dtypes a slice per
    document gives; ``tests/test_pipeline_memory.py`` checks both ways on mixed batches.
    A single piece (the usual batch: one packed frame) is taken without a concatenation."""
    # one piece per packed frame (its rows in the frames' order) and one per plain frame;
    # ``dest`` holds each piece row's position in the concatenation of ``frames``
    groups: dict[int, tuple[pd.DataFrame, list[int], list[int]]] = {}
    pieces: list = []
    at = 0
    for f in frames:
        n = len(f)
        if isinstance(f, PackedRows):
            g = groups.get(id(f.frame))
            if g is None:
                g = groups[id(f.frame)] = (f.frame, [], [])
                pieces.append(g)
            g[1].extend(range(f.start, f.start + n))
            g[2].extend(range(at, at + n))
        else:
            pieces.append((f, None, list(range(at, at + n))))
        at += n
    parts, dest = [], []
    for frame, rows, where in pieces:
        parts.append(frame.take(rows) if rows is not None else frame)
        dest.extend(where)
    df = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    if dest != list(range(at)):
        order = [0] * at
        for i, d in enumerate(dest):
            order[d] = i
        df = df.take(order)
    return df.reset_index(drop=True)


def _dtype_name(t) -> str:
    """``str(t)``, looked up by the dtype object's identity first: hashing pandas' extension
    dtypes runs Python code, and a batch asks for the same few dtype objects thousands of
    times. The entry keeps its dtype alive, so an id is never reused while it is cached."""
    hit = _DTYPE_BY_ID.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    n = _DTYPE_NAMES.get(t)
    if n is None:
        n = _DTYPE_NAMES[t] = str(t)
    if len(_DTYPE_BY_ID) < 1024:
        _DTYPE_BY_ID[id(t)] = (t, n)
    return n


def _signature(df: pd.DataFrame) -> tuple:
    """``((column, dtype name), ...)``: which frames concatenate without a cast."""
    # per column, in order (as ``df.dtypes`` without a Series)
    names = [_dtype_name(t) for t in df._mgr.get_dtypes()]
    return tuple(zip(map(str, df.columns.tolist()), names))


class SortedRuns:
    """One table as sorted runs on disk (see the module docstring)."""

    def __init__(self, directory: Path, name: str, columns: list[str], keys: list[str], *,
                 keep_empty: bool = False, chunk_rows: int = CHUNK_ROWS, fan_in: int = FAN_IN,
                 tie_keys: Iterable[str] = ()):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.columns = list(columns)
        self.keys = list(keys)
        #: columns compared after the row's position in its frame (before arrival order)
        self.tie_keys = list(tie_keys)
        self.keep_empty = keep_empty
        self.chunk_rows = chunk_rows
        self.fan_in = max(2, fan_in)
        self.runs: list[Path] = []
        self.n_rows = 0
        self.n_frames = 0
        #: one empty frame per dtype signature seen, in order of first appearance
        self.samples: dict[tuple, pd.DataFrame] = {}
        self._seq = 0

    # --- writing -------------------------------------------------------------------
    def add_batch(self, items: Iterable[tuple], prepare=None) -> pd.DataFrame | None:
        """Add one batch's per-document frames (``(doc_id, frame)``, any order); returns the
        batch's rows in final order (with the :data:`POS` column), or None when empty.

        An item may also be ``(doc_id, frame, constants, signature)``: ``constants``
        (``{column: value}``) are added to each of the frame's rows and ``signature`` is the
        frame's :func:`_signature` when the caller has it. ``prepare(frame)`` is applied to
        the batch's concatenated rows (with the constants) before sorting. The rows are
        concatenated first and the extra columns set once per batch: the same rows, values
        and dtypes as setting them on every frame, for a fraction of the cost. A frame may
        be :class:`PackedRows` (see :func:`concat_frames`)."""
        frames, pos = [], []
        consts: dict[str, list] = {}
        for it in items:
            df = it[1]
            if not self.keep_empty and len(df) == 0:
                continue
            self.n_frames += 1
            packed = isinstance(df, PackedRows)
            sig = it[3] if len(it) > 3 and it[3] is not None else df.sig if packed else _signature(df)
            if sig not in self.samples:
                self.samples[sig] = (df.frame_slice() if packed else df).iloc[:1].copy()
            n = len(df)
            if not n:
                continue
            frames.append(df)
            pos.extend(range(n))
            for k, v in (it[2] if len(it) > 2 and it[2] else {}).items():
                consts.setdefault(k, []).extend([v] * n)
        if not frames:
            return None
        df = concat_frames(frames)
        if consts:
            if any(len(v) != len(df) for v in consts.values()):
                raise ValueError(f"{self.name}: every frame of a batch needs the same constant columns")
            df = df.assign(**consts)
        if prepare is not None:
            df = prepare(df)
        df[POS] = pos
        kc = _key_columns(df, self.keys, self.tie_keys)
        order = sorted(range(len(df)), key=lambda i: tuple(c[i] for c in kc))
        df = df.iloc[order].reset_index(drop=True)
        self._write_run(self._chunks_of(df))
        self.n_rows += len(df)
        return df

    def _chunks_of(self, df: pd.DataFrame) -> Iterator[pd.DataFrame]:
        for i in range(0, len(df), self.chunk_rows):
            yield df.iloc[i:i + self.chunk_rows]

    def _new_path(self) -> Path:
        self._seq += 1
        return self.dir / f"{self.name}-{self._seq:06d}.pkl"

    def _write_run(self, chunks: Iterable[pd.DataFrame], path: Path | None = None) -> Path:
        path = path or self._new_path()
        with open(path, "wb") as fh:
            for c in chunks:
                pickle.dump(c, fh, protocol=pickle.HIGHEST_PROTOCOL)
        self.runs.append(path)
        return path

    # --- reading -------------------------------------------------------------------
    @staticmethod
    def _read_chunks(path: Path) -> Iterator[pd.DataFrame]:
        with open(path, "rb") as fh:
            while True:
                try:
                    yield pickle.load(fh)
                except EOFError:
                    return

    def _rows(self, run: int, path: Path) -> Iterator[tuple]:
        seq = 0
        for chunk in self._read_chunks(path):
            kc = _key_columns(chunk, self.keys, self.tie_keys)
            for i, key in enumerate(zip(*kc)):
                yield key, run, seq, chunk, i
                seq += 1

    def _merge(self, paths: list[Path]) -> Iterator[pd.DataFrame]:
        """Chunks (with POS) of the runs in ``paths`` merged in order."""
        rows = heapq.merge(*(self._rows(r, p) for r, p in enumerate(paths)))
        buf: list[tuple[pd.DataFrame, int, int]] = []  # (chunk, first row, last row + 1)
        n = 0
        for _key, _run, _seq, chunk, i in rows:
            if buf and buf[-1][0] is chunk and buf[-1][2] == i:
                buf[-1] = (chunk, buf[-1][1], i + 1)
            else:
                buf.append((chunk, i, i + 1))
            n += 1
            if n >= self.chunk_rows:
                yield _take(buf)
                buf, n = [], 0
        if buf:
            yield _take(buf)

    def dtypes(self) -> pd.Series | None:
        """The dtypes ``pd.concat`` of every frame added would give (None when no frame)."""
        if not self.samples:
            return None
        samples = list(self.samples.values())
        if len(samples) == 1:
            return samples[0].dtypes
        return pd.concat(samples, ignore_index=True).dtypes

    def iter_chunks(self) -> Iterator[pd.DataFrame]:
        """The whole table in final order, ``chunk_rows`` rows at a time, in the final
        columns and dtypes. Nothing is yielded when no row was added."""
        runs = list(self.runs)
        while len(runs) > self.fan_in:  # merge groups of runs first (keeps their order)
            merged = []
            for g in range(0, len(runs), self.fan_in):
                group = runs[g:g + self.fan_in]
                if len(group) == 1:
                    merged.append(group[0])
                    continue
                path = self._new_path()
                with open(path, "wb") as fh:
                    for c in self._merge(group):
                        pickle.dump(c, fh, protocol=pickle.HIGHEST_PROTOCOL)
                for p in group:
                    p.unlink()
                merged.append(path)
            runs = merged
        self.runs = runs
        if not runs:
            return
        dtypes = self.dtypes()
        for chunk in self._merge(runs):
            out = chunk.drop(columns=[POS])
            if dtypes is not None and len(self.samples) > 1:
                out = out.astype(dtypes.to_dict())
            yield out[self.columns]

    def cleanup(self) -> None:
        for p in self.runs:
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        self.runs = []


def _take(buf: list[tuple[pd.DataFrame, int, int]]) -> pd.DataFrame:
    """The rows ``c[a:b]`` of every ``(c, a, b)`` in ``buf``, in that order, as one frame.

    Runs interleave row by row, so a merged chunk has many short pieces: each source chunk's
    rows are taken at once (they come in increasing order within a chunk), the few results
    concatenated, and the merged order restored by one ``take`` — the same rows, values and
    dtypes as concatenating every piece, in a handful of pandas calls instead of one slice per
    piece."""
    if len(buf) == 1:
        c, a, b = buf[0]
        return c.iloc[a:b].reset_index(drop=True)
    rows: dict[int, list[int]] = {}
    frames: dict[int, pd.DataFrame] = {}
    for c, a, b in buf:
        key = id(c)
        if key not in rows:
            rows[key], frames[key] = [], c
        rows[key].extend(range(a, b))
    if len(frames) == 1:
        (key, c), = frames.items()
        return c.take(rows[key]).reset_index(drop=True)
    base, at = {}, 0
    for key, r in rows.items():
        base[key] = at
        at += len(r)
    seen = dict.fromkeys(rows, 0)
    perm = []
    for c, a, b in buf:
        key = id(c)
        k = base[key] + seen[key]
        perm.extend(range(k, k + b - a))
        seen[key] += b - a
    cat = pd.concat([frames[key].take(r) for key, r in rows.items()], ignore_index=True)
    return cat.take(perm).reset_index(drop=True)
