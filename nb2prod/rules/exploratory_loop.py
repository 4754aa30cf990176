"""## What it does
Flags a top-level `for` or `while` loop whose body only prints, displays or plots, and assigns
names that nothing after the loop reads: a hyperparameter sweep that only prints its scores,
or a loop that plots one column after another.

Also a hyperparameter sweep that collects its scores only to show them: a loop fitting a model
per pass into a container made empty for it (`scores = []`, `scores.append(m.score(X_val, y_val))`)
that later statements only print, display or plot, or a comprehension fitting one per item
(`[SVC(gamma=g).fit(X, y).score(X_val, y_val) for g in gammas]`) whose value is only shown: the
container, the sweep and those shows are flagged together. The final fit after it is not.

## Why is this bad?
Such a loop produces nothing the rest of the program uses. It was a way to look at results
while exploring; in production it only costs time (often a lot: it trains models).

## Example
```python
from sklearn.neighbors import KNeighborsRegressor
X, y = [[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0]
for k in [1, 2, 3]:
    model = KNeighborsRegressor(n_neighbors=k)
    model.fit(X, y)
    print(k, model.score(X, y))
```

Use instead:
```python
from sklearn.neighbors import KNeighborsRegressor
X, y = [[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0]
model = KNeighborsRegressor(n_neighbors=2)
model.fit(X, y)
```

## Not flagged
A `for` loop that only prints results computed before it (`for name, value in metrics.items():
print(name, value)`), unless it walks a DataFrame or prints data. A loop that appends to or updates an outer list, dict or object, writes a file (also through a
method of an object it made: `table.to_parquet(path)`, `fig.savefig(name)`), calls a
function for its effect, or assigns a name that is used after the loop (including the loop
variable), including through the loop variable when it stands for outer objects (`for frame in
[train, test]: frame["age"] = ...`, `for name, model in models.items(): model.fit(X, y)`). A loop that rebinds a name from before it from its own value (`w = w - lr * grad`,
`w -= lr * grad`: a training loop that prints its loss); a constant step (`i += 1`) does not count.
A loop that calls a function with outer objects and nothing that changes between iterations
(`loss = train_one_epoch(model, opt)`), or a notebook function with no arguments (`loss = step()`):
the call can only be there for what it does to them.
Loops that log or track what they compute (`logger.info("k=%d score=%.3f", k, score)`,
`mlflow.log_metric("score", score, step=k)`, `run.log({...})`, `writer.add_scalar(...)`).
Loops inside functions. A sweep whose collected scores anything else reads (`best = max(results,
key=results.get)` then used for the final model), a fold loop (`for tr, va in kf.split(X)`: it
evaluates one setting), a sweep whose container is bound to anything but an empty one, and a comprehension that calls a
function of the notebook or logs.

## Fix
Removes the loop.
"""

from __future__ import annotations

import ast
from typing import List, Set

from nb2prod.analysis.vocab import BUILTINS, EXPORT_METHODS, PURE_METHODS, WRITE_METHODS
from nb2prod.analysis.walk import walk
from nb2prod.rules._base import Context, Found, Rule
from nb2prod.model import Finding
from nb2prod.rules._exprs import PURE_BUILTINS, is_inspection, is_output, is_print, shows_only

_WRITES = frozenset("open exec eval setattr delattr print_to".split())


