"""Run the stages and write their tables — streaming, cached, optionally on Dask.

``build(raw, out)`` runs ingest, then every later stage (actors, attacks, milestones),
and writes each table as UTF-8 CSV with ``\\n`` line ends and a stable row order, so two
builds of the same input give byte-identical files (see ``docs/architecture.md``).

How a build runs (the *engine*):

* **Batches.** The input files (sorted by name) are cut into batches of at most
  ``batch_mb`` MB / ``batch_files`` files. A batch is one unit of work
  (:func:`process_batch`): for every file it reads the bytes, decodes, cleans, splits
  (ingest), then runs the *per-document* step of every later stage on each document of
  that file. After each file the caches of whole texts and sentences are emptied
  (:func:`release_text_caches`).
* **In order.** The driver consumes batch results in file order: it quarantines
  duplicates (same article text as an earlier file in name order, exactly as
  :func:`iraqkit.ingest.iter_ingest`), appends the ingest rows to the CSV files, and
  hands each stage's per-document results to the cross-document step (merging events
  and milestones told by several articles), which completes at the end.
* **Memory.** With ``return_tables=False`` (the CLI), the parts that are only
  concatenated and sorted (the actors stage's mentions, quotes, actor_unknown:
  ``StageAdapter.sorted_parts``) are not kept: each batch's rows are sorted and written to
  a run under ``<out>/.spill/`` (removed at the end), and the tables are written by a
  k-way merge of the runs (:mod:`iraqkit.spill`); ``actor_edges`` is counted batch by
  batch (:class:`CooccurrenceCounter`). The attack and milestone parts are spilled to
  sorted runs too and their cross-document merges are streamed
  (:mod:`iraqkit.merge_stream`, ``StageAdapter.stream_merge``): only the fields the
  linking reads are kept, as integer codes; the groups are read back from disk one by
  one and the merged tables written through sorted runs — byte-identical to the
  whole-table merges. What stays in memory grows with the corpus only through those
  codes (a few bytes per row), one compact record per milestone cluster, the rows
  ``deadline_status`` compares, and a few strings per file (the duplicate check, the
  file names for the reconciliation). With ``return_tables=True`` (or a whole-table
  stage) everything is kept and merged in memory, as before.
* **Cache.** Each file's result is stored under a key made of the file name, the sha256
  of its bytes and the *code version* (:func:`code_version`: a hash of every iraqkit
  source file, the curated ``data/`` files, the stage list and the pandas/Python
  versions), zlib-compressed (a quarter of the pickle's bytes). A rebuild of an unchanged
  corpus only reads, hashes and unpickles; the cross-document tables of the last corpus
  built are cached too, so that it does not merge again (those of earlier corpora are
  removed: :meth:`Cache.prune_merged`).
* **Engines.** ``engine="local"`` runs the batches one after the other in this process
  (no Dask needed). ``engine="dask"`` runs them as Dask tasks
  (:mod:`iraqkit.engine_dask`) and also writes partitioned Parquet under
  ``<out>/parquet/<table>/``; when the workers see the spill directory, the streamed
  stages' merges run side by side at the end (all but the last as tasks on the workers,
  the last in the driver). Both engines give the same bytes.

Per-document execution of a stage needs two functions: the per-document extraction and
the cross-document merge. They are wired in :data:`STAGE_ADAPTERS` (attacks, milestones)
or, for any stage module, found as ``extract_doc_tables(doc_id, published, sentences,
doc_tables) -> dict[str, DataFrame]`` and ``merge_doc_tables(parts, tables) ->
dict[str, DataFrame]`` on the module. A stage without either (and every stage after it)
runs whole-table through its ``run_stage`` after the streamed part, as before.
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import inspect
import os
import pickle
import shutil
import sys
import time
import warnings
import zlib
from array import array
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pandas as pd

from . import ingest as ingest_mod
from .spill import PackedRows, SortedRuns

#: Stage name -> module. Order matters: each stage reads the tables of those before it.
STAGES = {
    "ingest": "iraqkit.ingest",
    "actors": "iraqkit.actors",
    "attacks": "iraqkit.attacks",
    "milestones": "iraqkit.milestones",
}

ENGINES = ("local", "dask")
DEFAULT_BATCH_MB = 1.0
DEFAULT_BATCH_FILES = 200
INGEST_TABLES = ("documents", "sentences", "removed", "quarantine")

PACKAGE_DIR = Path(__file__).resolve().parent


def write_table(df: pd.DataFrame, path: Path) -> Path:
    """Write one table deterministically (UTF-8, no index, LF line ends)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def read_table(name: str, directory: Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table` (strings stay strings, empty stays empty)."""
    path = Path(directory) / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the earlier stages first (`make report` or `iraqkit build`)")
    return pd.read_csv(path, keep_default_na=False, na_values=[""], dtype_backend="numpy_nullable")


# =====================================================================================
# code version (cache key)
# =====================================================================================
def code_version(stages: Iterable[str] = ()) -> str:
    """Hash of everything a per-file result depends on besides the file itself: every
    ``iraqkit/*.py``, the curated data (``data/gazetteers``, ``data/lexicons``,
    ``data/overrides.csv``), the stage list and the pandas and Python versions."""
    h = hashlib.sha256()
    h.update(f"py{sys.version_info[:3]}|pandas{pd.__version__}|stages{','.join(stages)}\n".encode())
    data = ingest_mod.DATA
    files = sorted(PACKAGE_DIR.glob("*.py"))
    for sub in ("gazetteers", "lexicons"):
        files += sorted(p for p in (data / sub).glob("*") if p.is_file())
    files.append(ingest_mod.OVERRIDES_FILE)
    for p in files:
        h.update(str(p.relative_to(p.parents[1])).encode() + b"\0")
        h.update(hashlib.sha256(p.read_bytes()).digest() if p.exists() else b"missing")
    return h.hexdigest()


#: zlib level of the cache's entries. A file's pickled results are mostly the metadata of
#: small frames and the same sentences several times over: level 3 keeps about a quarter of
#: the bytes (level 1 about 27 %, level 6 about 23 % at twice the time). Measured on 400
#: entries of the 10 MB benchmark corpus: 4.3 ms to write one against 3.1 ms for the plain
#: pickle, 2.19 ms to read one against 2.05. Timed inside whole 10 MB builds, writing the
#: entries took 1.2–1.5 s more (6.2–6.5 s against 5.1 s of about 80 s): under 2 %.
CACHE_ZLIB_LEVEL = 3


class Cache:
    """Per-file results on disk: ``<dir>/<code version[:16]>/<key[:2]>/<key>.pkl``, each a
    zlib-compressed pickle. The merged tables of a corpus (``merged-<corpus key>``: an entry
    and a folder of table files) are kept for the last corpus built only
    (:meth:`prune_merged`)."""

    def __init__(self, directory: Path, version: str):
        self.root = Path(directory)
        self.dir = self.root / version[:16]
        self.version = version

    def key(self, name: str, sha256: str) -> str:
        return hashlib.sha256(f"{self.version}|{name}|{sha256}".encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.pkl"

    def files_dir(self, key: str) -> Path:
        """The folder of table files that goes with the entry ``key`` (merged tables)."""
        return self.dir / key

    def get(self, key: str):
        """The entry stored under ``key``, or None when there is none or it cannot be read
        (it is computed again then)."""
        p = self.path(key)
        try:
            with open(p, "rb") as fh:
                return pickle.loads(zlib.decompress(fh.read()))
        except (FileNotFoundError, EOFError, zlib.error, pickle.UnpicklingError, AttributeError, ImportError):
            return None

    def put(self, key: str, value) -> None:
        p = self.path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f"{p.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            fh.write(zlib.compress(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL), CACHE_ZLIB_LEVEL))
        os.replace(tmp, p)  # atomic: a reader never sees half a file

    def prune_other_versions(self) -> None:
        """Results of older code can never be hit again: remove them."""
        if self.root.is_dir():
            for d in self.root.iterdir():
                if d.is_dir() and d.name != self.dir.name and len(d.name) == 16:
                    shutil.rmtree(d, ignore_errors=True)

    def prune_merged(self, keep: str) -> None:
        """Remove the merged tables of every corpus but ``keep`` (a ``merged-<corpus key>``
        key). Each corpus a build sees (one file added, one changed …) gets its own merged
        tables, a copy of the cross-document tables as large as those (about 2.3 times the
        input at 10 MB), which could never be hit again once the corpus has moved on: kept,
        they made the cache grow by that much with every build of a growing archive. Only
        complete entries are removed (the folder of a build still writing has no entry yet)."""
        entries = self.path(keep).parent
        if not entries.is_dir():
            return
        for p in entries.glob("merged-*.pkl"):
            if p.stem != keep:
                shutil.rmtree(self.files_dir(p.stem), ignore_errors=True)
                p.unlink(missing_ok=True)


def clear_cache(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)


# =====================================================================================
# stage adapters: per-document step + cross-document merge
# =====================================================================================
def _published_str(v) -> str:
    """``documents.published`` as the stages read it (same rule as their ``run_stage``)."""
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return ""
    return str(v)


def _doc_mentions(doc_tables: dict) -> pd.DataFrame | None:
    """The document's actor mentions as ``run_stage`` passes them: None when the stage
    did not run (an empty frame behaves the same in the extractors)."""
    return doc_tables.get("mentions")


@dataclass
class StageAdapter:
    """``extract(doc_id, published, sentences_df, doc_tables) -> {part: DataFrame}`` and
    ``merge({part: DataFrame | None}, tables) -> {table: DataFrame}``; ``parts`` names the
    per-document outputs; ``keep_empty`` says whether empty per-document frames take part
    in the concatenation (as in the stage's own ``run_stage``, for identical dtypes)."""

    extract: Callable
    merge: Callable
    parts: tuple[str, ...]
    keep_empty: bool = True
    #: per-document tables later stages read, from this stage's parts (e.g. ``mentions``)
    feed: Callable[[dict], dict] | None = None
    #: parts whose table is just the per-document frames concatenated and sorted:
    #: ``{part: (columns, sort keys)}``. With ``return_tables=False`` they are spilled to
    #: sorted runs on disk and written by a k-way merge (:mod:`iraqkit.spill`) instead of
    #: being kept in memory; ``spill_extra()`` returns an object whose ``add(part, df)``
    #: sees each batch's sorted rows and whose ``tables()`` gives the stage's other tables.
    sorted_parts: dict[str, tuple[list[str], list[str]]] | None = None
    spill_extra: Callable[..., object] | None = None
    #: with ``return_tables=False``: ``stream_merge(directory)`` returns an object whose
    #: ``add(part, [(doc_id, frame), ...])`` takes each batch's per-document frames and whose
    #: ``write(out, parquet_dir) -> {table: rows}`` writes the same tables as ``merge``
    #: without holding them (:mod:`iraqkit.merge_stream`)
    stream_merge: Callable[[Path], object] | None = None


def _actors_adapter() -> StageAdapter:
    from . import actors

    def extract(doc_id, published, sdf, doc_tables):
        return actors.extract_doc(doc_id, published, sdf, actors.load_gazetteer())

    def merge(parts, tables):
        return actors.finish(parts)

    def feed(parts):
        # later stages see the document's rows of the final (sorted) mentions table
        return {"mentions": actors.sort_part("mentions", parts["mentions"])}

    return StageAdapter(extract, merge, tuple(actors.DOC_PARTS), keep_empty=False, feed=feed,
                        sorted_parts={k: (list(c), list(o)) for k, (c, o) in actors.DOC_PARTS.items()},
                        spill_extra=CooccurrenceCounter)


class CooccurrenceCounter:
    """:func:`iraqkit.actors.cooccurrence` computed batch by batch from the mentions
    (``actor_edges`` is additive: ``weight`` counts (doc_id, sentence_id) groups, ``n_docs``
    distinct documents, segments ``#2`` … counting with their file).

    A document's rows all come from one file, hence one batch, so each batch's groups and
    documents are counted on their own — except for documents whose doc_id could also come
    from another input file (file stems equal up to ``#``/``@``: ``a.txt`` and ``a.html``):
    their rows (three short columns) are kept and counted together at the end. Memory: one
    entry per actor pair, plus those rows."""

    def __init__(self, file_names: Iterable[str] = ()):
        keys: dict[str, int] = {}
        for n in file_names:
            k = self.file_key(Path(n).stem)
            keys[k] = keys.get(k, 0) + 1
        self.shared = {k for k, c in keys.items() if c > 1}
        self.weights: dict[tuple[str, str], int] = {}
        self.n_docs: dict[tuple[str, str], int] = {}
        self.held: list[tuple] = []  # (doc_id, sentence_id, actor_id) of shared doc_ids

    @staticmethod
    def file_key(doc_id: str) -> str:
        return doc_id.split("#")[0].split("@")[0]

    def add(self, part: str, df: pd.DataFrame) -> None:
        if part != "mentions" or not len(df):
            return
        rows = zip(df["doc_id"].tolist(), df["sentence_id"].tolist(), df["actor_id"].tolist(),
                   df["doc_id"].isna().tolist(), df["sentence_id"].isna().tolist())
        groups: dict[tuple, set] = {}
        for d, sid, a, dna, sna in rows:
            if dna or sna:  # groupby drops missing keys
                continue
            if self.shared and self.file_key(str(d)) in self.shared:
                self.held.append((d, sid, a))
                continue
            groups.setdefault((d, sid), set()).add(a)
        self._count(groups)

    def _count(self, groups: dict[tuple, set]) -> None:
        docs: dict[tuple[str, str], set] = {}
        for (d, _sid), ids in groups.items():
            base = str(d).split("#")[0]
            for a, b in combinations(sorted(ids), 2):
                self.weights[(a, b)] = self.weights.get((a, b), 0) + 1
                docs.setdefault((a, b), set()).add(base)
        for pair, bases in docs.items():
            self.n_docs[pair] = self.n_docs.get(pair, 0) + len(bases)

    def tables(self) -> dict[str, pd.DataFrame]:
        from . import actors

        if self.held:
            groups: dict[tuple, set] = {}
            for d, sid, a in self.held:
                groups.setdefault((d, sid), set()).add(a)
            self.held = []
            self._count(groups)
        rows = [dict(source=a, target=b, weight=w, n_docs=self.n_docs[(a, b)])
                for (a, b), w in sorted(self.weights.items())]
        return {"actor_edges": pd.DataFrame(rows, columns=actors.EDGE_COLUMNS)}


def _attacks_adapter() -> StageAdapter:
    from . import attacks

    def extract(doc_id, published, sdf, doc_tables):
        return {"attack_rows": attacks.extract_doc(doc_id, _published_str(published), sdf,
                                                   _doc_mentions(doc_tables))}

    def merge(parts, tables):
        df = parts["attack_rows"]
        return attacks.merge_events_dict(pd.DataFrame(columns=attacks.ATTACK_COLUMNS) if df is None else df)

    # attacks.run_stage drops empty per-document frames before concatenating
    return StageAdapter(extract, merge, ("attack_rows",), keep_empty=False, stream_merge=_attack_stream)


def _attack_stream(directory: Path):
    from .merge_stream import AttackMerge

    return AttackMerge(directory)


def _milestone_stream(directory: Path):
    from .merge_stream import MilestoneMerge

    return MilestoneMerge(directory)


def _milestones_adapter() -> StageAdapter:
    from . import milestones as ms

    def extract(doc_id, published, sdf, doc_tables):
        return ms.extract_doc(doc_id, _published_str(published), sdf, _doc_mentions(doc_tables))

    def merge(parts, tables):
        return ms.finish(parts["milestone_mentions"], parts["troop_levels"])

    return StageAdapter(extract, merge, ("milestone_mentions", "troop_levels"), keep_empty=True,
                        stream_merge=_milestone_stream)


#: Stages whose per-document step and merge are wired here (their modules expose
#: ``extract_doc`` and a merge function, with slightly different signatures).
STAGE_ADAPTERS: dict[str, Callable[[], StageAdapter]] = {
    "actors": _actors_adapter,
    "attacks": _attacks_adapter,
    "milestones": _milestones_adapter,
}


def stage_adapter(name: str) -> StageAdapter | None:
    """The per-document adapter of a stage, or None when it only runs whole-table."""
    if name in STAGE_ADAPTERS:
        return STAGE_ADAPTERS[name]()
    try:
        mod = importlib.import_module(STAGES[name])
    except ImportError:
        return None
    ext, mrg = getattr(mod, "extract_doc_tables", None), getattr(mod, "merge_doc_tables", None)
    if ext is None or mrg is None:
        return None
    parts = tuple(getattr(mod, "DOC_PARTS", ()))
    if not parts:
        return None
    return StageAdapter(ext, mrg, parts, keep_empty=bool(getattr(mod, "DOC_KEEP_EMPTY", True)),
                        feed=getattr(mod, "feed_doc_tables", None))


def split_stages(stages: list[str]) -> tuple[list[str], list[str]]:
    """(streamed, whole_table): the longest run of stages after ingest with a per-document
    adapter, and the rest (run through ``run_stage`` on complete tables)."""
    later = [s for s in stages if s != "ingest"]
    streamed = []
    for s in later:
        if stage_adapter(s) is None:
            break
        streamed.append(s)
    return streamed, later[len(streamed):]


# =====================================================================================
# per-file work (runs in this process or on a Dask worker)
# =====================================================================================
def ingest_file(path: Path, data: bytes) -> dict:
    """Ingest one file. Same checks, in the same order, as :func:`iraqkit.ingest.iter_ingest`
    (minus the duplicate check, which needs every earlier file and is done by the driver).

    Returns ``{"name", "sha256", "quarantine": row | None, "dedup_key", "docs", "sents",
    "rems", "texts"}``."""
    res = {"name": path.name, "sha256": ingest_mod.sha256_bytes(data), "quarantine": None, "dedup_key": None,
           "docs": [], "sents": [], "rems": [], "texts": {}}
    try:
        arts = ingest_mod.read_articles(path, data)
        for a in arts:
            if not ingest_mod.is_arabic_text(a.text, 0.3):
                raise ingest_mod.Rejected("not_arabic", "less than 30 % of the letters are Arabic")
        res["dedup_key"] = ingest_mod.sha256_bytes("\n".join(" ".join(a.text.split()) for a in arts).encode("utf-8"))
    except ingest_mod.Rejected as r:
        res["quarantine"] = {"source_file": path.name, "sha256": res["sha256"], "reason": r.reason,
                             "detail": r.detail or ingest_mod.QUARANTINE_REASONS.get(r.reason, "")}
        return res
    for a in arts:
        d, s, r = ingest_mod.process_article(a)
        res["docs"] += d
        res["sents"] += s
        res["rems"] += r
        if not a.text_is_file:
            res["texts"][a.doc_id] = a.text
    return res


def _doc_stage_parts(res: dict, streamed: list[str], overrides: pd.DataFrame) -> dict:
    """Per-document results of the streamed stages for one ingested file:
    ``{stage: {part: [(doc_id, DataFrame), ...]}}`` in doc_id order."""
    out = {s: {} for s in streamed}
    if not streamed or not res["sents"]:
        return out
    if len(overrides) and not set(overrides["doc_id"]).isdisjoint(d["doc_id"] for d in res["docs"]):
        docs = ingest_mod._frame(res["docs"], ingest_mod.DOCUMENT_COLUMNS, ["source_file", "segment", "doc_id"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            docs = ingest_mod.apply_overrides(docs, overrides)
        published = dict(zip(docs["doc_id"], docs["published"]))
    else:
        # without an override for this file the documents frame is not needed: ``published``
        # is the string ingest wrote in the row (what the frame would hold)
        published = {d["doc_id"]: d["published"] for d in res["docs"]}
    sents = ingest_mod._frame(res["sents"], ingest_mod.SENTENCE_COLUMNS, None)
    adapters = {s: stage_adapter(s) for s in streamed}
    doc_ids = {r["doc_id"] for r in res["sents"]}
    # one document (the usual file): its sentences are the whole frame, which is what
    # groupby would yield for its only group (same rows, index and dtypes)
    groups = [(next(iter(doc_ids)), sents)] if len(doc_ids) == 1 else sents.groupby("doc_id", sort=True)
    for doc_id, sdf in groups:
        doc_id = str(doc_id)
        doc_tables: dict[str, pd.DataFrame] = {}
        for s in streamed:
            ad = adapters[s]
            parts = ad.extract(doc_id, published.get(doc_id, ""), sdf, doc_tables)
            for p in ad.parts:
                out[s].setdefault(p, []).append((doc_id, parts[p]))
            if ad.feed is not None:
                doc_tables.update(ad.feed(parts))
    return out


@dataclass
class BatchConfig:
    """Everything a batch task needs (picklable, sent to Dask workers)."""

    streamed: list[str]
    overrides: pd.DataFrame
    cache_dir: str | None = None
    version: str = ""


_ALLOCATOR_SET = False


def use_system_arrow_allocator() -> None:
    """Let pyarrow (pandas' string columns) allocate with the system allocator.

    pyarrow's default pool (mimalloc) keeps freed memory for reuse, so a build's resident
    memory stays at its high-water mark plus that reserve: 234 MB against 211 MB peak for the
    10 MB benchmark corpus, 270 against 236 MB for the milestone merge of 300 MB of input, at
    the same speed. Called once per process by :func:`build` and in every worker; an
    ``ARROW_DEFAULT_MEMORY_POOL`` set by the user wins."""
    global _ALLOCATOR_SET
    if _ALLOCATOR_SET or os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
        return
    _ALLOCATOR_SET = True
    try:
        import pyarrow as pa
    except ImportError:  # pragma: no cover - pandas' string columns need pyarrow here
        return
    pa.set_memory_pool(pa.system_memory_pool())


def process_batch(files: list[str], cfg: BatchConfig) -> list[dict]:
    """Ingest and run the per-document stage steps on a batch of files; one result per
    file, in the given order. Results are read from / written to the cache when one is set."""
    use_system_arrow_allocator()
    cache = Cache(Path(cfg.cache_dir), cfg.version) if cfg.cache_dir else None
    out = []
    for f in files:
        path = Path(f)
        data = path.read_bytes()
        key = None
        if cache is not None:
            key = cache.key(path.name, ingest_mod.sha256_bytes(data))
            hit = cache.get(key)
            if hit is not None:
                hit["cached"] = True
                hit["n_bytes"] = len(data)
                out.append(hit)
                continue
        res = ingest_file(path, data)
        res["stages"] = _doc_stage_parts(res, cfg.streamed, cfg.overrides) if res["quarantine"] is None else {}
        release_text_caches()   # what this file's text filled (see the function)
        if cache is not None:
            cache.put(key, res)
        res["cached"] = False
        res["n_bytes"] = len(data)
        out.append(res)
    return out


def process_batch_packed(files: list[str], cfg: BatchConfig) -> tuple:
    """:func:`process_batch` for another process (a Dask worker): the results with their
    per-document frames packed for the trip (:func:`pack_batch`)."""
    packed = pack_batch(process_batch(files, cfg))
    trim_heap()  # what the batch's work freed in this worker
    return packed


def pack_batch(results: list[dict]) -> tuple:
    """The results of one batch with every per-document frame moved into one frame per
    (stage, part, dtype signature): a few large frames pickle and unpickle much faster than
    thousands of small ones (on Dask the driver was spending a large share of its time
    unpickling them, on the same cores as the workers). :func:`unpack_batch` restores them.

    Only frames with the same dtypes are concatenated, so every value and dtype survives:
    slicing a frame back out gives the frame that went in (up to its index, which is reset)."""
    from .spill import _signature

    groups: dict[tuple, list[pd.DataFrame]] = {}
    index = []
    for res in results:
        ix: dict = {}
        for s, parts in (res.get("stages") or {}).items():
            ix[s] = {}
            for p, items in parts.items():
                refs = []
                for doc_id, df in items:
                    sig = _signature(df)
                    if any("category" in t for _, t in sig):  # categories may differ: keep as is
                        refs.append((doc_id, df, None))
                        continue
                    fr = groups.setdefault((s, p, sig), [])
                    fr.append(df)
                    refs.append((doc_id, (s, p, sig), len(fr) - 1))
                ix[s][p] = refs
        index.append(ix if res.get("stages") is not None else None)
        res["stages"] = None
    frames = {}
    for key, fr in groups.items():
        lens = [len(f) for f in fr]
        frames[key] = (pd.concat(fr, ignore_index=True) if len(fr) > 1 else fr[0].reset_index(drop=True), lens)
    return results, index, frames


def unpack_batch(packed: tuple, bulk: Iterable[tuple[str, str]] = ()) -> list[dict]:
    """The results :func:`pack_batch` packed, with their per-document frames back. The
    frames of the (stage, part) pairs in ``bulk`` stay rows of their packed frame
    (:class:`iraqkit.spill.PackedRows`): for the parts that go to sorted runs, which take a
    batch's rows at once (:meth:`iraqkit.spill.SortedRuns.add_batch`)."""
    bulk = set(bulk)
    results, index, frames = packed
    starts = {}
    for key, (_df, lens) in frames.items():
        o, acc = [], 0
        for n in lens:
            o.append(acc)
            acc += n
        starts[key] = o
    for res, ix in zip(results, index):
        if ix is None:
            res["stages"] = None
            continue
        stages: dict = {}
        for s, parts in ix.items():
            stages[s] = {}
            for p, refs in parts.items():
                items = []
                lazy = (s, p) in bulk
                for doc_id, key, k in refs:
                    if k is None:  # not packed
                        items.append((doc_id, key))
                        continue
                    df, lens = frames[key]
                    a = starts[key][k]
                    if lazy:
                        items.append((doc_id, PackedRows(df, a, lens[k], key[2])))
                    else:
                        items.append((doc_id, df.iloc[a:a + lens[k]].reset_index(drop=True)))
                stages[s][p] = items
        res["stages"] = stages
    return results


#: the caches of functions of a whole text or a sentence, as ``(module, function)``: they
#: serve reuse within a document (several stages and matchers read the same sentence, the
#: attacks and milestones stages resolve its dates against the same anchor); word-level
#: caches (``arabic.norm``) stay, since articles share words, not sentences (lines and
#: quotations are normalised with ``arabic.norm_text``, which leaves no entry in ``norm``'s cache)
TEXT_CACHES = (("arabic", "normalize"), ("arabic", "_word_tokens"), ("actors", "matching_view"),
               ("dates", "_resolve_time_expressions_cached"), ("numbers", "_find_quantities_cached"))


def release_text_caches() -> None:
    """Empty the caches of whole texts and sentences (:data:`TEXT_CACHES`); called after
    every file.

    Two reasons. Memory: the caches are bounded by entries, not bytes; :func:`iraqkit.arabic.normalize`'s
    keeps the text, its normalised copy and a tuple of one Python int per character, and
    over a long build it filled up with whole-article texts (``dates.infer_publication_date``
    normalises the full text): +11 MB of live objects per 0.5 MB of input, the main reason
    peak RSS grew with the corpus before it was emptied per batch. Honest speed: across
    documents these caches only hit when articles repeat sentences. An archive of distinct
    articles rarely does, but the benchmark's synthetic corpus (paragraphs of the five real
    articles recombined) does all the time: 181 distinct sentences among the 28,706 of the
    10 MB corpus. Kept across files, they made its build about 13 % faster than the same
    work on distinct text (``benchmarks/notes.md``). Results do not depend on them (caches
    of pure functions)."""
    for mod, name in TEXT_CACHES:
        m = sys.modules.get(f"{__package__}.{mod}")   # a module not imported has nothing cached
        f = getattr(m, name, None)
        if f is not None and hasattr(f, "cache_clear"):
            f.cache_clear()


_MALLOC_TRIM = None


def trim_heap() -> bool:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim(0)``); a
    no-op returning ``False`` where there is no glibc.

    Called after every batch (in the driver and in each Dask worker) and before each
    cross-document merge. Freed memory otherwise stays resident: at 100 MB the build's RSS
    fell by 12 MB after the batches and by 15–30 MB after each merge when trimmed; a Dask
    worker (its tasks run in a thread of its own, another malloc arena) grew by 115 instead
    of 133 MB over 40 batches of that corpus (most of its growth was distributed's
    statistical profiler, now off in the engine's own workers: :mod:`iraqkit.engine_dask`).
    It costs a few milliseconds a call and changes no result."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        _MALLOC_TRIM = False
        try:
            import ctypes

            libc = ctypes.CDLL(None)
            _MALLOC_TRIM = getattr(libc, "malloc_trim", False)
        except (OSError, AttributeError, TypeError):  # pragma: no cover - not glibc
            pass
    if not _MALLOC_TRIM:
        return False
    _MALLOC_TRIM(0)
    return True


def _batch_ends(sizes: Iterable[int], batch_mb: float, batch_files: int) -> list[int]:
    """Where each batch ends in a list of files of these sizes (name order): batches of at
    most ``batch_mb`` MB and ``batch_files`` files (a file larger than the limit is a batch of
    its own)."""
    limit = max(1, int(batch_mb * 1024 * 1024))
    ends, k, size, i = [], 0, 0, 0
    for i, n in enumerate(sizes):
        if k and (size + n > limit or k >= batch_files):
            ends.append(i)
            k, size = 0, 0
        k += 1
        size += n
    if k:
        ends.append(i + 1)
    return ends


def make_batches(files: list[Path], batch_mb: float = DEFAULT_BATCH_MB,
                 batch_files: int = DEFAULT_BATCH_FILES) -> list[list[str]]:
    """Consecutive runs of files (name order) of at most ``batch_mb`` MB and ``batch_files``
    files (a file larger than the limit is a batch of its own)."""
    ends = _batch_ends((f.stat().st_size for f in files), batch_mb, batch_files)
    return [[str(f) for f in files[a:b]] for a, b in zip([0, *ends], ends)]


class Batches:
    """The batches of the files of one folder (:func:`plan_batches`), compact: every file
    name once and where each batch ends, instead of a path string or ``Path`` per file kept
    for the whole build. Iterating gives each batch as a list of paths, as
    :func:`make_batches` does."""

    def __init__(self, raw: Path, names: list[str], ends: list[int], total_bytes: int):
        self.raw, self.names, self.ends, self.total_bytes = str(raw), names, ends, total_bytes

    def __len__(self) -> int:
        return len(self.ends)

    def __iter__(self) -> Iterator[list[str]]:
        start = 0
        for end in self.ends:
            yield [os.path.join(self.raw, n) for n in self.names[start:end]]
            start = end

    @property
    def n_files(self) -> int:
        return len(self.names)


def plan_batches(raw: Path, batch_mb: float = DEFAULT_BATCH_MB,
                 batch_files: int = DEFAULT_BATCH_FILES) -> Batches:
    """:func:`make_batches` of every input file of ``raw`` (:func:`iraqkit.ingest.list_inputs`),
    as :class:`Batches`."""
    names = ingest_mod.list_input_names(raw)
    sizes = [os.stat(os.path.join(raw, name)).st_size for name in names]
    ends = _batch_ends(sizes, batch_mb, batch_files)
    total = sum(sizes)
    return Batches(raw, names, ends, total)


# =====================================================================================
# driver side: order, duplicates, streaming writers, cross-document accumulation
# =====================================================================================
class PartAccumulator:
    """Per-document frames of one part, concatenated at the end exactly as
    ``pd.concat(frames_in_doc_id_order, ignore_index=True)`` would be — without keeping
    one DataFrame per document: frames with the same columns and dtypes are concatenated
    as they arrive (that is dtype- and value-preserving), and the row order is restored
    at the end."""

    def __init__(self, keep_empty: bool):
        self.keep_empty = keep_empty
        self.groups: dict[tuple, dict] = {}
        self.n_frames = 0

    def add(self, doc_id: str, df: pd.DataFrame) -> None:
        if not self.keep_empty and len(df) == 0:
            return
        self.n_frames += 1
        sig = tuple((str(c), str(t)) for c, t in df.dtypes.items())
        g = self.groups.setdefault(sig, {"frames": [], "docs": [], "pos": []})
        g["frames"].append(df)
        g["docs"] += [doc_id] * len(df)
        g["pos"] += range(len(df))

    def compact(self) -> None:
        for g in self.groups.values():
            if len(g["frames"]) > 1:
                g["frames"] = [pd.concat(g["frames"], ignore_index=True)]

    def result(self) -> pd.DataFrame | None:
        if self.n_frames == 0:
            return None
        self.compact()
        groups = list(self.groups.values())
        df = pd.concat([g["frames"][0] for g in groups], ignore_index=True)
        docs = [d for g in groups for d in g["docs"]]
        pos = [p for g in groups for p in g["pos"]]
        order = sorted(range(len(docs)), key=lambda i: (docs[i], pos[i]))
        return df.iloc[order].reset_index(drop=True)


class TableWriter:
    """Append frames to ``<out>/<name>.csv`` (header once) — bytes identical to writing the
    concatenated frame with :func:`write_table`; optionally one Parquet part per frame."""

    def __init__(self, out: Path, name: str, parquet_dir: Path | None = None):
        self.path = out / f"{name}.csv"
        self.tmp = out / f".{name}.csv.tmp"
        self.fh = open(self.tmp, "w", encoding="utf-8", newline="")
        self.header = True
        self.rows = 0
        self.parquet = parquet_dir / name if parquet_dir is not None else None
        self.part = 0
        if self.parquet is not None:
            shutil.rmtree(self.parquet, ignore_errors=True)
            self.parquet.mkdir(parents=True)

    def write(self, df: pd.DataFrame) -> None:
        if self.header or len(df):
            df.to_csv(self.fh, index=False, header=self.header, lineterminator="\n")
            self.header = False
        self.rows += len(df)
        if self.parquet is not None and (len(df) or self.part == 0):
            write_parquet(df, self.parquet / f"part-{self.part:05d}.parquet")
            self.part += 1

    def close(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.fh.close()
        with contextlib.suppress(FileNotFoundError):
            self.tmp.unlink()


def write_parquet(df: pd.DataFrame, path: Path) -> Path:
    """Parquet copy of a table (pyarrow). Object columns mixing types (e.g. a round number
    that is ``1`` or ``"1|2"``) are written as strings; the CSV stays the reference."""
    path.parent.mkdir(parents=True, exist_ok=True)
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object:
            kinds = {type(v) for v in df[c] if v is not None and not (isinstance(v, float) and pd.isna(v))
                     and v is not pd.NA}
            if len(kinds) > 1 or (kinds and not kinds <= {str, bool, int, float}):
                df[c] = [None if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)) else str(v)
                         for v in df[c]]
    df.to_parquet(path, index=False)
    return path


def _progress(total_bytes: int, n_files: int, enabled: bool | None):
    from .progress import progress_enabled

    if not progress_enabled(enabled):
        return None
    from tqdm import tqdm

    return tqdm(total=total_bytes, desc="build", unit="B", unit_scale=True, unit_divisor=1024,
                file=sys.stderr, dynamic_ncols=True, postfix={"files": f"0/{n_files}"})


def _write_spilled(runs: dict[str, SortedRuns], extra, out: Path, parquet_dir: Path | None) -> dict[str, int]:
    """Write a spilled stage's tables: each sorted part by a k-way merge of its runs (chunk
    by chunk, never the whole table), then the extra tables (e.g. ``actor_edges``).
    Returns the row count of every table, in the stage's table order."""
    counts: dict[str, int] = {}
    for p, r in runs.items():
        w = TableWriter(out, p, parquet_dir)
        try:
            for chunk in r.iter_chunks():
                w.write(chunk)
            if w.header:  # no row at all: the header, as for an empty table
                w.write(pd.DataFrame(columns=r.columns))
        except BaseException:
            w.abort()
            raise
        w.close()
        r.cleanup()
        counts[p] = w.rows
    for k, v in (extra.tables() if extra is not None else {}).items():
        write_table(v, out / f"{k}.csv")
        if parquet_dir is not None:
            shutil.rmtree(parquet_dir / k, ignore_errors=True)
            write_parquet(v, parquet_dir / k / "part-00000.parquet")
        counts[k] = len(v)
    return counts


def _is_files_entry(entry) -> bool:
    return isinstance(entry, dict) and "__files__" in entry


def _store_merged_files(counts: dict[str, int], directory: Path, out: Path, parquet_dir: Path | None) -> dict:
    """Copy a spilled stage's written tables into the merged cache (files, not frames)."""
    for k in counts:
        directory.mkdir(parents=True, exist_ok=True)
        src, dst = out / f"{k}.csv", directory / f"{k}.csv"
        if src.resolve() != dst.resolve():
            shutil.copyfile(src, dst)
        if parquet_dir is not None and (parquet_dir / k).exists():
            shutil.rmtree(directory / "parquet" / k, ignore_errors=True)
            shutil.copytree(parquet_dir / k, directory / "parquet" / k)
    return {"__files__": dict(counts), "__parquet__": parquet_dir is not None}


def _restorable(entry, directory: Path | None, parquet_dir: Path | None) -> bool:
    """Whether the merged cache holds a spilled stage's tables (see :func:`_restore_merged_files`)."""
    if directory is None or not _is_files_entry(entry) or (parquet_dir is not None and not entry["__parquet__"]):
        return False
    return all((directory / f"{k}.csv").exists() for k in entry["__files__"])


def _restore_merged_files(entry, directory: Path | None, out: Path, parquet_dir: Path | None) -> dict | None:
    """A spilled stage's tables from the merged cache, or None when it does not hold them
    (then they are written from the runs)."""
    if not _restorable(entry, directory, parquet_dir):
        return None
    counts = entry["__files__"]
    for k in counts:
        tmp = out / f".{k}.csv.tmp"
        shutil.copyfile(directory / f"{k}.csv", tmp)
        os.replace(tmp, out / f"{k}.csv")
        if parquet_dir is not None:
            shutil.rmtree(parquet_dir / k, ignore_errors=True)
            shutil.copytree(directory / "parquet" / k, parquet_dir / k)
    return dict(counts)


class DigestIndex:
    """``{sha256 digest: file position}`` for the duplicate check, compactly: the 32-byte
    digests side by side in one ``bytearray`` and an open-addressing table of their numbers
    (linear probing, at most half full). About 50 bytes per file where a dict of ``bytes``
    keys and ``int`` values takes about 156 (``tracemalloc``, 177,400 digests, the 1 GB
    corpus's number of files: 8.4 MB instead of 26.4 MB, held through the batches). ``get`` is the dict's ``get``; ``add`` is ``d[k] = v`` for a
    digest not yet there (the build adds a file's digest only when it is not)."""

    __slots__ = ("digests", "positions", "slots", "mask", "n")

    def __init__(self, capacity: int = 1024):
        size = 1024
        while size < 2 * capacity:
            size *= 2
        self.digests = bytearray()
        self.positions = array("i")
        self.slots = array("i", [-1]) * size
        self.mask = size - 1
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def _find(self, digest: bytes) -> int:
        """The slot holding ``digest``, or the empty slot where it would go."""
        if len(digest) != 32:
            raise ValueError(f"a sha256 digest has 32 bytes, not {len(digest)}")
        slots, digests, mask = self.slots, self.digests, self.mask
        h = int.from_bytes(digest[:8], "little") & mask
        while True:
            i = slots[h]
            if i < 0 or digests[32 * i:32 * i + 32] == digest:
                return h
            h = (h + 1) & mask

    def get(self, digest: bytes, default=None):
        i = self.slots[self._find(digest)]
        return default if i < 0 else self.positions[i]

    def __contains__(self, digest: bytes) -> bool:
        return self.slots[self._find(digest)] >= 0

    def add(self, digest: bytes, position: int) -> None:
        h = self._find(digest)
        if self.slots[h] >= 0:
            raise KeyError("digest already added")
        self.slots[h] = self.n
        self.digests += digest
        self.positions.append(position)
        self.n += 1
        if 2 * self.n > len(self.slots):
            self._grow()

    def _grow(self) -> None:
        self.slots = array("i", [-1]) * (2 * len(self.slots))
        self.mask = len(self.slots) - 1
        slots, mask, digests = self.slots, self.mask, self.digests
        for i in range(self.n):
            h = int.from_bytes(digests[32 * i:32 * i + 8], "little") & mask
            while slots[h] >= 0:
                h = (h + 1) & mask
            slots[h] = i


def _local_runner(batches: list[list[str]], cfg: BatchConfig, **_) -> Iterator[list[dict]]:
    for b in batches:
        yield process_batch(b, cfg)


def build(raw: Path, out: Path, stages: list[str] | None = None, verify: bool = True,
          progress: bool | None = None, log=print, *, engine: str = "local",
          cache: Path | str | bool | None = None, clear: bool = False, scheduler: str | None = None,
          workers: int | None = None, batch_mb: float = DEFAULT_BATCH_MB,
          batch_files: int = DEFAULT_BATCH_FILES, parquet: bool | None = None,
          return_tables: bool = True, timings: dict | None = None) -> dict[str, pd.DataFrame]:
    """Run ``stages`` (default: all) on the articles in ``raw``; write tables to ``out``.

    ``cache``: a directory, ``True`` for ``<out>/.cache``, or ``None``/``False`` for none;
    ``clear``: empty the cache first. ``engine``: ``"local"`` or ``"dask"`` (``scheduler``:
    address of a running ``dask.distributed`` scheduler; else a ``LocalCluster`` with
    ``workers`` processes). ``parquet`` (default: on for Dask) also writes
    ``<out>/parquet/<table>/part-*.parquet``. ``return_tables=False`` keeps memory nearly
    flat (the tables are only written: sorted parts and the attack/milestone merges go
    through ``<out>/.spill/``, see the module docstring); otherwise every table is kept
    and returned, the merges run in memory. Both write the same bytes.

    ``timings`` (a dict) gets where the build's time went, in seconds: ``setup``, ``batches``
    (of which ``batches_wait`` getting the results: computing them in-process; on Dask,
    ``batches_blocked`` on the workers and ``batches_unpack``), ``merge`` (the cross-document
    steps, ``merge_stages`` per stage, ``merged_on`` the driver or the workers) and ``total``;
    :func:`describe_timings` makes it one line.
    """
    t_start = time.perf_counter()
    use_system_arrow_allocator()
    stages = list(STAGES) if stages is None else list(stages)
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValueError(f"unknown stage(s) {unknown}; known: {list(STAGES)}")
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; known: {list(ENGINES)}")
    session = None
    if engine == "dask":
        from . import engine_dask

        session = engine_dask.Session(scheduler, workers)
    try:
        return _build(Path(raw), Path(out), stages, verify, progress, log, session=session, cache=cache,
                      clear=clear, batch_mb=batch_mb, batch_files=batch_files, parquet=parquet,
                      return_tables=return_tables, timings=timings, t_start=t_start)
    finally:
        if session is not None:
            session.close()


def describe_timings(t: dict) -> str:
    """One line of a build's ``timings`` (see :func:`build`) for a log: where its time went."""
    if "batches_blocked" in t:  # Dask: the driver's time, blocked on the workers or unpacking
        getting = (f"the driver blocked on the workers {t['batches_blocked']:.1f} s, "
                   f"unpacking {t['batches_unpack']:.1f} s")
    else:
        getting = f"computing {t['batches_wait']:.1f} s"
    inner = f"{getting}, handling the results {t['batches'] - t['batches_wait']:.1f} s"
    stages = ", ".join(f"{n} {v:.1f} s" for n, v in t.get("merge_stages", {}).items())
    return (f"time: {t['total']:.1f} s: setup {t['setup']:.1f} s; {t['batches_n']} batches {t['batches']:.1f} s "
            f"({inner}); cross-document steps {t['merge']:.1f} s on the {t['merged_on']}"
            + (f" ({stages})" if stages else ""))


def _write_merged(stream, runs: dict | None, extra, out: Path, parquet_dir: Path | None) -> dict[str, int]:
    """Write one streamed stage's cross-document tables (a :mod:`iraqkit.merge_stream`
    merge, or its sorted runs and extra tables); its row counts."""
    if stream is not None:
        return stream.write(out, parquet_dir)
    return _write_spilled(runs, extra, out, parquet_dir)


def _merge_task(stream, runs: dict | None, extra, out: Path, parquet_dir: Path | None
                ) -> tuple[dict[str, int], float]:
    """:func:`_write_merged` as a Dask task, on a worker that sees the spill directory; its
    row counts and the seconds it took."""
    t0 = time.perf_counter()
    trim_heap()  # what this worker's batches freed
    counts = _write_merged(stream, runs, extra, out, parquet_dir)
    return counts, time.perf_counter() - t0


def _build(raw: Path, out: Path, stages: list[str], verify: bool, progress: bool | None, log, *,
           session, cache, clear: bool, batch_mb: float, batch_files: int, parquet: bool | None,
           return_tables: bool, timings: dict | None, t_start: float) -> dict[str, pd.DataFrame]:
    engine = "local" if session is None else "dask"
    batches = plan_batches(raw, batch_mb, batch_files)
    n_files, total_bytes = batches.n_files, batches.total_bytes
    if verify:
        ingest_mod.verify_checksums(raw, (raw / name for name in batches.names))
    out.mkdir(parents=True, exist_ok=True)
    streamed, whole = split_stages(stages)
    version = code_version(stages)
    cache_dir = None
    if cache is True:
        cache = out / ".cache"
    if cache:
        cache_dir = Path(cache)
        if clear:
            clear_cache(cache_dir)
        c = Cache(cache_dir, version)
        c.prune_other_versions()
        cache_dir = str(cache_dir.resolve())
    elif clear and (out / ".cache").exists():
        clear_cache(out / ".cache")
    overrides = ingest_mod.load_overrides()
    cfg = BatchConfig(streamed=streamed, overrides=overrides, cache_dir=cache_dir, version=version)
    parquet = (engine == "dask") if parquet is None else parquet
    parquet_dir = out / "parquet" if parquet else None
    keep_full = return_tables or bool(whole)

    runner = _local_runner if session is None else session.run_batches

    writers = {n: TableWriter(out, n, parquet_dir) for n in INGEST_TABLES}
    adapters = {s: stage_adapter(s) for s in streamed}
    # parts that are plain sorted concatenations go to sorted runs on disk when the tables
    # are not returned (memory stays flat); the rest is accumulated for the merges
    spill_dir = out / ".spill"
    shutil.rmtree(spill_dir, ignore_errors=True)  # left over from an interrupted build
    spilled: dict[str, dict[str, SortedRuns]] = {}
    extras: dict[str, object] = {}
    streams: dict[str, object] = {}  # stages whose cross-document merge is streamed
    if not keep_full:
        for s in streamed:
            ad = adapters[s]
            if ad.stream_merge is not None:
                streams[s] = ad.stream_merge(spill_dir / s)
            elif ad.sorted_parts:
                spilled[s] = {p: SortedRuns(spill_dir / s, p, cols, keys, keep_empty=ad.keep_empty)
                              for p, (cols, keys) in ad.sorted_parts.items()}
                extras[s] = ad.spill_extra(batches.names) if ad.spill_extra else None
    accs = {s: {p: PartAccumulator(adapters[s].keep_empty) for p in adapters[s].parts
                if p not in spilled.get(s, {})} for s in streamed if s not in streams}
    full: dict[str, list[pd.DataFrame]] = {n: [] for n in INGEST_TABLES}
    # duplicate check: sha256 of the article text (32 bytes, not its 64-character hex) -> the
    # file's position in batches.names (the name string is not kept a second time: at 1 GB,
    # 177,400 files, a dict of them and the list below held about 48 MB through the merges)
    seen = DigestIndex()
    # corpus-level cache key: the code version and every file's name + sha256, in order
    # (hashed as it goes: the same digest as hashing the "\n"-joined list)
    corpus_hash = hashlib.sha256(version.encode())
    merged_new: dict[str, dict] = {}
    ingested_files = array("l")  # one per ingested file (documents.source_file), its position in batches.names
    i_file = 0  # position in batches.names of the next result (results come in that order)
    n_docs = 0
    quarantined = array("l")  # the quarantined files' positions in batches.names
    override_ids = set(overrides["doc_id"]) if len(overrides) else set()
    doc_ids: set[str] = set()  # the overridden doc_ids seen (for the warning)
    n_sent = n_done = n_cached = 0
    waited = 0.0
    runner_stats: dict = {}  # Dask: seconds blocked on the workers, unpacking their results
    bar = _progress(total_bytes, n_files, progress)
    t_batches = time.perf_counter()
    try:
        # the parts that go to sorted runs: on Dask they arrive as rows of the packed frames
        bulk = {(s, p) for s in streamed for p in adapters[s].parts if s in streams or p in spilled.get(s, {})}
        results_it = iter(runner(batches, cfg, log=log, bulk=bulk, stats=runner_stats))
        while True:
            # the time spent getting a batch's results: in-process, computing them; on Dask,
            # waiting for the workers (near zero when the driver's own work is the bottleneck)
            t_wait = time.perf_counter()
            results = next(results_it, None)
            waited += time.perf_counter() - t_wait
            if results is None:
                break
            docs, sents, rems, quar = [], [], [], []
            to_spill: dict[tuple[str, str], list] = {}
            nbytes = 0
            positions: dict[str, int] = {}
            for res in results:
                if res["name"] != batches.names[i_file]:
                    raise RuntimeError(f"result for {res['name']} out of order (expected {batches.names[i_file]})")
                pos = positions[res["name"]] = i_file
                i_file += 1
                nbytes += res["n_bytes"]
                corpus_hash.update(f"\n{res['name']}|{res['sha256']}".encode())
                n_cached += bool(res.get("cached"))
                q = res["quarantine"]
                dkey = bytes.fromhex(res["dedup_key"]) if q is None else None
                first = seen.get(dkey) if q is None else None
                if first is not None:
                    q = {"source_file": res["name"], "sha256": res["sha256"], "reason": "duplicate",
                         "detail": f"same article text as {batches.names[first]}"}
                if q is not None:
                    quar.append(q)
                    quarantined.append(pos)
                    continue
                seen.add(dkey, pos)
                docs += res["docs"]
                sents += res["sents"]
                rems += res["rems"]
                for doc_id, text in res["texts"].items():
                    p = out / "texts" / f"{doc_id}.txt"
                    p.parent.mkdir(parents=True, exist_ok=True)
                    p.write_text(text, encoding="utf-8", newline="")
                for s, parts in res["stages"].items():
                    for p, items in parts.items():
                        if (s, p) in bulk:
                            to_spill.setdefault((s, p), []).extend(items)
                            continue
                        for doc_id, df in items:
                            accs[s][p].add(doc_id, df)
            frames = {
                "documents": ingest_mod._frame(docs, ingest_mod.DOCUMENT_COLUMNS, ["source_file", "segment", "doc_id"]),
                "sentences": ingest_mod._frame(sents, ingest_mod.SENTENCE_COLUMNS, None),
                "removed": ingest_mod._frame(rems, ingest_mod.REMOVED_COLUMNS, None),
                "quarantine": ingest_mod._frame(quar, ingest_mod.QUARANTINE_COLUMNS, ["source_file"]),
            }
            if len(overrides) and len(frames["documents"]):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    frames["documents"] = ingest_mod.apply_overrides(frames["documents"], overrides)
            for n, df in frames.items():
                writers[n].write(df)
                if keep_full:
                    full[n].append(df)
            ingested_files.extend(positions[f] for f in dict.fromkeys(frames["documents"]["source_file"]))
            n_docs += len(frames["documents"])
            if override_ids:
                doc_ids.update(d for d in frames["documents"]["doc_id"] if d in override_ids)
            n_sent += len(frames["sentences"])
            for s in accs.values():
                for a in s.values():
                    a.compact()
            for (s, p), items in to_spill.items():
                if s in streams:
                    streams[s].add(p, items)
                    continue
                batch_rows = spilled[s][p].add_batch(items)
                if batch_rows is not None and extras[s] is not None:
                    extras[s].add(p, batch_rows)
            n_done += len(results)
            del to_spill, results
            trim_heap()  # what this batch freed (its results are spilled or written)
            if bar is not None:
                bar.update(nbytes)
                bar.set_postfix(files=f"{n_done}/{n_files}", cached=n_cached, refresh=False)
    except BaseException:
        for w in writers.values():
            w.abort()
        shutil.rmtree(spill_dir, ignore_errors=True)
        raise
    finally:
        if bar is not None:
            bar.close()
    for w in writers.values():
        w.close()
    del seen  # not needed by the merges
    t_merge = time.perf_counter()
    if len(overrides):
        unknown_ov = sorted(set(overrides["doc_id"]) - doc_ids)
        if unknown_ov:
            warnings.warn(f"overrides for doc_id(s) not in this corpus ignored: {unknown_ov}", stacklevel=2)
    # on positions, not sets of names (those took 50 MB at 1 GB, nearly the build's peak)
    counts = ingest_mod.reconcile_positions(raw, batches.names, ingested_files, quarantined)
    counts.update(documents=n_docs, sentences=n_sent)
    log(f"ingest: {counts['files']} files -> {counts['ingested']} ingested "
        f"({counts['documents']} documents, {counts['sentences']} sentences), "
        f"{counts['quarantined']} quarantined")

    # the cross-document results depend only on every file's result: when no file changed
    # (same names, bytes and code version) they are read from the cache too
    merged_cached = None
    merged_key = None  # the corpus's entry in the cache: "merged-<corpus hash>"
    if cache_dir and streamed and not whole:
        merged_cache = Cache(Path(cache_dir), version)
        merged_key = "merged-" + corpus_hash.hexdigest()
        merged_cached = merged_cache.get(merged_key)

    tables: dict[str, pd.DataFrame] = {}
    if keep_full:
        tables = {n: (pd.concat(fs, ignore_index=True) if len(fs) > 1 else fs[0]) for n, fs in full.items()}
        full.clear()
    # cross-document steps of the streamed stages, then whole-table stages
    merged_files = merged_cache.files_dir(merged_key) if merged_key else None
    recomputed = False
    # later merges of the built-in stages do not read earlier tables: without return_tables,
    # each stage's tables are dropped once written
    keep_tables = keep_full or any(s not in STAGE_ADAPTERS for s in streamed)
    # on Dask, when the workers see the spill directory, the streamed stages' merges run side
    # by side: every one but the last as a task on the workers, the last here meanwhile
    # (they write the same files as one after the other in the driver)
    jobs: dict[str, object] = {}  # stage -> future of its counts
    ready: dict[str, dict] = {}  # stage -> counts, written ahead of the loop below
    # stage -> seconds its cross-document step took (on a worker for the ones in jobs)
    merge_seconds: dict[str, float] = {}
    merged_on = "driver"
    try:
        todo = [n for n in stages if (n in spilled or n in streams) and not _restorable(
            merged_cached.get(n) if merged_cached is not None else None, merged_files, parquet_dir)]
        if session is not None and len(todo) > 1 and session.shares(spill_dir):
            merged_on = "workers"
            for name in todo[:-1]:
                jobs[name] = session.submit(_merge_task, streams.pop(name, None), spilled.pop(name, None),
                                            extras.get(name), out, parquet_dir)
            last = todo[-1]
            t0 = time.perf_counter()
            trim_heap()  # what the batches freed
            ready[last] = _write_merged(streams.pop(last, None), spilled.pop(last, None), extras.get(last),
                                        out, parquet_dir)
            merge_seconds[last] = time.perf_counter() - t0
        for name in stages:
            if name == "ingest":
                continue
            trim_heap()  # what the batches and the previous merge freed
            t0 = time.perf_counter()
            if name in jobs or name in ready or name in spilled or name in streams:
                if name in jobs:
                    counts, merge_seconds[name] = jobs.pop(name).result()
                elif name in ready:
                    counts = ready.pop(name)
                else:
                    entry = merged_cached.get(name) if merged_cached is not None else None
                    counts = _restore_merged_files(entry, merged_files, out, parquet_dir)
                    if counts is not None:
                        merged_new[name] = entry
                    else:
                        counts = _write_merged(streams.pop(name, None), spilled.get(name), extras.get(name),
                                               out, parquet_dir)
                if name not in merged_new and merged_key is not None:  # written by this build
                    merged_new[name] = _store_merged_files(counts, merged_files, out, parquet_dir)
                    recomputed = True
                merge_seconds.setdefault(name, time.perf_counter() - t0)
                log(f"{name}: " + ", ".join(f"{k} {n}" for k, n in counts.items()))
                continue
            cached = merged_cached.get(name) if merged_cached is not None and name in accs else None
            if cached is not None and not _is_files_entry(cached):
                new = merged_new[name] = cached
            elif name in accs:
                parts = {p: a.result() for p, a in accs.pop(name).items()}  # frees the frames
                new = adapters[name].merge(parts, tables)
                del parts
                if merged_key is not None:
                    merged_new[name] = new
                    recomputed = True
            else:
                mod = importlib.import_module(STAGES[name])
                new = mod.run_stage(tables)
            if keep_tables:
                tables.update(new)
            merge_seconds[name] = time.perf_counter() - t0
            log(f"{name}: " + ", ".join(f"{k} {len(v)}" for k, v in new.items()))
            for k, v in new.items():
                write_table(v, out / f"{k}.csv")
                if parquet_dir is not None:
                    shutil.rmtree(parquet_dir / k, ignore_errors=True)
                    write_parquet(v, parquet_dir / k / "part-00000.parquet")
    finally:
        for job in jobs.values():  # a merge failed: the others are not waited for
            job.cancel()
        shutil.rmtree(spill_dir, ignore_errors=True)
    if merged_key is not None:
        if recomputed:
            merged_cache.put(merged_key, merged_new)
        merged_cache.prune_merged(merged_key)
    t_end = time.perf_counter()
    if timings is not None:
        timings.update({"setup": t_batches - t_start, "batches": t_merge - t_batches,
                        "batches_wait": waited, **{f"batches_{k}": v for k, v in runner_stats.items()},
                        "merge": t_end - t_merge, "merge_stages": {n: merge_seconds[n] for n in stages if n in merge_seconds}, "total": t_end - t_start,
                        "merge_cached": merged_cached is not None and not recomputed, "merged_on": merged_on,
                        "files": n_files, "cached": n_cached, "batches_n": len(batches)})
    return tables if return_tables else {}
