"""Move the kept statements into functions with libcst, keeping their comments and formatting.

libcst is used only here: each cell is parsed once, its top-level statement nodes are moved
into generated function bodies, and the few rewrites the plan asks for edit nodes directly.
Imports are hoisted, deduplicated and pruned once, at the end, against the final code.
"""

from __future__ import annotations

import ast
import contextlib
import sys
import textwrap
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst
from libcst._nodes.internal import CodegenState  # the code generator's state, to mark nodes in one pass

from nb2prod.errors import CodeProblem
from nb2prod.escape import comment_text, docstring_text, split_lines
from nb2prod.model import Location, ParsedCell, Rewrite, Statement
from nb2prod.convert.plan import Plan, Step

MODEL_FILE_HELPER = "_model_file"
JSONABLE_HELPER = "_jsonable"
MODEL_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".h5", ".keras", ".onnx", ".sav", ".model",
                  ".bin", ".cbm", ".ubj", ".json", ".txt", ".skops")


@dataclass(frozen=True)
class Function:
    name: str
    code: str
    calls: str  # the call line main() uses, e.g. "data = split_data(df)"


@dataclass(frozen=True)
class Lifted:
    """Code pieces for the templates, plus each kept statement's first rendered line (for --explain)."""

    imports: Tuple[str, ...]
    module: Tuple[str, ...]  # constants and helper definitions, in notebook order
    functions: Tuple[Function, ...]
    anchors: Dict[int, Tuple[str, str]]  # statement index → (function or "<module>", first code line)
    uses_model_file: bool = False
    uses_jsonable: bool = False
    notices: Tuple[str, ...] = ()
    result_key: Optional[str] = "result"  # the key of run()'s answer that holds one result per row


def lift(plan: Plan, extra_imports: Sequence[str] = ()) -> Lifted:
    nodes = _NodeIndex(plan.cells, plan.notebook.path)
    ctx = _Rewriter(plan)
    anchors: Dict[int, Tuple[str, str]] = {}
    module_code: List[str] = []
    previous_def = True
    for stmt in plan.module:
        node = ctx.rewrite(stmt, nodes.node(stmt), in_step=None)
        is_def = isinstance(node, (cst.FunctionDef, cst.ClassDef))
        note = _note(plan.notes.get(stmt.index), [])
        code = _code(_tidy_leading(node, first=is_def or previous_def, carry=note))
        if is_def or previous_def:
            module_code.append(code)
        else:  # consecutive constants stay together in one block
            module_code[-1] = module_code[-1].rstrip("\n") + "\n" + code
        previous_def = is_def
        anchors[stmt.index] = ("<module>", _first_code_line(code))
    functions = []
    for step in plan.steps:
        fn = _function(plan, step, nodes, ctx, anchors)
        functions.append(fn)
    body_code = "\n".join(module_code + [f.code for f in functions])
    imports = _imports(plan, nodes, body_code, extra_imports)
    for stmt in plan.imports:
        anchors.setdefault(stmt.index, ("<imports>", ""))
    return Lifted(tuple(imports), tuple(module_code), tuple(functions), anchors,
                  ctx.model_file_used, ctx.jsonable_used, tuple(ctx.notices), ctx.result_key)


# -- finding each statement's libcst node ------------------------------------------------------

class _NodeIndex:
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
            return [line for line in _empty_lines(pc.python.split("\n")[stmt.end_line:]) if line.comment is not None]
        return []

    def text(self, stmt: Statement) -> Optional[_Text]:
        """The statement as text, when that is exactly what libcst would render for its node (see `_simple`)."""
        pc = self.cell_of[stmt.index]
        if not self._simple(pc):
            return None
        leading = _empty_lines(pc.python.split("\n")[self.previous_end[stmt.index]:stmt.line - 1])
        return _Text(leading, stmt.source.split("\n"))

    def _simple(self, pc: ParsedCell) -> bool:
        """A cell of one-per-line simple statements, without continuation backslashes, multi-line strings or
        unusual whitespace: libcst renders each statement as its source lines, indented, and the lines between
        statements are blank or comments."""
        simple = self.simple.get(pc.cell.index)
        if simple is None:
            simple = self.simple[pc.cell.index] = _simple_cell(pc)
        return simple


@dataclass(frozen=True)
class _Text:
    """A statement taken as text: the blank and comment lines before it, and its source lines."""

    leading: List[cst.EmptyLine]
    lines: List[str]


