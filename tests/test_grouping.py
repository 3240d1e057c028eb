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
