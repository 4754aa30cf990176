"""The model's evaluation on held-out data is an output of the training script, like the model file.

Reads the statements, their flows and the metric calls analysis/metrics found; returns which statements
evaluate the model (never dropped), the evaluation block each training group hands to its own step
(`evaluate_model`), and what that step reports: one `key → value` per metric, under the notebook's names.

- `mse = mean_squared_error(y_test, preds)` reports `mse`;
- `scores = {"auc": roc_auc_score(...), ...}`, or a notebook helper returning such a dict, merges its keys;
- a metric computed inline (`print("accuracy:", accuracy_score(y_test, p))`, a bare `model.score(X_test,
  y_test)`, an f-string) gets a name first (`accuracy = accuracy_score(y_test, p)`), taken from the label
  it was printed with (the text before it in print's arguments, an f-string, or a `.format()` or `%`
  template), else from the function (`r2_score` → `r2`), never one the notebook uses.
"""

from __future__ import annotations

import ast
import keyword
import re
import string
from dataclasses import replace
from typing import Collection, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set, Tuple

from nb2prod.analysis.dataflow import Flow
from nb2prod.analysis.walk import call_name, outermost, walk
from nb2prod.analysis.metrics import Metric, dict_keys, evaluation_positions, find_metrics
from nb2prod.convert.naming import numbered
from nb2prod.frozen import frozen
from nb2prod.model import Statement

Group = Tuple[str, str, List[Statement]]  # (role, title, statements), as steps.group makes them
_FITS = frozenset({"fit", "fit_transform", "train", "partial_fit", "fit_generator"})


@frozen
class Reported:
    """One entry of the metrics an evaluation step returns: `key: name`, or `**name` when `merged`."""

    key: str
    name: str
    merged: bool = False
    keys: Tuple[str, ...] = ()  # a merged dict's keys, when the notebook's code spells them


@frozen
class Binding:
    """An inline metric call that gets a name: the `order`-th outermost metric call of the statement
    (source order) becomes `name`; `alone` when the statement only showed it (bare, `display(...)`)."""

    order: int
    name: str
    alone: bool
    expr: str  # the call, as `ast.unparse` writes it


@frozen
class Evaluation:
    statements: FrozenSet[int]  # indexes of the statements that evaluate the model
    metrics: Tuple[Metric, ...]  # every metric call found, by statement position


NONE = Evaluation(frozenset(), ())


def evaluation(statements: Sequence[Statement], flows: Mapping[int, Flow], kind: str) -> Evaluation:
    """The statements that evaluate the model, in a training notebook (a scoring notebook has none)."""
    if kind != "training":
        return NONE
    found = find_metrics([s.node for s in statements], [flows[s.index] for s in statements])
    found = tuple(replace(m, position=statements[m.position].index) for m in found)  # positions → indexes
    return Evaluation(frozenset(evaluation_positions(found)), found)


def split_groups(groups: List[Group], flows: Mapping[int, Flow], outputs: Collection[int],
                 dropped: Collection[int] = ()) -> List[Group]:
    """Each group holding evaluation statements hands them, with the statements only they read, to an
    `evaluate` group right after it, when that keeps the notebook's data flow (else they stay put).
    Dropped statements (`df.head()`) neither read nor change anything there; a section left with nothing
    else to do is the evaluation step, under its own heading."""
    out: List[Group] = []
    for role, title, stmts in groups:
        live = [s for s in stmts if s.index not in dropped]
        block = _block(live, flows, outputs) if role != "evaluate" else None
        if not block:
            out.append((role, title, stmts))
            continue
        rest = [s for s in stmts if s.index not in block]
        if all(s.index in dropped for s in rest):
            out.append(("evaluate", title, stmts))
            continue
        out.append((role, title, rest))
        out.append(("evaluate", "", [s for s in stmts if s.index in block]))
    return out


