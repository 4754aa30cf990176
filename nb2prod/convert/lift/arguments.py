"""`GradientBoostingClassifier(n_estimators=60)` → `GradientBoostingClassifier(n_estimators=n_estimators)`,
`joblib.dump(model, "model.pkl")` → `joblib.dump(model, model_path)`: the literal arguments the plan made
options (Rewrite.HYPER_ARGS) read the step's keyword parameters."""

from __future__ import annotations

import ast
from typing import Sequence

import libcst as cst

from nb2prod.convert.hyper import Hyper, source

_EMPTY = cst.Module([])


class ArgumentsToNames(cst.CSTTransformer):
    def __init__(self, hypers: Sequence[Hyper]):
        self.keywords = {(h.call, h.arg): h for h in hypers if h.arg}
        self.paths = {h.default: h for h in hypers if not h.arg}

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        callee = _normal(_EMPTY.code_for_node(updated.func))
        args = []
        for arg in updated.args:
            h = self.keywords.get((callee, arg.keyword.value)) if arg.keyword is not None else None
            if h is None and self.paths and isinstance(arg.value, (cst.SimpleString, cst.ConcatenatedString)):
                h = self.paths.get(arg.value.evaluated_value)
            if h is not None and _value(arg.value) == h.default:
                arg = arg.with_changes(value=cst.Name(h.name))
            args.append(arg)
        return updated.with_changes(args=args)


class ValueToLiteral(cst.CSTTransformer):
    """`max_depth = 3` → `max_depth = 1`: a parameter kept as code takes the value papermill injected."""

    def __init__(self, value: object):
        self.value = cst.parse_expression(source(value))

    def leave_Assign(self, original, updated):
        return updated.with_changes(value=self.value)

    leave_AnnAssign = leave_Assign


def _normal(code: str) -> str:
    """The callee as `ast.unparse` writes it, which is how the plan names it."""
    try:
        return ast.unparse(ast.parse(code.strip(), mode="eval"))
    except SyntaxError:
        return code


def _value(node: cst.BaseExpression):
    try:
        return ast.literal_eval(_EMPTY.code_for_node(node).strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
