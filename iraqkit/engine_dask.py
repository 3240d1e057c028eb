"""Dask engine: the batches of :func:`iraqkit.pipeline.process_batch` as Dask tasks.

Imported only for ``--engine dask`` (dask and distributed are not needed otherwise).
Without ``scheduler`` a ``LocalCluster`` of ``workers`` single-threaded processes is
started for the build and closed after it; with ``scheduler`` (``tcp://host:8786``) the
tasks go to that running cluster — its workers must have the same iraqkit installed and,
when a cache is used, see the cache directory at the same path (else pass ``--no-cache``).

The engine's own ``LocalCluster`` runs its workers without distributed's statistical
profiler (``distributed.worker.profile.enabled: false``): it samples each worker's stack
every 10 ms and keeps the call trees of its last 1,000 one-second cycles, and a worker's
memory grew with them, batch after batch. A cluster given by ``scheduler`` keeps its own
configuration; set that key on its workers for the same effect.

Results come back in batch order (the driver needs file order for duplicates and for the
CSV row order); at most ``window`` tasks are in flight so memory stays bounded.

A build holds one :class:`Session` for its batches and its cross-document merges. When
every worker sees the driver's spill directory (always for the engine's own cluster; for
``scheduler`` when the workers share that filesystem, which :meth:`Session.shares` checks
with a probe file), the merges of the streamed stages (actors, attacks, milestones) run as
tasks on the workers, side by side, instead of one after the other in the driver. They
write the same files either way.
"""
from __future__ import annotations

import os
import secrets
import time
from collections import deque
from pathlib import Path
from typing import Callable, Iterator

from .pipeline import BatchConfig, process_batch_packed, unpack_batch


#: Dask configuration of the workers of the engine's own cluster (see the module docstring)
LOCAL_WORKER_CONFIG = {"distributed.worker.profile.enabled": False}


def _client(scheduler: str | None, workers: int | None):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ValueError("--engine dask needs dask and distributed: pip install 'dask[dataframe]' distributed "
                         "pyarrow (see constraints.txt for the pinned versions)") from e
    if scheduler:
        return Client(scheduler), None
    import dask

    n = workers or os.cpu_count() or 1
    with dask.config.set(LOCAL_WORKER_CONFIG):  # the nannies hand this to their workers
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=40)
    return Client(cluster), cluster


def run_batches(client, batches: list[list[str]], cfg: BatchConfig, workers: int | None = None,
                window: int | None = None, bulk=(), stats: dict | None = None) -> Iterator[list[dict]]:
    """Yield the result of every batch, in batch order, computed on ``client``'s cluster
    (``bulk``: see :func:`unpack_batch`). ``stats`` (a dict) gets the seconds the driver was
    blocked on the workers (``"blocked"``) and spent unpacking their results (``"unpack"``)."""
    stats = {} if stats is None else stats
    stats.setdefault("blocked", 0.0)
    stats.setdefault("unpack", 0.0)
    n_workers = max(1, len(client.scheduler_info().get("workers", {})) or (workers or 1))
    window = window or 2 * n_workers + 2
    cfg_f = client.scatter(cfg, broadcast=True)

    def submit(i, b):
        return client.submit(process_batch_packed, b, cfg_f, key=f"iraqkit-batch-{i:06d}-{id(cfg):x}", pure=False)

    pending: deque = deque()
    it = iter(enumerate(batches))
    for i, b in it:
        pending.append(submit(i, b))
        if len(pending) >= window:
            break
    while pending:
        fut = pending.popleft()
        t0 = time.perf_counter()
        res = fut.result()
        t1 = time.perf_counter()
        fut.release()
        nxt = next(it, None)
        if nxt is not None:
            pending.append(submit(*nxt))
        unpacked = unpack_batch(res, bulk)
        del res
        stats["blocked"] += t1 - t0
        stats["unpack"] += time.perf_counter() - t1
        yield unpacked


def _read_probe(path: str) -> str | None:
    """The text of the probe file at ``path`` as this worker sees it (None if absent)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return None


class Session:
    """The Dask client of one build (the engine's own ``LocalCluster`` unless ``scheduler``
    or ``client`` is given), closed by :meth:`close`."""

    def __init__(self, scheduler: str | None = None, workers: int | None = None, client=None):
        self.own = client is None
        self.client, self.cluster = _client(scheduler, workers) if self.own else (client, None)
        self.workers = workers

    def run_batches(self, batches, cfg: BatchConfig, bulk=(), stats: dict | None = None,
                    **_) -> Iterator[list[dict]]:
        """:func:`run_batches` on this session's cluster."""
        return run_batches(self.client, batches, cfg, workers=self.workers, bulk=bulk, stats=stats)

    def shares(self, directory: Path) -> bool:
        """Whether every worker reads a probe file written in ``directory`` by the driver."""
        token = secrets.token_hex(16)
        probe = Path(directory) / f".probe-{token}"
        try:
            probe.write_text(token, encoding="utf-8")
            seen = self.client.run(_read_probe, str(probe))
        except Exception:  # a worker that cannot answer counts as not sharing
            return False
        finally:
            probe.unlink(missing_ok=True)
        return bool(seen) and all(v == token for v in seen.values())

    def submit(self, fn: Callable, *args):
        """``fn(*args)`` as a task on the cluster: a future (``.result()``, ``.cancel()``)."""
        return self.client.submit(fn, *args, pure=False)

    def close(self) -> None:
        if self.own:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
