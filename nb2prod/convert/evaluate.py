"""The context of evaluate.py: the notebook's validation metric as a function of the model.

The metric is the first one the training code computes after fitting: an assignment to a
metric-like name (`mse = ...`), a metric-like key of a dict (`metrics = {"mse": ...}`), or a
`*_score`/`*_error`/`*_loss` call inside a print. The statements it needs are sliced backwards
from it; the data comes from train.py's own steps up to the training step.
"""

from __future__ import annotations

import ast
import builtins
import re
import textwrap
from typing import Dict, List, Optional, Sequence, Tuple

from nb2prod.escape import code_comments, split_lines
from nb2prod.frozen import frozen

LOWER = ("error", "loss", "mse", "rmse", "mae", "mape", "msle", "deviance")
HIGHER = ("accuracy", "acc", "f1", "r2", "auc", "precision", "recall", "score", "ap")
_METRIC_CALL = re.compile(r"(_score|_error|_loss)$|^(r2|auc|f1)")
LOADERS = {"joblib": ("import joblib", "joblib.load"), "pickle": ("import pickle", "load_model")}


@frozen
class Metric:
    """The metric's name, the statements computing it (last one `return ...`), and what they read."""

    name: str
    body: Tuple[str, ...]
    reads: Tuple[str, ...]


def files(plan, ref: str, env) -> Tuple[Dict[str, str], Tuple[str, ...]]:
    """{"evaluate.py": body} for a training plan, or no file and a notice saying why."""
    context, why = build_context(plan, ref)
    if context is None:
        return {}, (f"evaluate.py not written: {why}",)
    return {"evaluate.py": _finish(env.get_template("evaluate.py.j2").render(**context))}, ()


def build_context(plan, ref: str) -> Tuple[Optional[dict], str]:
    train = next((s for s in plan.steps if s.role == "train"), None)
    if train is None or plan.estimator is None:
        return None, "no training step that fits a model"
    model = plan.estimator[0]
    loader = _loader(plan)
    if loader is None:
        return None, "the model is not saved with joblib.dump or pickle.dump"
    position = plan.steps.index(train)
    upstream = plan.steps[:position]
    available = [n for s in upstream for n in s.returns]
    sources = {pc.cell.index: pc.python for pc in plan.cells}
    metric = find_metric(plan.steps[position:], model, sources)
    if metric is None:
        return None, "no validation metric found after the model is fitted"
    imports, names_from_train, unknown = _resolve(plan, metric.reads, set(available) | {model})
    if unknown:
        return None, f"the metric reads {', '.join(sorted(unknown))}, which train.py's steps do not return"
    inputs = [n for n in dict.fromkeys(available) if n in metric.reads]
    calls = [(f"{', '.join(s.returns)} = " if s.returns else "") + f"train.{s.name}({', '.join(s.params)})"
             for s in upstream]
    from nb2prod.convert.lift import sort_imports  # heavy: libcst

    return dict(
        notebook=ref, metric=metric.name, model=model, body=metric.body, inputs=inputs, calls=calls,
        imports=sort_imports(["import argparse", "import os", "import sys", loader[0], *imports]),
        from_train=sorted(names_from_train),
        loader=loader[1], higher_is_better=direction(metric.name),
    ), ""


def direction(name: str) -> Optional[bool]:
    """True when a higher value is better (accuracy, F1, R², AUC), False for errors and losses."""
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    if any(w in LOWER or w.endswith(("error", "loss")) for w in words):
        return False
    if any(w in HIGHER for w in words):
        return True
    return None


def find_metric(steps: Sequence, model: str, sources: Optional[Dict[int, str]] = None) -> Optional[Metric]:
    """The first metric computed after `model` is fitted; `sources` (cell index → code) keeps its spelling."""
    statements = [s for step in steps for s in step.statements]
    fitted = next((i for i, s in enumerate(statements) if _fits(s.node, model)), None)
    if fitted is None:
        return None
    after = statements[fitted + 1:]
    for n, stmt in enumerate(after):
        found = _metric_in(stmt.node)
        if found is not None:
            name, expr, keep = found
            text = _text(sources or {}, stmt)
            return _slice(after[:n + (1 if keep else 0)], name, text(expr) if isinstance(expr, ast.AST) else expr,
                          model, sources or {})
    return None


def _metric_in(node: ast.stmt):
    """(metric name, expression returning it, whether the statement itself is part of the body)."""
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        target, value = node.targets[0].id, node.value
        if direction(target) is not None or _metric_call(value):
            return target, target, True
        if isinstance(value, ast.Dict):
            for key in value.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str) and direction(key.value) is not None:
                    return key.value, f"{target}[{key.value!r}]", True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and _name(node.value.func) == "print":
        for sub in ast.walk(node.value):
            if isinstance(sub, ast.Call) and _metric_call(sub):
                return re.sub(r"_score$", "", _name(sub.func) or "metric"), sub, False
    return None


def _slice(statements: List, name: str, expr: str, model: str, sources: Dict[int, str]) -> Metric:
    needed = _reads(ast.parse(expr, mode="eval"))
    kept: List = []
    for stmt in reversed(statements):
        defs = _writes(stmt.node)
        if defs & needed:
            kept.insert(0, stmt)
            needed = (needed - defs) | _reads(stmt.node)
    body = tuple(_text(sources, s)(s.node) for s in kept) + (f"return {expr}",)
    return Metric(name, body, tuple(sorted(needed - {model})))


def _text(sources: Dict[int, str], stmt):
    """Source of a node of `stmt` as the notebook spells it (ast.unparse when the cell is unknown)."""
    code = sources.get(stmt.cell)

    def text(node: ast.AST) -> str:
        found = ast.get_source_segment(code, node) if code is not None else None
        return textwrap.dedent(found) if found else ast.unparse(node)

    return text


def _resolve(plan, reads: Sequence[str], available: set) -> Tuple[List[str], List[str], List[str]]:
    """Import lines for names the notebook imported, module names taken from train.py, and the rest."""
    imported: Dict[str, str] = {}
    for stmt in plan.imports:
        node = stmt.node
        for alias in node.names:
            bound = (alias.asname or alias.name).split(".")[0]
            single = ast.ImportFrom(node.module, [alias], node.level) if isinstance(node, ast.ImportFrom) \
                else ast.Import([alias])
            imported.setdefault(bound, ast.unparse(single))
    module_names = {n for stmt in plan.module for n in _writes(stmt.node)}
    imports, from_train, unknown = [], [], []
    for name in reads:
        if name in available or hasattr(builtins, name):
            continue
        if name in imported:
            imports.append(imported[name])
        elif name in module_names:
            from_train.append(name)
        else:
            unknown.append(name)
    return imports, from_train, unknown


def _loader(plan) -> Optional[Tuple[str, str]]:
    for call, _ in plan.saved:
        root = call.split(".")[0]
        if root in LOADERS:
            return LOADERS[root]
    return None


def _fits(node: ast.stmt, model: str) -> bool:
    return any(isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "fit"
               and isinstance(sub.func.value, ast.Name) and sub.func.value.id == model for sub in ast.walk(node))


def _metric_call(node: ast.AST) -> bool:
    name = _name(node.func) if isinstance(node, ast.Call) else None
    return bool(name and _METRIC_CALL.search(name))


def _name(func: ast.AST) -> Optional[str]:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _reads(node: ast.AST) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _writes(node: ast.AST) -> set:
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
        return {node.name}
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def _finish(text: str) -> str:
    code = code_comments(textwrap.dedent("\n".join(split_lines(text))))
    lines = [line.rstrip() for line in code.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
