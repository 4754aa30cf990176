"""Move the kept statements into functions with libcst, keeping their comments and formatting.

Each cell is parsed once (`nodes`), its top-level statement nodes are moved into generated function bodies,
the few rewrites the plan asks for edit nodes directly (`rewrites`), and the bodies are rendered in one pass
(`codegen`). Imports are hoisted, deduplicated and pruned once, at the end, against the final code (`imports`).
"""

from __future__ import annotations

import textwrap
from typing import Dict, List, Optional, Sequence, Tuple

import libcst as cst

from nb2prod.escape import comment_text, docstring_text, split_lines, string_literal
from nb2prod.convert.lift.codegen import code as _code, render_block as _render_block
from nb2prod.convert.lift.imports import hoisted_imports
from nb2prod.convert.lift.nodes import NodeIndex, Text as _Text
from nb2prod.convert.lift.request import RequestCheck, request_check, request_shape
from nb2prod.convert.lift.rewrites import Rewriter
from nb2prod.convert.plan import Plan, Step
from nb2prod.frozen import frozen



@frozen
class Function:
    name: str
    code: str
    calls: str  # the call line main() uses, e.g. "data = split_data(df)"


@frozen
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
    request_check: Optional[RequestCheck] = None  # the shape run() checks a request against first


def lift(plan: Plan, extra_imports: Sequence[str] = ()) -> Lifted:
    nodes = NodeIndex(plan.cells, plan.notebook.path)
    ctx = Rewriter(plan)
    anchors: Dict[int, Tuple[str, str]] = {}
    module_code = _module_code(plan, nodes, ctx, anchors)
    check = request_check(plan.sample_input) if plan.kind == "scoring" else None
    functions = [_function(plan, step, nodes, ctx, anchors, check) for step in plan.steps]
    imports = hoisted_imports(plan.imports, module_code + [f.code for f in functions], extra_imports)
    for stmt in plan.imports:
        anchors.setdefault(stmt.index, ("<imports>", ""))
    return Lifted(tuple(imports), tuple(module_code), tuple(functions), anchors,
                  ctx.model_file_used, ctx.jsonable_used, tuple(ctx.notices), ctx.result_key,
                  check if any(_checks(step, check) for step in plan.steps) else None)


def _module_code(plan: Plan, nodes: NodeIndex, ctx: Rewriter, anchors) -> List[str]:
    """The module-level statements (constants, helper definitions) as code blocks, in notebook order."""
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
    return module_code


def _function(plan: Plan, step: Step, nodes: NodeIndex, ctx: Rewriter, anchors,
              check: Optional[RequestCheck] = None) -> Function:
    body, marks, carry = _body(plan, step, nodes, ctx, anchors, _checks(step, check))
    if step.metrics:
        body.append(_Text([], metrics_return(step, _final_names(plan, step))))
    elif step.returns:
        body.append(_Text([], [f"return {', '.join(step.returns)}"]))
    if not body:
        body.append(_Text([], ["pass"]))
    footer = [line.with_changes(indent=True) for line in carry]
    code, spans = _render_block(body, footer, marks)
    for index, chunk in spans.items():
        anchors[index] = (step.name, _first_code_line(chunk))
    return Function(step.name, f"def {step.name}({_signature(step)}):" + code, _call(step))


def _body(plan: Plan, step: Step, nodes: NodeIndex, ctx: Rewriter, anchors, check: bool = False):
    """The step's body: libcst statements, and `Text` for statements that need no node; the id of each
    statement's first emitted node → its index; the comment lines after the last statement."""
    body = _preamble(plan, step, check)
    carry: List[cst.EmptyLine] = []
    marks: Dict[int, int] = {}
    last_cell = None
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
            emitted = ctx.returning(stmt, _tidy_leading(node, first=not body, carry=carry, new_cell=new_cell))
            body.extend(emitted)
            marks[id(emitted[0])] = stmt.index
        carry = list(nodes.footer_of(stmt))
        last_cell = stmt.cell
    return body, marks, carry


def _preamble(plan: Plan, step: Step, check: bool = False) -> List[object]:
    """The docstring and `global` statement a step's body starts with; for run(), the request's shape check."""
    body: List[object] = []
    doc = _docstring(step, plan.sample_input)
    if doc:
        body.append(_Text([], [doc]))
    if step.globals_:
        body.append(cst.SimpleStatementLine([cst.Global([cst.NameItem(cst.Name(n)) for n in step.globals_])]))
    if check:
        names = plan.script_names
        body.append(_Text([], [f"{names.problem} = {names.request_problem}({step.params[0]})",
                               f"if {names.problem} is not None:",
                               f"    return {names.bad_request}({names.problem})"]))
    return body


def _checks(step: Step, check: Optional[RequestCheck]) -> bool:
    """run() checks its request's shape: the sample has a fixed one, and run() takes the request."""
    return check is not None and step.role == "score" and step.name == "run" and bool(step.params)


def _signature(step: Step) -> str:
    parts = list(step.params)
    parts += [f"{h.name}={h.literal}" for h in step.hypers]
    return ", ".join(parts)


def _call(step: Step) -> str:
    """The call main() makes, `{options}` and `{metrics}` standing for the names main() gives them."""
    args = list(step.params) + [_passed(h) for h in step.hypers]
    call = f"{step.name}({', '.join(args)})"
    results = list(step.returns) + (["{metrics}"] if step.metrics else [])
    return f"{', '.join(results)} = {call}" if results else call


def _passed(h) -> str:
    """`name={options}.name`; a tuple's option gives a list, which the step gets back as a tuple."""
    value = f"{{options}}.{h.name}"
    return f"{h.name}=tuple({value})" if isinstance(h.default, tuple) else f"{h.name}={value}"


def _final_names(plan: Plan, step: Step) -> Dict[str, str]:
    """What the plan's renames call each renamed variable by the end of the step (`accuracy_score_`)."""
    final: Dict[str, str] = {}
    for s in step.statements:
        rename = plan.renames.get(s.index)
        if rename is not None:
            final.update(rename.names)
            final.update(rename.targets)
    return final


def metrics_return(step: Step, names: Optional[Dict[str, str]] = None, width: int = 116) -> List[str]:
    """`return {"mse": mse, **scores}`: the metrics an evaluation step reports, after what later steps need
    (`names`: the variables' names after the plan's renames)."""
    names = names or {}
    entries = [f"**{names.get(m.name, m.name)}" if m.merged else f"{string_literal(m.key)}: {names.get(m.name, m.name)}"
               for m in step.metrics]
    head = "return " + "".join(f"{name}, " for name in step.returns)
    if len(step.metrics) == 1 and step.metrics[0].merged:
        return [head + names.get(step.metrics[0].name, step.metrics[0].name)]  # the notebook's own dict of metrics
    line = head + "{" + ", ".join(entries) + "}"
    if len(line) <= width:
        return [line]
    return [head + "{"] + [f"    {entry}," for entry in entries] + ["}"]


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


def _first_code_line(code: str) -> str:
    for line in split_lines(code):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped
    return ""
