"""Cross-document merges of the attacks and milestones stages, streamed through disk.

The whole-table merges (:func:`iraqkit.attacks.merge_events`,
:func:`iraqkit.milestones.finish`) take every per-document row (each with its evidence
sentence) at once and build the output tables in memory. With ``return_tables=False`` the
build (:mod:`iraqkit.pipeline`) hands each batch's per-document frames to
:class:`AttackMerge` / :class:`MilestoneMerge` instead, which give **byte-identical**
tables while holding only a compact part of each row:

1. **Spill.** Each batch's rows go to sorted runs on disk (:class:`iraqkit.spill.SortedRuns`)
   keyed by the order the whole-table merge sorts them in (ties: the row's document, its
   position in its document's frame, then the frame's dtype group and arrival, which is the
   order :class:`iraqkit.pipeline.PartAccumulator` concatenates them in). Reading the runs
   back gives the concatenated, sorted input chunk by chunk, in its concatenated dtypes.
2. **Link.** For attacks, one pass keeps, per row, only the fields the linking reads
   (:data:`iraqkit.attacks.LINK_FIELDS`) as small integer codes of interned values
   (:class:`Columns`, a few bytes a field). For milestones, each document's mentions are
   clustered as they are read back (they come one document after another), and per row
   only the number of its (pubkey, doc_id, start) key is kept. The groups are computed by
   the same functions as the whole-table merge (:func:`iraqkit.attacks.event_groups`;
   :func:`iraqkit.milestones.doc_clusters` and :func:`~iraqkit.milestones.cluster_groups`,
   with compact clusters), so the groups, their order and their members' order are the
   same. Each row gets its group number and rank.
3. **Assemble.** A second pass re-sorts the rows by (group, rank) through sorted runs; the
   rows are read back in that order and each group is merged as its rows stream past, by
   the same folds as the whole-table merge (:class:`iraqkit.attacks.EventFold`,
   :class:`iraqkit.milestones.MilestoneFold`, behind ``merge_group`` and
   ``milestone_row``): no group is held whole.
4. **Write.** The merged rows go to sorted runs keyed by the tables' final sort keys (ties:
   group order) and are written by a k-way merge, chunk by chunk. Column dtypes are
   inferred as ``pd.DataFrame(all rows)`` would infer them: every chunk is built together
   with one sample value of every Python type seen in each column (:class:`TypeSamples`).

What stays in memory grows with the corpus only through the codes or keys (a few bytes per
input row), the union-find arrays and, for milestones, one compact record per
per-document cluster (:class:`_Clusters`) and the rows ``deadline_status`` compares (deadlines and held
announcements of completion, and one troop level per new latest date). The linking itself compares one
node per class of rows with equal linking fields (:func:`iraqkit.grouping.collapse_classes`),
so a story told by many documents does not make it quadratic; merged rows wait as dicts
only :data:`DICT_ROWS` at a time.
"""
from __future__ import annotations

import shutil
from array import array
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from .spill import PackedRows, SortedRuns, _signature

DOC = "__doc"   # the doc_id the frame was extracted for (PartAccumulator order)
SIG = "__sig"   # the frame's dtype group, in order of first appearance (PartAccumulator order)
GRP = "__g"     # group number
RANK = "__r"    # rank inside the group
SEQ = "__seq"   # output tie-break
#: rows per run when re-sorting (bounded memory, few runs). The re-sort holds a run's rows
#: about three times (the buffered pieces, their concatenation, the sorted copy): with
#: 20,000 whole attack or milestone rows (evidence sentences included) that was the attack
#: merge's peak at 1 GB (+44 MB over the linking); at 1 GB the tables take two merge passes
#: of :data:`iraqkit.spill.FAN_IN` runs either way
BATCH_ROWS = 5_000
#: merged rows kept as dicts before they are packed into a frame
DICT_ROWS = 2_000


