"""The notebook's metrics as lint sees them (analysis/metrics), worked out once per notebook and only
when some call looks like a metric: which statements are the model's evaluation (never exploration),
which only score the training rows, and the names their values are bound to."""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from itertools import accumulate
from operator import add
from dataclasses import replace
from typing import FrozenSet, Iterator, List, Optional, Sequence, Set, Tuple

from nb2prod.analysis import by_hand as by_hand_shapes
from nb2prod.analysis.dataflow import Flow
from nb2prod.analysis.walk import root_name, statements, walk
from nb2prod.analysis.metrics import (named_like_metric, CROSS_VALIDATION, HELD_OUT, METRIC_MODULES, TRAINING, evaluation_positions, find_metrics, metric_name,
                                      name_side, training_only_positions)
from nb2prod.analysis.recorded import SEARCH_SCORES
from nb2prod.frozen import frozen
from nb2prod.model import Finding

# Calls that put a value into a container the statement does not bind: `scores.append(auc)`.
_COLLECT = frozenset({"append", "extend", "update", "add", "insert", "setdefault"})


@frozen
class NotebookMetrics:
    """Statement positions (in Facts.statements order) and names, from analysis/metrics."""

    evaluations: FrozenSet[int]  # evaluate the model, or show what such a statement computed
    training: FrozenSet[int]  # every metric they make scores the training rows (and others evaluate)
    training_names: FrozenSet[str]  # names bound to a training-only metric's value
    scores_training: bool = False  # some metric scores the training rows


NONE = NotebookMetrics(frozenset(), frozenset(), frozenset())


_SUFFIXES = ("score", "error", "loss", "report", "matrix", "curve", "validate", "evaluate")


def looks_like_metric(call: ast.Call, facts) -> bool:
    """Whether a call is a metric by its own name or import (notebook helpers make one in their body)."""
    func = call.func
    last = func.attr if func.__class__ is ast.Attribute else func.id if func.__class__ is ast.Name else ""
    if not last.endswith(_SUFFIXES):
        root = root_name(func)
        if root is None or not facts.imports.modules.get(root, "").startswith(METRIC_MODULES):
            return False
    return metric_name(call, facts.imports.modules) is not None


def of(ctx) -> NotebookMetrics:
    """The notebook's metrics, computed on first use and kept on the context."""
    found = ctx.cache.get("metrics")
    if found is None:
        found = ctx.cache["metrics"] = _compute_for(ctx, len(ctx.facts.statements))
    return found


def _compute_for(ctx, upto: int) -> NotebookMetrics:
    statements = ctx.facts.statements[:upto]
    making = {i for i in metric_text(ctx) if i < upto}
    return compute([st.node for _, st in statements], ctx.facts.flows[:upto], [st.source for _, st in statements],
                   ctx.facts.imports.modules, making)


# Every call metric_name accepts is written like this (`accuracy_score(`, `model.score(`, `cross_validate(`),
# through an alias of a metric module (`skm.auc(`) or through a notebook helper.
_METRIC_WORDS = ("score", "error", "loss", "report", "matrix", "curve", "validate", "evaluate")


def metric_text(ctx) -> FrozenSet[int]:
    """Positions of the statements whose text makes a metric-looking call (worked out once, by regex)."""
    found = ctx.cache.get("metric_text")
    if found is None:
        statements = ctx.facts.statements
        found = ctx.cache["metric_text"] = frozenset(_making(
            [st.node for _, st in statements], ctx.facts.flows, [st.source for _, st in statements],
            ctx.facts.imports.modules))
    return found


