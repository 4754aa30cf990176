"""Reads the notebook itself fails on, in source order: a function's local read before anything binds
it (UnboundLocalError) and a name read or deleted again after `del` (NameError).

Read by convert (plan/names.py) and lint (NB301) alike. Data flow sees which names a statement reads, not in which order within it; these are the reads that
fail whenever they run, so the generated script would fail there too. A loop may bind a local on an
earlier pass, a `del` in a branch may not have run and a `try` may catch the error: those are not reported.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator, List, Optional, Set

from nb2prod.analysis.walk import child_fields, walk
from nb2prod.frozen import frozen

_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_KEYWORDS = re.compile(r"\bde[fl]\b")  # `def` or `del` as a word (`model` holds "del")
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
# The statements a def or a del can be (or be inside): every other statement is a simple one.
_HOLDERS = frozenset({ast.Delete, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor,
                      ast.While, ast.With, ast.AsyncWith, ast.Try, getattr(ast, "TryStar", ast.Try),
                      getattr(ast, "Match", ast.Try)})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
# Nodes whose bindings a flat walk of Name stores gets wrong or misses (_Seen.expr leaves them to _binds).
_NOT_PLAIN = frozenset({*_COMPREHENSIONS, ast.Lambda, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                        ast.Import, ast.ImportFrom, ast.ExceptHandler, ast.alias}) | frozenset(
    getattr(ast, n) for n in ("MatchAs", "MatchStar", "MatchMapping") if hasattr(ast, n))
_PATTERN_NAMES = ("name", "rest")  # ExceptHandler/MatchAs/MatchStar.name, MatchMapping.rest
_PATTERN_BINDERS = frozenset({"MatchAs", "MatchStar", "MatchMapping"})


@frozen
class BadRead:
    name: str
    line: int  # within the statement's source, 1-based
    col: int  # 0-based
    message: str


def bad_reads(source: str, node: ast.stmt) -> List[BadRead]:
    """The failing reads of one top-level statement: `source` its text, `node` its parse (only looked at for
    a `del` or a def, the only places such reads come from); lines count from the statement's first."""
    if node.__class__ not in _HOLDERS or not _KEYWORDS.search(source) or not _may_fail(node):
        return []  # most statements are simple ones (no def or del can be inside) or hold neither keyword
    return exact_bad_reads(source)


def exact_bad_reads(source: str) -> List[BadRead]:
    """`bad_reads` without the shortcuts: a second parse, the symbol tables, every read in order."""
    import symtable  # rarely needed (see _may_fail)

    try:
        tree = ast.parse(source)
        tables = {(t.get_name(), t.get_lineno()): t for t in _tables(symtable.symtable(source, "<cell>", "exec"))}
    except (SyntaxError, ValueError):
        return []
    found: List[BadRead] = []
    _Order(found, "", frozenset(), tables).block(tree.body)
    return found


def _may_fail(node: ast.stmt) -> bool:
    """False only when no read in `node` can fail: it deletes nothing, and in every function it defines each
    local is bound before anything reads it. Cheap and conservative (no second parse, no symbol table; a
    def statement, the common case, is walked once: its header, then its body by `_Seen`): `bad_reads` does
    the exact work only when this says True, and a test checks over every statement with a def or del we
    have that this changes no answer."""
    if node.__class__ in _FUNCTIONS:
        return _header_may_fail(node) or _body_may_fail(node)
    nodes = walk(node)
    if any(n.__class__ is ast.Delete or n.__class__ is ast.NamedExpr for n in nodes):
        return True
    return any(n.__class__ in _FUNCTIONS and _body_may_fail(n) for n in nodes)


def _header_may_fail(function) -> bool:
    """A walrus in a def's decorators, defaults or annotations (which `_Seen` does not walk)."""
    args = function.args
    header = [*function.decorator_list, *args.defaults, *args.kw_defaults, function.returns,
              *(a.annotation for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a)]
    return any(n.__class__ is ast.NamedExpr for part in header if part is not None for n in walk(part))