class Columns:
    """Some fields of many rows as integer codes of interned values (compact, exact: a
    value's type is part of its identity, so ``1``, ``1.0`` and ``True`` stay apart).

    Each field has its own values and codes, stored in the narrowest array that holds them
    (one byte per row while a field has at most 256 distinct values, then two, then four):
    most linking fields (kind, precision, weapon, qualifier …) take a byte per row."""

    _WIDER = {"B": ("H", 1 << 16), "H": ("i", 1 << 31), "i": ("q", 1 << 63)}

    def __init__(self, fields: Iterable[str]):
        self.fields = tuple(fields)
        self.cols = {f: array("B") for f in self.fields}
        self.values: dict[str, list] = {f: [] for f in self.fields}
        self._ids: dict[str, dict] | None = {f: {} for f in self.fields}
        self._limit = {f: 1 << 8 for f in self.fields}
        self.n = 0

    def extend(self, rows: Iterable[dict]) -> None:
        rows = rows if isinstance(rows, list) else list(rows)
        for f in self.fields:  # field by field: one field's table and array at a time
            ids, vals, codes, limit = self._ids[f], self.values[f], self.cols[f], self._limit[f]
            for r in rows:
                v = r[f]
                # a string is its own key (no other type compares equal to one): no tuple
                # per distinct doc_id, date, topic …
                key = v if v.__class__ is str else (
                    (v.__class__, "nan") if isinstance(v, float) and v != v else (v.__class__, v))
                c = ids.get(key)
                if c is None:
                    c = ids[key] = len(vals)
                    vals.append(v)
                    if c >= limit:  # the codes no longer fit: a wider array
                        wider, limit = self._WIDER[codes.typecode]
                        codes = self.cols[f] = array(wider, codes)
                        self._limit[f] = limit
                codes.append(c)
        self.n += len(rows)

    def freeze(self, keep: Iterable[str] | None = None) -> None:
        """No more rows: drop the interning tables (one entry per distinct value) and, with
        ``keep``, the codes and values of every other field."""
        self._ids = None
        if keep is not None:
            keep = set(keep)
            self.cols = {f: c for f, c in self.cols.items() if f in keep}
            self.values = {f: v for f, v in self.values.items() if f in keep}

    def get(self, f: str, i: int):
        return self.values[f][self.cols[f][i]]

    def column(self, f: str) -> "_Column":
        return _Column(self.values[f], self.cols[f])

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict:
        vals = self.values
        return {f: vals[f][c[i]] for f, c in self.cols.items()}


class _Column:
    __slots__ = ("values", "codes")

    def __init__(self, values, codes):
        self.values, self.codes = values, codes

    def __getitem__(self, i):
        return self.values[self.codes[i]]

    def __len__(self):
        return len(self.codes)


class TypeSamples:
    """One value of every Python type seen per column, so that a chunk of rows gets the
    dtypes the whole table would get (pandas infers a column's dtype from the set of value
    types in it: ints and floats -> float64, str and None -> str, …)."""

    def __init__(self, columns: Iterable[str]):
        self.columns = list(columns)
        self.seen: dict[str, dict] = {c: {} for c in self.columns}

    def observe(self, rows: Iterable[dict]) -> None:
        for r in rows:
            for c, kinds in self.seen.items():
                v = r.get(c)
                kinds.setdefault(v.__class__, v)

    def frame(self, rows: list[dict]) -> pd.DataFrame:
        width = max((len(k) for k in self.seen.values()), default=0)
        samples = []
        for k in range(width):
            samples.append({c: list(kinds.values())[min(k, len(kinds) - 1)] if kinds else None
                            for c, kinds in self.seen.items()})
        df = pd.DataFrame(list(rows) + samples, columns=self.columns)
        return df.iloc[:len(rows)].reset_index(drop=True)


