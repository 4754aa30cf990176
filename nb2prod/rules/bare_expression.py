"""## What it does
Flags an expression statement whose only effect is to show its value: a name, an attribute,
a subscript, a comparison, arithmetic, a call that only computes (`len(x)`,
`model.score(X, y)`), or an `IPython.display` object made to be shown (`Image("logo.png")`,
`HTML(table)`), wherever it sits in the cell.

## Why is this bad?
Jupyter displays the last expression of a cell, so it is handy while exploring. In a script
the value is computed and dropped: the line does nothing except cost time.

## Example
```python
total = 3 * 4
total
```

Use instead:
```python
total = 3 * 4
```

## Not flagged
Calls that do something (`model.fit(X, y)`, `df.dropna(inplace=True)`, `save(model)`,
`seen.add(item)`, `df.to_json("out.json")`); logging and tracking calls, whose value is `None`
and which Jupyter never displays (`logger.info("rows %d", n)` on a logger from
`logging.getLogger`, `structlog.get_logger()` or loguru, or one conventionally named `logger` /
`log`; `logging.info(...)`, `warnings.warn(...)`, `mlflow.log_metric(...)`, `wandb.log(...)`,
`run.log(...)`, `writer.add_scalar(...)`); calls of the notebook's own functions;
docstrings and other string literals, `...`, walrus assignments, DataFrame inspections
(`NB101`), plots (`NB105`), expressions inside functions, expressions in the body of a
`try` (evaluated to see whether they raise: `int(text)`, `config["key"]`), and in a scoring
notebook (one that loads a model and fits none) the shown predictions: `probabilities` after
`probabilities = model.predict_proba(data)`, the answer convert makes `run()` return.

## Fix
Removes the statement.
"""

from __future__ import annotations

import ast

from nb2prod.analysis.walk import walk
from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._exprs import is_inspection, is_output, shows_only
from nb2prod.rules._scoring import is_answer


def check(r: Rule, node: ast.Expr, ctx: Context) -> Found:
    value = node.value
    if not ctx.exploring or isinstance(value, ast.Constant) and (isinstance(value.value, str) or value.value is ...):
        return
    if is_output(value, ctx.facts) or is_inspection(value, ctx.facts) or not shows_only(value, ctx.facts):
        return
    if not ctx.top_level and _in_try_body(node, ctx.statement.node):
        return
    if is_answer(value, ctx):  # a scoring notebook's answer: run() returns it
        return
    text = ast.unparse(value)
    short = text if len(text) <= 40 else text[:37] + "..."
    yield ctx.finding(r, node, f"expression `{short}` is only displayed, its value is not used")


def _in_try_body(node: ast.AST, top: ast.AST) -> bool:
    """Whether `node` sits in the body of a `try` (`int(text)` there checks that it does not raise)."""
    return any(node is sub for t in walk(top) if isinstance(t, ast.Try) for stmt in t.body for sub in walk(stmt))


RULE = Rule("NB103", "bare-expression", "expression statement whose value is only displayed",
            "warning", True, (ast.Expr,), check, __doc__)
