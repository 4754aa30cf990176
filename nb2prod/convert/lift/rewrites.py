"""Edits to a kept statement's libcst node: the rewrite the plan chose for it (`Rewrite`), calls that now
pass a helper's globals, and model files resolved in init()."""

from __future__ import annotations

import ast
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import libcst as cst

from nb2prod.convert.lift.arguments import ArgumentsToNames, ValueToLiteral
from nb2prod.model import Rewrite, Statement
from nb2prod.convert.plan import Plan, Step
from nb2prod.convert.plan.types import Rename

MODEL_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".h5", ".keras", ".onnx", ".sav", ".model",
                  ".bin", ".cbm", ".ubj", ".json", ".txt", ".skops")


def _value_only(node: cst.BaseStatement) -> cst.BaseStatement:
    """`history = model.fit(X, y)` → `model.fit(X, y)`, comments kept (the plan saw nothing read `history`)."""
    if isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1 and isinstance(node.body[0], cst.Assign):
        return node.with_changes(body=[cst.Expr(node.body[0].value)])
    return node


class Rewriter:
    """Applies the plan's edits to statement nodes, and collects what the edits used: the helpers the
    generated module must define, the notices for the user, and the key of run()'s answer."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.model_file_used = False
        self.jsonable_used = False
        self.result_key: Optional[str] = "result"
        self.notices: List[str] = []

    def rewrite(self, stmt: Statement, node: cst.BaseStatement, in_step: Optional[Step]) -> cst.BaseStatement:
        rename = self.plan.renames.get(stmt.index)
        if rename is not None:
            node = _renamed(node, rename)
        edit = EDITS.get(self.plan.rewrites.get(stmt.index))
        if edit is not None:
            node = edit(node)
        if stmt.index in self.plan.injected:  # a parameter that stays code takes papermill's injected value
            node = node.visit(ValueToLiteral(self.plan.injected[stmt.index]))
        if self.plan.helper_globals:
            node = self._pass_globals(node)
        if in_step is not None and in_step.name == "init":
            node = self._resolve_model_files(node)
        return node

    def _pass_globals(self, node: cst.BaseStatement) -> cst.BaseStatement:
        helpers = self.plan.helper_globals
        node = node.visit(_PassGlobals(helpers))
        if isinstance(node, cst.FunctionDef) and node.name.value in helpers:
            node = _add_kwonly(node, helpers[node.name.value])
            self.notices.append(
                f"{node.name.value}() read the notebook globals "
                f"{', '.join(helpers[node.name.value])}; they are now keyword parameters")
        return node

    def _resolve_model_files(self, node: cst.BaseStatement) -> cst.BaseStatement:
        resolver = _ModelFile(model_file_constants(self.plan), self.plan.script_names.model_file)
        node = node.visit(resolver)
        if resolver.changed:
            self.model_file_used = True
            self.notices.extend(resolver.notices)
        return node

    def plain(self, stmt: Statement, in_step: Optional[Step]) -> bool:
        """`rewrite` leaves this statement as it is."""
        return (stmt.index not in self.plan.rewrites and stmt.index not in self.plan.injected
                and not self.plan.helper_globals
                and stmt.index not in self.plan.renames and (in_step is None or in_step.name != "init"))

    def returning(self, stmt: Statement, node: cst.BaseStatement) -> List[cst.BaseStatement]:
        emit = RETURNS.get(self.plan.rewrites.get(stmt.index))
        return [node] if emit is None else emit(self, stmt, node)

    def result(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        """run()'s answer: the notebook's own dict (its first key holds the results), else `{"result": ...}`."""
        if isinstance(expr, cst.Dict):
            first = expr.elements[0] if expr.elements else None
            key = getattr(first, "key", None)
            self.result_key = key.evaluated_value if isinstance(key, cst.SimpleString) else None
            return expr
        self.jsonable_used = True
        call = cst.Call(cst.Name(self.plan.script_names.jsonable), [cst.Arg(expr)])
        return cst.Dict([cst.DictElement(cst.SimpleString('"result"'), call)])


def _arguments_to_names(ctx: Rewriter, stmt: Statement, node: cst.BaseStatement) -> List[cst.BaseStatement]:
    """`SVC(C=1.0)` → `SVC(C=C)`: the literal arguments the plan made options read the step's parameters."""
    return [node.visit(ArgumentsToNames([h for h in ctx.plan.hypers if h.at == stmt.index]))]