class _PartRuns:
    """A part's per-document frames as sorted runs in the whole-table merge's input order."""

    def __init__(self, directory: Path, name: str, keys: list[str], keep_empty: bool,
                 prepare=None):
        self.dir, self.name, self.keys, self.keep_empty = Path(directory), name, list(keys), keep_empty
        self.prepare = prepare
        self.columns: list[str] | None = None
        self.sigs: dict[tuple, int] = {}
        self.runs: SortedRuns | None = None

    def add(self, items: list[tuple[str, pd.DataFrame]]) -> None:
        """Add one batch's per-document frames (or :class:`iraqkit.spill.PackedRows`)."""
        batch = []
        packed_cols: dict[int, list[str]] = {}  # columns of each packed frame, read once
        for doc_id, df in items:
            if not self.keep_empty and len(df) == 0:
                continue
            if isinstance(df, PackedRows):
                cols = packed_cols.get(id(df.frame))
                if cols is None:
                    cols = packed_cols[id(df.frame)] = [str(c) for c in df.columns]
                sig = df.sig
            else:
                cols, sig = [str(c) for c in df.columns], None
            if self.columns is None:
                self.columns = cols
                extra = [k for k in self.keys if k not in cols and k != DOC]
                self.runs = SortedRuns(self.dir, self.name, [*cols, *extra, DOC, SIG], [*self.keys, DOC],
                                       keep_empty=self.keep_empty, tie_keys=[SIG])
            elif cols != self.columns:
                raise ValueError(f"{self.name}: per-document frames with other columns ({cols})")
            if sig is None:
                sig = _signature(df)
            code = self.sigs.setdefault(sig, len(self.sigs))
            batch.append((doc_id, df, {DOC: doc_id, SIG: code}, sig))
        if batch:
            self.runs.add_batch(batch, prepare=self.prepare)

    def chunks(self) -> Iterator[pd.DataFrame]:
        """The concatenated part in order (input columns only), chunk by chunk."""
        if self.runs is None:
            return
        for c in self.runs.iter_chunks():
            yield c[self.columns]

    def cleanup(self) -> None:
        if self.runs is not None:
            self.runs.cleanup()


class _Regroup:
    """Rows re-sorted by (group, rank): ``add(chunk, groups, ranks)``, then ``groups()``
    yields ``(group, frame of its rows)`` in group order."""

    def __init__(self, directory: Path, name: str, columns: list[str]):
        self.columns = list(columns)
        self.runs = SortedRuns(directory, name, [*columns, GRP, RANK], [GRP, RANK])
        self.buf: list[pd.DataFrame] = []
        self.n = 0

    def add(self, chunk: pd.DataFrame, groups, ranks) -> None:
        self.buf.append(chunk.assign(**{GRP: groups, RANK: ranks}))
        self.n += len(chunk)
        if self.n >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            df = pd.concat(self.buf, ignore_index=True) if len(self.buf) > 1 else self.buf[0]
            self.runs.add_batch([("", df)])
        self.buf, self.n = [], 0

    def segments(self, convert) -> Iterator[tuple[int, list]]:
        """``(group, rows)`` pieces in (group, rank) order, where ``convert(frame)`` turns a
        chunk (its input columns) into its rows — ``to_dict("records")`` or
        ``list(itertuples())`` — once per chunk, not once per group. A group that spans
        chunks comes as consecutive pieces: nothing holds a whole group (the largest groups
        of a big corpus have tens of thousands of rows). The chunks of the runs all have
        the same dtypes, so a group's rows are the values its own sub-frame would give."""
        self.flush()
        for chunk in self.runs.iter_chunks():
            g = chunk[GRP].tolist()
            rows = convert(chunk[self.columns].reset_index(drop=True))
            n, start = len(g), 0
            while start < n:  # split the chunk where the group changes
                gi = g[start]
                end = start + 1
                while end < n and g[end] == gi:
                    end += 1
                yield gi, rows[start:end]
                start = end
        self.runs.cleanup()


def _fold_groups(segments: Iterable[tuple[int, list]], new_fold, sources: "_OutRuns"):
    """Merge each group as its rows stream past: ``new_fold()`` (an
    :class:`iraqkit.attacks.EventFold` or :class:`iraqkit.milestones.MilestoneFold`) takes
    the group's rows one at a time and each source row goes to ``sources`` at once; yields
    ``(group, fold)`` when a group is complete."""
    cur, fold, seq = None, None, 0
    for g, rows in segments:
        if g != cur:
            if fold is not None:
                yield cur, fold
            cur, fold, seq = g, new_fold(), 0
        for r in rows:
            s = fold.add(r)
            s[GRP], s[SEQ] = g, seq
            seq += 1
            sources.add(s)
    if fold is not None:
        yield cur, fold


