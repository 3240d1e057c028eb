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


def collapse_classes(items: Iterable[int], key: Callable[[int], object],
                     connected: Callable[[list[int]], bool]) -> tuple[list[int], dict[int, list[int]]]:
    """Interchangeable items as one node, before :func:`linked_groups`.

    Items with the same ``key(i)`` must answer every link test alike (the key holds every
    field the test reads). A class whose items are all in one group whatever else links
    (``connected(items)``: e.g. each is linked to every other) can then stand as one node,
    its smallest item: linking that node to an item links the whole class, and the groups
    are the same. Other classes keep every item as a node of its own. This is what keeps the
    merges of a large archive near-linear: the same story told by thousands of documents
    is one node, not thousands of nodes compared pair by pair within each date window.

    Returns ``(nodes, members)``: the nodes in ascending order and ``{node: its class}``
    for the collapsed classes (see :func:`expand_groups`).
    """
    classes: dict = {}
    for i in items:
        classes.setdefault(key(i), []).append(i)
    nodes: list[int] = []
    members: dict[int, list[int]] = {}
    for cls in classes.values():
        if len(cls) > 1 and connected(cls):
            nodes.append(cls[0])
            members[cls[0]] = cls
        else:
            nodes.extend(cls)
    nodes.sort()
    return nodes, members


def expand_groups(n: int, node_groups: Iterable[Iterable[int]], members: dict[int, list[int]]
                  ) -> list[list[int]]:
    """The groups of items ``0..n-1`` from groups of nodes (item numbers, see
    :func:`collapse_classes`): each collapsed node stands for its class, and an item in no
    group is a group of its own. Same order as :func:`linked_groups`: members ascending,
    groups by their smallest member."""
    label = [-1] * n
    for g, group in enumerate(node_groups):
        for node in group:
            for i in members.get(node, (node,)):
                label[i] = g
    groups: dict = {}
    for i in range(n):
        g = label[i]
        groups.setdefault(("s", i) if g < 0 else g, []).append(i)
    return list(groups.values())
