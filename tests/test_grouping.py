from iraqkit.grouping import connected_groups


def test_groups_are_connected_components_ordered_by_smallest_member():
    assert connected_groups(6, [(4, 1), (1, 5), (2, 3)]) == [[0], [1, 4, 5], [2, 3]]
    assert connected_groups(3, []) == [[0], [1], [2]]
    # chains and pairs give the same groups
    assert connected_groups(4, [(0, 1), (1, 2), (2, 3)]) == connected_groups(4, [(0, 3), (1, 3), (0, 2)])
