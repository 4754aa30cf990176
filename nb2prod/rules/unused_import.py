"""## What it does
Reports a top-level import whose name nothing in the notebook reads.

## Why is this bad?
Leftover imports from exploration slow start-up, add dependencies a production environment has
to install, and make readers look for code that is not there.

## Example
```python
import os
import math
print(math.pi)
```

Use instead:
```python
import math
print(math.pi)
```

## Not flagged
Names read anywhere in the notebook, before or after the import, including inside functions,
in magics (`%timeit np.sum(x)`) and shell escapes (`!echo {path}`), in type annotations (also
quoted ones: `def f(df: "pd.DataFrame")`), or listed in `__all__`; `__future__` imports; names
that appear in a cell with a syntax error; imports inside functions or `try` blocks; imports that
register an accessor the code uses (`import hvplot.pandas` then `df.hvplot()`, `import swifter`
then `df.swifter.apply(f)`).
"""

from __future__ import annotations

import ast
import re
import sys
from typing import Set

from nb2prod.model import Finding, Notebook
from nb2prod.rules._base import Context, Found, Rule

SIDE_EFFECT_MODULES = frozenset({"__future__", "mpl_toolkits.mplot3d"})


def check(r: Rule, nb: Notebook, ctx: Context) -> Found:
    facts = ctx.facts
    used = _used(ctx)
    for pc, st in facts.statements:
        node = st.node
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or st.magic is not None:
            continue
        if isinstance(node, ast.ImportFrom) and node.module in SIDE_EFFECT_MODULES:
            continue
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            shown = alias.name if isinstance(node, ast.Import) else f"{'.' * node.level}{node.module or ''}.{alias.name}"
            if alias.name == "*" or bound in used or shown in SIDE_EFFECT_MODULES or _accessor(bound, facts):
                continue
            loc = ctx.location(st.line, st.col, pc)
            yield Finding(loc, r.code, f"`{shown}` imported but unused", r.severity, False, None)


def _accessor(name: str, facts) -> bool:
    """`import hvplot.pandas` then `df.hvplot()`, `import swifter` then `df.swifter.apply(f)`: the import
    registers an accessor that the code reads as an attribute (checked only for unused imports; never
    for the standard library, whose names are common attributes: `resp.json()`, `df.copy()`)."""
    if name in getattr(sys, "stdlib_module_names", ()):
        return False
    pattern = re.compile(r"\.\s*" + re.escape(name) + r"\b")
    return any(pattern.search(pc.python) for pc in facts.cells)


def _used(ctx: Context) -> Set[str]:
    facts = ctx.facts
    used: Set[str] = set(facts.magic_names)
    for f in facts.flows:
        used |= f.uses | f.deferred
    for cell in facts.broken:
        used.update(re.findall(r"[A-Za-z_]\w*", cell.source))
    for _, st in facts.statements:  # `__all__ = ["name", ...]` re-exports what it lists
        node = st.node
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets) and isinstance(
                node.value, (ast.List, ast.Tuple)):
            used.update(e.value for e in node.value.elts if isinstance(e, ast.Constant) and isinstance(e.value, str))
    return used


RULE = Rule("NB402", "unused-import", "import never used", "warning", False, (Notebook,), check, __doc__)
