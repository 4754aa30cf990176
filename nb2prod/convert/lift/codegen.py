"""Code generation: libcst nodes (and statements taken as text) to source, in one pass.

The only module of nb2prod that touches libcst internals: `libcst._nodes.internal.CodegenState`, its
`before_codegen` / `after_codegen` / `record_syntactic_position` hooks and the nodes' `_codegen` method.
Checked against libcst 1.0.1 (installed and tested, including tests/test_lift.py), and by reading
`CodegenState` in a later LibCST main snapshot (commit 0ee0831), where it is unchanged. pyproject.toml pins
`libcst>=1.0,<2`, so a major release that may change these internals is not picked up unseen.
"""

from __future__ import annotations

import contextlib
from typing import Dict, List, Sequence, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState  # the code generator's state, to mark nodes in one pass

from nb2prod.convert.lift.nodes import Text

_NO_POSITION = contextlib.nullcontext()


class _MarkingState(CodegenState):
    """libcst's code generator, noting where the marked nodes' text starts and ends."""

    def __init__(self, marks: Dict[int, int]):
        super().__init__(default_indent="    ", default_newline="\n")
        self.marks = marks
        self.spans: Dict[int, List[int]] = {}

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):
        return _NO_POSITION  # positions are not wanted: a shared null context, not a generator per node

    def before_codegen(self, node: cst.CSTNode) -> None:
        index = self.marks.get(id(node))
        if index is not None:
            self.spans[index] = [len(self.tokens)]

    def after_codegen(self, node: cst.CSTNode) -> None:
        index = self.marks.get(id(node))
        if index is not None:
            self.spans[index].append(len(self.tokens))


def render_block(body: Sequence[object], footer: Sequence[cst.EmptyLine],
                 marks: Dict[int, int]) -> Tuple[str, Dict[int, str]]:
    """What libcst's `IndentedBlock(body, footer)` renders (a function body; `Text` statements as their lines,
    indented), in one code generation pass, with each marked node's own text."""
    state = _MarkingState(marks)
    cst.TrailingWhitespace()._codegen(state)  # the newline after the `def` line
    state.increase_indent(state.default_indent)
    for item in body:
        if isinstance(item, Text):
            for line in item.leading:
                line._codegen(state)
            state.tokens.extend(f"{state.default_indent}{line}\n" for line in item.lines)
        else:
            item._codegen(state)
    for line in footer:
        line._codegen(state)
    state.decrease_indent()
    tokens = state.tokens
    return "".join(tokens), {index: "".join(tokens[a:b]) for index, (a, b) in state.spans.items()}


def code(node: cst.CSTNode) -> str:
    """One node's source, as a module of that statement would print it."""
    return cst.Module(body=[node]).code if isinstance(node, cst.BaseStatement) else cst.Module([]).code_for_node(node)