_COMPOUND = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.AsyncFor, ast.While, ast.With,
             ast.AsyncWith, ast.Try, getattr(ast, "TryStar", ast.Try), getattr(ast, "Match", ast.If))
_NOT_SIMPLE = ("\\\n", '"""', "'''", "\t", "\r", "\f", "\v", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


def _simple_cell(pc: ParsedCell) -> bool:
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


def _empty_lines(lines: Sequence[str]) -> List[cst.EmptyLine]:
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


# -- rewriting statements the plan marked ------------------------------------------------------

def _value_only(node: cst.BaseStatement) -> cst.BaseStatement:
    """`history = model.fit(X, y)` → `model.fit(X, y)`, comments kept (the plan saw nothing read `history`)."""
    if isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1 and isinstance(node.body[0], cst.Assign):
        return node.with_changes(body=[cst.Expr(node.body[0].value)])
    return node


class _Rewriter:
    def __init__(self, plan: Plan):
        self.plan = plan
        self.model_file_used = False
        self.jsonable_used = False
        self.result_key: Optional[str] = "result"
        self.notices: List[str] = []
        self.hyper_keys = {h.source_name for h in plan.hypers if h.key}

    def rewrite(self, stmt: Statement, node: cst.BaseStatement, in_step: Optional[Step]) -> cst.BaseStatement:
        kind = self.plan.rewrites.get(stmt.index)
        if kind is Rewrite.HYPER_DICT:
            node = node.visit(_DictToNames())
        elif kind is Rewrite.RAW_DATA:
            node = node.visit(_ValueToName("raw_data"))
        elif kind is Rewrite.DATA_LITERAL:
            node = node.visit(_LiteralToRequest())
        elif kind is Rewrite.VALUE_ONLY:
            node = _value_only(node)
        if self.plan.helper_globals:
            node = node.visit(_PassGlobals(self.plan.helper_globals))
        if isinstance(node, cst.FunctionDef) and node.name.value in self.plan.helper_globals:
            node = _add_kwonly(node, self.plan.helper_globals[node.name.value])
            self.notices.append(
                f"{node.name.value}() read the notebook globals "
                f"{', '.join(self.plan.helper_globals[node.name.value])}; they are now keyword parameters")
        if in_step is not None and in_step.name == "init":
            resolver = _ModelFile(model_file_constants(self.plan))
            node = node.visit(resolver)
            if resolver.changed:
                self.model_file_used = True
                self.notices.extend(resolver.notices)
        return node

    def plain(self, stmt: Statement, in_step: Optional[Step]) -> bool:
        """`rewrite` leaves this statement as it is."""
        return (stmt.index not in self.plan.rewrites and not self.plan.helper_globals
                and (in_step is None or in_step.name != "init"))

    def returning(self, stmt: Statement, node: cst.BaseStatement) -> List[cst.BaseStatement]:
        kind = self.plan.rewrites.get(stmt.index)
        if kind is Rewrite.RETURN:
            expr = _shown_expression(node)
            return [_with_leading(cst.SimpleStatementLine([cst.Return(self._result(expr))]), node)]
        if kind is Rewrite.RETURN_AFTER:
            target = ast.unparse(stmt.node.targets[0]) if isinstance(stmt.node, ast.Assign) else "result"
            value = self._result(cst.parse_expression(target))
            return [node, cst.SimpleStatementLine([cst.Return(value)])]
        return [node]

    def _result(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        if isinstance(expr, cst.Dict):  # the notebook's own answer: its first key holds the results
            first = expr.elements[0] if expr.elements else None
            key = getattr(first, "key", None)
            self.result_key = key.evaluated_value if isinstance(key, cst.SimpleString) else None
            return expr
        self.jsonable_used = True
        call = cst.Call(cst.Name(JSONABLE_HELPER), [cst.Arg(expr)])
        return cst.Dict([cst.DictElement(cst.SimpleString('"result"'), call)])


def _shown_expression(node: cst.BaseStatement) -> cst.BaseExpression:
    expr = node.body[0].value  # an Expr statement
    if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) and expr.func.value in ("print", "display"):
        positional = [a for a in expr.args if a.keyword is None and a.star == ""]
        expr = positional[-1].value
    if (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "dumps"
            and isinstance(expr.func.value, cst.Name) and expr.func.value.value == "json" and expr.args):
        return expr.args[0].value  # run() answers a value the service serialises, not a JSON string
    return expr


def _with_leading(new: cst.SimpleStatementLine, old: cst.BaseStatement) -> cst.SimpleStatementLine:
    return new.with_changes(leading_lines=old.leading_lines)


class _DictToNames(cst.CSTTransformer):
    """`{"C": 0.8}` → `{"C": C}`, `dict(C=0.8)` → `dict(C=C)`: the values now come from the function's
    parameters (the statement holds only literals, so its only keyword arguments are the dict's)."""

    def leave_Arg(self, original, updated):
        if updated.keyword is not None:
            return updated.with_changes(value=cst.Name(updated.keyword.value))
        return updated

    def leave_DictElement(self, original, updated):
        key = updated.key
        if isinstance(key, cst.SimpleString):
            name = key.evaluated_value
            if isinstance(name, str) and name.isidentifier():
                return updated.with_changes(value=cst.Name(name))
        return updated


class _ValueToName(cst.CSTTransformer):
    def __init__(self, name: str):
        self.name = name

    def leave_Assign(self, original, updated):
        return updated.with_changes(value=cst.Name(self.name))


class _LiteralToRequest(cst.CSTTransformer):
    """`X = np.array([[1, 2]])` → `X = np.array(json.loads(raw_data)["data"])`: rows come from the request."""

    REQUEST = 'json.loads(raw_data)["data"]'

    def leave_Assign(self, original, updated):
        value = updated.value
        request = cst.parse_expression(self.REQUEST)
        if isinstance(value, cst.Call) and len(value.args) == 1:
            return updated.with_changes(value=value.with_changes(args=[value.args[0].with_changes(value=request)]))
        return updated.with_changes(value=request)


class _PassGlobals(cst.CSTTransformer):
    """Calls to a helper that read notebook globals now pass them: `f(x)` → `f(x, g=g)`."""

    def __init__(self, helpers: Dict[str, Tuple[str, ...]]):
        self.helpers = helpers

    def leave_Call(self, original, updated):
        if isinstance(updated.func, cst.Name) and updated.func.value in self.helpers:
            passed = {a.keyword.value for a in updated.args if a.keyword is not None}
            extra = [cst.Arg(cst.Name(g), keyword=cst.Name(g), equal=_EQUAL)
                     for g in self.helpers[updated.func.value] if g not in passed]
            args = list(updated.args)
            if args and extra:
                args[-1] = args[-1].with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            return updated.with_changes(args=_commas(args + extra))
        return updated


_EQUAL = cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(""))


