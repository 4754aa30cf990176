"""## What it does
Flags a DataFrame inspection left as a statement of its own: `df.head()`, `df.describe()`,
`df.info()`, `df.isnull().sum()`, `df.value_counts()`, or `df.shape` / `df.dtypes` / `df.columns`
shown as a bare expression.

## Why is this bad?
In a notebook the value is displayed so you can look at the data. In a production script it
is computed and thrown away: it costs time (`describe()` scans the whole frame) and hides
the code that matters.

## Example
```python
import pandas as pd
df = pd.read_csv("data.csv")
df.describe()
```

Use instead:
```python
import pandas as pd
df = pd.read_csv("data.csv")
```

## Not flagged
An inspection whose value is kept (`summary = df.describe()`), calls on a module
(`random.sample(items, 3)`), logging and tracking calls: a logger's `info` (`log.info("rows: %d", n)`,
also with no message, on a name bound to `logging.getLogger(...)`, `structlog.get_logger()` or
loguru's `logger`, or conventionally named `logger` / `log`; `df.info()` stays an inspection),
inspections inside functions, and printed inspections (those are
`NB102 inspection-print`).

## Fix
Removes the statement.
"""

from __future__ import annotations

import ast

from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._exprs import is_inspection


def check(r: Rule, node: ast.Expr, ctx: Context) -> Found:
    if ctx.exploring and is_inspection(node.value, ctx.facts):
        what = ast.unparse(node.value)
        yield ctx.finding(r, node, f"DataFrame inspection `{_short(what)}` only shows the data")


def _short(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


RULE = Rule("NB101", "dataframe-inspection", "DataFrame inspection left from exploration",
            "warning", True, (ast.Expr,), check, __doc__)
