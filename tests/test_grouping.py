from iraqkit.grouping import connected_groups


def test_groups_are_connected_components_ordered_by_smallest_member():
    assert connected_groups(6, [(4, 1), (1, 5), (2, 3)]) == [[0], [1, 4, 5], [2, 3]]
    assert connected_groups(3, []) == [[0], [1], [2]]
    # chains and pairs give the same groups
    assert connected_groups(4, [(0, 1), (1, 2), (2, 3)]) == connected_groups(4, [(0, 3), (1, 3), (0, 2)])


def _components(n, links):
    # an independent reference: breadth-first search over an adjacency list
    adj = {i: set() for i in range(n)}
    for a, b in links:
        adj[a].add(b)
        adj[b].add(a)
    seen, out = set(), []
    for i in range(n):
        if i in seen:
            continue
        comp, todo = [], [i]
        seen.add(i)
        while todo:
            x = todo.pop()
            comp.append(x)
            for y in adj[x] - seen:
                seen.add(y)
                todo.append(y)
        out.append(sorted(comp))
    return out


def test_linked_groups_equals_connected_groups_of_the_links_that_pass():
    # skipping the test for pairs already grouped must not change the groups
    import random

    from iraqkit.grouping import linked_groups

    rng = random.Random(3)
    for _ in range(200):
        n = rng.randint(0, 25)
        pairs = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, 60))] if n else []
        ok = {p: rng.random() < 0.5 for p in pairs}
        calls = []

        def linked(a, b):
            calls.append((a, b))
            return ok[(a, b)]

        want = _components(n, [p for p in pairs if ok[p]])
        assert linked_groups(n, iter(pairs), linked) == want
        assert len(calls) <= len(pairs)
    # one story told many times: the exact test runs once per new member, not once per pair
    calls = []
    star = [(a, b) for a in range(50) for b in range(a + 1, 50)]
    assert linked_groups(50, star, lambda a, b: calls.append(1) or True) == [list(range(50))]
    assert len(calls) == 49


def test_collapsed_classes_give_the_groups_of_linking_every_pair():
    # items whose link test depends only on a class key: a class that links to itself is one
    # node; the groups must be the components of linking every pair of items
    import random

    from iraqkit.grouping import collapse_classes, expand_groups, linked_groups

    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(0, 30)
        k = rng.randint(1, 6)
        cls = [rng.randrange(k) for _ in range(n)]
        rel = {}
        for a in range(k):
            for b in range(a, k):
                rel[a, b] = rel[b, a] = rng.random() < 0.3

        def linked(i, j):
            return rel[cls[i], cls[j]]

        items = [i for i in range(n) if rng.random() < 0.9]  # the others are never linked
        nodes, members = collapse_classes(items, cls.__getitem__, lambda c: linked(c[0], c[0]))
        assert all(len(members[x]) > 1 and x == min(members[x]) for x in members)
        assert list(nodes) == sorted(nodes) and sorted(i for x in nodes for i in members.get(x, [x])) == items
        groups = linked_groups(len(nodes), [(a, b) for a in range(len(nodes)) for b in range(a + 1, len(nodes))],
                               lambda a, b: linked(nodes[a], nodes[b]))
        got = expand_groups(n, ([nodes[a] for a in g] for g in groups), members)
        absent = set(range(n)) - set(items)
        want = _components(n, [(i, j) for i in items for j in items if i < j and linked(i, j)])
        assert got == want
        assert all([i] in got for i in absent)


def test_a_class_that_does_not_link_to_itself_stays_apart():
    from iraqkit.grouping import collapse_classes

    nodes, members = collapse_classes(range(5), lambda i: i % 2, lambda c: c[0] % 2 == 0)
    assert list(nodes) == [0, 1, 3] and {k: list(v) for k, v in members.items()} == {0: [0, 2, 4]}


def test_sweep_pairs_are_the_overlapping_intervals():
    # against every pair: (a, b) comes (once) exactly when the later of the two in
    # (start, end, id) order starts no later than the earlier one's end
    import random
    from array import array

    from iraqkit.grouping import sweep_pairs

    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(0, 30)
        ivs = [(s, s + rng.randint(0, 4), rng.randrange(1000)) for s in (rng.randint(0, 20) for _ in range(n))]
        ivs = list({iv[2]: iv for iv in ivs}.values())  # ids are distinct
        got = list(sweep_pairs(array("q", [s for s, _e, _i in ivs]), array("q", [e for _s, e, _i in ivs]),
                               array("q", [i for _s, _e, i in ivs])))
        want = set()
        for x in ivs:
            for y in ivs:
                if x < y and y[0] <= x[1]:  # tuples compare by (start, end, id)
                    want.add((min(x[2], y[2]), max(x[2], y[2])))
        assert sorted(got) == sorted(want) and len(got) == len(want)
    assert list(sweep_pairs(array("q"), array("q"), array("q"))) == []


def test_groups_read_as_lists_and_stay_compact():
    from array import array

    from iraqkit.grouping import Groups, connected_groups

    g = connected_groups(6, [(4, 1), (1, 5), (2, 3)])
    assert isinstance(g, Groups) and isinstance(g.flat, array)
    assert len(g) == 3 and g[1] == [1, 4, 5] and g[-1] == [2, 3] and g[0:2] == [[0], [1, 4, 5]]
    assert list(g) == [[0], [1, 4, 5], [2, 3]] and g == [[0], [1, 4, 5], [2, 3]] and g != [[0]]
    assert connected_groups(0, []) == []