def check(r: Rule, node: ast.AST, ctx: Context) -> Found:
    if isinstance(node, COMPREHENSIONS):
        yield from _comprehension_sweep(r, node, ctx)
        return
    if not (ctx.exploring and ctx.is_statement(node)):
        return
    local = {n.id for n in walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if local & ctx.facts.used_after(ctx.facts.position(ctx.statement)):
        return
    if _reports_results(node, ctx) or _trains(node, ctx):
        return
    outputs: List[bool] = []
    own = local - _aliases(node, local, ctx)  # names whose objects the loop made itself
    kind = "for" if isinstance(node, ast.For) else "while"
    if _only_local(node.body + node.orelse, own, ctx, outputs) and any(outputs):
        yield ctx.whole(r, f"`{kind}` loop only shows results; nothing after it uses what it computes")
    elif _fits(node.body) and not _over_folds(node):
        yield from _collecting_sweep(r, node, own, ctx, kind)


# -- sweeps that collect their scores: `scores.append(m.score(X_val, y_val))`, then only shown ------

COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_EMPTY = ("list", "dict", "set")


def _collecting_sweep(r: Rule, loop: ast.AST, own: Set[str], ctx: Context, kind: str) -> Found:
    """A loop fitting a model per pass that only collects into containers made empty just for it
    (`scores = []`), which later statements only print, display or plot: the sweep, its container and
    those shows go together. A collected value anything else reads (`best = max(scores)`) keeps it all."""
    facts = ctx.facts
    here = facts.position(ctx.statement)
    collectors = facts.flows[here].updates - own
    if not collectors:
        return
    outputs: List[bool] = []
    if not _only_local(loop.body + loop.orelse, own | collectors, ctx, outputs):
        return
    inits = _empty_inits(collectors, here, ctx)
    readers = _shown_only(collectors, here, ctx)
    if inits is None or not readers:
        return
    message = f"`{kind}` loop is a sweep whose collected scores are only shown"
    yield ctx.whole(r, message)
    for j in inits + readers:
        yield _whole_at(r, ctx, j, message)


def _comprehension_sweep(r: Rule, comp: ast.AST, ctx: Context) -> Found:
    """`scores = [SVC(gamma=g).fit(X, y).score(X_val, y_val) for g in gammas]`, then only shown."""
    st = ctx.statement
    if not ctx.exploring or not isinstance(st.node, ast.Assign) or _over_folds(comp):
        return
    if not all(isinstance(t, ast.Name) for t in st.node.targets) or not _fits([comp]):
        return
    if ctx.calls_own_function(st.node) or any(isinstance(sub, ast.Call) and ctx.facts.is_effect_call(sub)
                                              for sub in walk(st.node)):
        return  # `[fit_and_log(k) for k in ks]`: what the calls do is not known, or is logged
    here = ctx.facts.position(st)
    done = ctx.cache.setdefault("sweeps", set())
    readers = _shown_only(ctx.facts.flows[here].defs, here, ctx)
    if here in done or not readers:
        return
    done.add(here)
    message = "comprehension is a sweep whose scores are only shown"
    yield ctx.whole(r, message)
    for j in readers:
        yield _whole_at(r, ctx, j, message)


def _fits(nodes) -> bool:
    return any(isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "fit"
               for node in nodes for sub in walk(node))


def _over_folds(node: ast.AST) -> bool:
    """`for train_idx, val_idx in kf.split(X)`: a fold loop evaluates one setting, it sweeps nothing."""
    iters = [node.iter] if isinstance(node, ast.For) else [g.iter for g in getattr(node, "generators", ())]
    return any(isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "split"
               for it in iters for sub in walk(it))


def _empty_inits(names: Set[str], here: int, ctx: Context):
    """The positions of `name = []` (or `{}`, `dict()`) binding each name, and nothing else binding it
    before `here`; None when a name has any other binding."""
    found = []
    for j in range(here):
        f = ctx.facts.flows[j]
        if not f.writes & names:
            continue
        node = ctx.facts.statements[j][1].node
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and _empty(node.value)) or f.updates & names:
            return None
        found.append(j)
    return found if len(found) == len(names) else None


def _empty(node: ast.AST) -> bool:
    if isinstance(node, (ast.List, ast.Set, ast.Tuple)):
        return not node.elts
    if isinstance(node, ast.Dict):
        return not node.keys
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _EMPTY and not node.args


def _aliases(loop: ast.AST, local: Set[str], ctx: Context) -> Set[str]:
    """The names a `for` loop binds to objects that exist outside it (`for frame in [train, test]`,
    `for name, model in models.items()`): changing them changes those objects. Empty for `range()`,
    constants and objects the iterable makes (`[SVC(), KNN()]`, `os.walk(path)`)."""
    if not isinstance(loop, ast.For) or not _outer_items(loop.iter, local, ctx):
        return set()
    return {n.id for n in walk(loop.target) if isinstance(n, ast.Name)}


