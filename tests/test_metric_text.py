"""rules/_metrics' text scan (which statements make a metric call) answers as the regular expressions it
replaced: `word\\s*(` for each metric word, `\\balias\\b` for a metric module's alias, and helpers found
through the calls between them. The scan gates lint's metric analysis, so a statement it missed would
lose its evaluation; these are the shapes where a substring search and a regex can part."""

from __future__ import annotations

import ast
import re
from bisect import bisect_right

import pytest

from nb2prod.analysis.dataflow import flow
from nb2prod.analysis.imports import aliases
from nb2prod.rules._metrics import _METRIC_WORDS, _making


def _by_regex(nodes, flows, sources, modules):
    """The regex version, as it was written before the substring scan (the reference)."""
    names = [a for a, full in modules.items() if full.startswith(("sklearn.metrics.", "torchmetrics."))]
    starts, offset = [], 0
    for src in sources:
        starts.append(offset)
        offset += len(src) + 1
    text = "\n".join(sources)
    scans = [re.compile(w + r"\s*\(") for w in _METRIC_WORDS if w in text]
    scans += [re.compile(rf"\b{re.escape(a)}\b") for a in names if a in text]
    found = {bisect_right(starts, m.start()) - 1 for scan in scans for m in scan.finditer(text)}
    defs = [(n.name, src) for n, src in zip(nodes, sources) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    helpers, grown = set(), bool(defs)
    while grown:
        now = {name for name, src in defs if any(scan.search(src) for scan in scans)
               or any(re.search(rf"\b{h}\s*\(", src) for h in helpers)}
        grown, helpers = now != helpers, now
    return found, helpers


CASES = {
    "call and spaces": ["from sklearn.metrics import r2_score", "x = 1", "r2 = r2_score  (y, p)"],
    "word not called": ["score = 3", "print(score)", "errors = [1]"],
    "call split over statements": ["x = model.score", "(a, b) = 1, 2"],
    "a def's text ending in a word the next statement calls": ["def h(m):\n    return m.score", "(a, b) = 1, 2",
                                                                "v = h(model)"],
    "alias as a whole word only": ["from sklearn.metrics import pairwise_distances as pd2", "xpd2 = 1", "pd2x = 2",
                                   "pd2_ = 3", "d = pd2(a, b)", "print(pd2)"],
    "alias at the very start and end": ["import sklearn.metrics.pairwise as skp", "skp", "y = 1; skp"],
    "helper calling a helper": ["def evaluate_all(m):\n    return accuracy_score(y, m.predict(X))",
                                "def report_all(m):\n    return evaluate_all (m)",
                                "def top(m):\n    return report_all(m)", "def other(m):\n    return m",
                                "r = top(model)", "o = other(model)"],
    "helper named like a prefix of another": ["def fit(m):\n    return m.score(X, y)",
                                              "def fit_all(m):\n    return fit_all2(m)",
                                              "def fit_all2(m):\n    return fit(m)", "v = fit_all(model)"],
    "unicode word characters": ["from sklearn.metrics import pairwise_distances as pd2", "épd2 = 1", "pd2é = 2",
                                "pd2٣ = 3", "q = pd2"],
    "overlapping words": ["scorescore(1)", "lossloss (2)", "evaluateevaluate"],
    "empty": [],
}


@pytest.mark.parametrize("name", CASES)
def test_text_scan_answers_as_the_regexes(name):
    sources = CASES[name]
    nodes = [ast.parse(src).body[0] if ast.parse(src).body else ast.Pass() for src in sources]
    flows = [flow(node, frozenset()) for node in nodes]
    modules = aliases(nodes)
    found, helpers = _by_regex(nodes, flows, sources, modules)
    if helpers:
        found |= {i for i, f in enumerate(flows) if f.uses & helpers}
    expected = found | {i for i, n in enumerate(nodes) if isinstance(n, ast.Assign) and len(n.targets) == 1
                        and isinstance(n.targets[0], ast.Name) and _named(n.targets[0].id)}
    assert set(_making(nodes, flows, sources, modules)) >= expected
    assert set(_making(nodes, flows, sources, modules)) - expected <= _compound(nodes)


def _named(name):
    from nb2prod.analysis.metrics import named_like_metric
    return named_like_metric(name)


def _compound(nodes):
    """Loops and blocks binding a metric-like name (found by the AST, not the text)."""
    return {i for i, n in enumerate(nodes) if not isinstance(n, (ast.Assign, ast.Expr, ast.FunctionDef))}


def test_helpers_are_found_through_each_other():
    """`top` reaches a metric only through report_all and evaluate_all: its call is found, `other`'s is not
    (a def's own statement is found by its text only; the calls in its body are read when it is called)."""
    sources = CASES["helper calling a helper"]
    nodes = [ast.parse(src).body[0] for src in sources]
    flows = [flow(node, frozenset()) for node in nodes]
    assert _making(nodes, flows, sources, aliases(nodes)) == [0, 4]
