"""Scores a fit, a search or an evaluation recorded, read back as metrics: one epoch's value of Keras'
training history (`history.history["val_loss"][-1]`, the best epoch's with `min(...)`), a fitted search's or an
early-stopped model's best score (`grid.best_score_`, XGBoost's `best_score`), one entry of Keras' evaluation
(`score = model.evaluate(X_test, y_test)`, then `score[1]`). analysis/metrics asks, statement by statement."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Sequence, Set, Tuple

from nb2prod.analysis.sides import HELD_OUT, TRAINING, name_side, named_like_metric
from nb2prod.analysis.walk import call_name

# A fit that returns its training history (Keras' History: `.history` maps each metric to its value per epoch,
# the validation data's under held-out keys, `val_loss`); `min(...)`/`max(...)` of one is its best epoch.
HISTORY_FITS = frozenset({"fit", "fit_generator"})
BEST_EPOCH = frozenset({"min", "max"})
# What a fitted model knows of the data it was scored on but not fitted to: a hyperparameter search's best
# candidate's mean over its held-out folds (GridSearchCV, RandomizedSearchCV, the Halving ones: `best_score_`),
# a boosted model's best score on its early-stopping evaluation set (XGBoost: `best_score`).
SEARCH_SCORES = frozenset({"best_score_", "best_score"})
# Metric calls whose value lists one number per metric (Keras' evaluate: the loss, then each compiled metric).
LISTED_METRICS = frozenset({"evaluate"})


def bind_recorders(node: ast.stmt, histories: Set[str], listed: Dict[str, str], made: Sequence) -> None:
    """`history = model.fit(...)` binds a fit's result, `score = model.evaluate(X_test, y_test)` Keras' list of
    metrics (loss first; a dict with `return_dict=True`), with that evaluation's side; any other assignment to
    the name unbinds it. `made`: the statement's metrics (analysis/metrics' Metric)."""
    if not (node.__class__ is ast.Assign and len(node.targets) == 1 and node.targets[0].__class__ is ast.Name):
        return
    name, value = node.targets[0].id, node.value
    histories.discard(name)
    listed.pop(name, None)
    if value.__class__ is ast.Call and call_name(value.func) in HISTORY_FITS:
        histories.add(name)
    evaluated = [m for m in made if m.call is value and m.name in LISTED_METRICS and m.side != TRAINING]
    if evaluated:
        listed[name] = evaluated[0].side


def recorded_scores(subs: Sequence[ast.AST], histories: Set[str],
                     listed: Dict[str, str]) -> List[Tuple[ast.expr, str, str]]:
    """(expression, name, side) for each score a fit, a search or an evaluation recorded, in one pass over a
    statement's nodes: one epoch's value of a fit's history (`history.history["val_loss"][-1]`) or the best one's
    (`min(...)` of it), keyed as recorded (the whole list, `plt.plot(...)` of it, is no number); a search's
    `best_score_`; one entry of an evaluation's list (`score[1]`, `results["accuracy"]`)."""
    found = []
    for sub in subs:
        kind, key, side = sub.__class__, None, HELD_OUT
        if kind is ast.Attribute:
            key = sub.attr if sub.attr in SEARCH_SCORES and sub.ctx.__class__ is ast.Load else None
        elif not (histories or listed):
            continue
        elif kind is ast.Subscript and sub.slice.__class__ is not ast.Slice:
            key = _history_key(sub.value, histories)
            if key is None and sub.value.__class__ is ast.Name and sub.value.id in listed:
                key, side = _entry_key(sub), listed[sub.value.id]
        elif (kind is ast.Call and sub.func.__class__ is ast.Name and sub.func.id in BEST_EPOCH
              and len(sub.args) == 1 and not sub.keywords):
            key = _history_key(sub.args[0], histories)
        if key is not None:
            found.append((sub, key, side))
    return found


def _entry_key(sub: ast.Subscript) -> Optional[str]:
    """`score[1]` → score_1, `results["accuracy"]` → accuracy: a literal index or key, else None."""
    index = sub.slice.value if sub.slice.__class__ is ast.Constant else None
    if isinstance(index, str):
        return index
    if isinstance(index, int) and not isinstance(index, bool):
        return f"{sub.value.id}_{index}" if index >= 0 else f"{sub.value.id}_last_{-index}"
    return None


def _history_key(node: ast.AST, histories: Set[str]) -> Optional[str]:
    """The key of `h.history["val_loss"]` when `h` holds what a fit returned and the key names a held-out metric."""
    if not (node.__class__ is ast.Subscript and node.slice.__class__ is ast.Constant
            and isinstance(node.slice.value, str)):
        return None
    holder, key = node.value, node.slice.value
    if not (holder.__class__ is ast.Attribute and holder.attr == "history" and holder.value.__class__ is ast.Name
            and holder.value.id in histories):
        return None
    return key if name_side(key) == HELD_OUT and named_like_metric(key) else None