class _OutRuns:
    """Merged rows (dicts) to sorted runs keyed by the table's final order; ``write`` gives
    the table chunk by chunk in the dtypes the whole table would have."""

    def __init__(self, directory: Path, name: str, columns: list[str], keys: list[str], extra: list[str]):
        self.columns, self.keys, self.extra = list(columns), list(keys), list(extra)
        self.all = [*self.columns, *[k for k in [*keys, *extra] if k not in columns]]
        self.runs = SortedRuns(directory, name, self.all, [*keys, *extra])
        self.samples = TypeSamples(self.columns)
        self.buf: list[dict] = []
        self.packed: list[pd.DataFrame] = []
        self.n_packed = 0

    def add(self, row: dict) -> None:
        self.buf.append(row)
        if len(self.buf) >= DICT_ROWS:
            self._pack()

    def _pack(self) -> None:
        """The buffered dicts as one object frame (a dict per row costs far more memory)."""
        if self.buf:
            self.samples.observe(self.buf)
            self.packed.append(pd.DataFrame([[r.get(c) for c in self.all] for r in self.buf],
                                            columns=self.all, dtype=object))
            self.n_packed += len(self.buf)
            self.buf = []
        if self.n_packed >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            self._pack()
        if self.packed:
            df = pd.concat(self.packed, ignore_index=True) if len(self.packed) > 1 else self.packed[0]
            self.runs.add_batch([("", df)])
        self.packed, self.n_packed = [], 0

    def frames(self) -> Iterator[pd.DataFrame]:
        self.flush()
        for chunk in self.runs.iter_chunks():
            rows = [dict(zip(self.columns, t)) for t in chunk[self.columns].itertuples(index=False, name=None)]
            yield self.samples.frame(rows)
        self.runs.cleanup()


def _write_frames(frames: Iterable[pd.DataFrame], out: Path, name: str, columns: list[str],
                  parquet_dir: Path | None) -> int:
    from .pipeline import TableWriter

    w = TableWriter(out, name, parquet_dir)
    try:
        for df in frames:
            w.write(df)
        if w.header:  # no row at all: the header, as for an empty table
            w.write(pd.DataFrame(columns=columns))
    except BaseException:
        w.abort()
        raise
    w.close()
    return w.rows


# =====================================================================================
# attacks
# =====================================================================================
class AttackMerge:
    """:func:`iraqkit.attacks.merge_events_dict` on the ``attack_rows`` part, streamed."""

    def __init__(self, directory: Path):
        from . import attacks

        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.rows = _PartRuns(self.dir, "attack_rows", list(attacks.EVENT_ORDER), keep_empty=False)

    def add(self, part: str, items: list[tuple[str, pd.DataFrame]]) -> None:
        self.rows.add(items)

    def write(self, out: Path, parquet_dir: Path | None = None) -> dict[str, int]:
        from . import attacks

        try:
            return self._write(out, parquet_dir, attacks)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _write(self, out, parquet_dir, attacks) -> dict[str, int]:
        # 1. the linking fields, compact
        link = Columns(attacks.LINK_FIELDS)
        for chunk in self.rows.chunks():
            link.extend(attacks.event_record(r) for r in chunk.to_dict("records"))
        link.freeze()
        n = len(link)
        # 2. groups
        grp, rank = array("i", [0]) * n, array("i", [0]) * n
        for g, members in enumerate(attacks.event_groups(link)):
            for r, i in enumerate(members):
                grp[i], rank[i] = g, r
        # 3. rows by group, merged
        regroup = _Regroup(self.dir, "attack_groups", self.rows.columns or list(attacks.ATTACK_COLUMNS))
        pos = 0
        for chunk in self.rows.chunks():
            k = len(chunk)
            regroup.add(chunk, grp[pos:pos + k].tolist(), rank[pos:pos + k].tolist())
            pos += k
        self.rows.cleanup()
        del grp, rank, link
        ev = _OutRuns(self.dir, "attacks_out", attacks.ATTACK_COLUMNS, list(attacks.ATTACK_ORDER), [GRP])
        src = _OutRuns(self.dir, "sources_out", attacks.SOURCE_COLUMNS, list(attacks.SOURCE_ORDER), [GRP, SEQ])
        # rows as merge_group reads them, made once per chunk
        segments = regroup.segments(lambda c: [attacks.event_record(r) for r in c.to_dict("records")])
        for g, fold in _fold_groups(segments, attacks.EventFold, src):
            rep = fold.row()
            rep[GRP] = g
            ev.add(rep)
        # 4. the tables
        counts = {}
        def attack_frames():
            for f in ev.frames():
                for c in attacks.INT_COLUMNS:
                    f[c] = f[c].astype("Int64")
                yield f

        counts["attacks"] = _write_frames(attack_frames(), out, "attacks", attacks.ATTACK_COLUMNS, parquet_dir)
        counts["events_sources"] = _write_frames(src.frames(), out, "events_sources", attacks.SOURCE_COLUMNS,
                                                 parquet_dir)
        return counts


