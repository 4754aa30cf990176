r"""## What it does
Flags string literals that are absolute paths into someone's machine: `/home/ana/data.csv`,
`/Users/ana/...`, `C:\Users\...`, `~/data`, `/content/drive/...` (Colab), `/kaggle/input/...`,
`/mnt/...`, `/dbfs/...`.

## Why is this bad?
The code only runs on the machine where the notebook was written. A production job, a
colleague or CI has a different file system.

## Example
```python
import pandas as pd
df = pd.read_csv("/home/ana/projects/churn/data.csv")
```

Use instead:
```python
import pandas as pd
df = pd.read_csv("data/data.csv")
```
or take the path from a command-line argument or a configuration file.

## Not flagged
Relative paths, URLs, system paths such as `/dev/null`, `/tmp` or `/usr/share/...`, text
that merely mentions a path inside a sentence or a docstring, and regular expressions that
happen to start with a backslash pair (`r"\\begin\{(.*?)\}"`) or a letter and a colon
(`r"x:\d+"`: a Windows path cannot hold `?`, and `+` or `^` there are read as regex syntax).
"""

from __future__ import annotations

import ast
import re

from nb2prod.rules._base import Context, Found, Rule

_ABSOLUTE = re.compile(
    r"^(?:/(?:home|Users|root|mnt|media|data|content|kaggle|dbfs|workspace|Volumes)/[^\s]*"
    r"|(?:[A-Za-z]:[\\/]|\\\\[\w.$-]+\\)[^\s<>\"|{}?+^]*"  # Windows: not a regex (`x:\d+`)
    r"|~[/\\][^\s]*)$"
)


def check(r: Rule, node: ast.Constant, ctx: Context) -> Found:
    value = node.value
    if not isinstance(value, str) or len(value) > 260 or not _ABSOLUTE.match(value):
        return
    if ctx.statement is None or ctx.is_statement(node):  # a docstring or a bare string
        return
    yield ctx.at(r, node, f"hard-coded absolute path `{value}` only exists on one machine")


RULE = Rule("NB403", "absolute-path", "hard-coded absolute path", "warning", False, (ast.Constant,), check, __doc__)
