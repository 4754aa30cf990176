"""What a rule is, and the context the shared walk hands to every rule's check."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, Iterator, Optional, Set, Tuple

from nb2prod.analysis.walk import walk
from nb2prod.frozen import frozen
from nb2prod.model import Finding, Location, Notebook, ParsedCell, Statement


@frozen
class Rule:
    """One lint rule: stable code, kebab-case name, one-line summary, and what it subscribes to."""

    code: str
    name: str
    summary: str
    severity: str  # "error" or "warning"
    fixable: bool
    nodes: Tuple[type, ...]  # ast node types, or Notebook / ParsedCell / Magic / PrintCall events
    check: Callable[..., Iterable[Finding]]
    doc: str = ""


class PrintCall:
    """The event of a `print(...)` call: a rule subscribing to it is given those ast.Call nodes only, so the
    engine tests the callee once for all print rules instead of each rule testing every call."""


@dataclass
class Context:
    """Facts about the notebook being linted, shared by all rules during one walk."""

    nb: Notebook
    cells: Tuple[ParsedCell, ...]
    facts: "object"  # rules._facts.Facts, computed once per notebook
    cell: Optional[ParsedCell] = None
    statement: Optional[Statement] = None
    depth: int = 0  # 0 while visiting the node of a top-level statement itself
    in_function: bool = False  # inside a def, class or lambda body
    cache: Dict[str, object] = field(default_factory=dict)  # notebook-wide facts a rule works out on first use

    def location(self, line: int, col: Optional[int], cell: Optional[ParsedCell] = None) -> Location:
        """A Location from a cell-relative line and 0-based column (reported 1-based)."""
        pc = cell or self.cell
        column = None if col is None else col + 1
        if self.nb.is_script:
            return Location(self.nb.path, None, line + pc.cell.offset, column)
        return Location(self.nb.path, pc.cell.index, line, column)

    def at(self, r: Rule, node: ast.AST, message: str) -> Finding:
        """A finding at a node; never fixable (it need not cover a whole statement)."""
        loc = self.location(node.lineno, node.col_offset)
        return Finding(loc, r.code, message, r.severity, False, None)

    def whole(self, r: Rule, message: str, fixable: Optional[bool] = None,
              statement: Optional[Statement] = None, end_line: Optional[int] = None) -> Finding:
        """A finding covering a whole top-level statement, fixable by deleting it."""
        st = statement or self.statement
        loc = self.location(st.line, st.col)
        end = (end_line or st.end_line) + loc.line - st.line  # scripts: shift by the cell offset
        can_fix = r.fixable if fixable is None else (r.fixable and fixable)
        return Finding(loc, r.code, message, r.severity, can_fix, end)

    @property
    def top_level(self) -> bool:
        return self.depth == 0

    def span(self, r: Rule, line: int, end_line: int, message: str, fixable: bool, col: int = 0) -> Finding:
        """A finding over cell lines `line`..`end_line` (whole statements when fixable)."""
        loc = self.location(line, col)
        return Finding(loc, r.code, message, r.severity, r.fixable and fixable, end_line + loc.line - line)

    def is_statement(self, node: ast.AST) -> bool:
        """Whether `node` is a whole top-level statement, or the call/expression a top-level `Expr` holds."""
        st = self.statement.node if self.statement is not None else None
        return node is st or (isinstance(st, ast.Expr) and st.value is node)

    def finding(self, r: Rule, node: ast.AST, message: str, fixable: Optional[bool] = None) -> Finding:
        """Whole-statement finding when `node` is (the value of) a top-level statement, else a plain one."""
        if self.is_statement(node):
            return self.whole(r, message, fixable)
        return self.at(r, node, message)

    def calls_own_function(self, node: ast.AST) -> bool:
        """Whether `node` calls a function (or class) the notebook defines: what it does is not known."""
        own = self.cache.get("own_functions")
        if own is None:
            own = self.cache["own_functions"] = frozenset(
                st.node.name for _, st in self.facts.statements
                if isinstance(st.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)))
        return bool(own) and any(isinstance(sub, ast.Call) and isinstance(sub.func, ast.Name) and sub.func.id in own
                                 for sub in walk(node))

    @property
    def exploring(self) -> bool:
        """Whether exploration rules look here: plain Python outside function and class bodies."""
        return not self.in_function and self.statement is not None and self.statement.magic is None


def names_in(node: ast.AST) -> Set[str]:
    """Every Name read anywhere under `node`."""
    return {n.id for n in walk(node) if isinstance(n, ast.Name)}


Found = Iterator[Finding]
