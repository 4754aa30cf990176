"""The visitor behind `dataflow.flow`: one pass over a top-level statement, in evaluation order,
collecting the names it binds, reads and changes in place. One mixin per family of nodes."""

from __future__ import annotations

import ast
from typing import Dict, Iterable, List, Optional, Set, Tuple

from nb2prod.analysis.scopes import arg_names, body_names, free_names
from nb2prod.analysis.vocab import BUILTINS, PURE_METHODS
from nb2prod.analysis.walk import FIELDS, child_fields, root_name, walk


class _Names(ast.NodeVisitor):
    """The state, the dispatch, and the three ways a name is met: read, bound, updated in place."""

    # `ast.NodeVisitor.visit` builds a method name per node and its generic_visit goes through
    # generators; flow() runs on every statement, so dispatch through a per-type table instead.
    _table: Dict[type, object] = {}

    def visit(self, node: ast.AST) -> None:
        (self._table.get(node.__class__) or _method(node.__class__))(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        table, AST = self._table, ast.AST  # dispatch inlined: one Python call per node, not two
        fields = FIELDS.get(node.__class__)
        for name in child_fields(node.__class__) if fields is None else fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        (table.get(item.__class__) or _method(item.__class__))(self, item)
            elif isinstance(value, AST):
                (table.get(value.__class__) or _method(value.__class__))(self, value)

    def visit_Constant(self, node: ast.Constant) -> None:
        return None  # no children; NodeVisitor's version looks for deprecated visit_Num/visit_Str

    def __init__(self, lazy_annotations: bool = False) -> None:
        self.lazy_annotations = lazy_annotations
        self.defs: Set[str] = set()
        self.uses: Set[str] = set()
        self.updates: Set[str] = set()
        self.sites: List[Tuple[str, int, int]] = []
        self.deferred: Set[str] = set()
        self.star = False
        self.scopes: List[Set[str]] = []  # inner scopes: comprehension/lambda-bound names
        self.guard = 0  # inside the body of a `try` whose handler catches NameError
        self.guarded: Set[str] = set()

    # -- binding and reading ------------------------------------------------
    def _use(self, name: str, node: Optional[ast.AST]) -> None:
        """A read of `name` from before the statement; `node` None for a read with no site to report."""
        if name in self.defs or name in self.uses or self.scopes and any(name in s for s in self.scopes):
            return
        self.uses.add(name)
        if node is not None:
            self.sites.append((name, getattr(node, "lineno", 0), getattr(node, "col_offset", 0)))
        if self.guard:
            self.guarded.add(name)

    def _bind(self, name: str) -> None:
        if self.scopes:
            self.scopes[-1].add(name)
        else:
            self.defs.add(name)

    def _update(self, name: Optional[str], node: ast.AST) -> None:
        if name is None:
            return
        self._use(name, node)
        if not (self.scopes and any(name in s for s in self.scopes)):
            self.updates.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        context = node.ctx.__class__
        if context is ast.Load:
            self._use(node.id, node)
        elif context is ast.Store:
            self._bind(node.id)
        else:  # Del
            self._use(node.id, node)
            self._update(node.id, node)


class _Bindings:
    """Statements that bind or change names: assignments and their targets, del, imports, the walrus, method calls."""

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._target(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self._annotation(node.annotation)
        self._target(node.target)

    def _annotation(self, node: ast.AST) -> None:
        """An annotation reads its names when the definition runs, or later under lazy annotations; a
        string one (`"pd.DataFrame"`) reads them too, though nothing reports them as undefined."""
        if self.lazy_annotations and not isinstance(node, ast.Constant):
            self.deferred.update(n.id for n in walk(node) if n.__class__ is ast.Name and n.id not in BUILTINS)
            return
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            self.visit(node)
            return
        try:
            parsed = ast.parse(node.value.strip(), mode="eval")
        except (SyntaxError, ValueError):
            return  # not an expression: a comment-like annotation
        for sub in walk(parsed):
            if sub.__class__ is ast.Name:
                self._use(sub.id, None)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._use(node.target.id, node.target)
            self._update(node.target.id, node.target)
        else:
            self._target(node.target)

    def _target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            self.visit(target.value)
            if isinstance(target, ast.Subscript):
                self.visit(target.slice)
            self._update(root_name(target), target)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._target(elt)
        elif isinstance(target, ast.Starred):
            self._target(target.value)
        else:
            self.visit(target)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._use(target.id, target)
                self._update(target.id, target)
            else:
                self._target(target)

    def visit_Import(self, node) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.star = True
                continue
            self._bind(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_Global(self, node) -> None:
        return None

    visit_Nonlocal = visit_Global

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        name = node.target.id
        if self.scopes:  # the walrus binds in the enclosing (module) scope
            saved, self.scopes = self.scopes, []
            self._bind(name)
            self.scopes = saved
        else:
            self._bind(name)

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute):
            mutating = func.attr not in PURE_METHODS or any(
                kw.arg == "inplace" and not _is_false(kw.value) for kw in node.keywords
            )
            name = root_name(func.value)
            if mutating and name is not None and isinstance(func.value, ast.Name):
                self._update(name, func)
            elif mutating and name is not None and _is_item_of(func.value):
                self._update(name, func)


class _Blocks:
    """Compound statements: loops, with, try/except, and `match` patterns (which bind plain strings, not Name nodes)."""

    def visit_For(self, node) -> None:
        self.visit(node.iter)
        self._target(node.target)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_With(self, node) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._target(item.optional_vars)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def visit_MatchAs(self, node) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node) -> None:
        self.generic_visit(node)
        if node.rest:
            self._bind(node.rest)

    def visit_Try(self, node) -> None:
        """`try: df` / `except NameError: df = load()` reads `df` only to find out whether it exists."""
        guard = any(_catches_name_error(h.type) for h in node.handlers)
        self.guard += guard
        for stmt in node.body:
            self.visit(stmt)
        self.guard -= guard
        for part in (node.handlers, node.orelse, node.finalbody):
            for stmt in part:
                self.visit(stmt)

    visit_TryStar = visit_Try

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for stmt in node.body:
            self.visit(stmt)


class _Scopes:
    """Inner scopes: comprehensions and lambdas bind their own names; def and class bodies are read later."""

    def _comprehension(self, node, elts: Iterable[ast.AST]) -> None:
        first = True
        self.scopes.append(set())
        for gen in node.generators:
            if first:  # the first iterable is evaluated in the enclosing scope
                saved, self.scopes = self.scopes, self.scopes[:-1]
                self.visit(gen.iter)
                self.scopes = saved
                first = False
            else:
                self.visit(gen.iter)
            self._target(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        for elt in elts:
            self.visit(elt)
        self.scopes.pop()

    def visit_ListComp(self, node) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node) -> None:
        self._comprehension(node, [node.key, node.value])

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        self.scopes.append(set(arg_names(node.args)))
        self.visit(node.body)
        self.scopes.pop()

    def visit_FunctionDef(self, node) -> None:
        for deco in node.decorator_list:
            self.visit(deco)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        args = node.args
        for arg in args.posonlyargs + args.args + [args.vararg] + args.kwonlyargs + [args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self._annotation(arg.annotation)
        if node.returns is not None:
            self._annotation(node.returns)
        self._bind(node.name)
        free, declared_global = body_names(node)
        self.deferred |= free - BUILTINS
        self.defs.update(declared_global)  # `global x` in the body: calling it binds x here

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for deco in node.decorator_list:
            self.visit(deco)
        for base in node.bases + [kw.value for kw in node.keywords]:
            self.visit(base)
        self._bind(node.name)
        self.deferred |= free_names(node) - BUILTINS


class FlowVisitor(_Bindings, _Blocks, _Scopes, _Names):
    """Collects one top-level statement's defs, uses, updates and deferred reads (see dataflow.Flow)."""


def _method(kind: type):
    """The FlowVisitor method for a node type (`visit_Name`, else generic_visit), remembered in its table."""
    method = FlowVisitor._table[kind] = getattr(FlowVisitor, "visit_" + kind.__name__, FlowVisitor.generic_visit)
    return method


_NAME_ERROR_CATCHERS = frozenset({"NameError", "Exception", "BaseException"})


def _catches_name_error(kind: Optional[ast.AST]) -> bool:
    """Whether an `except` clause catches NameError: bare, NameError, Exception, or a tuple holding one."""
    if kind is None:
        return True
    if isinstance(kind, ast.Tuple):
        return any(_catches_name_error(k) for k in kind.elts)
    return isinstance(kind, ast.Name) and kind.id in _NAME_ERROR_CATCHERS


def _is_false(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_item_of(node: ast.AST) -> bool:
    """`data["train"].append(...)` mutates `data`; `df.col.plot()` does not count."""
    return isinstance(node, ast.Subscript)
