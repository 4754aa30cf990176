"""## What it does
Reports a name read by a cell above the cell that defines it.

## Why is this bad?
The notebook was run out of order. Restarting the kernel and running all cells from the top,
which is what a script does, stops with `NameError`.

## Example
```python
# %%
print(threshold)
# %%
threshold = 0.5
```

Use instead:
```python
# %%
threshold = 0.5
# %%
print(threshold)
```

## Not flagged
Reads inside a function body defined above a later definition, if the function is only called
after it; names defined anywhere earlier; a read in the body of a `try` whose `except` catches
`NameError` (`try: model` / `except NameError: model = train()` checks whether it exists).
"""

from __future__ import annotations

from nb2prod.model import Notebook
from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules.undefined_name import site


def check(r: Rule, nb: Notebook, ctx: Context) -> Found:
    statements = ctx.facts.statements
    for u in ctx.facts.undefined():
        if u.later:
            later = next((i for i in range(u.statement + 1, len(statements))
                          if u.name in ctx.facts.flows[i].defs), None)
            where = ""
            if later is not None:
                pc, st = statements[later]
                loc = ctx.location(st.line, None, pc)
                where = f", in cell {loc.cell}" if loc.cell else f", at line {loc.line}"
            yield site(r, ctx, u, f"`{u.name}` is used before it is defined (defined later{where})")


RULE = Rule("NB302", "use-before-definition", "name read above the cell that defines it",
            "error", False, (Notebook,), check, __doc__)
