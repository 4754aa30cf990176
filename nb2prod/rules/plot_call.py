"""## What it does
Flags plotting: calls through the matplotlib, seaborn or plotly import aliases (`plt.plot`,
`sns.histplot`, `px.scatter`), methods of the figures and axes they return (`fig, ax =
plt.subplots()` then `ax.plot(...)`), and pandas plotting (`df.plot()`, `df.plot.scatter()`,
`df.hist()`, `df.boxplot()`).

## Why is this bad?
Plots are how you look at data in a notebook. A training or scoring script runs without a
screen: the plots are never seen, they slow the run down and they add dependencies.

## Example
```python
import matplotlib.pyplot as plt
losses = [0.9, 0.5, 0.3]
plt.plot(losses)
plt.show()
```

Use instead:
```python
losses = [0.9, 0.5, 0.3]
```

## Not flagged
`savefig`, `write_image` and `write_html` calls (a saved figure is an artifact), and the plot calls
that draw the figure they save: the statements before a `savefig` in its cell, up to a `show()` or
`close()`, those in a loop body that saves (`for col in cols: ...; fig.savefig(f"{col}.png")`), and
those that draw on a named figure saved further down, in any cell (`fig, ax = plt.subplots()`,
`ax.plot(x)`, `plt.close(fig)`, then `fig.savefig("x.png")` before `fig` is bound again), including
pyplot calls after `fig = plt.figure()` in its cell (`plt.plot(x)` draws on `fig`).
What plotting libraries return as data
(`sns.load_dataset("iris")`, `sns.get_dataset_names()`, `plt.imread(path)`, `px.data.iris()`)
and what is computed from it, calls on names that are not plotting modules or figures, and
plotting inside functions.

## Fix
Removes the statement; not offered when the notebook saves a figure with `savefig` (or
plotly's `write_image`/`write_html`), since a figure saved in a later cell may need it.
"""

from __future__ import annotations

import ast

from nb2prod.analysis.walk import root_name, walk
from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._exprs import call_text, is_plot


def check(r: Rule, node: ast.AST, ctx: Context) -> Found:
    if not ctx.exploring:
        return
    value = node.value
    if isinstance(node, ast.Assign):
        call = _head(value)
        if not is_plot(call, ctx.facts) or not all(isinstance(t, (ast.Name, ast.Tuple)) for t in node.targets):
            return
    else:
        call = next((c for c in _chain(value) if is_plot(c, ctx.facts)), None)
        if call is None:
            return
    if ctx.facts.savefig and (_draws_saved_figure(call, ctx) or _draws_named_saved_figure(node, call, ctx)):
        return
    name = call_text(call.func)
    yield ctx.finding(r, node, f"plot call `{name}(...)` only draws a figure", fixable=not ctx.facts.savefig)


def _draws_saved_figure(call: ast.Call, ctx: Context) -> bool:
    """Whether the call draws part of a figure the code then writes to a file: its statement writes one
    (`fig.savefig(...)` in the same loop body), or a later statement of its cell does with no `show()`
    or `close()` between (the inline backend closes a cell's figures when the cell ends). `show()` never does."""
    if isinstance(call.func, ast.Attribute) and call.func.attr == "show":
        return False
    return ctx.facts.saves_figure(ctx.cell, ctx.statement)


def _draws_named_saved_figure(node: ast.AST, call: ast.Call, ctx: Context) -> bool:
    """`fig, ax = plt.subplots()`, `ax.plot(x)` or `sns.histplot(x, ax=ax)` when some cell calls
    `fig.savefig(...)`: the figure object outlives its cell, so the drawing is saved wherever that runs."""
    if isinstance(call.func, ast.Attribute) and call.func.attr == "show":
        return False
    names = {n.id for t in getattr(node, "targets", ()) for n in walk(t) if isinstance(n, ast.Name)}
    names.add(root_name(call.func))
    names.update(a.id for a in [*call.args, *(kw.value for kw in call.keywords)] if isinstance(a, ast.Name))
    names.discard(None)
    if ctx.facts.saved_later(names, ctx.statement):
        return True
    pyplot = (ctx.facts.module_of(call.func) or "").startswith("matplotlib.pyplot.")
    return pyplot and ctx.facts.current_figure_saved(ctx.cell, ctx.statement)


def _chain(node: ast.AST):
    """The calls along a method chain, outermost first: `sns.histplot(df).set_title("x")`."""
    while isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Call):
            yield node
            node = node.func
        else:
            node = node.value


def _head(node: ast.AST) -> ast.AST:
    """The call an expression starts from: `plt.subplots()` in `plt.subplots()[1]`."""
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node


RULE = Rule("NB105", "plot-call", "plotting call left from exploration",
            "warning", True, (ast.Expr, ast.Assign), check, __doc__)
