"""## What it does
Flags a `print` whose arguments only describe data: shapes, dtypes, lengths, types, whole
DataFrames, inspection calls such as `df.head()`, or summary statistics of a name
(`df["price"].min()`, `X.mean()`, `y.nunique()`, `np.bincount(y)`, `sum(p.numel() for p in ...)`).
String labels around them do not matter.

## Why is this bad?
These prints were there to check the data while exploring. In production they fill the logs
with noise that nobody reads.

## Example
```python
import pandas as pd
df = pd.read_csv("data.csv")
print("rows, columns:", df.shape)
```

Use instead:
```python
import pandas as pd
df = pd.read_csv("data.csv")
```

## Not flagged
A print of a computed result such as a metric: `print(metrics)`, `print("mse", mse)`,
`print(f"accuracy {acc:.3f}")`, also a summary of the model's evaluation (`print(scores.mean())` after
`scores = cross_val_score(...)`: no NB1 rule flags a statement of the evaluation); a summary of a
computed expression (`print((pred == y).mean())`); a print with `file=`; a print of constant text only
(`NB108`); a print of a fitted model's attributes (`NB107`).

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
    if kinds and all(kinds) and "data" in kinds and "model" not in kinds:  # a model's: NB107
        yield ctx.finding(r, node, "print only shows the shape or content of data")


RULE = Rule("NB102", "inspection-print", "print of data shapes or contents left from exploration",
            "warning", True, (PrintCall,), check, __doc__)
