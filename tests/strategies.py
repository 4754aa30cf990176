"""Hypothesis grammar of realistic notebooks: headings, imports, data, fits, prints, magics, unicode."""

from __future__ import annotations

import json

from hypothesis import strategies as st

HEADINGS = ["Load data", "Prepare features", "Split data", "Train", "Train model", "Evaluate", "Validate",
            "Save model", "Explore", "Plot", "Données", "Modèle ✓"]
SETUP = ("import joblib\nimport numpy as np\nfrom sklearn.linear_model import Ridge\n"
         "from sklearn.metrics import mean_squared_error\n"
         "X = np.arange(20.0).reshape(10, 2)\ny = X.sum(axis=1)\n")
NAMES = ["a", "total", "données", "résultat", "größe", "x_2", "alpha"]
ESTIMATORS = ["Ridge", "Ridge(alpha=0.5)", "Ridge(alpha=1.0, fit_intercept=False)"]
MAGICS = ["%time", "%timeit -n 1", "%matplotlib inline", "!pip install scikit-learn", "%load_ext autoreload"]

names = st.sampled_from(NAMES)
strings = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


def _line(draw) -> str:
    kind = draw(st.sampled_from(["assign", "fit", "print", "magic", "predict", "save", "show", "comment",
                                 "string", "loop"]))
    name = draw(names)
    if kind == "assign":
        return f"{name} = {draw(st.integers(-5, 99))} * 2"
    if kind == "fit":
        estimator = draw(st.sampled_from(ESTIMATORS))
        return f"model = {estimator if '(' in estimator else estimator + '()'}.fit(X, y)"
    if kind == "print":
        return draw(st.sampled_from(["print(X.shape)", "print(y[:3])", "print('mse', 0.5)"]))
    if kind == "magic":
        magic = draw(st.sampled_from(MAGICS))
        return f"{magic} y.sum()" if magic.startswith("%time") else magic
    if kind == "predict":
        return "preds = Ridge().fit(X, y).predict(X)\nprint(mean_squared_error(y, preds))"
    if kind == "save":
        return "joblib.dump(Ridge().fit(X, y), 'model.pkl')"
    if kind == "show":
        return draw(st.sampled_from(["X", "y.mean()", "X.shape"]))
    if kind == "comment":
        return f"# {draw(strings).replace(chr(10), ' ')}"
    if kind == "string":
        return f"label = {draw(strings)!r}"
    return f"for i in range({draw(st.integers(1, 3))}):\n    {name} = i"


@st.composite
def code_cell(draw) -> str:
    if draw(st.integers(0, 9)) == 0:
        return ""  # empty cell
    return "\n".join(_line(draw) for _ in range(draw(st.integers(1, 4))))


@st.composite
def heading(draw) -> str:
    return f"{'#' * draw(st.integers(1, 4))} {draw(st.sampled_from(HEADINGS))}"


@st.composite
def cells(draw) -> list:
    """[(kind, source)]: a setup cell, then headings and code in any mix."""
    out = [("code", SETUP)]
    for _ in range(draw(st.integers(0, 12))):
        out.append(("markdown", draw(heading())) if draw(st.integers(0, 3)) == 0 else ("code", draw(code_cell())))
    return out


def notebook_json(cell_list: list) -> str:
    def cell(i, kind, source):
        base = {"cell_type": kind, "id": f"c{i}", "metadata": {}, "source": source.splitlines(keepends=True)}
        return dict(base, execution_count=None, outputs=[]) if kind == "code" else base

    nb = {"nbformat": 4, "nbformat_minor": 5, "cells": [cell(i, k, s) for i, (k, s) in enumerate(cell_list)],
          "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}}
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


@st.composite
def corruption(draw, data: bytes) -> bytes:
    """A reference notebook's bytes with a few flips, a truncation or inserted bytes."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, max(len(out) - 1, 0)))
        if op == "flip" and out:
            out[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del out[at:]
        elif op == "insert":
            out[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif out:
            del out[at:at + draw(st.integers(1, 16))]
    return bytes(out)