# =====================================================================================
# milestones
# =====================================================================================
def rows_by_code(codes: array) -> Iterator[tuple[int, list[int]]]:
    """The row positions of each code of one :class:`Columns` field, codes in ascending
    order and positions in row order. Codes are given in order of first appearance, so this
    is ``{value: [rows]}`` built row by row, in that dict's order — without a list (or an
    array) per value: one stable sort of the codes. (Equal values of different types, say
    ``"a"`` and ``numpy.str_("a")``, have two codes; the doc_ids read back from the runs are
    all ``str``.)"""
    if not len(codes):
        return
    c = np.frombuffer(codes, dtype=codes.typecode)
    order = np.argsort(c, kind="stable")
    sorted_codes = c[order]
    bounds = np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1
    start = 0
    for end in [*bounds.tolist(), len(order)]:
        yield int(sorted_codes[start]), order[start:end].tolist()
        start = end


class _Clusters:
    """The per-document clusters of :func:`iraqkit.milestones.doc_clusters`, compact: the
    fields a cluster's linking reads (kind, series, round, dates, topic) are stored once per
    distinct combination, and per cluster only that combination's number, its document's
    code and where its rows start in one array of all rows. ``clusters[i]`` reads as the
    dict it replaces (``["docs"]``, ``["rows"]``, …). A cluster object per cluster took
    about 300 bytes each (hundreds of thousands at 1 GB)."""

    def __init__(self, doc_values: list):
        self.doc_values = doc_values      # Columns.values["doc_id"]: a document code -> its doc_id
        self.fields: list[tuple] = []     # combination -> (kind, series, round, dates, topic)
        self._ids: dict[tuple, int] = {}
        self.cls = array("i")
        self.doc = array("i")
        self.starts = array("q", [0])     # cluster i's rows: rows[starts[i]:starts[i + 1]]
        self.rows = array("i")

    def add(self, c: dict, doc_code: int) -> None:
        key = (c["kind"], c["series"], c["round"], tuple(c["dates"]), c["topic"])
        k = self._ids.get(key)
        if k is None:
            k = self._ids[key] = len(self.fields)
            self.fields.append(key)
        self.cls.append(k)
        self.doc.append(doc_code)
        self.rows.extend(c["rows"])
        self.starts.append(len(self.rows))

    def __len__(self) -> int:
        return len(self.cls)

    def __getitem__(self, i: int) -> "_ClusterView":
        return _ClusterView(self, i)


class _ClusterView:
    __slots__ = ("store", "i")
    _FIELDS = {"kind": 0, "series": 1, "round": 2, "dates": 3, "topic": 4}

    def __init__(self, store: _Clusters, i: int):
        self.store, self.i = store, i

    def __getitem__(self, key):
        st, i = self.store, self.i
        if key == "docs":
            return frozenset((st.doc_values[st.doc[i]],))
        if key == "rows":
            return st.rows[st.starts[i]:st.starts[i + 1]]
        return st.fields[st.cls[i]][self._FIELDS[key]]


def _ordered(a, b) -> bool:
    """``a < b``; False where Python does not order the values."""
    try:
        return a < b
    except TypeError:
        return False