def _block(stmts: Sequence[Statement], flows: Mapping[int, Flow], outputs: Collection[int]) -> Optional[Set[int]]:
    """The evaluation statements of a group plus what only they read (predictions) and what only reads
    them (a print of the metric), when moving them after the rest of the group changes no value."""
    seeds = [i for i, s in enumerate(stmts) if s.index in outputs]
    if not seeds or any(_fits(stmts[i]) for i in seeds):
        return None  # an evaluation that also fits (`with mlflow.start_run():` around both) stays with the fit
    last_fit = max((i for i, s in enumerate(stmts[: seeds[0]]) if _fits(s)), default=-1)
    block = {stmts[i].index for i in seeds}
    for i in range(seeds[0] - 1, last_fit, -1):  # predictions and scores feeding the evaluation
        s = stmts[i]
        defs = flows[s.index].defs
        readers = [t for t in stmts[i + 1:] if defs & flows[t.index].uses]
        if defs and readers and all(t.index in block for t in readers) and not flows[s.index].updates:
            block.add(s.index)
    for s in stmts[seeds[0]:]:  # what reads only the evaluation: a print, a log line
        if s.index not in block and flows[s.index].uses & _writes(stmts, flows, block) and not _fits(s):
            block.add(s.index)
    first = min(i for i, s in enumerate(stmts) if s.index in block)
    block_writes = _writes(stmts, flows, block)
    block_reads = {n for s in stmts if s.index in block for n in flows[s.index].uses | flows[s.index].writes}
    for s in stmts[first:]:
        f = flows[s.index]
        if s.index not in block and (f.uses & block_writes or f.writes & block_reads):
            return None  # the rest of the group reads the evaluation, or changes what it reads
    return block


def _writes(stmts: Sequence[Statement], flows: Mapping[int, Flow], block: Set[int]) -> Set[str]:
    return {n for s in stmts if s.index in block for n in flows[s.index].writes}


def _fits(s: Statement) -> bool:
    return any(isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in _FITS
               for sub in walk(s.node))


# -- what an evaluation step reports -------------------------------------------------------------------

def reported(stmts: Sequence[Statement], ev: Evaluation, taken: Set[str]) -> Tuple[Tuple[Reported, ...],
                                                                                   Dict[int, Tuple[Binding, ...]]]:
    """The step's metrics in notebook order (the last value of a key wins) and the names inline metric
    calls get (`taken`: names in use, updated with the new ones)."""
    by_statement: Dict[int, List[Metric]] = {}
    for m in ev.metrics:
        by_statement.setdefault(m.position, []).append(m)
    entries: Dict[str, Reported] = {}
    bindings: Dict[int, Tuple[Binding, ...]] = {}
    shown_alone: Dict[int, Optional[Tuple[Binding, str]]] = {}  # a statement that only showed one metric
    for s in stmts:
        gathered = _gathering(s, entries)
        if gathered is not None:  # `metrics = {"mse": mse}`: the notebook's own dict of what it reported
            for key in gathered[1]:
                del entries[key]
            entries[gathered[0]] = Reported(gathered[0], gathered[0], True, tuple(gathered[1]))
            continue
        if s.index not in ev.statements:
            continue
        metrics = [m for m in by_statement.get(s.index, ()) if not m.in_sweep]
        for entry in _named(s, metrics):
            entries.pop(entry.key, None)
            entries[entry.key] = entry
        if isinstance(s.node, ast.Expr):
            made = _bind_inline(s.node, metrics, taken)
            if made:
                bindings[s.index] = tuple(b for b, _ in made)
                shown_alone[s.index] = made[0] if made[0][0].alone else None
                for b, key in made:
                    entries.pop(key, None)
                    entries[key] = Reported(key, b.name)
    for index, only in shown_alone.items():  # shown again later under its key: the later value is reported
        if only is not None and only[1] in entries and entries[only[1]].name != only[0].name:
            del bindings[index]  # so the earlier one is left as the notebook wrote it, not bound to a name never read
    return tuple(entries.values()), bindings


def _gathering(s: Statement, entries: Mapping[str, Reported]) -> Optional[Tuple[str, List[str]]]:
    """(name, keys) for `name = {"k": v, ...}` whose every value is a metric reported so far, under its key."""
    node = s.node
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Dict) and node.value.keys):
        return None
    keys = []
    for k, v in zip(node.value.keys, node.value.values):
        if not (isinstance(k, ast.Constant) and isinstance(k.value, str) and isinstance(v, ast.Name)):
            return None
        entry = next((e for e in entries.values() if e.name == v.id and not e.merged), None)
        if entry is None:
            return None
        keys.append(entry.key)
    return node.targets[0].id, keys


