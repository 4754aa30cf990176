"""Each kept statement's libcst node, parsing a cell only when one of its statements is asked for, and a
text fast path for cells whose statements libcst would render exactly as their source lines."""

from __future__ import annotations

import ast
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from nb2prod.errors import CodeProblem
from nb2prod.frozen import frozen
from nb2prod.model import Location, ParsedCell, Statement


class NodeIndex:
    """Parses a cell with libcst when one of its statements is first asked for, and maps ast statements to
    libcst statement nodes; cells whose statements were all dropped are never parsed."""

    def __init__(self, cells: Sequence[ParsedCell], path: str):
        self.path = path
        self.cell_of: Dict[int, ParsedCell] = {s.index: pc for pc in cells for s in pc.statements}
        self.previous_end: Dict[int, int] = {s.index: pc.statements[k - 1].end_line if k else 0
                                             for pc in cells for k, s in enumerate(pc.statements)}
        self.by_index: Dict[int, Tuple[cst.CSTNode, Optional[int]]] = {}
        self.header: Dict[int, Sequence[cst.EmptyLine]] = {}
        self.footer: Dict[int, Sequence[cst.EmptyLine]] = {}
        self.simple: Dict[int, bool] = {}

    def _index(self, pc: ParsedCell) -> None:
        try:
            module = cst.parse_module(pc.python)
        except cst.ParserSyntaxError as exc:
            raise CodeProblem(f"cannot rewrite this cell: {exc.message}",
                              Location(self.path, pc.cell.index, exc.raw_line)) from None
        stmts = list(pc.statements)
        pos = 0
        for node in module.body:
            if isinstance(node, cst.SimpleStatementLine):
                for k in range(len(node.body)):
                    if pos < len(stmts):
                        self.by_index[stmts[pos].index] = (node, k if len(node.body) > 1 else None)
                        pos += 1
            elif pos < len(stmts):
                self.by_index[stmts[pos].index] = (node, None)
                pos += 1
        self.header[stmts[0].index] = module.header
        self.footer[stmts[-1].index] = module.footer

    def node(self, stmt: Statement) -> cst.BaseStatement:
        if stmt.index not in self.by_index:
            self._index(self.cell_of[stmt.index])
        node, part = self.by_index[stmt.index]
        lead = list(self.header.get(stmt.index, ())) + list(node.leading_lines)
        if part is not None:
            small = node.body[part].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
            return cst.SimpleStatementLine(body=[small], leading_lines=lead if part == 0 else [])
        return node.with_changes(leading_lines=lead)

    def footer_of(self, stmt: Statement) -> Sequence[cst.EmptyLine]:
        if stmt.index in self.footer:
            return [line for line in self.footer[stmt.index] if line.comment is not None]
        pc = self.cell_of[stmt.index]
        if stmt.index == pc.statements[-1].index and self._simple(pc):  # the cell was never parsed: its trailing comments
            return [line for line in empty_lines(pc.python.split("\n")[stmt.end_line:]) if line.comment is not None]
        return []

    def text(self, stmt: Statement) -> Optional[Text]:
        """The statement as text, when that is exactly what libcst would render for its node (see `_simple`)."""
        pc = self.cell_of[stmt.index]
        if not self._simple(pc):
            return None
        leading = empty_lines(pc.python.split("\n")[self.previous_end[stmt.index]:stmt.line - 1])
        return Text(leading, stmt.source.split("\n"))

    def _simple(self, pc: ParsedCell) -> bool:
        """A cell of one-per-line simple statements, without continuation backslashes, multi-line strings or
        unusual whitespace: libcst renders each statement as its source lines, indented, and the lines between
        statements are blank or comments."""
        simple = self.simple.get(pc.cell.index)
        if simple is None:
            simple = self.simple[pc.cell.index] = simple_cell(pc)
        return simple


@frozen
class Text:
    """A statement taken as text: the blank and comment lines before it, and its source lines."""

    leading: List[cst.EmptyLine]
    lines: List[str]


_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While, ast.With,
             ast.AsyncWith, ast.Try, getattr(ast, "TryStar", ast.Try), getattr(ast, "Match", ast.If))
_NOT_SIMPLE = ("\\\n", '"""', "'''", "\t", "\r", "\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def simple_cell(pc: ParsedCell) -> bool:
    """The cell's statements can be taken as text (see `NodeIndex._simple`)."""
    if any(isinstance(s.node, _COMPOUND) for s in pc.statements) or any(bad in pc.python for bad in _NOT_SIMPLE):
        return False
    lines = pc.python.split("\n")
    previous = 0
    for stmt in pc.statements:
        if stmt.line <= previous:  # two statements on one line (semicolons)
            return False
        if any(line.strip() and not line.lstrip().startswith("#") for line in lines[previous:stmt.line - 1]):
            return False
        previous = stmt.end_line
    # libcst's parser loses an indented comment among the lines after the last statement: take its nodes then
    return not any(line.strip() and line[0].isspace() for line in lines[previous:])


def empty_lines(lines: Sequence[str]) -> List[cst.EmptyLine]:
    """Blank and comment lines as libcst parses them at module level."""
    out = []
    for line in lines:
        text = line.lstrip(" ")
        if text:
            out.append(cst.EmptyLine(whitespace=cst.SimpleWhitespace(line[:len(line) - len(text)]),
                                     comment=cst.Comment(text)))
        else:
            out.append(cst.EmptyLine(whitespace=cst.SimpleWhitespace(line)))
    return out
