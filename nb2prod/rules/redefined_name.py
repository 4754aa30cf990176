"""## What it does
Reports a top-level statement that rebinds a name from its own previous value when the name
comes from an earlier cell: `x = x + 1`, `x += 1`, `df = df.drop(columns=["a"])`.

## Why is this bad?
Running the cell a second time gives a different result (the column is already gone, the
counter is one higher). Whatever the notebook shows depends on how often each cell was run.

## Example
```python
# %%
count = 0
# %%
count = count + 1
```

Use instead:
```python
# %%
count = 0
# %%
total = count + 1
```

## Not flagged
A name defined earlier in the same cell (re-running the cell starts it over), idempotent
rebinding (`df = df.dropna()`, `x = int(x)`, `path = Path(path)`, filters such as
`df = df[df["age"] > 0]`, `df = df.query("age > 0")` or `df = df[["a", "b"]]`, and
`model = model.fit(X, y)`, which returns the refitted estimator, and conversions to a target
shape, device or dtype: `x = x.reshape(-1, 1)`, `t = t.to(device)`, and new columns computed from
others: `df = df.assign(total=lambda d: d.a + d.b)`), a comprehension's own
variable of the same name (`x = [x * 2 for x in range(3)]`), and loops and functions.
"""

from __future__ import annotations

import ast

from nb2prod.analysis.walk import root_name, walk
from nb2prod.rules._base import Context, Found, Rule, names_in

IDEMPOTENT = frozenset(
    "copy dropna drop_duplicates astype strip lower upper reset_index sort_values sort_index fillna "
    "to_numpy squeeze infer_objects convert_dtypes int float str list tuple set sorted bool Path abs "
    "asarray array DataFrame Series to_datetime to_numeric atleast_2d unique resolve expanduser "
    # filters keep what already passes them; `fit` returns the estimator, refitted on the same data
    "query filter head tail select_dtypes reindex asfreq interpolate ffill bfill rename replace round "
    "clip fit "
    # a target shape, device or dtype: `x = x.reshape(-1, 1)`, `t = t.to(device)`, `model = model.eval()`
    "reshape ravel flatten view to cuda cpu eval detach contiguous "
    "assign with_columns".split()  # when the columns they write are not among those they read
)
_ADDS_COLUMNS = frozenset({"assign", "with_columns"})
# Masks of `df[df["x"] > 0]`, `df[~df.duplicated()]`, `df[df.y.isin(keep)]`: filtering twice filters once.
_MASK_METHODS = frozenset("isin notna notnull isna isnull between duplicated contains startswith endswith".split())


def check(r: Rule, node: ast.AST, ctx: Context) -> Found:
    if not (ctx.exploring and ctx.is_statement(node)):
        return
    if isinstance(node, ast.AugAssign):
        name = root_name(node.target)
    elif len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        name = node.targets[0].id
        reads = ctx.facts.flows[ctx.facts.position(ctx.statement)].uses  # what the value reads from before
        if name not in reads or _idempotent(node.value, name):
            return
    else:
        return
    if name is None or not _from_earlier_cell(name, ctx):
        return
    yield ctx.whole(r, f"`{name}` is rebound from its own value: running this cell twice changes the result")


def _idempotent(value: ast.AST, name: str) -> bool:
    """`name.copy()`, `name.dropna().astype(float)`, `int(name)`, `name[name.x > 0]`: a second run gives
    the same value."""
    if isinstance(value, ast.Subscript):
        return _filters(value, name)
    while isinstance(value, ast.Call):
        func = value.func
        key = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if key not in IDEMPOTENT or key in _ADDS_COLUMNS and not _new_columns_only(value):
            return False
        if isinstance(func, ast.Name) or (isinstance(func.value, ast.Name) and func.value.id != name):
            return len(value.args) == 1 and isinstance(value.args[0], ast.Name) and value.args[0].id == name
        if isinstance(func.value, ast.Name):  # name.method(...)
            return not any(name in names_in(a) for a in value.args)
        value = func.value
    return False


def _new_columns_only(call: ast.Call) -> bool:
    """`df.assign(total=lambda d: d.a + d.b)`, `df.with_columns((pl.col("a") * 2).alias("b"))`: the columns
    written are not read, so a second run writes the same values (`assign(a=lambda d: d.a * 2)` and
    polars' `pl.col("a") * 2`, which replaces `a`, are not)."""
    written = {kw.arg for kw in call.keywords}
    if None in written:
        return False
    for arg in call.args:
        named = arg.func.attr == "alias" if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) else False
        if not (named and arg.args and isinstance(arg.args[0], ast.Constant)):
            return False
        written.add(arg.args[0].value)
    read = set()
    for part in [*call.args, *(kw.value for kw in call.keywords)]:
        for n in walk(part):
            if isinstance(n, ast.Attribute):
                read.add(n.attr)
            elif isinstance(n, ast.Constant) and isinstance(n.value, str):
                read.add(n.value)
    aliases = {a.args[0].value for a in call.args}
    return not (written & (read - aliases))


def _filters(value: ast.Subscript, name: str) -> bool:
    """`name[mask]`, `name.loc[mask]`, `name[["a", "b"]]`, `name[:1000]`: rows or columns `name` still
    has after the first run (a single key, `name["Close"]`, or `name[1:]` is not)."""
    frame = value.value
    if isinstance(frame, ast.Attribute) and frame.attr in ("loc", "iloc"):
        frame = frame.value
    if not (isinstance(frame, ast.Name) and frame.id == name):
        return False
    key = value.slice
    if isinstance(key, ast.List):
        return all(isinstance(e, ast.Constant) for e in key.elts)
    if isinstance(key, ast.Slice):
        return key.lower is None and key.step is None
    return _is_mask(key)


def _is_mask(key: ast.AST) -> bool:
    if isinstance(key, (ast.Compare, ast.BoolOp)):
        return True
    if isinstance(key, ast.UnaryOp):
        return isinstance(key.op, (ast.Invert, ast.Not)) and _is_mask(key.operand)
    if isinstance(key, ast.BinOp):
        return isinstance(key.op, (ast.BitAnd, ast.BitOr)) and _is_mask(key.left) and _is_mask(key.right)
    return isinstance(key, ast.Call) and isinstance(key.func, ast.Attribute) and key.func.attr in _MASK_METHODS


def _from_earlier_cell(name: str, ctx: Context) -> bool:
    facts, here = ctx.facts, ctx.facts.position(ctx.statement)
    for i in range(here - 1, -1, -1):
        pc, st = facts.statements[i]
        if name in facts.flows[i].defs:
            return pc is not ctx.cell
        if pc is ctx.cell and name in facts.flows[i].updates:
            return False
    return False


RULE = Rule("NB304", "redefined-name", "name rebound from its own value across cells (rerun hazard)",
            "error", False, (ast.Assign, ast.AugAssign), check, __doc__)
