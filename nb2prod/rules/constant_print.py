"""## What it does
Flags a `print` made only of constants: progress messages (`print("done")`, `print("training...")`),
separators (`print("-" * 40)`, `print()`), and prints of a setting the code already has: a name the
notebook only ever binds to a literal text, or an upper-case constant only ever bound to a literal
(`model_path = "model.joblib"` then `print("saving to", model_path)`; `SEED = 13`, `print(SEED)`).

## Why is this bad?
A message that says the same thing on every run tells nothing: the script's own structure (and
its logging) says where it is, and the path or setting is in the code or its options.

## Example
```python
model_path = "model.joblib"
print("saving to", model_path)
print("done")
```

Use instead:
```python
model_path = "model.joblib"
```

## Not flagged
A print of anything computed (`print("rows", n)` where `n = len(df)`, `print(f"mse {mse:.3f}")`);
a lower-case name bound to a number (`x = 1`, `print(x)`: a value the code may be about);
a name bound to a literal in one place and to something else in another; a print with `file=`;
logging (`logger.info("done")`); prints inside functions and loops (they report progress of the
iterations: a finding, not fixable).

## Fix
Removes the statement.
"""

from __future__ import annotations

import ast
from typing import FrozenSet, Set

from nb2prod.rules._base import Context, Found, PrintCall, Rule
from nb2prod.rules._exprs import plain_print


def check(r: Rule, node: ast.Call, ctx: Context) -> Found:
    if not (plain_print(node) and ctx.exploring):
        return
    if all(_constant(arg, ctx) for arg in [*node.args, *(kw.value for kw in node.keywords)]):
        yield ctx.finding(r, node, "print of constant text or settings says the same on every run")


def _constant(node: ast.AST, ctx: Context) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(_constant(v, ctx) for v in node.values)
    if isinstance(node, ast.FormattedValue):
        return _constant(node.value, ctx) and (node.format_spec is None or _constant(node.format_spec, ctx))
    if isinstance(node, ast.BinOp):  # `"-" * 40`, `"=" * width` with width a setting
        return _constant(node.left, ctx) and _constant(node.right, ctx)
    if isinstance(node, ast.Name):
        return node.id in literal_names(ctx)
    return False


def literal_names(ctx: Context) -> FrozenSet[str]:
    """Settings: names every binding of which, anywhere in the notebook, is a top-level `name = <literal>`,
    the literal text (a path, a column, a mode: `model_path = "model.joblib"`) or the name a constant's
    (`SEED = 13`, `FEATURES = ["a", "b"]`); `n = 3` may be a count the print reports."""
    found = ctx.cache.get("literal_names")
    if found is None:
        literal: Set[str] = set()
        other: Set[str] = set()
        for (_, st), f in zip(ctx.facts.statements, ctx.facts.flows):
            node = st.node
            if isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets) \
                    and _literal(node.value):
                text = isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                literal |= {name for name in f.defs if text or name.isupper()}
                other |= f.updates
            else:
                other |= f.writes
        found = ctx.cache["literal_names"] = frozenset(literal - other)
    return found


def _literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, int, float)) and not isinstance(node.value, bool) or node.value is None
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_literal(e) for e in node.elts)
    return False



RULE = Rule("NB108", "constant-print", "print of constant text or settings left from exploration",
            "warning", True, (PrintCall,), check, __doc__)
