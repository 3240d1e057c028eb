"""Connected groups of items linked by pairs (union-find), for the cross-document merges.

The groups come as a :class:`Groups` sequence backed by two integer arrays (the members of
every group one after the other, and where each group starts), not a list per group: the
merges of a large archive group millions of rows, and a Python list of Python ints costs
about 36 bytes per row where the arrays take 12."""
from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Callable, Iterable, Iterator

import numpy as np


class Groups(Sequence):
    """Groups of item numbers: ``groups[k]`` is a list, members ascending; iterating gives
    the groups in order. Compares equal to the list of lists it stands for."""

    __slots__ = ("flat", "starts")

    def __init__(self, flat: array, starts: array):
        self.flat, self.starts = flat, starts

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        if not 0 <= k < len(self):
            raise IndexError(k)
        return self.flat[self.starts[k]:self.starts[k + 1]].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        flat, starts = self.flat, self.starts
        for k in range(len(starts) - 1):
            yield flat[starts[k]:starts[k + 1]].tolist()

    def __eq__(self, other) -> bool:
        if isinstance(other, (Groups, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Groups({list(self)!r})"


def _groups_of(ords: array, n_groups: int) -> Groups:
    """The groups of items ``0..len(ords)-1`` where item ``i`` is in group ``ords[i]``
    (a counting sort: members stay in ascending order)."""
    starts = array("q", bytes(8 * (n_groups + 1)))
    for o in ords:
        starts[o + 1] += 1
    for k in range(n_groups):
        starts[k + 1] += starts[k]
    pos = array("q", starts)
    flat = array("i", bytes(4 * len(ords)))
    for i, o in enumerate(ords):
        flat[pos[o]] = i
        pos[o] += 1
    return Groups(flat, starts)


def connected_groups(n: int, links: Iterable[tuple[int, int]]) -> Groups:
    """Items ``0..n-1`` joined by ``links`` into groups (connected components).

    Each group lists its members in ascending order; groups are ordered by their smallest
    member, so the result does not depend on the order of ``links``. An item with no link is a
    group of its own.
    """
    return linked_groups(n, links, lambda a, b: True)


def linked_groups(n: int, candidates: Iterable[tuple[int, int]], linked: Callable[[int, int], bool]
                  ) -> Groups:
    """``connected_groups(n, [(a, b) for a, b in candidates if linked(a, b)])``, without
    calling ``linked`` for a pair already in one group: such a link cannot change the groups
    (a connected component is the same whatever further links inside it), so the result is
    identical while the exact test runs far fewer times when many items tell the same story
    (e.g. one event reported by hundreds of documents). ``candidates`` may repeat pairs and
    may be a generator."""
    parent = array("i", range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in candidates:
        ra, rb = find(a), find(b)
        if ra != rb and linked(a, b):
            parent[max(ra, rb)] = min(ra, rb)
    # a root is always the smallest member of its group (the larger root joins the smaller),
    # so numbering the roots in item order numbers the groups by their smallest member
    ords = array("i", bytes(4 * n))
    k = 0
    for i in range(n):
        r = find(i)
        if r == i:
            ords[i] = k
            k += 1
        else:
            ords[i] = ords[r]
    return _groups_of(ords, k)


def collapse_classes(items: Iterable[int], key: Callable[[int], object],
                     connected: Callable[[Sequence[int]], bool]) -> tuple[array, dict[int, array]]:
    """Interchangeable items as one node, before :func:`linked_groups`.

    Items with the same ``key(i)`` must answer every link test alike (the key holds every
    field the test reads). A class whose items are all in one group whatever else links
    (``connected(items)``: e.g. each is linked to every other) can then stand as one node,
    its smallest item: linking that node to an item links the whole class, and the groups
    are the same. Other classes keep every item as a node of its own. This is what keeps the
    merges of a large archive near-linear: the same story told by thousands of documents
    is one node, not thousands of nodes compared pair by pair within each date window.

    Returns ``(nodes, members)``: the nodes in ascending order and ``{node: its class}``
    for the collapsed classes (see :func:`expand_groups`), each as an integer array (a list
    of Python ints costs about 36 bytes per item, the array 4: at 1 GB the milestone merge
    collapses about 600,000 clusters, and these lists were the largest thing it held while
    it linked them).
    """
    ids: dict = {}                 # key -> class number
    cls_of, order = array("i"), array("i")
    for i in items:
        k = key(i)
        c = ids.get(k)
        if c is None:
            c = ids[k] = len(ids)
        cls_of.append(c)
        order.append(i)
    n_classes = len(ids)
    del ids
    by_class = _groups_of(cls_of, n_classes)   # positions in ``order``, by class, in item order
    del cls_of
    nodes = array("i")
    members: dict[int, array] = {}
    for positions in by_class:
        cls = array("i", [order[p] for p in positions])
        if len(cls) > 1 and connected(cls):
            nodes.append(cls[0])
            members[cls[0]] = cls
        else:
            nodes.extend(cls)
    del order, by_class
    return array("i", np.sort(np.frombuffer(nodes, dtype=np.int32)).tobytes()), members


def expand_groups(n: int, node_groups: Iterable[Iterable[int]], members: dict[int, Sequence[int]]
                  ) -> Groups:
    """The groups of items ``0..n-1`` from groups of nodes (item numbers, see
    :func:`collapse_classes`): each collapsed node stands for its class, and an item in no
    group is a group of its own. Same order as :func:`linked_groups`: members ascending,
    groups by their smallest member."""
    label = array("i", [-1]) * n
    n_node_groups = 0
    for g, group in enumerate(node_groups):
        for node in group:
            for i in members.get(node, (node,)):
                label[i] = g
        n_node_groups = g + 1
    first = array("i", [-1]) * n_node_groups   # node group -> its number among all groups
    k = 0
    for i in range(n):                          # groups numbered by their smallest member
        g = label[i]
        if g < 0:
            label[i] = k
            k += 1
        else:
            o = first[g]
            if o < 0:
                o = first[g] = k
                k += 1
            label[i] = o
    return _groups_of(label, k)


def sweep_pairs(starts: array, ends: array, ids: array) -> Iterator[tuple[int, int]]:
    """Candidate pairs of overlapping intervals, found by a sweep instead of comparing every
    pair: the intervals ``[starts[k], ends[k]]`` (integers, e.g. day ordinals) are taken in
    order of (start, end, id), and each is paired with every later one in that order that
    starts no later than its end; yields ``(smaller id, larger id)``. The sort runs on numpy
    arrays and the sweep on ``array`` columns (a few bytes per interval: a large archive has
    hundreds of thousands of dated rows)."""
    n = len(ids)
    if n == 0:
        return
    s, e, i = (np.frombuffer(a, dtype=np.int64) if a.typecode == "q" else np.asarray(a, dtype=np.int64)
               for a in (starts, ends, ids))
    order = np.lexsort((i, e, s))
    s, e, i = (array("q", a[order].tobytes()) for a in (s, e, i))
    del order
    for k in range(n):
        end, a = e[k], i[k]
        for k2 in range(k + 1, n):
            if s[k2] > end:
                break
            b = i[k2]
            yield (a, b) if a < b else (b, a)