def _body_may_fail(function) -> bool:
    """Whether a function's body (or a function defined in it) may read a local before binding it, or deletes
    or binds by walrus (left to the exact work)."""
    args = function.args
    params = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs + [args.vararg, args.kwarg] if a}
    seen = _Seen()
    seen.block(function.body)
    return (seen.unsure or not (seen.early & seen.bound).issubset(params)
            or any(_header_may_fail(inner) or _body_may_fail(inner) for inner in seen.functions))


class _Seen:
    """One pass over a body in the order `_Order` visits it: the names it binds in its own scope (a superset of
    its locals: `global` names too), and the names read where the body had not bound them yet (a statement's
    reads counting as before its binds, so a read `_Order` finds unbound is always among them)."""

    def __init__(self) -> None:
        self.bound: Set[str] = set()
        self.early: Set[str] = set()
        self.functions: List[ast.AST] = []  # the defs met, anywhere in the body: each body is checked too
        self.unsure = False  # a `del` or a walrus: left to the exact work

    def block(self, body) -> None:
        for stmt in body:
            kind = stmt.__class__
            if kind is ast.For or kind is ast.AsyncFor:
                self.expr(stmt.iter)
                _binds(stmt.target, self.bound)
                self.block(stmt.body)
                self.block(stmt.orelse)
            elif kind is ast.If or kind is ast.While:
                self.expr(stmt.test)
                self.block(stmt.body)
                self.block(stmt.orelse)
            elif kind is ast.With or kind is ast.AsyncWith:
                for item in stmt.items:
                    self.expr(item.context_expr)
                    if item.optional_vars is not None:
                        _binds(item.optional_vars, self.bound)
                self.block(stmt.body)
            elif kind in _FUNCTIONS:
                for sub in stmt.decorator_list + stmt.args.defaults + [d for d in stmt.args.kw_defaults if d]:
                    self.expr(sub)
                self.bound.add(stmt.name)
                self.functions.append(stmt)
            else:
                if kind is ast.AugAssign and stmt.target.__class__ is ast.Name and stmt.target.id not in self.bound:
                    self.early.add(stmt.target.id)
                stores = self.expr(stmt)
                if stores is None:
                    _binds(stmt, self.bound)
                else:
                    self.bound |= stores

    def expr(self, node: ast.AST) -> Optional[Set[str]]:
        """Note the names `node` reads unbound; return the names it binds when its Name stores and imports
        say all (no nested scope, handler or pattern in it), else None (then `_binds` works them out)."""
        bound, early, stores = self.bound, self.early, set()
        plain = True
        for n in walk(node):
            kind = n.__class__
            if kind is ast.Name:
                if n.ctx.__class__ is ast.Load:
                    if n.id not in bound:
                        early.add(n.id)
                else:
                    stores.add(n.id)
            elif kind in _NOT_PLAIN:
                plain = False
                if kind in _FUNCTIONS:
                    self.functions.append(n)
            elif kind is ast.Delete or kind is ast.NamedExpr:
                self.unsure = True
        return stores if plain else None


def _binds(node: ast.AST, out: Set[str]) -> None:
    """The names `node` binds in the scope it runs in, as `_Order` sees them: not inside nested functions,
    classes and lambdas, and of a comprehension only what its first iterable binds (`_may_fail` leaves any
    walrus to the exact work)."""
    kind = node.__class__
    if kind is ast.Name:
        if node.ctx.__class__ is not ast.Load:
            out.add(node.id)
        return
    if kind in _FUNCTIONS or kind is ast.ClassDef:
        out.add(node.name)
        inner = node.decorator_list + (node.bases + [k.value for k in node.keywords] if kind is ast.ClassDef
                                       else node.args.defaults + [d for d in node.args.kw_defaults if d])
        for sub in inner:
            _binds(sub, out)
        return
    if kind is ast.Lambda:
        for sub in node.args.defaults + [d for d in node.args.kw_defaults if d]:
            _binds(sub, out)
        return
    if kind is ast.Import or kind is ast.ImportFrom:
        out.update((a.asname or a.name).split(".")[0] for a in node.names)
        return
    if kind in _COMPREHENSIONS:
        _binds(node.generators[0].iter, out)
        return
    if kind is ast.ExceptHandler or kind.__name__ in _PATTERN_BINDERS:
        for name in _PATTERN_NAMES:
            value = getattr(node, name, None)
            if value.__class__ is str:
                out.add(value)
    for field in child_fields(kind):
        value = getattr(node, field, None)
        if value.__class__ is list:
            for item in value:
                if isinstance(item, ast.AST):
                    _binds(item, out)
        elif isinstance(value, ast.AST):
            _binds(value, out)


