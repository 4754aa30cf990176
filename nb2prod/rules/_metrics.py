"""The notebook's metrics as lint sees them (analysis/metrics), worked out once per notebook and only
when some call looks like a metric: which statements are the model's evaluation (never exploration),
which only score the training rows, and the names their values are bound to."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from typing import FrozenSet, List, Optional, Sequence, Set

from nb2prod.analysis.dataflow import Flow, root_name, walk
from nb2prod.analysis.metrics import METRIC_MODULES, evaluation_positions, find_metrics, metric_name, training_only_positions
from nb2prod.model import Finding

# Calls that put a value into a container the statement does not bind: `scores.append(auc)`.
_COLLECT = frozenset({"append", "extend", "update", "add", "insert", "setdefault"})


@dataclass(frozen=True)
class NotebookMetrics:
    """Statement positions (in Facts.statements order) and names, from analysis/metrics."""

    evaluations: FrozenSet[int]  # evaluate the model, or show what such a statement computed
    training: FrozenSet[int]  # every metric they make scores the training rows (and others evaluate)
    training_names: FrozenSet[str]  # names bound to a training-only metric's value


NONE = NotebookMetrics(frozenset(), frozenset(), frozenset())


_SUFFIXES = ("score", "error", "loss", "report", "matrix", "curve", "validate", "evaluate")


def looks_like_metric(call: ast.Call, facts) -> bool:
    """Whether a call is a metric by its own name or import (notebook helpers make one in their body)."""
    func = call.func
    last = func.attr if func.__class__ is ast.Attribute else func.id if func.__class__ is ast.Name else ""
    if not last.endswith(_SUFFIXES):
        root = root_name(func)
        if root is None or not facts.modules.get(root, "").startswith(METRIC_MODULES):
            return False
    return metric_name(call, facts.modules) is not None


def of(ctx) -> NotebookMetrics:
    """The notebook's metrics, computed on first use and kept on the context."""
    found = ctx.cache.get("metrics")
    if found is None:
        statements = [st for _, st in ctx.facts.statements]
        found = ctx.cache["metrics"] = compute([st.node for st in statements], ctx.facts.flows,
                                               [st.source for st in statements], ctx.facts.modules)
    return found


# Every call metric_name accepts is written like this (`accuracy_score(`, `model.score(`, `cross_validate(`),
# through an alias of a metric module (`skm.auc(`) or through a notebook helper.
_METRIC_TEXT = r"(?:score|error|loss|report|matrix|curve|validate|evaluate)\s*\("