def _commas(args):
    out = []
    for i, a in enumerate(args):
        last = i == len(args) - 1
        out.append(a.with_changes(comma=cst.MaybeSentinel.DEFAULT if last else
                                  cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))))
    return out


def _add_kwonly(fn: cst.FunctionDef, names: Sequence[str]) -> cst.FunctionDef:
    params = fn.params
    existing = {p.name.value for p in params.params + params.kwonly_params}
    new = [cst.Param(cst.Name(n)) for n in names if n not in existing]
    star = params.star_arg if not isinstance(params.star_arg, cst.MaybeSentinel) else cst.ParamStar()
    return fn.with_changes(params=params.with_changes(star_arg=star, kwonly_params=list(params.kwonly_params) + new))


class _ModelFile(cst.CSTTransformer):
    """In init(): `Model.get_model_path(...)` and literal model file names resolve locally or on Azure."""

    def __init__(self, constants: Optional[Dict[str, str]] = None):
        self.changed = False
        self.notices: List[str] = []
        self.depth = 0
        self.constants = constants or {}  # module constants naming a model file: `MODEL_FILE = "m.pkl"`

    def leave_Arg(self, original, updated):
        value = updated.value
        if self.depth == 0 and isinstance(value, cst.Name) and value.value in self.constants:
            self.changed = True
            return updated.with_changes(value=cst.Call(cst.Name(MODEL_FILE_HELPER), [cst.Arg(value)]))
        return updated

    def visit_Call(self, node):
        if _resolves_model(node):
            self.depth += 1

    def leave_Call(self, original, updated):
        if not _resolves_model(original):
            return updated
        self.depth -= 1
        if isinstance(updated.func, cst.Attribute):  # get_model_path
            arg = _model_name_argument(updated)
            self.changed = True
            what = cst.Module([]).code_for_node(updated.func)
            self.notices.append(
                f"replaced {what}(...) (Azure ML SDK) with {MODEL_FILE_HELPER}(): AZUREML_MODEL_DIR when set, "
                "else MODEL_PATH, else the notebook's file name")
            return cst.Call(cst.Name(MODEL_FILE_HELPER), [cst.Arg(arg)])
        return updated

    def leave_SimpleString(self, original, updated):
        value = updated.evaluated_value
        if self.depth == 0 and isinstance(value, str) and value.lower().endswith(MODEL_SUFFIXES) and "\n" not in value:
            self.changed = True
            return cst.Call(cst.Name(MODEL_FILE_HELPER), [cst.Arg(updated)])
        return updated