def _outer_items(node: ast.AST, local: Set[str], ctx: Context) -> bool:
    if isinstance(node, ast.Constant):
        return False
    if isinstance(node, (ast.Name, ast.Attribute, ast.Subscript)):
        root = _root(node)
        return root is None or root not in local
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return any(_outer_items(e, local, ctx) for e in node.elts)
    if isinstance(node, ast.Dict):
        return any(_outer_items(v, local, ctx) for v in node.values)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Attribute) and not ctx.facts.is_module(_root(func)):
            return _outer_items(func.value, local, ctx)  # `models.items()`, `df.groupby("k")`
        args = list(node.args) + [kw.value for kw in node.keywords]
        return any(_outer_items(a.value if isinstance(a, ast.Starred) else a, local, ctx) for a in args)
    return True


def _trains(node: ast.AST, ctx: Context) -> bool:
    """`w = w - lr * grad` or `w -= lr * grad` on a name from before the loop: the loop updates a model
    (or an estimate) step by step, like `opt.step()` does to a torch model; `i += 1` only counts."""
    rebound = set()
    for sub in walk(node):
        if isinstance(sub, ast.AugAssign) and isinstance(sub.target, ast.Name):
            if not isinstance(sub.value, ast.Constant):
                rebound.add(sub.target.id)
        elif isinstance(sub, ast.Assign) and len(sub.targets) == 1 and isinstance(sub.targets[0], ast.Name):
            name = sub.targets[0].id
            if any(isinstance(n, ast.Name) and n.id == name for n in walk(sub.value)):
                rebound.add(name)
    if not rebound:
        return False
    flows = ctx.facts.flows
    return any(rebound & flows[i].defs for i in range(ctx.facts.position(ctx.statement)))


def _reports_results(node: ast.AST, ctx: Context) -> bool:
    """`for name, value in metrics.items(): print(f"{name}: {value:.3f}")`: a loop that only prints
    results computed before it, over something that is not a DataFrame, is a report like
    `print(metrics)` (which NB102 keeps), not a sweep or a look at the data."""
    if not isinstance(node, ast.For) or node.orelse:
        return False
    source = _root(node.iter)
    if source in (None, "range") or ctx.facts.is_frame(ast.Name(source)) or is_inspection(node.iter, ctx.facts):
        return False
    return _only_result_prints(node.body, ctx)


def _only_result_prints(body: List[ast.stmt], ctx: Context) -> bool:
    for stmt in body:
        if isinstance(stmt, ast.If):
            if not _only_result_prints(stmt.body + stmt.orelse, ctx):
                return False
        elif not (isinstance(stmt, ast.Expr) and is_print(stmt.value)
                  and not any(_shows_data(arg, ctx) for arg in stmt.value.args)):
            return False
    return True


def _shows_data(arg: ast.AST, ctx: Context) -> bool:
    return any(is_inspection(n, ctx.facts) or ctx.facts.is_frame(n) for n in walk(arg))


def _only_local(body: List[ast.stmt], local: Set[str], ctx: Context, outputs: List[bool]) -> bool:
    for stmt in body:
        if isinstance(stmt, (ast.Pass, ast.Break, ast.Continue)):
            continue
        if isinstance(stmt, ast.Expr):
            if not _local_call(stmt.value, local, ctx, outputs):
                return False
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            if not _local_assign(stmt, local, ctx):
                return False
        elif isinstance(stmt, (ast.If, ast.For, ast.While)):
            inner = local - _aliases(stmt, local, ctx) if isinstance(stmt, ast.For) else local
            if not _only_local(stmt.body + stmt.orelse, inner, ctx, outputs):
                return False
        elif isinstance(stmt, ast.Try):
            bodies = stmt.body + stmt.orelse + stmt.finalbody + [s for h in stmt.handlers for s in h.body]
            if not _only_local(bodies, local, ctx, outputs):
                return False
        else:
            return False
    return True


