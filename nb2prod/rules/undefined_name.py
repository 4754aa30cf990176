"""## What it does
Reports a name that is read but never defined anywhere in the notebook, with the closest
defined name as a suggestion.

Also reports a name read after a top-level `del name` with no new value in between, and reads
that fail in the order they run: a function's local variable read before anything assigns it
(`x = x` in a body: UnboundLocalError) and a name used again after `del` in the same block.

## Why is this bad?
The notebook only worked because the kernel still held the value from a cell that was edited
or deleted since. Run from the top, or as a script, it stops with `NameError`.

## Example
```python
reg_model = object()
saved = [reg]
```

Use instead:
```python
reg_model = object()
saved = [reg_model]
```

## Not flagged
Builtins and the names IPython defines (`display`, `get_ipython`, `In`, `Out`, `_`, `_3`);
names assigned by magics (`files = !ls`, `%%capture out`, `%store -r x`, `%%bigquery df`,
`%%R -o fit`, `%%script bash --out log`, `%%sql rows <<`); names bound through
the namespace (`globals()["x"] = ...`, `vars()[f"df_{k}"] = ...` defines every `df_...`,
`globals().update(x=1)`, `exec("x = 1")`); a name read in the body of a `try` whose `except`
catches `NameError` (`try: df` / `except NameError: df = load()`); a local read inside a loop
that assigns it later in the loop (an earlier pass may have). Nothing is reported when the
notebook uses `from x import *`, `%run` or `%pylab`, or writes a computed name with no constant
prefix into `globals()`, which define names nb2prod cannot see.
"""

from __future__ import annotations

import ast

from nb2prod.analysis.unbound import bad_reads
from nb2prod.analysis.walk import walk
from nb2prod.model import Finding, Notebook
from nb2prod.rules._base import Context, Found, Rule


def check(r: Rule, nb: Notebook, ctx: Context) -> Found:
    for u in ctx.facts.undefined():
        if u.deleted:
            yield site(r, ctx, u, f"`{u.name}` is read after `del {u.name}` above, with no new value since")
        elif not u.later:
            hint = f" (did you mean `{u.suggestion}`?)" if u.suggestion else ""
            yield site(r, ctx, u, f"undefined name `{u.name}`{hint}")
    for pc, st in ctx.facts.statements:
        for bad in bad_reads(st.source, st.node):
            col = bad.col + (st.col if bad.line == 1 else 0)
            yield Finding(ctx.location(st.line + bad.line - 1, col, pc), r.code, bad.message, r.severity, False, None)


def site(r: Rule, ctx: Context, u, message: str) -> Finding:
    """A finding where the name is read (inside a function body: its first read there)."""
    pc, st = ctx.facts.statements[u.statement]
    line, col = u.line, u.col
    if not line:
        first = next((n for n in walk(st.node) if isinstance(n, ast.Name) and n.id == u.name), st.node)
        line, col = getattr(first, "lineno", st.line), getattr(first, "col_offset", st.col)
    return Finding(ctx.location(line, col, pc), r.code, message, r.severity, False, None)


RULE = Rule("NB301", "undefined-name", "name read but never defined", "error", False, (Notebook,), check, __doc__)
