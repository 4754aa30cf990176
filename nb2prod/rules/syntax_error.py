"""## What it does
Reports a code cell that is not valid Python, even after IPython syntax (magics, `!cmd`,
`obj?`) is understood.

## Why is this bad?
The cell cannot run anywhere, and nothing it defines exists. The other cells are still linted,
but names the broken cell would define are unknown.

## Example
```python
scores = [0.5, 0.7
print(scores)
```

Use instead:
```python
scores = [0.5, 0.7]
print(scores)
```

## Not flagged
IPython syntax that nb2prod understands: line and cell magics, shell escapes, help syntax.
"""

from __future__ import annotations

from nb2prod.errors import CodeProblem
from nb2prod.model import Finding, Location, Notebook
from nb2prod.notebook.parse import parse_cell
from nb2prod.rules._base import Context, Found, Rule


def check(r: Rule, nb: Notebook, ctx: Context) -> Found:
    for cell in ctx.facts.broken:
        try:
            parse_cell(nb.path, cell)
        except CodeProblem as exc:
            loc = exc.location or Location(nb.path, cell.index, 1, None)
            yield Finding(loc, r.code, exc.message, r.severity, False, None)


RULE = Rule("NB300", "syntax-error", "code cell that does not parse", "error", False, (Notebook,), check, __doc__)