def _local_call(value: ast.AST, local: Set[str], ctx: Context, outputs: List[bool]) -> bool:
    if not isinstance(value, ast.Call):
        return _no_effects(value, local, ctx)
    if is_output(value, ctx.facts):
        if any(kw.arg == "file" for kw in value.keywords):
            return False
        outputs.append(True)
        return True
    func = value.func
    if isinstance(func, ast.Attribute) and _root(func.value) in local and not _saves(value):
        return _no_effects(value, local, ctx, skip=value)
    return False


def _local_assign(stmt: ast.stmt, local: Set[str], ctx: Context) -> bool:
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
    for t in targets:
        for n in walk(t):
            if isinstance(n, (ast.Attribute, ast.Subscript)) and _root(n) not in local:
                return False
    return stmt.value is None or _no_effects(stmt.value, local, ctx)


def _no_effects(node: ast.AST, local: Set[str], ctx: Context, skip=None) -> bool:
    """No call in `node` changes an outer object or writes anything (calls on local names are fine)."""
    for sub in walk(node):
        if not isinstance(sub, ast.Call) or sub is skip:
            continue
        func = sub.func
        if isinstance(func, ast.Name) and (func.id in _WRITES or _steps(sub, local, ctx)) or _saves(sub):
            return False
        if ctx.facts.is_effect_call(sub):  # `logger.info(...)`, `run.log({...})`: logged or tracked
            return False
        if isinstance(func, ast.Attribute) and func.attr not in PURE_METHODS:
            root = _root(func.value)
            if root is not None and root not in local and not ctx.facts.is_module(root):
                return False
    return True


def _steps(call: ast.Call, local: Set[str], ctx: Context) -> bool:
    """`loss = train_one_epoch(model, opt)`: a function given outer objects and nothing that changes from
    one iteration to the next would compute the same value every time, so it is called for what it
    does to them. `score(k)`, `cross_val_score(KNN(k), X, y)` and `SVC()` are not."""
    if call.func.id in PURE_BUILTINS:
        return False
    args = [*call.args, *(kw.value for kw in call.keywords)]
    if not args:  # `loss = step()`: a notebook function that works on globals (imported ones: `random()`)
        return not ctx.facts.is_module(call.func.id)
    names = [n.id for a in args for n in walk(a) if isinstance(n, ast.Name)]
    if any(name in local for name in names):
        return False
    return any(name not in BUILTINS and not ctx.facts.is_module(name) for name in names)


def _saves(call: ast.Call) -> bool:
    """`frame.to_parquet(path)`, `fig.savefig(name)`, `frame.to_json("out.json")`: the call writes a file."""
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    return func.attr in WRITE_METHODS or func.attr in EXPORT_METHODS and bool(call.args or call.keywords)


def _shown_only(names: Set[str], here: int, ctx: Context) -> List[int]:
    """The later top-level statements reading `names`, when each only prints, displays, plots or shows
    them; empty when any does anything else with them (or a function or magic reads them)."""
    facts = ctx.facts
    if names & facts.magic_names or any(names & f.deferred for f in facts.flows):
        return []
    readers = []
    for j in range(here + 1, len(facts.flows)):
        if facts.flows[j].uses & names:
            node = facts.statements[j][1].node
            if not (isinstance(node, ast.Expr) and _shows(node.value, ctx)):
                return []
            readers.append(j)
    return readers


def _shows(value: ast.AST, ctx: Context) -> bool:
    if is_output(value, ctx.facts):
        return not any(kw.arg == "file" for kw in getattr(value, "keywords", ()))
    return shows_only(value, ctx.facts)


def _whole_at(r: Rule, ctx: Context, position: int, message: str) -> Finding:
    """A fixable finding covering the top-level statement at `position`, in whichever cell it is."""
    pc, st = ctx.facts.statements[position]
    loc = ctx.location(st.line, st.col, pc)
    return Finding(loc, r.code, message, r.severity, r.fixable, st.end_line + loc.line - st.line)


def _root(node: ast.AST):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


RULE = Rule("NB106", "exploratory-loop", "loop that only prints, displays or plots",
            "warning", True, (ast.For, ast.While) + COMPREHENSIONS, check, __doc__)
