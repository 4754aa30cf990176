"""Which statements evaluate a model, and on which side of the split the data they score comes from.

A metric call is a call of a metric function (anything from `sklearn.metrics` or `torchmetrics`, a
function named like one: `*_score`, `*_error`, `*_loss`, `classification_report`, `confusion_matrix`;
a model's `.score(X, y)` or Keras' `.evaluate(X, y)`; `cross_val_score` and `cross_validate`), or a
call of a notebook function whose body makes one (`holdout = score_model(clf, X_valid, y_valid)`); or a
metric computed by hand: a name spelled like one (`rmse`, `val_acc`) assigned from a model's predictions,
or predictions compared with labels and reduced in a known way (`(preds == y_test).mean()`, analysis/by_hand)
wherever it is, assigned to any name, printed or shown;
or one epoch's value of a held-out metric a fit recorded (`history.history["val_loss"][-1]`, Keras); or a
search's cross-validated score (`grid.best_score_`: the best candidate's mean over the held-out folds) or
an early-stopped model's best score on its evaluation set (XGBoost's `best_score`).

Its side comes from the data it is given: held-out when a name or key on the held-out side of the
split reaches it (`X_test`, `y_val`, `valid_df`, `data["test"]["y"]`, the second half of each pair
`train_test_split` returns, and whatever is computed from those: `preds = model.predict(X_test)`);
training when only training-side data does (`model.score(X_train, y_train)`); unknown otherwise.
Cross-validation scores held-out folds by construction. Plain `ast`: lint reads this too.
"""

from __future__ import annotations

import ast
import re
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from nb2prod.analysis import by_hand as shapes
from nb2prod.analysis.dataflow import Flow
from nb2prod.analysis.imports import aliases, resolve
from nb2prod.analysis.recorded import bind_recorders, recorded_scores
from nb2prod.analysis.sides import HELD_OUT, TRAINING, UNKNOWN, name_side, named_like_metric
from nb2prod.analysis.walk import call_name as _last, walk
from nb2prod.frozen import frozen

_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
METRIC_MODULES = ("sklearn.metrics.", "torchmetrics.")
CROSS_VALIDATION = frozenset({"cross_val_score", "cross_validate"})
# Metric functions whose value is not one number: a report, a matrix, a curve, per-fold scores.
NOT_SCALAR = frozenset({"classification_report", "confusion_matrix", "roc_curve", "precision_recall_curve",
                        "det_curve", "precision_recall_fscore_support", "multilabel_confusion_matrix",
                        "cross_val_score", "cross_validate", "evaluate"})
_METRIC_NAME = re.compile(r"^(?:\w+_(?:score|error|loss)|classification_report|confusion_matrix|roc_curve|"
                          r"precision_recall_curve|log_loss|hinge_loss)$")
# A model's own scoring methods, with the arguments they need (`model.score(X, y)`, `model.evaluate(X, y)`);
# counted only when the data they are given is known to be one side of the split (`kde.evaluate(grid)` is not).
METHOD_METRICS = {"score": 2, "evaluate": 1}
_NOT_METRIC = frozenset({"make_scorer", "get_scorer", "check_scoring", "score_samples", "decision_function"})
PREDICTING = frozenset({"predict", "predict_proba", "predict_log_proba", "decision_function", "forward"})


@frozen
class Metric:
    """One metric call of a top-level statement: where, what it calls, on which side of the split."""

    position: int  # the statement's position in the sequence given
    in_sweep: bool  # made in a loop that fits a model per iteration over settings (not over folds)
    call: ast.expr  # the call; for a metric computed by hand, the assigned value; else what reads a recorded score
    name: str  # the function it calls (`accuracy_score`, `score`, `evaluate_model`), or the name assigned
    side: str  # HELD_OUT, TRAINING or UNKNOWN
    scalar: bool  # whether its value is one number
    mapping: bool = False  # its value is a dict of metrics (`cross_validate`, a helper returning `{...}`)
    keys: Tuple[str, ...] = ()  # a mapping's keys, when its code spells them (`return {"auc": ..., "f1": ...}`)


