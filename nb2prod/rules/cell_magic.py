"""## What it does
Flags IPython cell magics: a cell that starts with `%%timeit`, `%%time`, `%%capture`,
`%%bash`, `%%writefile`, `%%html` and so on.

## Why is this bad?
The cell is not Python as written. Timing and display magics only matter in the notebook;
`%%bash` and `%%writefile` run shell commands or write files that a production pipeline should
do explicitly.

## Example
```python
%%timeit
sum(range(1000))
```

Use instead:
```python
total = sum(range(1000))
```

## Not flagged
`%%` inside strings or comments.

## Fix
Removes the whole cell for magics that only time or render (`%%timeit`, `%%html`,
`%%markdown` ...). `%%time` and `%%capture` keep their Python (remove just the magic line by
hand); `%%bash`, `%%writefile` and others are reported but not removed.
"""

from __future__ import annotations

from nb2prod.model import Magic
from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._magics import SAFE_CELL


def check(r: Rule, magic: Magic, ctx: Context) -> Found:
    if magic.kind != "cell-magic":
        return
    lines = ctx.cell.cell.source.rstrip().split("\n")
    safe = magic.name in SAFE_CELL and not magic.keeps_statement
    hint = "; remove the `%%" + magic.name + "` line and keep the code" if magic.keeps_statement else ""
    yield ctx.span(r, magic.line, len(lines), f"IPython cell magic `%%{magic.name}` is not Python{hint}", safe)


RULE = Rule("NB202", "cell-magic", "IPython cell magic", "warning", True, (Magic,), check, __doc__)
