"""## What it does
Flags calls to IPython's `display(...)`.

## Why is this bad?
`display` renders objects in the notebook's output area. A production script has no output
area: outside IPython the call fails with `NameError` unless `IPython.display` is imported,
and then it only prints a repr.

## Example
```python
import pandas as pd
df = pd.read_csv("data.csv")
display(df)
```

Use instead:
```python
import pandas as pd
df = pd.read_csv("data.csv")
```

## Not flagged
A function or method that happens to be called `display` on an object (`widget.display()`), and
the notebook's own `display` (`def display(frame): ...`, or one imported from elsewhere), and in a
scoring notebook (one that loads a model and fits none) a display of its predictions: the answer
convert makes `run()` return.

## Fix
Removes the statement when the call is a statement of its own.
"""

from __future__ import annotations

import ast

from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._exprs import is_display
from nb2prod.rules._scoring import is_answer


def check(r: Rule, node: ast.Call, ctx: Context) -> Found:
    if ctx.exploring and is_display(node, ctx.facts) and not (ctx.is_statement(node) and is_answer(node, ctx)):
        yield ctx.finding(r, node, "`display(...)` only renders output in the notebook")


RULE = Rule("NB104", "display-call", "IPython display() call left from exploration",
            "warning", True, (ast.Call,), check, __doc__)