def metric_name(call: ast.Call, modules: Dict[str, str], helpers: FrozenSet[str] = frozenset()) -> Optional[str]:
    """The metric function a call makes (its last name), or None when it is no metric call."""
    func = call.func
    last = _last(func)
    if not last or last in _NOT_METRIC:
        return None
    if isinstance(func, ast.Name) and func.id in helpers:
        return last
    if last.startswith("pairwise") or ".pairwise." in (resolve(func, modules) or ""):
        return None  # distances between rows, not a model's quality
    resolved = resolve(func, modules)
    if resolved is not None and resolved.startswith(METRIC_MODULES):
        return last
    if last in METHOD_METRICS and isinstance(func, ast.Attribute):
        return last if len(call.args) + len(call.keywords) >= METHOD_METRICS[last] else None
    return last if _METRIC_NAME.match(last) or last in CROSS_VALIDATION else None


def find_metrics(nodes: Sequence[ast.stmt], flows: Sequence[Flow]) -> List[Metric]:
    """Every metric call of the top-level statements `nodes` (with their `flows`), in order."""
    modules = aliases(nodes)
    helpers = _metric_helpers(nodes, modules)
    mappings = _dict_returning(nodes, helpers)
    sides: Dict[str, str] = {}
    predicted: Set[str] = set()  # names computed from a model's predictions
    histories: Set[str] = set()  # names holding what a fit returned (`history = model.fit(...)`)
    listed: Dict[str, str] = {}  # names holding a list of metrics (`score = model.evaluate(...)`) → its side
    found: List[Metric] = []
    for position, (node, f) in enumerate(zip(nodes, flows)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            continue
        first = len(found)  # this statement's metrics are found[first:]
        subs = walk(node)  # once per statement: every question below reads these
        calls = [sub for sub in subs if sub.__class__ is ast.Call]
        swept = _sweep_calls(node) if any(isinstance(sub, _LOOPS) for sub in subs) else None
        named = _named_values(subs)
        for sub in calls:
            name = metric_name(sub, modules, helpers)
            side = _call_side(sub, name, sides) if name is not None else UNKNOWN
            if name is not None and not (name in METHOD_METRICS and side == UNKNOWN and id(sub) not in named):
                helper = sub.func.id if isinstance(sub.func, ast.Name) and sub.func.id in mappings else None
                mapping = name == "cross_validate" or helper is not None
                found.append(Metric(position, swept is not None and id(sub) in swept, sub, name, side,
                                    name not in NOT_SCALAR and not mapping, mapping, mappings.get(helper, ())))
        found += [Metric(position, swept is not None and id(sub) in swept, sub, key, side, True)
                  for sub, key, side in recorded_scores(subs, histories, listed)]
        predicts = any(_last(c.func) in PREDICTING for c in calls)
        if swept is not None and node.__class__ in _COMPOUND:
            found += _bound_in_loops(position, node, sides, swept, {id(m.call) for m in found})
        if not any(m.position == position for m in found[-1:]):
            if node.__class__ in _BLOCKS:
                found += _by_hand_in_block(position, node, predicted, sides)
            elif node.__class__ is ast.Expr:
                found += _inline_by_hand(position, node, predicted, sides)
            else:
                by_hand = _by_hand(position, node, predicted, sides, predicts)
                if by_hand is not None:
                    found.append(by_hand)
        if f.writes and (f.uses & predicted or predicts):  # `results["pred"] = model.predict(X)` too
            predicted |= f.writes
        _bind_sides(node, f, sides, subs, calls)
        bind_recorders(node, histories, listed, found[first:])
    return found


def _named_values(subs: Sequence[ast.AST]) -> Set[int]:
    """Ids of the values assigned to a name spelled like a metric (`accuracy = model.score(X, y)`): a model's
    own score counts as a metric there even with no split to tell its side."""
    return {id(sub.value) for sub in subs if sub.__class__ is ast.Assign and len(sub.targets) == 1
            and sub.targets[0].__class__ is ast.Name and named_like_metric(sub.targets[0].id)}


def _by_hand(position: int, node: ast.stmt, predicted: Set[str], sides: Dict[str, str],
             predicts: bool) -> Optional["Metric"]:
    """`rmse = float(np.sqrt(np.mean((y - model.predict(X)) ** 2)))`: a name spelled like a metric assigned
    from predictions, no metric function called."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return None
    known = shapes.shape(node.value)  # `result = (preds == y_test).mean()`: an accuracy, whatever its name
    if known is not None and _predicted(known[1], predicted):
        return Metric(position, False, node.value, node.targets[0].id,
                      expression_side(node.value, sides) or UNKNOWN, True)
    reads = {sub.id for sub in walk(node.value) if isinstance(sub, ast.Name)}
    if not named_like_metric(node.targets[0].id) or not (reads & predicted or predicts):
        return None
    if isinstance(node.value, (ast.Dict, ast.List, ast.Tuple, ast.Set, ast.Constant, ast.Lambda)):
        return None
    side = expression_side(node.value, sides) or UNKNOWN
    return Metric(position, False, node.value, node.targets[0].id, side, True)


def _inline_by_hand(position: int, node: ast.Expr, predicted: Set[str], sides: Dict[str, str]) -> List["Metric"]:
    """`print("Test accuracy:", (preds == y_test).mean())`, a bare `np.sqrt(np.mean((y_val - p) ** 2))`, an
    f-string: a metric computed by hand from predictions where it is shown (analysis/by_hand), named by its
    shape (`accuracy`, `rmse`) until plan/evaluation reads the label it was printed with."""
    return [Metric(position, False, expr, name, expression_side(expr, sides) or UNKNOWN, True)
            for expr, name, compared in shapes.outermost(node.value) if _predicted(compared, predicted)]


def _predicted(compared: Sequence[ast.expr], predicted: Set[str]) -> bool:
    """Whether one of the compared expressions is a model's predictions (a name computed from them, or a call)."""
    return any((sub.__class__ is ast.Name and sub.id in predicted)
               or (sub.__class__ is ast.Call and _last(sub.func) in PREDICTING) for e in compared for sub in walk(e))


_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.If, ast.Try)
_BLOCKS = (ast.With, ast.AsyncWith, ast.If, ast.Try)  # run their body once: what it binds stays bound after


