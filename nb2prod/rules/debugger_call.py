"""## What it does
Flags debugger leftovers: `breakpoint()`, `pdb.set_trace()`, `ipdb.set_trace()`,
`IPython.core.debugger.set_trace()`, and `import pdb` / `import ipdb`.

## Why is this bad?
A production run that reaches a breakpoint stops and waits for input that never comes: a
scheduled job hangs until it times out.

## Example
```python
import pdb
x = 1
pdb.set_trace()
```

Use instead:
```python
x = 1
```

## Not flagged
Methods that happen to share a name on other objects (`tracer.set_trace()` when `tracer` is
not imported from a debugger module), and `%debug`/`%pdb` (those are `NB201 line-magic`).

## Fix
Removes the statement when the call or import is a statement of its own (an import only of
debugger modules).
"""

from __future__ import annotations

import ast

from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._exprs import call_text
from nb2prod.analysis.facts import DEBUG_MODULES


def check(r: Rule, node: ast.AST, ctx: Context) -> Found:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        modules = [a.name if isinstance(node, ast.Import) else f"{node.module}.{a.name}" for a in node.names]
        debug = [m for m in modules if _debugger(m)]
        if debug:
            fixable = len(debug) == len(modules) and ctx.is_statement(node)
            yield ctx.finding(r, node, f"debugger import `{debug[0]}` left in the code", fixable=fixable)
        return
    func = node.func
    target = "breakpoint" if isinstance(func, ast.Name) and func.id == "breakpoint" else ctx.facts.module_of(func)
    if target is not None and (target == "breakpoint" or _debugger(target)):
        yield ctx.finding(r, node, f"debugger call `{call_text(func)}()` stops the program")


def _debugger(name: str) -> bool:
    return name in DEBUG_MODULES or name.startswith(_INSIDE)


_INSIDE = tuple(m + "." for m in DEBUG_MODULES)  # `pdb.set_trace`: one startswith for every debugger module


RULE = Rule("NB401", "debugger-call", "debugger call or import left in the code",
            "warning", True, (ast.Call, ast.Import, ast.ImportFrom), check, __doc__)