def _named(s: Statement, metrics: Sequence[Metric]) -> List[Reported]:
    """`mse = mean_squared_error(...)` → mse; `scores = {...}` or `holdout = evaluate(...)` → **merged; the
    same inside a `with` block (`with mlflow.start_run(): ... rmse = ...`), an if or a try, or a loop, whose
    last pass's value is the one reported (`for epoch in ...: val_loss = ...`)."""
    return _named_in(s.node, metrics)


_BLOCKS = (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While, ast.If, ast.Try)


def _named_in(node: ast.stmt, metrics: Sequence[Metric]) -> List[Reported]:
    if not isinstance(node, _BLOCKS):
        return _named_node(node, metrics)
    found = []
    handlers = [stmt for handler in getattr(node, "handlers", []) for stmt in handler.body]
    for stmt in node.body + getattr(node, "orelse", []) + handlers + getattr(node, "finalbody", []):
        inside = {id(sub) for sub in walk(stmt)}
        found += _named_in(stmt, [m for m in metrics if id(m.call) in inside])
    return found


def _named_node(node: ast.stmt, metrics: Sequence[Metric]) -> List[Reported]:
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or not metrics:
        return []
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    if len(targets) == 1 and isinstance(targets[0], ast.Tuple) and isinstance(node.value, ast.Call) and all(
            isinstance(e, ast.Name) for e in targets[0].elts) and any(m.call is node.value for m in metrics):
        return [Reported(e.id, e.id) for e in targets[0].elts]  # `val_loss, val_acc = model.evaluate(...)`
    if len(targets) != 1 or not isinstance(targets[0], ast.Name):
        return []
    name, value = targets[0].id, node.value
    if isinstance(value, ast.Dict) and dict_keys(value):
        return [Reported(name, name, True, dict_keys(value))]
    top = [m for m in metrics if m.call is value]
    if top and top[0].mapping:
        return [Reported(name, name, True, top[0].keys)]
    if top and not top[0].scalar and top[0].name != "cross_val_score":
        return []  # a report or a matrix: printed, not a number to compare
    return [Reported(name, name)] if any(m.scalar or m.name == "cross_val_score" for m in metrics) else []


def _bind_inline(node: ast.Expr, metrics: Sequence[Metric], taken: Set[str]) -> List[Tuple[Binding, str]]:
    """Names for the outermost scalar metric calls of a statement that only shows or prints them; one shown
    through a numeric function under a label is named as shown (`print("RMSE:", np.sqrt(mean_squared_error(
    ...)))` binds `rmse = np.sqrt(...)`), else the call itself (its function names it)."""
    calls = {id(m.call): m for m in metrics if m.scalar}
    outermost = _outermost(node.value, calls)
    if not outermost:
        return []
    shown = _as_shown(node.value, outermost)
    labels = _labels(node.value, set(calls) | {id(s) for s in shown})
    for i, (call, wrapped) in enumerate(zip(outermost, shown)):
        if wrapped is not call and labels.get(id(wrapped)):
            calls[id(wrapped)] = calls[id(call)]
            outermost[i] = wrapped
    alone = node.value is outermost[0] or (_shown_by(node.value) is outermost[0] and len(outermost) == 1)
    made = []
    for order, call in enumerate(outermost):
        key = _key(labels.get(id(call)), calls[id(call)].name)
        name = _free(key, taken)
        taken.add(name)
        made.append((Binding(order, name, alone, ast.unparse(call)), key))
    return made


def _outermost(expr: ast.AST, calls: Mapping[int, Metric]) -> List[ast.AST]:
    """The metric calls of `expr` not inside another one, in source order."""
    return sorted(outermost(expr, lambda node: id(node) in calls), key=lambda c: (c.lineno, c.col_offset))


# Numeric functions a notebook shows a metric through, by their last name (`np.sqrt`, `math.sqrt`, `round`).
_SHOWN_THROUGH = frozenset({"sqrt", "round", "float", "abs", "exp", "log", "log10", "item"})


def _as_shown(expr: ast.AST, calls: Sequence[ast.AST]) -> List[ast.AST]:
    """Each metric call with the numeric wrapping the notebook showed it through: a numeric function of it
    (`np.sqrt(m)`, `round(m, 3)`, `float(m)`, `m.item()`), or arithmetic with a number (`100 * m`, `1 - m`,
    `-m`); the text around it (`"%.3f" % m`, an f-string) is not the value."""
    parents = {id(child): parent for parent in walk(expr) for child in ast.iter_child_nodes(parent)}
    out = []
    for call in calls:
        node = call
        while True:
            parent = parents.get(id(node))
            if not _wraps_number(parent, node):
                break
            node = parent
        out.append(node)
    return out