def _by_hand_in_block(position: int, node: ast.stmt, predicted: Set[str], sides: Dict[str, str]) -> List["Metric"]:
    """`_by_hand` for the assignments directly in a block's bodies (`with torch.no_grad():` then `rmse = ...`),
    in order, each reading the predictions the ones before it made (loops inside are `_bound_in_loops`')."""
    found: List[Metric] = []
    made = set(predicted)
    for stmt in _block_statements(node):
        calls = [c for c in walk(stmt) if c.__class__ is ast.Call]
        predicts = any(_last(c.func) in PREDICTING for c in calls)
        by_hand = _by_hand(position, stmt, made, sides, predicts)
        if by_hand is not None:
            found.append(by_hand)
        elif stmt.__class__ is ast.Assign and (predicts or any(
                sub.__class__ is ast.Name and sub.id in made for sub in walk(stmt.value))):
            made.update(n.id for t in stmt.targets for n in walk(t) if n.__class__ is ast.Name)
    return found


def _block_statements(node: ast.stmt) -> List[ast.stmt]:
    """The statements of a with, if or try, and of blocks nested in it, in order; not inside loops or defs."""
    out: List[ast.stmt] = []
    for name in ("body", "orelse", "handlers", "finalbody"):
        for child in getattr(node, name, None) or ():
            if child.__class__ in _BLOCKS or child.__class__ is ast.ExceptHandler:
                out += _block_statements(child)
            elif isinstance(child, ast.stmt):
                out.append(child)
    return out