def _making(nodes, flows, sources, modules) -> List[int]:
    """Positions whose text makes a metric call: by its name, a metric module's alias, or a notebook helper.
    Substring searches over the joined text (most statements make none), hits mapped back by offset."""
    names = [a for a, full in modules.items() if full.startswith(METRIC_MODULES)]
    # where each statement starts in the joined text: the lengths before it, plus one newline each
    starts = list(map(add, accumulate(map(len, sources[:-1]), initial=0), range(len(sources))))
    text = "\n".join(sources)
    found: Set[int] = set()
    inside: Set[int] = set()  # the statements holding a whole hit (a call's `(` may sit in the next one)
    for word in _METRIC_WORDS:
        for at, end in _word_calls(text, word):
            i = bisect_right(starts, at) - 1
            found.add(i)
            if end <= starts[i] + len(sources[i]):
                inside.add(i)
    # a metric module's alias; a fit's history (`history.history["val_loss"]`); a recorded best score
    for alias in names + ["history", *sorted(SEARCH_SCORES)]:
        for at in _whole_words(text, alias):
            i = bisect_right(starts, at) - 1
            found.add(i)
            inside.add(i)
    shaped = {bisect_right(starts, at) - 1 for word in by_hand_shapes.WORDS for at in _found(text, word)}
    defs, by_hand = [], []  # one pass: the notebook's functions, and the metrics computed by hand
    for i, n in enumerate(nodes):
        kind = n.__class__
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            defs.append((i, n.name))
        elif kind is ast.Assign:  # `rmse = np.sqrt(...)`
            if len(n.targets) == 1 and n.targets[0].__class__ is ast.Name and (
                    named_like_metric(n.targets[0].id) or i in shaped and by_hand_shapes.holds(n.value)):
                by_hand.append(i)
        elif kind is ast.Expr and i in shaped and by_hand_shapes.holds(n.value):  # `print((p == y_test).mean())`
            by_hand.append(i)
        elif kind in _COMPOUND and _binds_metric_inside(n):  # an epoch loop, `with torch.no_grad():`
            by_hand.append(i)
    found.update(by_hand)
    helpers = {name for i, name in defs if i in inside}
    while helpers:  # a helper calling a helper
        calls = re.compile(r"\b(?:" + "|".join(sorted(helpers)) + r")\s*\(")
        more = {name for i, name in defs if name not in helpers and calls.search(sources[i])}
        if not more:
            break
        helpers |= more
    if helpers:
        found.update(i for i, f in enumerate(flows) if not f.uses.isdisjoint(helpers))
    return sorted(found)


_COMPOUND = (ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.If, ast.Try)


def _binds_metric_inside(node: ast.stmt) -> bool:
    """A compound statement assigning a name spelled like a metric (`val_loss = ...` in an epoch loop)."""
    return any(sub.__class__ is ast.Assign and len(sub.targets) == 1 and sub.targets[0].__class__ is ast.Name
               and named_like_metric(sub.targets[0].id) for sub in statements(node))  # an Assign is a statement


_CALL_AFTER = re.compile(r"\s*\(")


def _word_calls(text: str, word: str) -> Iterator[Tuple[int, int]]:
    """(start, end) of each `word\\s*(` in `text`, found by str.find (a regex scan costs ~20x more per character)."""
    for at in _found(text, word):
        after = _CALL_AFTER.match(text, at + len(word))
        if after is not None:
            yield at, after.end()


def _found(text: str, word: str) -> Iterator[int]:
    """Starts of `word` in `text`, anywhere."""
    at = text.find(word)
    while at != -1:
        yield at
        at = text.find(word, at + 1)


def _whole_words(text: str, word: str) -> Iterator[int]:
    """Starts of `word` in `text` as a whole word (what `\\bword\\b` finds for an identifier)."""
    size = len(word)
    for at in _found(text, word):
        end = at + size
        if not (at and _word_char(text[at - 1])) and not (end < len(text) and _word_char(text[end])):
            yield at


def _word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what re's \w matches in a str pattern


def relevant(nodes: Sequence[ast.stmt], flows: Sequence[Flow], sources: Sequence[str], modules,
             making: Optional[Set[int]] = None) -> List[int]:
    """The positions find_metrics needs: imports and definitions (aliases and helpers), the statements
    that make a metric call, and those binding what they read, back through the data flow. Leaving out
    the rest changes nothing: it holds no metric and gives no name the metrics read a side."""
    making = set(_making(nodes, flows, sources, modules)) if making is None else making
    keep = {i for i, n in enumerate(nodes) if isinstance(n, _KEPT)}
    needed: Set[str] = set()
    for i in range(max(making, default=-1), -1, -1):
        f = flows[i]
        if i in making or f.defs & needed:
            keep.add(i)
            needed |= f.uses
    return sorted(keep)


_KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef)


def compute(nodes: Sequence[ast.stmt], flows: Sequence[Flow], sources: Optional[Sequence[str]] = None,
            modules=None, making: Optional[Set[int]] = None) -> NotebookMetrics:
    """What analysis/metrics finds, with the statements that show what an evaluation bound; given the
    statements' text and the import aliases, only the positions that can matter are analysed."""
    if sources is not None:
        keep = relevant(nodes, flows, sources, modules or {}, making)
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
    return NotebookMetrics(frozenset(shown), frozenset(training), frozenset(training_names), any(
        m.side == TRAINING for m in metrics))


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


