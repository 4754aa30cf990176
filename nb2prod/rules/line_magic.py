"""## What it does
Flags IPython line magics such as `%matplotlib inline`, `%load_ext autoreload`, `%timeit f(x)`
or `%cd data/`, and magic assignments such as `names = %who_ls`.

## Why is this bad?
Magics are IPython syntax: a `.py` file that contains them does not even parse. Most of them
configure the notebook or time code, which a production script does not need.

## Example
```python
%matplotlib inline
import math
```

Use instead:
```python
import math
```

## Not flagged
`%` inside strings and comments, the modulo operator, and magics in an indented block (those
are `NB205 magic-in-block`).

## Fix
Removes the line for magics that only configure the notebook or show something
(`%matplotlib`, `%load_ext`, `%autoreload`, `%timeit`, `%who`, `%pip` ...). Magics that change
state (`%cd`, `%env`, `%run`, `%store`), `%time stmt` (whose statement must stay) and magic
assignments are reported but not removed.
"""

from __future__ import annotations

from nb2prod.model import Magic
from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._magics import SAFE_LINE, in_block, line_finding


def check(r: Rule, magic: Magic, ctx: Context) -> Found:
    if magic.kind not in ("line-magic", "magic-assign") or in_block(magic):
        return
    safe = magic.kind == "line-magic" and magic.name in SAFE_LINE and not magic.keeps_statement
    hint = "; keep the statement without `%" + magic.name + "`" if magic.keeps_statement else ""
    yield line_finding(r, ctx, magic, f"IPython line magic `%{magic.name}` is not Python{hint}", safe)


RULE = Rule("NB201", "line-magic", "IPython line magic", "warning", True, (Magic,), check, __doc__)
