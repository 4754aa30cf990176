"""Metrics computed by hand, known by their shape: a reduction of predictions compared with the labels.

`(preds == y_test).mean()` and `np.mean(preds == y_test)` are an accuracy, `sum(p == y) / len(y)` too;
`np.mean((y_test - preds) ** 2)` a mean squared error and its `np.sqrt(...)` the root of one;
`np.abs(y_test - preds).mean()` a mean absolute error; `(preds != y_test).mean()` an error rate. Whether
the two sides are predictions and labels is the data flow's to say (analysis/metrics); this module reads
only the expression, so that lint can look for such statements before it works anything out.
"""

from __future__ import annotations

import ast
from typing import Optional, Tuple

from nb2prod.analysis.walk import call_name, walk
from nb2prod.analysis.walk import outermost as walk_outermost

_MEANS = frozenset({"mean", "nanmean", "average"})
_SUMS = frozenset({"sum", "nansum", "count_nonzero"})
_ABS = frozenset({"abs", "absolute", "fabs"})
# What each shape is called when the notebook gives it no label (plan/evaluation's key for it).
ACCURACY, ERROR_RATE, MSE, RMSE, MAE = "accuracy", "error_rate", "mse", "rmse", "mae"
# Text a statement holding one of these must contain: lint's cheap test before it parses anything.
WORDS = ("mean", "average", "sum", "count_nonzero", "sqrt")


def shape(expr: ast.AST) -> Optional[Tuple[str, Tuple[ast.expr, ast.expr]]]:
    """(the metric's name, the two compared expressions) when `expr` reduces predictions compared with
    labels to one number in a known way, else None."""
    if expr.__class__ is ast.Call:
        last = call_name(expr.func)
        if last == "sqrt":
            inner = _argument(expr)
            found = shape(inner) if inner is not None else None
            return (RMSE, found[1]) if found is not None and found[0] == MSE else None
        if last in _MEANS:
            inner = _argument(expr)
            return _elementwise(inner) if inner is not None else None
    elif expr.__class__ is ast.BinOp and expr.op.__class__ is ast.Div and _counts(expr.right):
        left = expr.left  # `sum(p == y) / len(y)`, `np.sum((p - y) ** 2) / y.size`
        if left.__class__ is ast.Call and call_name(left.func) in _SUMS:
            inner = _argument(left)
            return _elementwise(inner) if inner is not None else None
    return None


def _argument(call: ast.Call) -> Optional[ast.expr]:
    """What a reduction reduces: `np.mean(x)` → x, `x.mean()` → x (a method with no positional argument)."""
    if call.args:
        return call.args[0]
    return call.func.value if call.func.__class__ is ast.Attribute else None


def _elementwise(expr: ast.expr) -> Optional[Tuple[str, Tuple[ast.expr, ast.expr]]]:
    """The per-row comparison a mean is taken of: `a == b`, `a != b`, `(a - b) ** 2`, `abs(a - b)`."""
    if expr.__class__ is ast.Compare and len(expr.ops) == 1 and expr.ops[0].__class__ in (ast.Eq, ast.NotEq):
        return (ACCURACY if expr.ops[0].__class__ is ast.Eq else ERROR_RATE), (expr.left, expr.comparators[0])
    if (expr.__class__ is ast.BinOp and expr.op.__class__ is ast.Pow and expr.right.__class__ is ast.Constant
            and expr.right.value == 2 and _difference(expr.left)):
        return MSE, (expr.left.left, expr.left.right)
    if expr.__class__ is ast.Call:
        inner = _argument(expr) if call_name(expr.func) in _ABS else None
        if inner is not None and _difference(inner):
            return MAE, (inner.left, inner.right)
    return None


def _difference(expr: ast.expr) -> bool:
    return expr.__class__ is ast.BinOp and expr.op.__class__ is ast.Sub


def _counts(expr: ast.expr) -> bool:
    """`len(y)`, `y.size`, `y.shape[0]`, `float(len(y))`: how many rows there are."""
    if expr.__class__ is ast.Call and call_name(expr.func) == "float" and len(expr.args) == 1:
        expr = expr.args[0]
    if expr.__class__ is ast.Call:
        return call_name(expr.func) == "len" and len(expr.args) == 1
    if expr.__class__ is ast.Attribute:
        return expr.attr == "size"
    return (expr.__class__ is ast.Subscript and expr.value.__class__ is ast.Attribute and expr.value.attr == "shape"
            and expr.slice.__class__ is ast.Constant and expr.slice.value == 0)


def outermost(expr: ast.AST) -> list:
    """The by-hand metrics in `expr` not inside another, in source order: (node, name, compared)."""
    return [(node, *shape(node)) for node in walk_outermost(expr, lambda node: shape(node) is not None)]


def holds(expr: ast.AST) -> bool:
    """Whether `expr` holds a by-hand metric anywhere (outermost's question, answered with lint's walk)."""
    return any(shape(node) is not None for node in walk(expr) if node.__class__ in (ast.Call, ast.BinOp))
