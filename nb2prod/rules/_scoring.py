"""Scoring notebooks as lint sees them: the notebook loads a model and fits none; its answer is what
it shows of the model's predictions (convert makes that `run()`'s return value)."""

from __future__ import annotations

import ast
import re
from typing import FrozenSet, Set

from nb2prod.analysis.walk import walk

LOADS = frozenset({"load", "load_model", "loads"})
FITS = frozenset({"fit", "fit_transform", "fit_predict", "partial_fit", "train"})
PREDICTS = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function"})


_LOAD_CALL = r"load(?:_model|s)?\s*\("  # LOADS, written to start with a literal: scanned fast
_FIT_CALL = r"\.(?:%s)\s*\(" % "|".join(sorted(FITS))


def scoring(ctx) -> bool:
    """Whether the notebook loads a model and fits none (worked out once, from the statements' text)."""
    found = ctx.cache.get("scoring")
    if found is None:
        text = "\n".join(st.source for _, st in ctx.facts.statements)
        loads = any(m.start() == 0 or not (text[m.start() - 1].isalnum() or text[m.start() - 1] == "_")
                    for m in re.finditer(_LOAD_CALL, text))  # `joblib.load(`, not `download(`
        found = ctx.cache["scoring"] = loads and not re.search(_FIT_CALL, text)
    return found


def is_answer(value: ast.AST, ctx) -> bool:
    """In a scoring notebook, an expression showing the model's predictions (`probabilities` after
    `probabilities = model.predict_proba(data)[:, 1]`, `model.predict(data)`): the notebook's answer."""
    if not scoring(ctx):
        return False
    if _predicts(value):
        return True
    names = answer_names(ctx)
    return any(isinstance(sub, ast.Name) and sub.id in names for sub in walk(value))


def answer_names(ctx) -> FrozenSet[str]:
    """Names bound to the model's predictions, or to values computed from them, at top level."""
    found = ctx.cache.get("answer_names")
    if found is None:
        names: Set[str] = set()
        for (_, st), f in zip(ctx.facts.statements, ctx.facts.flows):
            if isinstance(st.node, (ast.Assign, ast.AnnAssign)) and (f.uses & names or _predicts(st.node.value)):
                names |= f.defs
        found = ctx.cache["answer_names"] = frozenset(names)
    return found


def _predicts(node) -> bool:
    return node is not None and any(isinstance(sub, ast.Call) and _last(sub.func) in PREDICTS for sub in walk(node))


def _last(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