def _suspects(findings: List[Finding], ctx) -> List[int]:
    """Positions of the statements with an NB1 finding that make a metric-looking call or read what one
    bound (directly or through assignments): the only ones the evaluation can protect."""
    made = metric_text(ctx)
    if not made:
        return []
    flows, names, suspect = ctx.facts.flows, set(), set(made)
    for j in range(min(made), len(flows)):
        if j in made:
            names |= flows[j].writes
        elif flows[j].uses & names:
            suspect.add(j)
            names |= flows[j].defs
    flagged = {(f.location.cell, f.location.line) for f in findings if f.code.startswith("NB1")}
    return [j for j in suspect if not flagged.isdisjoint(_lines(ctx, [j]))]


def keep_evaluations(findings: List[Finding], ctx) -> List[Finding]:
    """The one place that guarantees it: no NB1 finding on a statement of the model's evaluation, whatever
    its shape (print, f-string, bare expression, display). Metrics are worked out only when an NB1 finding
    sits on a statement that makes or reads a metric, and only up to the last of those (sides flow
    forward) unless that part scores training rows: whether those are the evaluation depends on the rest."""
    if not any(f.code.startswith("NB1") for f in findings):
        return findings
    found = ctx.cache.get("metrics")
    if found is None:
        suspects = _suspects(findings, ctx)
        if not suspects:
            return findings
        if SURE and set(suspects) <= _surely_protected(ctx, max(suspects)):
            return _without(findings, _lines(ctx, suspects))
        found = _compute_for(ctx, max(suspects) + 1)
        if found.scores_training:
            found = of(ctx)
    if not found.evaluations:
        return findings
    return _without(findings, _lines(ctx, found.evaluations))


def _without(findings: List[Finding], lines: Set[tuple]) -> List[Finding]:
    return [f for f in findings if not (f.code.startswith("NB1") and (f.location.cell, f.location.line) in lines)]


SURE = True  # tests turn the shortcut off to check it changes no verdict


def _surely_protected(ctx, last: int) -> Set[int]:
    """Positions up to `last` that compute() counts as the evaluation whatever the rest of the notebook
    says (a subset of its answer, so the work is skipped only when every suspect is in it): statements
    whose metric call is given a held-out name (`accuracy_score(ytest, pred)`: analysis/metrics keeps a
    name's own side) or cross-validates, outside any loop or comprehension that fits, and those reading
    what they bound."""
    facts, made = ctx.facts, metric_text(ctx)
    names: Set[str] = set()
    sure: Set[int] = set()
    for j in range(min(made, default=last + 1), last + 1):
        node, f = facts.statements[j][1].node, facts.flows[j]
        calls = _held_out_calls(node, ctx) if j in made else set()
        if calls:
            sure.add(j)
            names |= bound_to(node, calls)
        elif f.uses & names:
            sure.add(j)
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                names |= f.defs
    return sure


def _held_out_calls(node: ast.stmt, ctx) -> Set[int]:
    """Ids of a statement's metric calls given held-out data by name; none inside a fitting loop (a sweep)."""
    subs = walk(node)
    if any(isinstance(sub, _LOOPS) for sub in subs) and any(
            isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "fit" for sub in subs):
        return set()
    return {id(sub) for sub in subs if isinstance(sub, ast.Call) and looks_like_metric(sub, ctx.facts)
            and (_held_out_named(sub) or metric_name(sub, ctx.facts.imports.modules) in CROSS_VALIDATION)}


_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _held_out_named(call: ast.Call) -> bool:
    """An argument on the held-out side by its string keys (`data["test"]["y"]`) or, with none, by a name
    (`X_test`), as analysis/metrics.expression_side reads them."""
    for arg in [*call.args, *(kw.value for kw in call.keywords)]:
        subs = walk(arg)
        keys = [name_side(sub.slice.value) for sub in subs if isinstance(sub, ast.Subscript)
                and isinstance(sub.slice, ast.Constant) and isinstance(sub.slice.value, str)]
        if HELD_OUT in keys:
            return True
        if TRAINING not in keys and any(isinstance(sub, ast.Name) and name_side(sub.id) == HELD_OUT for sub in subs):
            return True
    return False