def _return_shown(ctx: Rewriter, stmt: Statement, node: cst.BaseStatement) -> List[cst.BaseStatement]:
    """`print(model.predict(X))` → `return {"result": _jsonable(model.predict(X))}`."""
    expr = _shown_expression(node)
    return [_with_leading(cst.SimpleStatementLine([cst.Return(ctx.result(expr))]), node)]


def _return_after(ctx: Rewriter, stmt: Statement, node: cst.BaseStatement) -> List[cst.BaseStatement]:
    """`preds = model.predict(X)` → the same, then `return {"result": _jsonable(preds)}`."""
    target = ast.unparse(stmt.node.targets[0]) if isinstance(stmt.node, ast.Assign) else "result"
    value = ctx.result(cst.parse_expression(target))
    return [node, cst.SimpleStatementLine([cst.Return(value)])]


def _bind_metrics(ctx: Rewriter, stmt: Statement, node: cst.BaseStatement) -> List[cst.BaseStatement]:
    """`print("accuracy:", accuracy_score(y, p))` → `accuracy = accuracy_score(y, p)` then
    `print("accuracy:", accuracy)`; a metric only shown (`model.score(X_test, y_test)`) → just the binding."""
    bindings = ctx.plan.bindings.get(stmt.index, ())
    rename = dict(ctx.plan.renames[stmt.index].names) if stmt.index in ctx.plan.renames else {}
    namer = _NameMetricCalls([(_renamed_text(b.expr, rename), b.name) for b in bindings])
    changed = node.visit(namer)
    if len(namer.found) != len(bindings):
        return [node]  # the calls were not found as the plan saw them: leave the statement as it was
    emitted: List[cst.BaseStatement] = [
        cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Name(b.name))], call)])
        for b, call in zip(bindings, namer.found)]
    if not (bindings and bindings[0].alone):
        emitted.append(changed.with_changes(leading_lines=()))
    emitted[0] = emitted[0].with_changes(leading_lines=node.leading_lines)
    return emitted


class _NameMetricCalls(cst.CSTTransformer):
    """Replaces the calls written as `wanted` (their text, in source order) by the names the plan gave them;
    a metric read from a fit's history (`history.history["val_loss"][-1]`) is a subscript, a search's score
    (`grid.best_score_`) an attribute, one shown through arithmetic (`100 * acc(...)`) an operation, named
    the same way."""

    def __init__(self, wanted: Sequence[Tuple[str, str]]):
        self.wanted = list(wanted)
        self.found: List[cst.BaseExpression] = []

    def leave_Call(self, original, updated):
        return self._named(original, updated)

    def leave_Subscript(self, original, updated):
        return self._named(original, updated)

    def leave_Attribute(self, original, updated):
        return self._named(original, updated)

    def leave_BinaryOperation(self, original, updated):  # `100 * accuracy_score(...)`, as the notebook showed it
        return self._named(original, updated)

    def leave_UnaryOperation(self, original, updated):
        return self._named(original, updated)

    def _named(self, original: cst.BaseExpression, updated: cst.BaseExpression) -> cst.BaseExpression:
        if len(self.found) < len(self.wanted):
            expr, name = self.wanted[len(self.found)]
            if _unparsed(original) == expr:
                self.found.append(updated)
                return cst.Name(name)
        return updated


