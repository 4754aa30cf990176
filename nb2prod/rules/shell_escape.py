"""## What it does
Flags shell escapes: `!pip install pandas`, `!ls data/`, `files = !ls`.

## Why is this bad?
`!` lines are IPython syntax and run a shell command. Installing packages from code makes a
run depend on the network and on whatever version is newest that day; other commands tie the
code to one machine's shell.

## Example
```python
!pip install scikit-learn
import sklearn
```

Use instead:
```python
import sklearn
```
`nb2prod convert` writes `requirements.txt` beside the scripts, listing the distributions that
provide what they import (here `scikit-learn`) at their installed versions; or list them in the
`dependencies` of `pyproject.toml`.

## Not flagged
`!=` comparisons, `!` in strings and comments, and shell escapes in an indented block (those
are `NB205 magic-in-block`).

## Fix
Removes `!pip`/`!conda` installs and commands that only show something (`!ls`, `!cat`,
`!nvidia-smi` ...). Commands that change files (`!wget`, `!mkdir`, `!unzip`) and shell
assignments are reported but not removed.
"""

from __future__ import annotations

from nb2prod.model import Magic
from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._magics import SAFE_SHELL, in_block, line_finding


def check(r: Rule, magic: Magic, ctx: Context) -> Found:
    if magic.kind not in ("shell", "shell-assign") or in_block(magic):
        return
    text = " ".join(part.strip() for part in magic.text.split("\n"))  # brackets may run over lines
    command = text.strip().lstrip("!").strip() if magic.kind == "shell" else magic.name
    if magic.name in ("pip", "pip3", "conda", "mamba") and " install" in magic.text:
        message = (f"shell escape `!{_short(command)}`: install from requirements.txt instead "
                   "(nb2prod convert writes it from the imports)")
    else:
        message = f"shell escape `!{_short(command)}` runs a shell command; not Python"
    yield line_finding(r, ctx, magic, message, magic.kind == "shell" and magic.name in SAFE_SHELL)


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


RULE = Rule("NB203", "shell-escape", "IPython shell escape (`!cmd`)", "warning", True, (Magic,), check, __doc__)
