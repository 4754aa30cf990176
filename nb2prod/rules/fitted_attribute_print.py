"""## What it does
Flags a `print` whose arguments only describe a fitted model: its learned attributes (any
attribute ending in `_`: `classes_`, `coef_`, `intercept_`, `feature_importances_`, `mean_`,
`len(model.estimators_)`), its size settings (`n_estimators`, `max_depth`), `get_params()`,
`get_depth()`, `get_n_leaves()` or its type name (`type(model).__name__`). String labels and
descriptions of data beside them do not matter.

## Why is this bad?
These prints were a look at the model while exploring. The script saves the model: whoever needs
its coefficients reads them from the file. In production they only fill the logs.

## Example
```python
from sklearn.linear_model import LinearRegression
model = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
print("coefficients:", model.coef_, model.intercept_)
```

Use instead:
```python
from sklearn.linear_model import LinearRegression
model = LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0])
```

## Not flagged
A fitted score (`print(search.best_score_)`, `model.oob_score_`: a metric); a print of anything
computed (`print(model.predict(X))`); private attributes (`model._tree`); logging of the same
attributes (`logger.info("classes %s", clf.classes_)`); a print with `file=`; bare expressions
(`model.coef_` on its own is `NB103`); prints inside functions.

## Fix
Removes the statement.
"""

from __future__ import annotations

import ast

from nb2prod.rules._base import Context, Found, PrintCall, Rule
from nb2prod.rules._exprs import plain_print, print_kind


def check(r: Rule, node: ast.Call, ctx: Context) -> Found:
    if not (plain_print(node) and ctx.exploring):
        return
    kinds = [print_kind(arg, ctx.facts) for arg in node.args]
    if kinds and all(kinds) and "model" in kinds:
        yield ctx.finding(r, node, "print only describes the fitted model")


RULE = Rule("NB107", "fitted-attribute-print", "print of a fitted model's attributes left from exploration",
            "warning", True, (PrintCall,), check, __doc__)
