"""## What it does
Flags a line magic, shell escape or help line inside an indented block (`if`, `for`, `def`).

## Why is this bad?
IPython syntax inside a block cannot be removed on its own without changing the block (it may
be its only statement), and the code around it cannot be run outside IPython.

## Example
```python
for name in ["a.csv", "b.csv"]:
    !wc -l {name}
```

Use instead:
```python
import subprocess
for name in ["a.csv", "b.csv"]:
    subprocess.run(["wc", "-l", name], check=True)
```

## Not flagged
Magics at the top level of a cell (`NB201`, `NB203`, `NB204`).
"""

from __future__ import annotations

from nb2prod.model import Magic
from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._magics import in_block


def check(r: Rule, magic: Magic, ctx: Context) -> Found:
    if in_block(magic) and magic.kind != "cell-magic":
        what = magic.text.strip()
        what = what if len(what) <= 40 else what[:37] + "..."
        yield ctx.span(r, magic.line, magic.line, f"IPython syntax `{what}` inside a block", False, magic.col)


RULE = Rule("NB205", "magic-in-block", "IPython magic or shell escape inside an indented block",
            "warning", False, (Magic,), check, __doc__)