def model_file_constants(plan: Plan) -> Dict[str, str]:
    """Module-level constants whose value is a model file name: {"MODEL_FILE": "m.pkl"}."""
    found = {}
    for stmt in plan.module:
        node = stmt.node
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                and node.value.value.lower().endswith(MODEL_SUFFIXES)):
            found[node.targets[0].id] = node.value.value
    return found


def _resolves_model(call: cst.Call) -> bool:
    func = call.func
    return (isinstance(func, cst.Name) and func.value == MODEL_FILE_HELPER) or (
        isinstance(func, cst.Attribute) and func.attr.value == "get_model_path")


def _model_name_argument(call: cst.Call) -> cst.BaseExpression:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == "model_name":
            return a.value
    positional = [a for a in call.args if a.keyword is None]
    return positional[0].value if positional else cst.SimpleString('"model.pkl"')


# -- functions -------------------------------------------------------------------------------

def _function(plan: Plan, step: Step, nodes: _NodeIndex, ctx: _Rewriter, anchors) -> Function:
    body: List[object] = []  # libcst statements, and _Text for statements that need no node
    carry: List[cst.EmptyLine] = []
    marks: Dict[int, int] = {}  # id of each statement's first emitted node → statement index
    last_cell = None
    doc = _docstring(step, plan.sample_input)
    if doc:
        body.append(_Text([], [doc]))
    if step.globals_:
        body.append(cst.SimpleStatementLine([cst.Global([cst.NameItem(cst.Name(n)) for n in step.globals_])]))
    for stmt in step.statements:
        text = nodes.text(stmt) if ctx.plain(stmt, step) else None
        node = ctx.rewrite(stmt, nodes.node(stmt), in_step=step) if text is None else None
        carry = _note(plan.notes.get(stmt.index), carry)
        new_cell = last_cell not in (None, stmt.cell)
        if text is not None:
            leading = _tidy_lines(list(carry) + text.leading, first=not body, new_cell=new_cell)
            body.append(_Text(leading, text.lines))
            anchors[stmt.index] = (step.name, text.lines[0].strip())
        else:
            node = _tidy_leading(node, first=not body, carry=carry, new_cell=new_cell)
            emitted = ctx.returning(stmt, node)
            body.extend(emitted)
            marks[id(emitted[0])] = stmt.index
        carry = list(nodes.footer_of(stmt))
        last_cell = stmt.cell
    if step.returns:
        body.append(_Text([], [f"return {', '.join(step.returns)}"]))
    if not body:
        body.append(_Text([], ["pass"]))
    footer = [line.with_changes(indent=True) for line in carry]
    code, spans = _render_block(body, footer, marks)
    for index, chunk in spans.items():
        anchors[index] = (step.name, _first_code_line(chunk))
    return Function(step.name, f"def {step.name}({_signature(step)}):" + code, _call(step))


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


def _render_block(body: Sequence[object], footer: Sequence[cst.EmptyLine], marks: Dict[int, int]):
    """What libcst's `IndentedBlock(body, footer)` renders (a function body; `_Text` statements as their lines, indented),
    in one code generation pass, with each marked node's own text."""
    state = _MarkingState(marks)
    cst.TrailingWhitespace()._codegen(state)  # the newline after the `def` line
    state.increase_indent(state.default_indent)
    for item in body:
        if isinstance(item, _Text):
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


def _signature(step: Step) -> str:
    parts = list(step.params)
    parts += [f"{h.name}={h.literal}" for h in step.hypers]
    return ", ".join(parts)


def _call(step: Step) -> str:
    args = list(step.params) + [f"{h.name}={{options}}.{h.name}" for h in step.hypers]
    call = f"{step.name}({', '.join(args)})"
    return f"{', '.join(step.returns)} = {call}" if step.returns else call