def relevant(nodes: Sequence[ast.stmt], flows: Sequence[Flow], sources: Sequence[str], modules) -> List[int]:
    """The positions find_metrics needs: all but expression statements that bind nothing and whose text
    makes no metric call (most of a notebook: shows, plots, fits). Leaving those out changes nothing:
    they hold no metric and give no name a side."""
    aliases = [re.escape(a) for a, full in modules.items() if full.startswith(METRIC_MODULES)]
    pattern = re.compile("|".join([_METRIC_TEXT] + [rf"\b{a}\b" for a in aliases]))
    defs = [(n.name, src) for n, src in zip(nodes, sources) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    helpers: Set[str] = set()
    grown = True
    while grown:  # a helper calling a helper
        found = {name for name, src in defs if pattern.search(src) or any(re.search(rf"\b{h}\s*\(", src) for h in helpers)}
        grown, helpers = found != helpers, found
    return [i for i, (n, f, src) in enumerate(zip(nodes, flows, sources))
            if not isinstance(n, ast.Expr) or f.defs or pattern.search(src) or f.uses & helpers]


def compute(nodes: Sequence[ast.stmt], flows: Sequence[Flow], sources: Optional[Sequence[str]] = None,
            modules=None) -> NotebookMetrics:
    """What analysis/metrics finds, with the statements that show what an evaluation bound; given the
    statements' text and the import aliases, only the positions that can matter are analysed."""
    if sources is not None:
        keep = relevant(nodes, flows, sources, modules or {})
        metrics = [replace(m, position=keep[m.position])
                   for m in find_metrics([nodes[i] for i in keep], [flows[i] for i in keep])]
    else:
        metrics = find_metrics(nodes, flows)
    if not metrics:
        return NONE
    evaluations = evaluation_positions(metrics)
    training = training_only_positions(metrics)
    calls = {id(m.call) for m in metrics if not m.in_sweep}
    shown = set(evaluations)
    names = set().union(*(bound_to(nodes[i], calls) for i in evaluations))
    for j in range(min(evaluations, default=len(nodes)), len(nodes)):  # what shows or derives from them
        if j not in shown and flows[j].uses & names:
            shown.add(j)
            if isinstance(nodes[j], (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                names |= flows[j].defs
    training_names = set().union(*(bound_to(nodes[i], calls) for i in training)) - names
    return NotebookMetrics(frozenset(shown), frozenset(training), frozenset(training_names))


def bound_to(node: ast.stmt, calls: Set[int]) -> Set[str]:
    """Names a statement binds, or collects into, the value of one of the metric `calls`:
    `scores = {"auc": roc_auc_score(...)}`, `val_loss, val_acc = model.evaluate(...)`, `fold_auc.append(...)`."""
    found: Set[str] = set()
    for sub in walk(node):
        if isinstance(sub, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and sub.value is not None:
            if _holds(sub.value, calls):
                targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                found.update(n for t in targets for n in _target_names(t))
        elif isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr in _COLLECT:
            if any(_holds(a, calls) for a in [*sub.args, *(kw.value for kw in sub.keywords)]):
                name = root_name(sub.func.value)
                if name is not None:
                    found.add(name)
    return found


def _target_names(target: ast.AST) -> List[str]:
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    name = root_name(target)  # `results[alpha] = r2`: the dict holds it
    return [name] if name is not None else []


def _holds(node: ast.AST, calls: Set[int]) -> bool:
    return any(id(sub) in calls for sub in walk(node))


def _lines(ctx, positions) -> Set[tuple]:
    """The (cell, line) pairs a finding's location gives for every line of the statements at `positions`."""
    script, out = ctx.nb.is_script, set()
    for i in positions:
        pc, st = ctx.facts.statements[i]
        shift = pc.cell.offset if script else 0
        out.update((None if script else pc.cell.index, n + shift) for n in range(st.line, st.end_line + 1))
    return out


def _may_show_metric(findings: List[Finding], ctx, nodes: Sequence[tuple]) -> bool:
    """Whether an NB1 finding sits on a statement that makes a metric-looking call or reads what one bound
    (directly or through assignments): only then are the notebook's metrics worked out."""
    calls = [(st, node) for _, st, node, _ in nodes if node.__class__ is ast.Call]
    if not calls:  # the selection collects no calls: decide from the metrics themselves
        return True
    facts = ctx.facts
    made = {facts.position(st) for st, call in calls if looks_like_metric(call, facts)}
    if not made:
        return False
    flows, names, suspect = facts.flows, set(), set(made)
    for j in range(min(made), len(flows)):
        if j in made:
            names |= flows[j].writes
        elif flows[j].uses & names:
            suspect.add(j)
            names |= flows[j].defs
    flagged = {(f.location.cell, f.location.line) for f in findings if f.code.startswith("NB1")}
    return not flagged.isdisjoint(_lines(ctx, suspect))


def keep_evaluations(findings: List[Finding], ctx, nodes: Sequence[tuple]) -> List[Finding]:
    """The one place that guarantees it: no NB1 finding on a statement of the model's evaluation, whatever
    its shape (print, f-string, bare expression, display). Metrics are looked for only when a finding
    is NB1 and some call looks like a metric, so most notebooks pay nothing."""
    if not any(f.code.startswith("NB1") for f in findings):
        return findings
    if "metrics" not in ctx.cache and not _may_show_metric(findings, ctx, nodes):
        return findings
    protected = of(ctx).evaluations
    if not protected:
        return findings
    lines = _lines(ctx, protected)
    return [f for f in findings if not (f.code.startswith("NB1") and (f.location.cell, f.location.line) in lines)]
