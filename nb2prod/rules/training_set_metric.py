"""## What it does
Flags a metric of the model on its own training rows that is only shown, when the notebook also
evaluates the model on held-out data: `print(accuracy_score(y_train, model.predict(X_train)))`,
`model.score(X_train, y_train)` as a bare expression, and `train_acc = ...` whose value is only
printed or displayed, with those prints.

## Why is this bad?
A score on the data the model was fitted to says how well it fits, not how well it predicts: a
diagnostic for the person tuning it. The production script reports the held-out evaluation.

## Example
```python
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
X_train, X_test, y_train, y_test = train_test_split([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
model = LogisticRegression().fit(X_train, y_train)
print("train", accuracy_score(y_train, model.predict(X_train)))
print("test", accuracy_score(y_test, model.predict(X_test)))
```

Use instead:
```python
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
X_train, X_test, y_train, y_test = train_test_split([[0.0], [1.0], [2.0], [3.0]], [0, 1, 0, 1])
model = LogisticRegression().fit(X_train, y_train)
print("test", accuracy_score(y_test, model.predict(X_test)))
```

## Not flagged
The training metric when it is the notebook's only metric (then it is the evaluation); a statement
that also scores held-out data (`print(train_acc, test_acc)`) or calls a function of the notebook;
a training metric that is logged or
tracked (`mlflow.log_metric("train_acc", train_acc)`) or used by anything but a print; metrics in
a hyperparameter sweep (`NB106`) or inside functions. Which data is the training side comes from
analysis/metrics: names (`X_train`, `data["train"]`) and the first half of `train_test_split`.

## Fix
Removes the statement.
"""

from __future__ import annotations

import ast

from nb2prod.analysis.walk import SCOPES, walk
from nb2prod.analysis.metrics import TRAINING, name_side
from nb2prod.model import Finding, Notebook
from nb2prod.rules import _metrics
from nb2prod.rules._metrics import looks_like_metric
from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._exprs import is_display, is_output, is_print, shows_only


def check(r: Rule, nb: Notebook, ctx: Context) -> Found:
    """Once per notebook, over the top-level statements whose text makes a metric-looking call (a superset
    of those holding a call `looks_like_metric` accepts): most notebooks hold none, and a call-by-call
    check cost a dispatch and a name test for every call of every notebook."""
    facts, training = ctx.facts, None
    try:
        for here in sorted(_metrics.metric_text(ctx)):
            pc, st = facts.statements[here]
            if st.magic is not None or st.node.__class__ not in _SHAPES or not _scores_training(st.node, facts):
                continue  # the notebook's metrics are worked out only for a metric given training-side data
            if training is None:
                training = _metrics.of(ctx).training
            if here not in training or ctx.calls_own_function(st.node):
                continue
            ctx.cell, ctx.statement = pc, st
            yield from _diagnostics(r, here, st.node, ctx)
    finally:
        ctx.cell = ctx.statement = None


_SHAPES = (ast.Expr, ast.Assign)  # a bare or printed metric, or one bound to a name (the shapes reported)


def _scores_training(node: ast.stmt, facts) -> bool:
    """A metric call outside any nested scope of `node` given a name on the training side of the split."""
    return any(looks_like_metric(call, facts) and _names_training(call) for call in _calls(node))


def _calls(node: ast.AST):
    """The calls under `node` that run with it: not those under a lambda, def or class (as lint's walk)."""
    subs = walk(node)
    nested = {id(sub) for scope in subs if scope.__class__ in SCOPES for sub in walk(scope)}
    return [sub for sub in subs if sub.__class__ is ast.Call and id(sub) not in nested]


def _diagnostics(r: Rule, here: int, node: ast.stmt, ctx: Context) -> Found:
    if isinstance(node, ast.Expr) and _shown(node.value, ctx):
        yield ctx.whole(r, "metric on the training rows is a fit diagnostic, not the evaluation")
    elif isinstance(node, ast.Assign):
        readers = _readers(here, ctx)
        if readers is not None:
            message = "metric on the training rows is only shown: a fit diagnostic, not the evaluation"
            yield ctx.whole(r, message)
            for j in readers:
                yield _whole_at(r, ctx, j, message)


def _names_training(call: ast.Call) -> bool:
    """A name or string key on the training side of the split among the call's arguments (or its receiver)."""
    for sub in walk(call):
        if isinstance(sub, ast.Name) and name_side(sub.id) == TRAINING:
            return True
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and name_side(sub.value) == TRAINING:
            return True
    return False


def _shown(value: ast.AST, ctx: Context) -> bool:
    if is_print(value):
        return not any(kw.arg == "file" for kw in value.keywords)
    return is_display(value, ctx.facts) or not is_output(value, ctx.facts) and shows_only(value, ctx.facts)


def _readers(here: int, ctx: Context):
    """The later statements reading what the statement binds, when each only prints or displays it
    (and reads no evaluation); None when any does anything else with it."""
    flows, statements = ctx.facts.flows, ctx.facts.statements
    names = flows[here].defs
    if not names or names & ctx.facts.magic_names or any(names & f.deferred for f in flows):
        return None
    readers = [j for j in range(here + 1, len(flows)) if flows[j].uses & names]
    evaluations = _metrics.of(ctx).evaluations
    for j in readers:
        node = statements[j][1].node
        if j in evaluations or not (isinstance(node, ast.Expr) and _shown(node.value, ctx)):
            return None
    return readers


def _whole_at(r: Rule, ctx: Context, position: int, message: str) -> Finding:
    pc, st = ctx.facts.statements[position]
    loc = ctx.location(st.line, st.col, pc)
    return Finding(loc, r.code, message, r.severity, r.fixable, st.end_line + loc.line - st.line)


RULE = Rule("NB109", "training-set-metric", "metric on the training rows left from exploration",
            "warning", True, (Notebook,), check, __doc__)