def _docstring(step: Step, sample: Optional[str] = None) -> str:
    if step.role == "load_model":
        return '"""Load the model once, when the service starts."""'
    if step.role == "score" and step.name == "run":
        shape = docstring_text(request_shape(sample))
        return f'"""Score a JSON request `{shape}`; the answer is JSON-serialisable."""'
    title = step.title.strip().rstrip(".:;,")
    if not title:
        return ""
    sentence = title[0].upper() + title[1:]  # whatever case the heading used
    return f'"""{docstring_text(sentence if sentence.endswith(("?", "!")) else sentence + ".")}"""'


def request_rows(sample: Optional[str]) -> Tuple[Optional[str], object]:
    """Where a JSON sample request keeps its rows, as (key, rows): the "data" key, else the only key,
    else the first key holding a list or dict; key None when the request is the rows themselves."""
    import json

    try:
        request = json.loads(sample) if sample is not None else {"data": []}
    except ValueError:
        return None, None
    if not isinstance(request, dict):
        return None, request
    if "data" in request or len(request) == 1:
        key = "data" if "data" in request else next(iter(request))
        return key, request[key]
    key = next((k for k, v in request.items() if isinstance(v, (list, dict))), None)
    return (key, request[key]) if key is not None else (None, request)


def request_shape(sample: Optional[str]) -> str:
    """A request's outline for run()'s docstring: `{"data": [[...], ...]}`, `{"texts": ["...", ...]}`,
    `{"data": {"age": [...], ...}}`."""
    import json

    key, rows = request_rows(sample)
    if isinstance(rows, dict) and rows:
        inner = "{" + json.dumps(next(iter(rows))) + ": [...], ...}"
    elif isinstance(rows, list) and rows:
        first = rows[0]
        element = ("[...]" if isinstance(first, list) else "{...}" if isinstance(first, dict)
                   else '"..."' if isinstance(first, str) else "...")
        inner = f"[{element}, ...]"
    else:
        inner = "[[...], ...]"
    return "{" + json.dumps(key) + ": " + inner + "}" if key is not None else inner


def _note(text: Optional[str], carry: List[cst.EmptyLine]) -> List[cst.EmptyLine]:
    """Markdown prose that stood before a statement, as comment lines above it."""
    if not text:
        return carry
    lines = []
    for paragraph in text.split("\n"):
        wrapped = textwrap.wrap(paragraph, 84, break_long_words=False, break_on_hyphens=False) or [""]
        lines.extend(cst.EmptyLine(comment=cst.Comment(f"# {comment_text(w)}".rstrip())) for w in wrapped)
    return list(carry) + lines


def _tidy_leading(node, first: bool, carry=(), new_cell: bool = False):
    """Keep comments, fold blank lines to at most one, none at the top of a body."""
    return node.with_changes(leading_lines=_tidy_lines(list(carry) + list(node.leading_lines), first, new_cell))


def _tidy_lines(given: Sequence[cst.EmptyLine], first: bool, new_cell: bool = False) -> List[cst.EmptyLine]:
    lines: List[cst.EmptyLine] = []
    for line in given:
        if line.comment is not None:
            lines.append(line.with_changes(indent=True, whitespace=cst.SimpleWhitespace("")))
        elif lines and lines[-1].comment is None:
            continue
        else:
            lines.append(cst.EmptyLine(indent=False))
    if new_cell and not first and (not lines or lines[0].comment is not None):
        lines.insert(0, cst.EmptyLine(indent=False))
    while first and lines and lines[0].comment is None:
        lines.pop(0)
    while lines and lines[-1].comment is None:
        lines.pop()
    return lines


def _code(node: cst.CSTNode) -> str:
    return cst.Module(body=[node]).code if isinstance(node, cst.BaseStatement) else cst.Module([]).code_for_node(node)


def _first_code_line(code: str) -> str:
    for line in split_lines(code):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped
    return ""


# -- imports ---------------------------------------------------------------------------------

def _imports(plan: Plan, nodes: _NodeIndex, body_code: str, extra: Sequence[str]) -> List[str]:
    used = _loaded_names(body_code) | _names_of(extra)
    lines = [line for text in list(extra) + [_import_text(s) for s in plan.imports] for line in _pruned(text, used)]
    return sort_imports(_one_binding_each(_spelled_out(lines, body_code)))


