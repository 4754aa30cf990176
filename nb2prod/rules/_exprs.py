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
    if node.__class__ is ast.Call and not is_pure_call(node, facts):
        return False  # most expression statements: a call made for its effect, decided before any walk
    for sub in walk(node):
        if isinstance(sub, ast.Call) and not is_pure_call(sub, facts):
            return False
        if isinstance(sub, (ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)):
            return False
    return True



# -- what a print shows ------------------------------------------------------------------------
# Summary statistics of data: `df["price"].min()`, `X.mean()`, `np.bincount(y)`, `y.value_counts()`.
SUMMARY_METHODS = frozenset("min max mean std var sum median unique nunique value_counts bincount numel "
                            "count_params".split())
# A fitted model's description: `model.get_params()`, `tree.get_depth()`, and its size settings.
MODEL_METHODS = frozenset("get_params get_depth get_n_leaves".split())
MODEL_SIZE_ATTRS = frozenset({"n_estimators", "max_depth"})
_WRAPPERS = frozenset({"list", "sorted", "set", "tuple", "len", "round", "dict"})  # `list(df.columns)`


def print_kind(arg: ast.AST, facts: Facts):
    """What one argument of a print shows: "label" for constant text, "data" for the shape, content or
    summary statistics of data, "model" for a fitted model's attributes or description, None otherwise."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return "label"
    if isinstance(arg, ast.JoinedStr):
        parts = [print_kind(v.value, facts) for v in arg.values if isinstance(v, ast.FormattedValue)]
        return _combined(parts) if parts else "label"
    if isinstance(arg, ast.Starred):
        return None
    if is_fitted_attribute(arg, facts):
        return "model"
    if is_inspection(arg, facts) or facts.is_frame(arg) or is_summary(arg, facts):
        return "data"
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name):
        if arg.func.id in INSPECT_BUILTINS:
            return "data"
        if arg.func.id in _WRAPPERS and len(arg.args) == 1:  # `list(df.columns)`, `len(model.estimators_)`
            inner = print_kind(arg.args[0], facts)
            return inner if inner in ("data", "model") else None
    return None


def _combined(parts):
    if not all(parts):
        return None
    return "model" if "model" in parts else "data" if "data" in parts else "label"


def is_data_ref(node: ast.AST, facts: Facts) -> bool:
    """A name, or an attribute or item of one, that is not a module: `y`, `df["price"]`, `data.target`."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return isinstance(node, ast.Name) and not facts.is_module(node.id)


def is_summary(node: ast.AST, facts: Facts) -> bool:
    """A summary statistic of data: `df["q"].min()`, `X.mean()`, `np.bincount(y)`, `sum(p.numel() for p in ...)`;
    never of a computed expression (`(pred == y).mean()` is an accuracy)."""
    if not isinstance(node, ast.Call) or facts.is_effect_call(node):
        return False
    func, args = node.func, node.args
    constant_args = all(isinstance(a, ast.Constant) for a in [*args, *(kw.value for kw in node.keywords)])
    if isinstance(func, ast.Attribute) and func.attr in SUMMARY_METHODS:
        module = facts.module_of(func)
        if module is None:
            receiver = func.value
            return constant_args and (is_data_ref(receiver, facts) or is_inspection(receiver, facts)
                                      or is_summary(receiver, facts))
        return module.startswith(COMPUTING_MODULES) and len(args) >= 1 and is_data_ref(args[0], facts)
    if isinstance(func, ast.Name) and func.id in ("min", "max", "sum", "len") and len(args) == 1:
        arg = args[0]
        if isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
            return is_summary(arg.elt, facts) or is_inspection(arg.elt, facts)
        return is_data_ref(arg, facts)
    return False


def is_fitted_attribute(node: ast.AST, facts: Facts) -> bool:
    """A fitted model's attribute or description: `clf.classes_`, `model.coef_[0]`, `model.n_estimators`,
    `model.get_params()`, `type(model).__name__`; not a fitted score (`search.best_score_` is a metric)."""
    if isinstance(node, ast.Subscript):
        return is_fitted_attribute(node.value, facts)
    if isinstance(node, ast.Attribute):
        attr = node.attr
        if attr == "__name__":
            inner = node.value
            return (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Name) and inner.func.id == "type"
                    or isinstance(inner, ast.Attribute) and inner.attr == "__class__")
        fitted = attr.endswith("_") and not attr.startswith("_") and "score" not in attr
        return (fitted or attr in MODEL_SIZE_ATTRS) and is_data_ref(node.value, facts)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        func = node.func
        if func.attr in MODEL_METHODS:
            return is_data_ref(func.value, facts) and not facts.is_effect_call(node)
        return func.attr in AGGREGATES | {"round"} and is_fitted_attribute(func.value, facts)  # `coef_.round(2)`
    return False


def plain_print(node: ast.AST) -> bool:
    """A `print(...)` to standard output (not `file=`)."""
    return is_print(node) and not any(kw.arg == "file" for kw in node.keywords)
