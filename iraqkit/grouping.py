"""Connected groups of items linked by pairs (union-find), for the cross-document merges."""
from __future__ import annotations

from typing import Callable, Iterable


def connected_groups(n: int, links: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Items ``0..n-1`` joined by ``links`` into groups (connected components).

    Each group lists its members in ascending order; groups are ordered by their smallest
    member, so the result does not depend on the order of ``links``. An item with no link is a
    group of its own.
    """
    return linked_groups(n, links, lambda a, b: True)


def linked_groups(n: int, candidates: Iterable[tuple[int, int]], linked: Callable[[int, int], bool]
                  ) -> list[list[int]]:
    """``connected_groups(n, [(a, b) for a, b in candidates if linked(a, b)])``, without
    calling ``linked`` for a pair already in one group: such a link cannot change the groups
    (a connected component is the same whatever further links inside it), so the result is
    identical while the exact test runs far fewer times when many items tell the same story
    (e.g. one event reported by hundreds of documents). ``candidates`` may repeat pairs and
    may be a generator."""
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in candidates:
        ra, rb = find(a), find(b)
        if ra != rb and linked(a, b):
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())