def _pubkey(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(pubkey=df["published"].fillna("").astype(str))


class MilestoneMerge:
    """:func:`iraqkit.milestones.finish` on the ``milestone_mentions`` and
    ``troop_levels`` parts, streamed."""

    def __init__(self, directory: Path):
        from . import milestones as ms

        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.mentions = _PartRuns(self.dir, "milestone_mentions", list(ms.MENTION_ORDER), keep_empty=True,
                                  prepare=_pubkey)
        self.troops = _PartRuns(self.dir, "troop_levels", ["doc_id", "start", "end"], keep_empty=True)

    def add(self, part: str, items: list[tuple[str, pd.DataFrame]]) -> None:
        {"milestone_mentions": self.mentions, "troop_levels": self.troops}[part].add(items)

    def write(self, out: Path, parquet_dir: Path | None = None) -> dict[str, int]:
        from . import milestones as ms

        try:
            return self._write(out, parquet_dir, ms)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _mention_chunks(self, ms) -> Iterator[pd.DataFrame]:
        for c in self.mentions.chunks():
            yield ms.mention_frame(c)

    def _write(self, out, parquet_dir, ms) -> dict[str, int]:
        counts = {}
        ms_subset, as_of = self._milestones(out, parquet_dir, ms, counts)
        troop_subset = self._troops(out, parquet_dir, ms, counts)
        status = ms.deadline_status(ms_subset, troop_subset, as_of=as_of)
        counts["deadline_status"] = _write_frames([status], out, "deadline_status", ms.STATUS_COLUMNS,
                                                  parquet_dir)
        return {k: counts[k] for k in ("milestones", "milestone_sources", "troop_levels", "deadline_status")}

    def _milestones(self, out, parquet_dir, ms, counts):
        # 1. clusters per document (same as merge_milestones), 2. groups
        linked = self._doc_clusters_streamed(ms) or self._doc_clusters_columns(ms)
        clusters, key, n = linked
        grp, rank = array("i", [-1]) * n, array("i", [0]) * n
        for g, members in enumerate(ms.cluster_groups(clusters)):
            for r, j in enumerate(ms.group_rows(clusters, members, key)):
                grp[j], rank[j] = g, r
        del clusters, key, linked
        # 3. rows by group, merged
        columns = None
        regroup = None
        pos = 0
        for chunk in self._mention_chunks(ms):
            if regroup is None:
                columns = list(chunk.columns)
                regroup = _Regroup(self.dir, "mention_groups", columns)
            k = len(chunk)
            g, r = grp[pos:pos + k], rank[pos:pos + k]
            keep = [i for i in range(k) if g[i] >= 0]  # rows without a doc_id belong to no milestone
            if len(keep) < k:
                chunk, g, r = chunk.iloc[keep], [g[i] for i in keep], [r[i] for i in keep]
            regroup.add(chunk, list(g), list(r))
            pos += k
        self.mentions.cleanup()
        del grp, rank
        mso = _OutRuns(self.dir, "milestones_out", ms.MILESTONE_COLUMNS, list(ms.MILESTONE_ORDER), [GRP])
        src = _OutRuns(self.dir, "ms_sources_out", ms.SOURCE_COLUMNS, list(ms.MS_SOURCE_ORDER), [GRP, SEQ])
        segments = regroup.segments(lambda c: list(c.itertuples())) if regroup is not None else ()
        for g, fold in _fold_groups(segments, ms.MilestoneFold, src):
            row = fold.row()
            row[GRP] = g
            row["_sort"] = "9999" if row["date"] == "" else row["date"]
            mso.add(row)
        # 4. the tables; keep what deadline_status compares
        subset: list[pd.DataFrame] = []
        pubs_max, dates_max = None, None

        def milestones_frames():
            nonlocal pubs_max, dates_max
            for df in mso.frames():
                pubs = [p for p in df["last_reported"].fillna("") if p]
                if pubs:
                    pubs_max = max(pubs) if pubs_max is None else max(pubs_max, max(pubs))
                dates = [d for d in df["date"] if d]
                if dates:
                    dates_max = max(dates) if dates_max is None else max(dates_max, max(dates))
                # deadline_status reads the deadlines and, of the announcements, only the held
                # ones that report completion
                keep = (df["kind"] == "deadline") | ((df["kind"] == "announcement") & (df["status"] == "held")
                                                     & df["completed"].astype(bool))
                if keep.any():
                    subset.append(df[keep])
                yield df

        counts["milestones"] = _write_frames(milestones_frames(), out, "milestones", ms.MILESTONE_COLUMNS,
                                             parquet_dir)
        counts["milestone_sources"] = _write_frames(src.frames(), out, "milestone_sources", ms.SOURCE_COLUMNS,
                                                    parquet_dir)
        as_of = pubs_max if pubs_max is not None else (dates_max if dates_max is not None else "")
        if counts["milestones"] == 0:
            return None, None
        ms_subset = (pd.concat(subset, ignore_index=True) if subset
                     else pd.DataFrame(columns=ms.MILESTONE_COLUMNS))
        return ms_subset, as_of

    def _doc_clusters_streamed(self, ms):
        """Each document's clusters (:func:`iraqkit.milestones.doc_clusters`), made as its
        mentions are read back. The runs are in :data:`~iraqkit.milestones.MENTION_ORDER`
        (pubkey, doc_id, start, …) and a document's mentions share its publication date, so
        the documents come one after another: only the document being read is held (its
        mentions as dicts of :data:`~iraqkit.milestones.CLUSTER_FIELDS`), not the clustering
        fields of every mention as codes (a 10× replay of the 100 MB merge input, about 816,000
        mentions: the clustering's peak RSS 235 → 204 MB, from 139 MB before it).

        ``group_rows`` orders a milestone's rows by (pubkey, doc_id, start), the order they
        come in, so each row keeps only the number of its run of equal keys (equal keys stay
        equal). Returns ``(clusters, key, number of rows)``; None when that order does not
        hold (a doc_id under two publication dates, or keys out of Python's order), and then
        :meth:`_doc_clusters_columns` clusters the way the whole-table merge does."""
        fields = list(ms.CLUSTER_FIELDS)
        doc_values: list = []
        seen: set = set()
        clusters = _Clusters(doc_values)
        tie = array("i")                  # per row: the number of its key
        t, last = -1, None                # the last key and its number
        cur, doc, recs = None, None, {}   # the document being read (as Columns codes it), its rows

        def close():
            code = len(doc_values)
            doc_values.append(doc)
            starts = {j: r["start"] for j, r in recs.items()}
            for c in ms.doc_clusters(recs, starts, {doc: list(recs)}):
                clusters.add(c, code)

        rows = (r for chunk in self._mention_chunks(ms) for r in ms.records(chunk[fields]))
        for n, rec in enumerate(rows):
            d = rec["doc_id"]
            if not pd.isna(d):  # rows without a doc_id belong to no milestone: no group sorts them
                key = (rec["pubkey"], d, rec["start"])
                if key != last:
                    if last is not None and not _ordered(last, key):
                        return None
                    k = d if d.__class__ is str else (d.__class__, d)
                    if k != cur:              # the next document
                        if recs:
                            close()
                        if k in seen:         # it came before: not one after another
                            return None
                        seen.add(k)
                        cur, doc, recs = k, d, {}
                    t, last = t + 1, key
                recs[n] = rec
            tie.append(t)
        if recs:
            close()
        return clusters, tie.__getitem__, len(tie)

    def _doc_clusters_columns(self, ms):
        """:meth:`_doc_clusters_streamed` in any order: the clustering fields of every
        mention as :class:`Columns`, each document's rows found by its code."""
        f = Columns(ms.CLUSTER_FIELDS)
        for chunk in self._mention_chunks(ms):
            f.extend(ms.records(chunk))
        starts = f.column("start")
        doc_values = f.values["doc_id"]
        clusters = _Clusters(doc_values)
        for code, positions in rows_by_code(f.cols["doc_id"]):
            doc = doc_values[code]
            if not pd.isna(doc):  # rows without a doc_id belong to no milestone
                for c in ms.doc_clusters(f, starts, {doc: positions}):
                    clusters.add(c, code)
        f.freeze(keep=("pubkey", "doc_id", "start"))  # all group_rows reads from here on
        pub, docs = f.column("pubkey"), f.column("doc_id")
        return clusters, lambda j: (pub[j], docs[j], starts[j]), len(f)

    def _troops(self, out, parquet_dir, ms, counts):
        """``troop_levels`` numbered in order; returns the troop rows ``deadline_status`` can
        name: in Iraq, each dated later than every earlier such row (the first row dated
        after a deadline is always one of them)."""

        kept: list[pd.DataFrame] = []
        latest = None

        def frames():
            nonlocal latest
            for df in self.troops.chunks():
                df = df.reset_index(drop=True)
                df["troop_id"] = ms.troop_ids(df)
                rows = []
                for i, t in enumerate(df.itertuples()):
                    tb = ms._bounds(str(t.date), "", str(t.date_precision)) if t.date else None
                    if t.country == "Iraq" and tb and (latest is None or tb[0] > latest):
                        latest = tb[0]
                        rows.append(i)
                if rows:
                    kept.append(df.iloc[rows])
                yield df

        columns = self.troops.columns or list(ms.TROOP_COLUMNS)
        if "troop_id" not in columns:
            columns = [*columns, "troop_id"]
        counts["troop_levels"] = _write_frames(frames(), out, "troop_levels", columns, parquet_dir)
        self.troops.cleanup()
        return pd.concat(kept, ignore_index=True) if kept else None
