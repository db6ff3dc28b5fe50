"""One-to-one assignment of source fields to standard fields across a record (the Hungarian algorithm).

Why not scipy.optimize.linear_sum_assignment: the matrices here are at most ~45 fields by a few hundred
candidates, where this O(n²m) implementation takes milliseconds, and scipy would bring scipy and numpy
into the runtime for one function. tests/mapping/test_assign.py checks it against brute force.
"""

from __future__ import annotations

_INF = float("inf")


def minimum_cost(cost: list[list[float]]) -> list[int]:
    """For an n x m cost matrix with n <= m, the column of each row in an assignment of rows to distinct
    columns with the least total cost (shortest augmenting paths with potentials)."""
    rows = len(cost)
    if not rows:
        return []
    cols = len(cost[0])
    if cols < rows:
        raise ValueError("need at least as many columns as rows")
    u = [0.0] * (rows + 1)
    v = [0.0] * (cols + 1)
    owner = [0] * (cols + 1)  # owner[j]: the row (1-based) holding column j, 0 for none
    way = [0] * (cols + 1)
    for row in range(1, rows + 1):
        owner[0] = row
        col0 = 0
        least = [_INF] * (cols + 1)
        used = [False] * (cols + 1)
        while True:
            used[col0] = True
            row0, delta, col1 = owner[col0], _INF, 0
            costs = cost[row0 - 1]
            base = u[row0]
            for col in range(1, cols + 1):
                if used[col]:
                    continue
                current = costs[col - 1] - base - v[col]
                if current < least[col]:
                    least[col], way[col] = current, col0
                if least[col] < delta:
                    delta, col1 = least[col], col
            for col in range(cols + 1):
                if used[col]:
                    u[owner[col]] += delta
                    v[col] -= delta
                else:
                    least[col] -= delta
            col0 = col1
            if owner[col0] == 0:
                break
        while col0:
            col1 = way[col0]
            owner[col0] = owner[col1]
            col0 = col1
    result = [-1] * rows
    for col in range(1, cols + 1):
        if owner[col]:
            result[owner[col] - 1] = col - 1
    return result


def best_assignment(scores: dict[str, dict[str, float]], floor: float = 0.0) -> dict[str, str]:
    """{row: {column: score}} -> {row: column}: distinct columns, the largest total score. A row may stay
    unassigned (counts `floor`) rather than take a column worth less than that; ties keep input order."""
    rows = list(scores)
    columns = list(dict.fromkeys(col for row in rows for col in scores[row]))
    if not rows or not columns:
        return {}
    # One "unassigned" column per row, usable by that row only.
    width = len(columns) + len(rows)
    matrix = []
    for index, row in enumerate(rows):
        line = [1.0 + floor] * width
        for position, col in enumerate(columns):
            if col in scores[row]:
                line[position] = -scores[row][col]
        line[len(columns) + index] = -floor
        matrix.append(line)
    picks = minimum_cost(matrix)
    return {
        row: columns[pick]
        for row, pick in zip(rows, picks, strict=True)
        if pick < len(columns) and columns[pick] in scores[row]
    }
