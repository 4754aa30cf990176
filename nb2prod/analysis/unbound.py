"""Reads the notebook itself fails on, in source order: a function's local read before anything binds
it (UnboundLocalError) and a name read or deleted again after `del` (NameError).

Read by convert (plan/names.py) and lint (NB301) alike. Data flow sees which names a statement reads, not in which order within it; these are the reads that
fail whenever they run, so the generated script would fail there too. A loop may bind a local on an
earlier pass, a `del` in a branch may not have run and a `try` may catch the error: those are not reported.
"""

from __future__ import annotations

import ast
import re
import symtable
from dataclasses import dataclass
from typing import Iterator, List, Set

from nb2prod.analysis.walk import walk

_LOOPS = (ast.For, ast.AsyncFor, ast.While)
_KEYWORDS = re.compile(r"\bde[fl]\b")  # `def` or `del` as a word (`model` holds "del")
_SOURCES = (ast.Delete, ast.FunctionDef, ast.AsyncFunctionDef)  # where a failing read can come from
_PATTERN_NAMES = ("name", "rest")  # MatchAs/MatchStar.name, MatchMapping.rest


@dataclass(frozen=True)
class BadRead:
    name: str
    line: int  # within the statement's source, 1-based
    col: int  # 0-based
    message: str


def bad_reads(source: str, node: ast.stmt) -> List[BadRead]:
    """The failing reads of one top-level statement: `source` its text, `node` its parse (only looked at for
    a `del` or a def, the only places such reads come from); lines count from the statement's first."""
    if not _KEYWORDS.search(source) or not any(n.__class__ in _SOURCES for n in walk(node)):
        return []  # the text first: most statements hold neither keyword, and walking them all costs
    try:
        tree = ast.parse(source)
        tables = {(t.get_name(), t.get_lineno()): t for t in _tables(symtable.symtable(source, "<cell>", "exec"))}
    except (SyntaxError, ValueError):
        return []
    found: List[BadRead] = []
    _Order(found, "", frozenset(), tables).block(tree.body)
    return found


def _tables(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
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