def _renamed_text(expr: str, names: Dict[str, str]) -> str:
    """An expression's text after the plan's renames (`max(scores)` with `scores` → `scores_`)."""
    if not names:
        return expr
    tree = ast.parse(expr, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names:
            node.id = names[node.id]
    return ast.unparse(tree.body)


def _unparsed(expr: cst.BaseExpression) -> Optional[str]:
    try:
        return ast.unparse(ast.parse(cst.Module([]).code_for_node(expr).strip(), mode="eval").body)
    except SyntaxError:
        return None


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


def _renamed(node: cst.BaseStatement, rename: Rename) -> cst.BaseStatement:
    """The plan's Rename applied: every name of the statement, then the names its assignment binds."""
    if rename.names:
        node = node.visit(_Rename(dict(rename.names)))
    if rename.targets and isinstance(node, cst.SimpleStatementLine) and isinstance(node.body[0], cst.Assign):
        assign = node.body[0]
        to = _Rename(dict(rename.targets))
        targets = [t.with_changes(target=t.target.visit(to)) for t in assign.targets]
        node = node.with_changes(body=[assign.with_changes(targets=targets), *node.body[1:]])
    return node


class _Rename(cst.CSTTransformer):
    """Renames variables: not attributes, keyword arguments, parameters or imported names."""

    def __init__(self, names: Dict[str, str]):
        self.names = names

    def leave_Name(self, original, updated):
        new = self.names.get(updated.value)
        return updated if new is None else updated.with_changes(value=new)

    def leave_Attribute(self, original, updated):
        return updated.with_changes(attr=original.attr)

    def leave_Arg(self, original, updated):
        return updated.with_changes(keyword=original.keyword)

    def leave_Param(self, original, updated):
        return updated.with_changes(name=original.name)

    def leave_ImportAlias(self, original, updated):
        return original


def _add_kwonly(fn: cst.FunctionDef, names: Sequence[str]) -> cst.FunctionDef:
    params = fn.params
    existing = {p.name.value for p in params.params + params.kwonly_params}
    new = [cst.Param(cst.Name(n)) for n in names if n not in existing]
    star = params.star_arg if not isinstance(params.star_arg, cst.MaybeSentinel) else cst.ParamStar()
    return fn.with_changes(params=params.with_changes(star_arg=star, kwonly_params=list(params.kwonly_params) + new))


class _ModelFile(cst.CSTTransformer):
    """In init(): `Model.get_model_path(...)` and literal model file names resolve locally or on Azure."""

    def __init__(self, constants: Optional[Dict[str, str]] = None, helper: str = "_model_file"):
        self.helper = helper  # the name of score.py's model-file helper (plan.script_names.model_file)
        self.changed = False
        self.notices: List[str] = []
        self.depth = 0
        self.constants = constants or {}  # module constants naming a model file: `MODEL_FILE = "m.pkl"`

    def leave_Arg(self, original, updated):
        value = updated.value
        if self.depth == 0 and isinstance(value, cst.Name) and value.value in self.constants:
            self.changed = True
            return updated.with_changes(value=cst.Call(cst.Name(self.helper), [cst.Arg(value)]))
        return updated

    def visit_Call(self, node):
        if _resolves_model(node, self.helper):
            self.depth += 1

    def leave_Call(self, original, updated):
        if not _resolves_model(original, self.helper):
            return updated
        self.depth -= 1
        if isinstance(updated.func, cst.Attribute):  # get_model_path
            arg = _model_name_argument(updated)
            self.changed = True
            what = cst.Module([]).code_for_node(updated.func)
            self.notices.append(
                f"replaced {what}(...) (Azure ML SDK) with {self.helper}(): AZUREML_MODEL_DIR when set, "
                "else MODEL_PATH, else the notebook's file name")
            return cst.Call(cst.Name(self.helper), [cst.Arg(arg)])
        return updated

    def leave_SimpleString(self, original, updated):
        value = updated.evaluated_value
        if self.depth == 0 and isinstance(value, str) and value.lower().endswith(MODEL_SUFFIXES) and "\n" not in value:
            self.changed = True
            return cst.Call(cst.Name(self.helper), [cst.Arg(updated)])
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


def _resolves_model(call: cst.Call, helper: str) -> bool:
    func = call.func
    return (isinstance(func, cst.Name) and func.value == helper) or (
        isinstance(func, cst.Attribute) and func.attr.value == "get_model_path")


def _model_name_argument(call: cst.Call) -> cst.BaseExpression:
    for a in call.args:
        if a.keyword is not None and a.keyword.value == "model_name":
            return a.value
    positional = [a for a in call.args if a.keyword is None]
    return positional[0].value if positional else cst.SimpleString('"model.pkl"')


Edit = Callable[[cst.BaseStatement], cst.BaseStatement]
Emit = Callable[[Rewriter, Statement, cst.BaseStatement], List[cst.BaseStatement]]

# What each Rewrite kind does: an edit of the statement's node before it is placed (`Rewriter.rewrite`), or,
# for the kinds that make run() answer, the statements emitted in its place (`Rewriter.returning`).
EDITS: Dict[Rewrite, Edit] = {
    Rewrite.HYPER_DICT: lambda node: node.visit(_DictToNames()),
    Rewrite.RAW_DATA: lambda node: node.visit(_ValueToName("raw_data")),
    Rewrite.DATA_LITERAL: lambda node: node.visit(_LiteralToRequest()),
    Rewrite.VALUE_ONLY: _value_only,
}
RETURNS: Dict[Rewrite, Emit] = {
    Rewrite.RETURN: _return_shown,
    Rewrite.RETURN_AFTER: _return_after,
    Rewrite.BIND_METRIC: _bind_metrics,
    Rewrite.HYPER_ARGS: _arguments_to_names,
}