def _bound_in_loops(position: int, node: ast.stmt, sides: Dict[str, str], swept: Set[int],
                    made: Set[int]) -> List["Metric"]:
    """A held-out metric bound inside a loop (an epoch loop's `val_loss = criterion(model(X_val), y_val)`,
    a fold loop's last score): a name spelled like a metric assigned a computed value from held-out data, no
    metric function called in it. After the loop the name holds the last pass's value."""
    found: List[Metric] = []
    for loop in walk(node):
        if loop.__class__ not in (ast.For, ast.AsyncFor, ast.While):
            continue
        for sub in (s for stmt in loop.body for s in walk(stmt)):
            if not (sub.__class__ is ast.Assign and len(sub.targets) == 1 and sub.targets[0].__class__ is ast.Name
                    and named_like_metric(sub.targets[0].id)):
                continue
            value, calls = sub.value, [c for c in walk(sub.value) if c.__class__ is ast.Call]
            if not calls or any(id(c) in made for c in calls) or id(value) in {id(m.call) for m in found}:
                continue
            if HELD_OUT in (name_side(sub.targets[0].id), expression_side(value, sides)):
                found.append(Metric(position, any(id(c) in swept for c in calls), value, sub.targets[0].id,
                                    HELD_OUT, True))
    return found


def _sweep_calls(node: ast.stmt) -> Set[int]:
    """Ids of the calls inside loops (and comprehensions) that fit a model on each pass, and of the subscripts
    and attributes there (scores a fit or a search recorded), unless the loop runs over folds
    (`for train_idx, val_idx in kf.split(X)`): a sweep's throwaway scores."""
    found: Set[int] = set()
    for loop in walk(node):
        if isinstance(loop, (ast.For, ast.AsyncFor, ast.While)):
            body = [sub for stmt in loop.body for sub in walk(stmt)]
            over = loop.iter if isinstance(loop, (ast.For, ast.AsyncFor)) else loop.test
        elif isinstance(loop, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            body = walk(loop.elt if not isinstance(loop, ast.DictComp) else loop.value)
            over = loop.generators[0].iter
        else:
            continue
        folds = any(isinstance(sub, ast.Call) and _last(sub.func) == "split" for sub in walk(over))
        if not folds and any(isinstance(sub, ast.Call) and _last(sub.func) == "fit" for sub in body):
            found.update(id(sub) for sub in body if isinstance(sub, (ast.Call, ast.Subscript, ast.Attribute)))
    return found


def _call_side(call: ast.Call, name: str, sides: Dict[str, str]) -> str:
    if name in CROSS_VALIDATION:
        return HELD_OUT
    args = list(call.args) + [kw.value for kw in call.keywords]
    found = {expression_side(arg, sides) for arg in args}
    if HELD_OUT in found:
        return HELD_OUT
    return TRAINING if TRAINING in found else UNKNOWN


def expression_side(node: ast.AST, sides: Dict[str, str], subs: Optional[Sequence[ast.AST]] = None) -> Optional[str]:
    """The side of the data an expression holds (`subs`: its nodes, when walked already): string keys first
    (`data["test"]["X"]`), then the names it reads."""
    keys, names = set(), set()
    for sub in walk(node) if subs is None else subs:
        kind = sub.__class__
        if kind is ast.Name:
            if sub.ctx.__class__ is not ast.Store:
                names.add(sides.get(sub.id) or name_side(sub.id))
        elif kind is ast.Subscript and sub.slice.__class__ is ast.Constant and isinstance(sub.slice.value, str):
            keys.add(name_side(sub.slice.value))
    for found in (keys, names):
        if HELD_OUT in found:
            return HELD_OUT
        if TRAINING in found:
            return TRAINING
    return None


def _bind_sides(node: ast.stmt, f: Flow, sides: Dict[str, str], subs: Sequence[ast.AST],
                calls: Sequence[ast.Call]) -> None:
    """The names a statement binds take the side of what it reads; a fit binds a model, not data, and
    `a, b, c, d = train_test_split(X, y)` splits each array into a training and a held-out half."""
    value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
    if isinstance(node, ast.Assign) and isinstance(value, ast.Call) and _last(value.func) == "train_test_split":
        for target in node.targets:
            if isinstance(target, (ast.Tuple, ast.List)):
                for i, elt in enumerate(target.elts):
                    if isinstance(elt, ast.Name):
                        sides[elt.id] = HELD_OUT if i % 2 else TRAINING
        return
    if not f.defs:
        return
    if any(_last(c.func) in ("fit", "fit_transform", "train") for c in calls):
        if not isinstance(value, ast.Call) or _last(value.func) != "fit_transform":
            return
    side = expression_side(node, sides, subs)  # the names it binds are Store names, left out
    for name in f.defs:
        own = name_side(name)
        if own is not None:
            sides[name] = own
        elif side is not None:
            sides[name] = side
        else:
            sides.pop(name, None)


def _metric_helpers(nodes: Sequence[ast.stmt], modules: Dict[str, str]) -> FrozenSet[str]:
    """Notebook functions whose body makes a metric call (`def evaluate(m, X, y): return {"auc": ...}`)."""
    helpers: Set[str] = set()
    defs = [n for n in nodes if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    changed = True
    while changed:  # a helper calling a helper
        changed = False
        for d in defs:
            if d.name not in helpers and any(isinstance(sub, ast.Call) and metric_name(sub, modules, frozenset(helpers))
                                             for stmt in d.body for sub in walk(stmt)):
                helpers.add(d.name)
                changed = True
    return frozenset(helpers)


def _dict_returning(nodes: Sequence[ast.stmt], helpers: FrozenSet[str]) -> Dict[str, Tuple[str, ...]]:
    """The metric helpers whose every `return` gives a dict (`return {"auc": ..., "recall": ...}`), with the
    keys its returns spell (empty when they differ or are not all string literals)."""
    out: Dict[str, Tuple[str, ...]] = {}
    for node in nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in helpers:
            returns = [sub.value for stmt in node.body for sub in walk(stmt) if isinstance(sub, ast.Return)]
            if returns and all(isinstance(r, ast.Dict) or isinstance(r, ast.Call) and _last(r.func) == "dict"
                               for r in returns):
                spelled = {dict_keys(r) for r in returns}
                out[node.name] = spelled.pop() if len(spelled) == 1 else ()
    return out


def dict_keys(node: ast.AST) -> Tuple[str, ...]:
    """The keys a dict display or `dict(k=...)` call spells, () when one is not a plain string."""
    if isinstance(node, ast.Dict):
        keys = [k.value if isinstance(k, ast.Constant) and isinstance(k.value, str) else None for k in node.keys]
    elif isinstance(node, ast.Call) and not node.args:
        keys = [kw.arg for kw in node.keywords]
    else:
        return ()
    return tuple(keys) if keys and all(k is not None for k in keys) else ()


def evaluation_positions(metrics: Sequence[Metric]) -> FrozenSet[int]:
    """Statements that evaluate the model as an output: a held-out (or unknown-side) metric; a metric on
    the training rows only when the notebook has no other (its only evaluation)."""
    counted = [m for m in metrics if not m.in_sweep]
    outputs = {m.position for m in counted if m.side != TRAINING}
    return frozenset(outputs or {m.position for m in counted})


def training_only_positions(metrics: Sequence[Metric]) -> FrozenSet[int]:
    """Statements whose every metric scores the training rows, when the notebook also evaluates elsewhere:
    a fit-quality diagnostic, not the evaluation."""
    evaluations = evaluation_positions(metrics)
    return frozenset(m.position for m in metrics if m.position not in evaluations and not m.in_sweep)
