"""The learned re-ranker: a logistic model over the pair features of features.vector, trained offline on the
tuning sets (`manage.py mapping_train`) and shipped as data/reranker.json (feature names and weights, readable
by hand). Its output is the probability that a candidate is the right source for the field, which is the
confidence users see.

Why a hand-written logistic model and not a library: about twenty features and a few thousand training
pairs need a few Newton steps (below, pure Python, deterministic); predicting is one dot product. A
library such as scikit-learn would add numpy and scipy to the runtime for that.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

MODEL_PATH = Path(__file__).parent / "data" / "reranker.json"
FEATURES = (
    "heuristic",
    "name_similarity",
    "exact_name",
    "gap_to_best_for_field",
    "better_for_another_field",
    "line_field_in_line_list",
    "line_field_outside_lists",
    "line_field_in_other_list",
    "header_field_in_line_list",
    "header_field_in_other_list",
    "wanted_address_or_party",
    "other_address_or_party",
    "address_field_in_address_block",
    "address_field_outside_address_block",
    "other_field_in_address_block",
    "address_field_in_sender_or_return",
    "shape_adjustment",
    "epoch_time_for_date_field",
    "path_depth",
)


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@cache
def model(path: Path = MODEL_PATH) -> dict | None:
    """{"features": [...], "weights": [...], "bias": b}; None when no model file is shipped or it does not
    match the features (the hand-weighted score is used then)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if tuple(data.get("features", ())) != FEATURES or len(data.get("weights", ())) != len(FEATURES):
        return None
    return data


def probability(values: list[float], fitted: dict | None = None) -> float | None:
    fitted = fitted if fitted is not None else model()
    if fitted is None:
        return None
    return _sigmoid(fitted["bias"] + sum(w * x for w, x in zip(fitted["weights"], values, strict=True)))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def top1_inputs(first: float, second: float) -> list[float]:
    return [_logit(first), first - second]


def top1_probability(first: float, second: float, top1: dict) -> float:
    values = top1_inputs(first, second)
    return _sigmoid(top1["bias"] + sum(w * x for w, x in zip(top1["weights"], values, strict=True)))


def fit_top1(picks: list[tuple[float, float, bool]]) -> dict:
    """Platt scaling of first picks: (first confidence, second confidence, right) -> P(first is right)."""
    rows = [(top1_inputs(first, second), right) for first, second, right in picks]
    fitted = _fit(rows, l2=0.1)
    return {"inputs": ["logit(first)", "first - second"], "weights": fitted[1:], "bias": fitted[0]}


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (the matrix is symmetric positive definite here)."""
    size = len(vector)
    rows = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        rows[col], rows[pivot] = rows[pivot], rows[col]
        head = rows[col][col]
        for r in range(col + 1, size):
            factor = rows[r][col] / head
            if factor:
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col], strict=True)]
    out = [0.0] * size
    for r in range(size - 1, -1, -1):
        out[r] = (rows[r][size] - sum(rows[r][c] * out[c] for c in range(r + 1, size))) / rows[r][r]
    return out


def _fit(examples: list[tuple[list[float], bool]], *, l2: float, steps: int = 30) -> list[float]:
    """Ridge-regularised logistic regression by Newton's method: [bias, *weights] (the bias is not
    regularised)."""
    size = len(examples[0][0]) + 1
    rows = [([1.0, *values], 1.0 if right else 0.0) for values, right in examples]
    weights = [0.0] * size
    for _ in range(steps):
        gradient = [-l2 * w if i else 0.0 for i, w in enumerate(weights)]
        hessian = [[(l2 if i == j and i else 0.0) for j in range(size)] for i in range(size)]
        for x, y in rows:
            p = _sigmoid(sum(w * v for w, v in zip(weights, x, strict=True)))
            error, curvature = y - p, max(p * (1 - p), 1e-9)
            for i in range(size):
                xi = x[i]
                if not xi:
                    continue
                gradient[i] += error * xi
                scaled = curvature * xi
                row = hessian[i]
                for j in range(i, size):
                    if x[j]:
                        row[j] += scaled * x[j]
        for i in range(size):
            for j in range(i):
                hessian[i][j] = hessian[j][i]
        step = _solve(hessian, gradient)
        weights = [w + s for w, s in zip(weights, step, strict=True)]
        if max(abs(s) for s in step) < 1e-7:
            break
    return [round(w, 4) for w in weights]


def fit(examples: list[tuple[list[float], bool]], *, l2: float = 1.0) -> dict:
    """The pair model: a logistic regression over FEATURES."""
    weights = _fit(examples, l2=l2)
    return {"features": list(FEATURES), "weights": weights[1:], "bias": weights[0]}


def save(fitted: dict, path: Path = MODEL_PATH, **about) -> None:
    path.write_text(json.dumps({**about, **fitted}, indent=1) + "\n", encoding="utf-8")
    model.cache_clear()
