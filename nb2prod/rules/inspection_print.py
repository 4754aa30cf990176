"""## What it does
Flags a `print` whose arguments only describe data: shapes, dtypes, lengths, types, whole
DataFrames, or inspection calls such as `df.head()`. String labels around them do not matter.

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
`print(f"accuracy {acc:.3f}")`; a print with `file=`; a print of constant text only.

## Fix
Removes the statement.
"""

from __future__ import annotations

import ast

from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._exprs import INSPECT_BUILTINS, is_inspection, is_print


def check(r: Rule, node: ast.Call, ctx: Context) -> Found:
    if not (ctx.exploring and is_print(node)) or any(kw.arg == "file" for kw in node.keywords):
        return
    kinds = [_kind(arg, ctx) for arg in node.args]
    if kinds and all(kinds) and "data" in kinds:
        yield ctx.finding(r, node, "print only shows the shape or content of data")


def _kind(arg: ast.AST, ctx: Context):
    """"label" for constant text, "data" for an inspection of data, None for anything else."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return "label"
    if isinstance(arg, ast.JoinedStr):
        parts = [_kind(v.value, ctx) for v in arg.values if isinstance(v, ast.FormattedValue)]
        return "data" if parts and all(parts) and "data" in parts else ("label" if not parts else None)
    if isinstance(arg, ast.Starred):
        return None
    if is_inspection(arg, ctx.facts) or ctx.facts.is_frame(arg):
        return "data"
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name):
        if arg.func.id in INSPECT_BUILTINS:
            return "data"
        if arg.func.id in _COLLECTIONS and len(arg.args) == 1:  # `list(df.columns)`
            return "data" if _kind(arg.args[0], ctx) == "data" else None
    return None


_COLLECTIONS = frozenset({"list", "sorted", "set", "tuple"})


RULE = Rule("NB102", "inspection-print", "print of data shapes or contents left from exploration",
            "warning", True, (ast.Call,), check, __doc__)
