"""## What it does
Flags IPython help syntax: `obj?`, `obj??`, `?obj`.

## Why is this bad?
It opens the documentation pane in the notebook. In a `.py` file it is a syntax error.

## Example
```python
import math
math.sqrt?
```

Use instead:
```python
import math
```

## Not flagged
`?` inside strings and comments.

## Fix
Removes the line.
"""

from __future__ import annotations

from nb2prod.model import Magic
from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._magics import in_block, line_finding


def check(r: Rule, magic: Magic, ctx: Context) -> Found:
    if magic.kind == "help" and not in_block(magic):
        yield line_finding(r, ctx, magic, f"IPython help `{magic.text.strip()}` only shows documentation", True)


RULE = Rule("NB204", "help-syntax", "IPython help syntax (`obj?`)", "warning", True, (Magic,), check, __doc__)
