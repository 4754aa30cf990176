"""Shared predicates on expressions: inspection, display-only calls, output calls."""

from __future__ import annotations

import ast

from nb2prod.analysis.facts import Facts
from nb2prod.analysis.figures import FIGURE_WRITES, is_plot_method
from nb2prod.analysis.vocab import PURE_METHODS
from nb2prod.analysis.walk import walk

INSPECT_METHODS = frozenset(
    "head tail describe info sample value_counts nunique unique isnull isna notnull notna "
    "memory_usage corr duplicated".split()
)
INSPECT_ATTRS = frozenset("shape dtypes columns dtype ndim size index".split())
# What may follow an inspection call and keep it an inspection: `df.isnull().sum()`.
AGGREGATES = frozenset("sum mean any all count sort_values sort_index to_frame round head tail T "
                       "tolist to_list to_dict to_string to_markdown".split())
INSPECT_BUILTINS = frozenset("len type dir vars repr id".split())
PURE_BUILTINS = INSPECT_BUILTINS | frozenset(
    "sorted list tuple set dict str int float bool abs min max sum round any all isinstance hasattr "
    "getattr callable hash format range enumerate zip reversed".split()
)
# Pure in dataflow's sense, but often called for their effect or their IO.
_NOT_DISPLAY = frozenset("get read apply map filter loads dumps encode decode".split())
DISPLAY_METHODS = PURE_METHODS - _NOT_DISPLAY | {"size", "transpose"}  # `df.groupby("k").size()`
# Pure on a DataFrame (`df.add(other)`), a mutation on anything else (`seen.add(item)`).
_FRAME_ONLY = frozenset({"add"})
# A figure's methods that write it out or turn it into data: an artifact, not a drawing.
FIGURE_OUTPUTS = FIGURE_WRITES | frozenset({"save", "write_json", "to_html", "to_image", "to_json", "to_dict"})
# `Image("logo.png")`, `HTML(table)`, `ipd.Audio(wave, rate=sr)`: objects made only to be shown.
DISPLAY_OBJECTS = ("IPython.display.",)
COMPUTING_MODULES = ("numpy", "pandas", "math", "statistics", "scipy")


def is_inspection(node: ast.AST, facts: Facts) -> bool:
    """`df.head()`, `df.isnull().sum()`, `df.shape`, `df.columns[:5]` on a non-module receiver."""
    if isinstance(node, ast.Subscript):
        return is_inspection(node.value, facts)
    if isinstance(node, ast.Attribute):
        if node.attr == "T":  # `df.describe().T`
            return is_inspection(node.value, facts)
        return node.attr in INSPECT_ATTRS and not _on_module(node.value, facts)
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return False
    method, receiver = node.func.attr, node.func.value
    if _on_module(receiver, facts) or facts.is_effect_call(node):  # `logger.info()` logs; `df.info()` inspects
        return False
    if method in INSPECT_METHODS:
        return not (method == "info" and node.args)  # `logger.info("loaded %d rows", n)` logs; df.info() takes none
    return method in AGGREGATES and is_inspection(receiver, facts)


def _on_module(node: ast.AST, facts: Facts) -> bool:
    return isinstance(node, ast.Name) and facts.is_module(node.id)


def is_print(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"


def is_display(node: ast.AST, facts: Facts) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name) and func.id == "display":
        return not facts.own_display()
    return (facts.module_of(func) or "").endswith("display.display")


def is_plot(node: ast.AST, facts: Facts) -> bool:
    """A call to matplotlib/seaborn/plotly (through its import alias), a figure's method or `.plot()`."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Attribute) and func.attr in FIGURE_OUTPUTS:
        return False
    if facts.is_plot_target(func):
        return True
    return is_plot_method(func) and not _on_module(root_node(func), facts)


def call_text(func: ast.AST) -> str:
    """How `ast.unparse` writes a call target, without its cost for the common `a.b.c` chain."""
    parts, node = [], func
    while node.__class__ is ast.Attribute:
        parts.append(node.attr)
        node = node.value
    if node.__class__ is not ast.Name:
        return ast.unparse(func)
    parts.append(node.id)
    return ".".join(reversed(parts))


def root_node(node: ast.AST) -> ast.AST:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def is_output(node: ast.AST, facts: Facts) -> bool:
    """print, display or plot: a call whose only purpose is to show something."""
    return is_print(node) or is_display(node, facts) or is_plot(node, facts)


def is_pure_call(node: ast.Call, facts: Facts) -> bool:
    """A call that only computes a value to look at: `len(x)`, `df.mean()`, `np.mean(x)`, `model.score(X, y)`;
    never one made for its effect (`logger.info(...)`, `mlflow.log_metric(...)`, `df.to_json(path)`)."""
    func = node.func
    if facts.is_effect_call(node):
        return False
    if isinstance(func, ast.Name):
        return func.id in PURE_BUILTINS or _display_object(facts.module_of(func))
    if isinstance(func, ast.Attribute):
        module = facts.module_of(func)
        if _display_object(module):
            return True
        if module is not None and not module.startswith(COMPUTING_MODULES):
            return False  # shutil.copy, os.remove: module functions are called for their effect
        inplace = any(kw.arg == "inplace" for kw in node.keywords)
        if module is None and func.attr in _FRAME_ONLY and not facts.is_frame(func.value):
            return False
        return func.attr in DISPLAY_METHODS and not inplace
    return False


def _display_object(module) -> bool:
    """`IPython.display.Image`, `.HTML`, `.Audio`: classes whose objects are only shown (not `clear_output`)."""
    return module is not None and module.startswith(DISPLAY_OBJECTS) and module.rsplit(".", 1)[-1][:1].isupper()


def shows_only(node: ast.AST, facts: Facts) -> bool:
    """An expression whose evaluation has no effect besides its value (every call in it is pure)."""
    for sub in walk(node):
        if isinstance(sub, ast.Call) and not is_pure_call(sub, facts):
            return False
        if isinstance(sub, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
    return True

