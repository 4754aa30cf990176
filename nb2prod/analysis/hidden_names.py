"""Names a notebook defines where its Python does not show them: through magics (`%%capture out`,
`%store -r x`, `%%R -o fit`) and through the namespace (`globals()["x"] = ...`, `exec("x = 1")`).

Lint counts them as defined; convert drops what reads a magic's result and refuses namespace tricks.
"""

from __future__ import annotations

import ast
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from nb2prod.analysis.dataflow import flow
from nb2prod.analysis.walk import walk
from nb2prod.model import ParsedCell


def magic_definitions(cells: Sequence[ParsedCell]) -> Dict[str, str]:
    """Names magics define, each with its magic: `%%capture out`, `%store -r x`, `%%bigquery df`,
    `%%R -o fit` (name -> the magic as written: `%%capture`)."""
    names: Dict[str, str] = {}
    for pc in cells:
        for m in pc.magics:
            words = m.text.split()[1:]
            found: Set[str] = set()
            if m.kind == "cell-magic" and m.name == "capture":  # `%%capture --no-stderr out`
                found.update(w for w in words if not w.startswith("-"))
            elif m.kind == "cell-magic" and m.name == "bigquery":  # `%%bigquery df`
                found.update(w for w in words[:1] if w.isidentifier())
            elif m.name == "store" and "-r" in words:
                found.update(w for w in words if not w.startswith("-"))
            found.update(_magic_outputs(words))
            names.update(dict.fromkeys(sorted(found), ("%%" if m.kind == "cell-magic" else "%") + m.name))
    return names


_OUTPUT_OPTIONS = ("-o", "--output", "--out", "--err", "--proc")


def _magic_outputs(words: List[str]) -> Set[str]:
    """Names a magic's options assign: `%%R -o fit,coefs`, `%%script bash --out log`, `%%sql rows <<`."""
    found: Set[str] = set()
    for before, word in zip(words, words[1:]):
        if before in _OUTPUT_OPTIONS:
            found.update(w for w in word.split(",") if w.isidentifier())
        elif word == "<<" and before.isidentifier():
            found.add(before)
    return found


_NAMESPACES = ("globals()", "vars()", "locals()", "exec(")


def namespace_writes(cells: Sequence[ParsedCell]) -> Tuple[FrozenSet[str], Optional[Tuple[str, ...]]]:
    """Names the code binds through the namespace: `globals()["x"] = 1`, `vars()[f"df_{k}"] = v`,
    `globals().update(x=1)`, `exec("x = 1")`, as (names, prefixes of computed names); prefixes is
    None when a computed name has no constant prefix (any name may be defined)."""
    names: Set[str] = set()
    prefixes: List[str] = []
    for pc in cells:
        if pc.tree is None or not any(word in pc.python for word in _NAMESPACES):  # most cells: substring tests
            continue
        for node in walk(pc.tree):
            key = _namespace_key(node)
            if key is _NOT_NAMESPACE:
                continue
            if key is None:
                return frozenset(), None
            if isinstance(key, str):
                prefixes.append(key)
            else:
                names.update(key)
    return frozenset(names), tuple(prefixes)


_NOT_NAMESPACE = object()


def _namespace_key(node: ast.AST):
    """For a write to the module namespace: a set of names, a str prefix, or None (unknown); else _NOT_NAMESPACE."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store) and _is_namespace(node.value):
        return _name_of(node.slice)
    if not isinstance(node, ast.Call):
        return _NOT_NAMESPACE
    func = node.func
    if isinstance(func, ast.Attribute) and _is_namespace(func.value):
        if func.attr == "update":
            if node.args:
                return None
            return {kw.arg for kw in node.keywords if kw.arg} if all(kw.arg for kw in node.keywords) else None
        if func.attr in ("setdefault", "__setitem__") and node.args:
            return _name_of(node.args[0])
        return _NOT_NAMESPACE
    if isinstance(func, ast.Name) and func.id == "exec" and node.args:
        if len(node.args) > 1 and not _is_namespace(node.args[1]):
            return _NOT_NAMESPACE  # runs in a namespace of its own
        code = node.args[0]
        if not (isinstance(code, ast.Constant) and isinstance(code.value, str)):
            return None
        try:
            body = ast.parse(code.value).body
        except (SyntaxError, ValueError):
            return None
        return set().union(*(flow(st).defs for st in body))
    return _NOT_NAMESPACE


def _is_namespace(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.args
            and node.func.id in ("globals", "vars", "locals"))


def _name_of(key: ast.AST):
    """{name} for a constant key, its constant prefix for `f"df_{k}"` or `"df_" + k`, else None."""
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return {key.value}
    if isinstance(key, ast.JoinedStr) and key.values and isinstance(key.values[0], ast.Constant):
        return key.values[0].value or None
    if isinstance(key, ast.BinOp) and isinstance(key.op, ast.Add):
        head = key.left
        while isinstance(head, ast.BinOp) and isinstance(head.op, ast.Add):
            head = head.left
        if isinstance(head, ast.Constant) and isinstance(head.value, str) and head.value:
            return head.value
    return None