def _tables(table) -> Iterator:
    yield table
    for child in table.get_children():
        yield from _tables(child)


class _Order:
    """One scope's statements in source order: what is not bound yet, what was deleted."""

    def __init__(self, found: List[BadRead], function: str, unbound: frozenset, tables) -> None:
        self.found, self.function, self.tables = found, function, tables
        self.unbound: Set[str] = set(unbound)  # locals of a function nothing has bound yet
        self.deleted: Set[str] = set()
        self.loop = 0  # inside a loop: an earlier pass may have bound the name
        self.trying = 0  # inside a try body: the handler may catch the error

    def block(self, body) -> None:
        deleted_before = set(self.deleted)
        for stmt in body:
            self.stmt(stmt)
        self.deleted &= deleted_before  # a `del` inside a branch or loop body may not have run

    def stmt(self, node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self._function(node)
        elif isinstance(node, ast.ClassDef):
            for sub in node.decorator_list + node.bases + [k.value for k in node.keywords]:
                self.expr(sub)
            self._bind(node.name)
        elif isinstance(node, ast.Assign):
            self.expr(node.value)
            for target in node.targets:
                self.expr(target)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            if node.value is not None:
                self.expr(node.value)
            if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                self._read(node.target)
            self.expr(node.target)
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                self.expr(target)
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            self.deleted |= names
        elif isinstance(node, _LOOPS):
            self.loop += 1
            self._generic(node)
            self.loop -= 1
        elif isinstance(node, ast.Try) or node.__class__.__name__ == "TryStar":
            self.trying += 1
            self._generic(node)
            self.trying -= 1
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                self._bind((alias.asname or alias.name).split(".")[0])
        else:
            self._generic(node)

    def _generic(self, node: ast.AST) -> None:
        for field in node._fields:
            value = getattr(node, field, None)
            items = value if isinstance(value, list) else [value]
            if items and all(isinstance(i, ast.stmt) for i in items):
                self.block(items)
            else:
                for item in items:
                    if isinstance(item, ast.stmt):
                        self.stmt(item)
                    elif isinstance(item, ast.AST):
                        self.expr(item)

    def expr(self, node: ast.AST) -> None:
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Store):
                self._bind(node.id)
            else:
                self._read(node)
            return
        if isinstance(node, ast.Lambda):
            for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                self.expr(default)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            self.expr(node.generators[0].iter)  # the rest runs in the comprehension's own scope
            return
        if isinstance(node, ast.NamedExpr):
            self.expr(node.value)
            self._bind(node.target.id)
            return
        if isinstance(node, ast.ExceptHandler) and node.name:
            self._bind(node.name)
        for name in _PATTERN_NAMES:
            if node.__class__.__name__.startswith("Match") and isinstance(getattr(node, name, None), str):
                self._bind(getattr(node, name))
        self._generic(node)

    def _read(self, node: ast.Name) -> None:
        if self.trying:
            return
        if node.id in self.deleted:
            self.found.append(
                BadRead(node.id, node.lineno, node.col_offset, f"`{node.id}` is used after `del {node.id}` (NameError)")
            )
            self.deleted.discard(node.id)
        elif node.id in self.unbound and not self.loop:
            self.found.append(
                BadRead(
                    node.id,
                    node.lineno,
                    node.col_offset,
                    f"`{node.id}` is read in {self.function}() before it is assigned there (UnboundLocalError)",
                )
            )
            self.unbound.discard(node.id)

    def _bind(self, name: str) -> None:
        self.unbound.discard(name)
        self.deleted.discard(name)

    def _function(self, node) -> None:
        for sub in node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.expr(sub)
        self._bind(node.name)
        table = self.tables.get((node.name, node.lineno))
        if table is None:
            return
        params = set(table.get_parameters())
        local = {
            s.get_name()
            for s in table.get_symbols()
            if s.is_local() and not s.is_parameter() and s.get_name() not in params
        }
        _Order(self.found, node.name, frozenset(local), self.tables).block(node.body)
