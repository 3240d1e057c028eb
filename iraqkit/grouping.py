"""Connected groups of items linked by pairs (union-find), for the cross-document merges."""
from __future__ import annotations

from typing import Iterable


def connected_groups(n: int, links: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Items ``0..n-1`` joined by ``links`` into groups (connected components).

    Each group lists its members in ascending order; groups are ordered by their smallest
    member, so the result does not depend on the order of ``links``. An item with no link is a
    group of its own.
    """
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return list(groups.values())
