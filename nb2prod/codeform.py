"""The layout-free form of Python code: what stays the same when ruff format or black reformats a file.

It is the syntax tree (so line breaks, indentation, parentheses, trailing commas, quote style and
number spelling do not count) plus the text of every comment in order (a comment's words count, not
where the formatter put it). Docstrings and other string statements count line by line without the
indentation and surrounding blank lines formatters change, and `del (a, b)` equals `del a, b`, as
black's own equivalence check has it. The form is spelled out here, not with `ast.dump`, so it
is the same on every supported Python: fields a newer Python adds empty (`type_params`) do not show.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

from nb2prod.collector import paused

_SKIPPED_FIELDS = frozenset({"type_comment", "kind"})  # kind: the u"" prefix, which black removes


def code_form(text: str, tree: Optional[ast.Module] = None) -> Optional[str]:
    """The layout-free form of `text`, or None when it is not Python this interpreter parses; `tree` is
    `text` parsed, when the caller has it."""
    try:
        tree = parse(text) if tree is None else tree
        comments = _comments(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    return "\n".join([_tree(tree), *comments])


def parse(text: str) -> ast.Module:
    """ast.parse with the cyclic garbage collector paused: the new nodes hold no cycles, and its passes over
    them were 30% of the time on a 10,000-line script."""
    with paused():
        return ast.parse(text)


# Strings first, so a `#` inside one is not a comment; everything else is skipped by the regex engine.
# (tokenize gives the same comments but costs as much as the rest of the form together.)
_STRING_OR_COMMENT = re.compile("|".join((
    r'"""(?:\\.|[^\\])*?"""', r"'''(?:\\.|[^\\])*?'''",  # triple-quoted strings
    r'"(?:\\.|[^"\\\n])*"', r"'(?:\\.|[^'\\\n])*'",  # one-line strings
    r"(#[^\n]*)",  # a comment, the one group findall returns
)))


def _comments(text: str) -> List[str]:
    """Each comment's words: `#x` and `#  x ` are the same comment (black and ruff add the space)."""
    if "#" not in text:
        return []
    return ["#" + m[1:].strip() for m in _STRING_OR_COMMENT.findall(text) if m]


def _tree(root: ast.AST) -> str:
    """The tree as text: spelled by recursion, the fast way (a third quicker than the explicit stack), or,
    when the tree is deeper than the recursion limit allows, by _tree_stacked, which spells the same."""
    try:
        return _tree_recursive(root)
    except RecursionError:
        return _tree_stacked(root)


_LEAVES = frozenset({str, int, float, complex, bool, bytes, type(None), type(...)})  # spelled as repr, in place


def _tree_recursive(root: ast.AST) -> str:
    out: List[str] = []
    append = out.append
    layout, leaves, node_class, bare = _forward_layout, _LEAVES, ast.AST, _BARE

    def spell(item) -> None:
        kind = type(item)
        if kind is list:
            append("[")
            for value in item:
                spell(value)
            append("]")
        elif isinstance(item, node_class):
            opening, fields, special = layout(kind)
            append(opening)
            for name, spelled in fields:
                value = getattr(item, name, None)
                if value is None:  # None and [] are left out, as a newer Python's new empty fields
                    if name != "value":
                        continue
                elif value == []:
                    continue
                elif special:
                    value = _special(kind, value)
                append(spelled)
                if type(value) in leaves:
                    append(repr(value) + ",")
                elif type(value) in bare:  # Load(), Store(), Add(): a third of the nodes, spelled without a call
                    append(bare[type(value)])
                else:
                    spell(value)
            append(")")
        elif kind is _StringStatement:
            append(_string_statement(item))
        else:
            append(repr(item) + ",")

    spell(root)
    return "".join(out)


def _string_statement(text: str) -> str:
    return repr("\\n".join(line.strip() for line in text.splitlines()).strip()) + "s,"


def _tree_stacked(root: ast.AST) -> str:
    """The tree as text, walked with an explicit stack (a long chain `a + b + ...` is deep). The stack holds
    what is still to spell: nodes, lists and values, or _Spelled text. A node's fields are read straight
    from its class's _layout (building a list of them per node was a third of the time)."""
    out: List[str] = []
    append = out.append
    stack: list = [root]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is _Spelled:
            append(item)
        elif kind is list:
            append("[")
            push(_CLOSE_LIST)
            stack.extend(reversed(item))
        elif isinstance(item, ast.AST):
            opening, fields, special = _layout(kind)
            append(opening)
            push(_CLOSE)
            for name, spelled in fields:  # reversed: the first field is popped first
                value = getattr(item, name, None)
                if value is None:  # None and [] are left out, as a newer Python's new empty fields
                    if name != "value":
                        continue
                elif value == []:
                    continue
                elif special:
                    value = _special(kind, value)
                push(value)
                push(spelled)
        elif kind is _StringStatement:
            append(_string_statement(item))
        else:
            append(repr(item) + ",")
    return "".join(out)


class _Spelled(str):
    """Text of the form already spelled, on the stack among values still to spell."""


_CLOSE, _CLOSE_LIST = _Spelled(")"), _Spelled("]")


@lru_cache(maxsize=None)
def _layout(cls: type) -> Tuple[str, Tuple[Tuple[str, _Spelled], ...], bool]:
    """A node class's opening text, its fields that count (name, spelled) in reverse, and whether a field
    of it is spelled specially (_special)."""
    fields = tuple((name, _Spelled(f" {name}=")) for name in cls._fields if name not in _SKIPPED_FIELDS)
    return cls.__name__ + "(", fields[::-1], cls is ast.Expr or cls is ast.Delete


@lru_cache(maxsize=None)
def _forward_layout(cls: type) -> Tuple[str, Tuple[Tuple[str, _Spelled], ...], bool]:
    """_layout with the fields in their own order, as the recursion spells them; a class without fields
    that count is entered in _BARE, spelled whole."""
    opening, fields, special = _layout(cls)
    if not fields:
        _BARE[cls] = opening + ")"
    return opening, fields[::-1], special


_BARE: Dict[type, str] = {}  # node classes without fields that count (contexts, operators): their whole spelling


def _special(kind: type, value):
    """A string statement's text (formatters re-indent docstrings); `del (a, b)`'s targets flattened."""
    if kind is ast.Expr:
        return _StringStatement(value.value) if type(value) is ast.Constant and isinstance(value.value, str) else value
    return _flattened(value)


def _flattened(targets: list) -> list:
    """`del (a, b)` and `del a, b`: black removes the parentheses, which changes the tree, not the code."""
    flat = []
    for target in targets:
        flat.extend(target.elts if isinstance(target, ast.Tuple) else [target])
    return flat


class _StringStatement(str):
    """A docstring (or any string statement): formatters re-indent it and strip its lines' ends."""

