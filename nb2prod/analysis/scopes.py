"""What function and class bodies read from the module: free names on plain `ast`, and the globals
of finished code from the compiler's symbol tables."""

from __future__ import annotations

import ast
import builtins
from typing import List, Set, Tuple

from nb2prod.analysis.walk import walk


def arg_names(args: ast.arguments) -> List[str]:
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def free_names(node: ast.AST) -> Set[str]:
    """Names a function or class body reads that it does not bind itself (its globals)."""
    return body_names(node)[0]


_PATTERN_BINDERS = frozenset({"MatchAs", "MatchStar", "MatchMapping"})


def body_names(node: ast.AST) -> Tuple[Set[str], Set[str]]:
    """(free_names of a function or class body, the names its `global` statements declare), in one walk."""
    bound: Set[str] = set()
    loads: Set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        bound.update(arg_names(node.args))
    body = node.body if isinstance(node.body, list) else [node.body]
    declared_global: Set[str] = set()
    for stmt in body:
        for sub in walk(stmt):
            if isinstance(sub, ast.Name):
                (loads if isinstance(sub.ctx, ast.Load) else bound).add(sub.id)
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(sub.name)
                if not isinstance(sub, ast.ClassDef):
                    bound.update(arg_names(sub.args))
            elif isinstance(sub, ast.Lambda):
                bound.update(arg_names(sub.args))
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                bound.update(a.asname or a.name.split(".")[0] for a in sub.names)
            elif isinstance(sub, ast.ExceptHandler) and sub.name:
                bound.add(sub.name)
            elif isinstance(sub, ast.Global):
                declared_global.update(sub.names)
            elif sub.__class__.__name__ in _PATTERN_BINDERS:  # `case Point(x=px)`, `case [first, *rest]`
                bound.update(n for n in (getattr(sub, "name", None), getattr(sub, "rest", None)) if n)
            elif isinstance(sub, ast.arg):
                bound.add(sub.arg)
    return (loads - bound) | (loads & declared_global), declared_global


def module_globals(code: str, filename: str = "<generated>"):
    """(names the module defines at top level, [(name, (scope name, line)) of every global read]) of
    finished code, from the compiler's own symbol tables; parses, so a SyntaxError comes out as compile's.

    Reads the raw tables: building a symtable.Symbol scans every child scope of its table, which made
    this quadratic in the number of functions. The tests are Symbol's, including its quirk of taking a
    function named `top` for the module (its bound names count as global there)."""
    import _symtable as st  # the compiler's tables, which the symtable module wraps (a builtin: no import cost)

    top, global_scopes = st.symtable(code, filename, "exec"), (st.GLOBAL_IMPLICIT, st.GLOBAL_EXPLICIT)
    tables, defined = [top], set(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__"}
    read = []  # in table order
    for table in tables:
        tables.extend(table.children)
        namespaces = {child.name for child in table.children}
        for name, flags in table.symbols.items():
            scope = (flags >> st.SCOPE_OFF) & st.SCOPE_MASK
            if (table is top or scope == st.GLOBAL_EXPLICIT) and (
                flags & (st.DEF_LOCAL | st.DEF_IMPORT) or name in namespaces
            ):
                defined.add(name)
            if flags & st.USE and (
                table is top or scope in global_scopes or table.name == "top" and flags & st.DEF_BOUND
            ):
                read.append((name, (table.name, table.lineno)))
    return defined, read