def _wraps_number(parent: Optional[ast.AST], node: ast.AST) -> bool:
    """Whether `parent` is a number computed from `node` alone: one of _SHOWN_THROUGH of it, or arithmetic
    with a number."""
    if isinstance(parent, ast.Call):
        func = parent.func
        if call_name(func) not in _SHOWN_THROUGH:
            return False
        if isinstance(func, ast.Attribute) and func.value is node:  # `m.item()`, `m.round(3)`
            return True
        return bool(parent.args) and parent.args[0] is node
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
        other = parent.right if parent.left is node else parent.left
        return isinstance(other, ast.Constant) and isinstance(other.value, (int, float)) and not isinstance(
            other.value, bool)
    return isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub)


def _shown_by(expr: ast.AST) -> Optional[ast.AST]:
    """The one argument of `display(x)` (what a bare display shows)."""
    if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "display"
            and len(expr.args) == 1 and not expr.keywords):
        return expr.args[0]
    return None


def _labels(expr: ast.AST, metrics: Collection[int]) -> Dict[int, str]:
    """The text a metric was printed after: `print("accuracy:", acc(...))`, `f"auc={auc(...):.3f}"`; a call, or
    one of the `metrics` (ids) that is none (`history.history["val_loss"][-1]`, `100 * acc(...)`), takes the
    label before it."""
    out: Dict[int, str] = {}
    for node in walk(expr):
        for value, label in _templated(node):  # `"accuracy: {:.2f}".format(m)`, `"recall: %.3f" % m`
            if isinstance(value, ast.Call) or id(value) in metrics:
                out.setdefault(id(value), label)
        parts = node.args if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print" else (
            node.values if isinstance(node, ast.JoinedStr) else None)
        if not parts:
            continue
        label = ""
        for part in parts:
            value = part.value if isinstance(part, ast.FormattedValue) else part
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                label = part.value
            elif isinstance(value, ast.Call) or id(value) in metrics:
                out.setdefault(id(value), label)
                label = ""
    return out


# A printf-style conversion (`%.3f`, `%(name)s`, `%5d`); `%%` is a literal percent sign.
_PERCENT = re.compile(r"%(?:\((?P<key>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<kind>[diouxXeEfFgGcrsa%])")


def _templated(node: ast.AST) -> List[Tuple[ast.AST, str]]:
    """(value, the template's text before its placeholder) for a literal template filled by `.format(...)` or
    `%`; [] for anything else, or a template this cannot follow (`{0[1]}`, `%*d`, a mapping)."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"
            and isinstance(node.func.value, ast.Constant) and isinstance(node.func.value.value, str)):
        try:
            fields = list(string.Formatter().parse(node.func.value.value))
        except ValueError:
            return []
        named = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        out, auto, text = [], 0, ""
        for literal, field, _, _ in fields:
            text += literal
            if field is None:
                continue
            if field == "":
                field, auto = str(auto), auto + 1
            value = node.args[int(field)] if field.isdigit() and int(field) < len(node.args) else named.get(field)
            if value is None:
                return []
            out.append((value, text))
            text = ""
        return out
    if (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)):
        template = node.left.value
        specs = [m for m in _PERCENT.finditer(template) if m.group("kind") != "%"]
        values = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
        if any(m.group("key") is not None or "*" in m.group(0) for m in specs) or len(specs) != len(values):
            return []
        out, start = [], 0
        for m, value in zip(specs, values):
            out.append((value, template[start:m.start()].replace("%%", "%")))
            start = m.end()
        return out
    return []


_LABEL_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def _key(label: Optional[str], function: str) -> str:
    """A metric's key: the words of its label (`"Test accuracy:"` → `test_accuracy`), else the function's
    name without `_score` (`roc_auc_score` → `roc_auc`)."""
    words = _LABEL_WORD.findall(label or "")[:4]
    key = "_".join(w.lower() for w in words)
    if not key:
        key = function[: -len("_score")] if function.endswith("_score") and function != "_score" else function
    return key


def _free(key: str, taken: Set[str]) -> str:
    return numbered(key if key.isidentifier() and not keyword.iskeyword(key) else f"metric_{len(taken)}", taken)