def _spelled_out(lines: List[str], body_code: str) -> List[str]:
    """A lone `from m import *` becomes `from m import a, b`: the names the code reads that nothing else
    defines (readers and linters can see where they come from); none → the line goes. With several
    star imports the origin of a name is unknown, and they stay."""
    stars = [line for line in lines if line.startswith("from ") and line.endswith(" import *")]
    if len(stars) != 1:
        return lines
    from nb2prod.analysis.dataflow import module_globals

    defined, reads = module_globals(body_code)
    read = {name for name, _ in reads}
    for line in lines:
        if line is not stars[0]:
            node = ast.parse(line).body[0]
            defined |= {a.asname or a.name.split(".")[0] for a in node.names}
    names = sorted(read - defined)
    spelled = [stars[0][: -len("*")] + ", ".join(names)] if names else []
    return [x for line in lines for x in (spelled if line is stars[0] else [line])]


def _one_binding_each(lines: Sequence[str]) -> List[str]:
    """Imports the notebook repeated across cells, bound once: `from matplotlib import pyplot as plt`
    after `import matplotlib.pyplot as plt` goes, and `from m import ...` lines of one module merge.
    A name bound to two different things stays as the notebook had it."""
    bound: Dict[str, str] = {}
    out: List[object] = []  # an import line, or the alias list of a module's merged from-import
    merged: Dict[Tuple[str, int], List[ast.alias]] = {}
    for line in lines:
        node = ast.parse(line).body[0]
        fresh = []
        for a in node.names:
            if isinstance(node, ast.Import):
                name, target = a.asname or a.name.split(".")[0], a.name if a.asname else a.name.split(".")[0]
            else:
                name, target = a.asname or a.name, f"{'.' * node.level}{node.module or ''}.{a.name}"
            if a.name == "*" or bound.get(name) != target or (isinstance(node, ast.Import) and not a.asname
                                                              and "." in a.name):
                bound.setdefault(name, target)
                fresh.append(a)
        if not fresh:
            continue
        if isinstance(node, ast.Import):
            out.append(line)
            continue
        key = (node.module or "", node.level)
        if key not in merged:
            merged[key] = []
            out.append(key)
        merged[key].extend(a for a in fresh if all(ast.dump(a) != ast.dump(b) for b in merged[key]))
    return [item if isinstance(item, str) else
            ast.unparse(ast.ImportFrom(module=item[0] or None, names=merged[item], level=item[1])) for item in out]


def sort_imports(lines: Sequence[str]) -> List[str]:
    """Deduplicated, grouped (__future__, standard library, others) and sorted the way isort does."""
    seen, std, other, future = set(), [], [], []
    for line in lines:
        if line in seen:
            continue
        seen.add(line)
        module = line.split()[1].split(".")[0]
        bucket = future if module == "__future__" else std if module in _STDLIB else other
        bucket.append(line)
    groups = [sorted(g, key=_isort_key) for g in (future, std, other) if g]
    return [line for i, g in enumerate(groups) for line in ([""] if i else []) + g]


def _isort_key(line: str):
    """isort's default order: `import x` lines first, then `from x import y`, each by module name."""
    return (line.startswith("from "), line.split()[1].lower(), line)


_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | {"os", "sys", "json", "argparse", "pickle"}


def _import_text(stmt: Statement) -> str:
    return ast.unparse(stmt.node)


def _names_of(extra: Sequence[str]) -> set:
    names = set()
    for text in extra:
        for node in ast.parse(text).body:
            for alias in node.names:
                names.add(alias.asname or alias.name.split(".")[0])
    return names


def _pruned(text: str, used: set) -> List[str]:
    node = ast.parse(text).body[0]
    keep = [a for a in node.names if a.name == "*" or (a.asname or a.name.split(".")[0]) in used]
    if not keep:
        return []
    if isinstance(node, ast.Import):
        return [ast.unparse(ast.Import(names=[a])) for a in keep]
    return [ast.unparse(ast.ImportFrom(module=node.module, names=keep, level=node.level))]


def _loaded_names(code: str) -> set:
    """Every `ast.Name` in the code: `ast.walk`, without its per-node generator calls."""
    names = set()
    todo = [ast.parse(code)]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name):
            names.add(node.id)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend(v for v in value if isinstance(v, ast.AST))
    return names
