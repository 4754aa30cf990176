"""A scoring notebook's checks of its sample (NB110 `assert`s) leave run() for test_score.py.

Reads the statements NB110 flagged, the request contract (which notebook names hold the request and
run()'s answer) and the import aliases; returns each check rewritten into the tests' names, and the
drop reason `--explain` shows. The tests call `answer = score.run(score.SAMPLE_REQUEST, {})`:

- the notebook's name of run()'s answer becomes what `answer` holds of it (`result` after
  `print(json.dumps({"result": result.tolist()}))` is `np.asarray(answer["result"])`), the sample
  request's name becomes score.py's sample constant (`REQUEST`, filled in by the test context);
- a check that reads any other notebook name (`data`, a column list) cannot be written in the tests:
  it is dropped, and the reason names what is missing;
- a check that only counts the answer (`len(result) == 2`, `result.shape`) holds for any model that
  answers one result per row: the stub-model test checks it; one that reads the answer's values
  (`set(result) <= {0, 1}`) needs the trained model, so it goes into the test that trains it first.
"""

from __future__ import annotations

import ast
import builtins
from typing import Dict, FrozenSet, Mapping, Optional, Sequence, Tuple

from nb2prod.analysis.imports import aliases
from nb2prod.convert.plan.scoring import Contract
from nb2prod.convert.plan.types import Drops
from nb2prod.escape import expression_code
from nb2prod.frozen import frozen
from nb2prod.model import Rewrite, Statement

CODE = "NB110"
ANSWER = "answer"  # the tests' variable holding run()'s answer
REQUEST = "__request__"  # stands for score.py's sample constant until the test context names it
TEST_MODULES = {"np": "numpy", "json": "json"}  # what test_score.py imports, under these names
_COUNTING = frozenset({"shape", "ndim", "size"})
_BUILTINS = frozenset(dir(builtins))


@frozen
class SampleCheck:
    """One notebook assert, as a test asserts it: `condition` is in the tests' names; `needs_model` when it
    reads the answer's values (a stub model's answer would fail it)."""

    index: int
    where: str  # "cell 7:2"
    source: str  # the notebook's statement, for the assertion's message
    condition: ast.expr
    needs_model: bool


MOVED = "moved to test_score.py: checked on run()'s answer to the sample"
NEEDS_MODEL = ("dropped from run(): it checks the values of the model's answer, and test_score.py has no trained "
               "model (convert the training notebook that saves it with this one to move it there)")
NO_SAMPLE = "dropped from run(): the notebook has no sample request for test_score.py to send run()"
MOVED_TRAINED = "moved to test_score.py: checked on the trained model's answer to the sample"


def sample_checks(statements: Sequence[Statement], dropped: Drops, contract: Contract,
                  defined: FrozenSet[str]) -> Tuple[Drops, Tuple[SampleCheck, ...]]:
    """The NB110 drops with their final reasons, and the checks the tests take over (`defined`: every name
    the notebook binds, so a builtin it rebinds is not the builtin)."""
    flagged = [s for s in statements if dropped.get(s.index, ("",))[0] == CODE and isinstance(s.node, ast.Assert)]
    if not flagged:
        return {}, ()
    if contract.sample is None:  # the tests cannot call run() as the notebook did
        return {s.index: (CODE, NO_SAMPLE) for s in flagged}, ()
    rewrites, sample_name = contract.rewrites, contract.sample_name
    names = _answer_names(contract.returned, rewrites)
    if sample_name is not None and (rewrites.get(_index_of(statements, sample_name)) == Rewrite.RAW_DATA
                                    or sample_name == "raw_data"):
        names[sample_name] = ast.Name(REQUEST, ast.Load())
    modules = aliases([s.node for s in statements])
    allowed = {a for a, m in TEST_MODULES.items() if modules.get(a) == m and a not in defined - set(modules)}
    allowed |= (_BUILTINS - defined) | set(names)
    reasons: Drops = {}
    checks = []
    for s in flagged:
        missing = sorted(_free(s.node.test) - allowed)
        condition = _Substitute(names).visit(_copy(s.node.test))
        if missing:
            reasons[s.index] = (CODE, f"dropped from run(): it reads {', '.join(f'`{m}`' for m in missing)}, which "
                                      "test_score.py cannot give (it has run()'s answer and the sample request)")
            continue
        if expression_code(condition) is None:
            reasons[s.index] = (CODE, "dropped from run(): its text cannot be written as one line of a test")
            continue
        needs_model = not _only_counts(condition)
        reasons[s.index] = (CODE, NEEDS_MODEL if needs_model else MOVED)
        checks.append(SampleCheck(s.index, f"cell {s.cell}:{s.line}", s.source, condition, needs_model))
    return reasons, tuple(checks)


def _free(condition: ast.expr) -> set:
    """The names a condition reads that it does not bind itself (a comprehension's or a lambda's)."""
    nodes = list(ast.walk(condition))
    bound = {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    bound |= {a.arg for n in nodes if isinstance(n, ast.Lambda) for a in ast.walk(n.args) if isinstance(a, ast.arg)}
    return {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


def _index_of(statements: Sequence[Statement], name: str) -> Optional[int]:
    for s in statements:
        if isinstance(s.node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in s.node.targets):
            return s.index
    return None


def _answer_names(returned: Optional[Statement], rewrites: Mapping[int, Rewrite]) -> Dict[str, ast.expr]:
    """Notebook name → the tests' expression of it, for the names run()'s answer holds."""
    if returned is None:
        return {}
    how = rewrites.get(returned.index)
    if how == Rewrite.RETURN_AFTER and isinstance(returned.node, ast.Assign) and isinstance(
            returned.node.targets[0], ast.Name):
        return {returned.node.targets[0].id: _as_array("result")}
    if how != Rewrite.RETURN or not isinstance(returned.node, ast.Expr):
        return {}
    shown = _shown(returned.node.value)
    if isinstance(shown, ast.Name):  # run() answers {"result": _jsonable(name)}
        return {shown.id: _as_array("result")}
    if not isinstance(shown, ast.Dict):
        return {}
    found: Dict[str, ast.expr] = {}
    for key, value in zip(shown.keys, shown.values):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        if isinstance(value, ast.Name):
            found[value.id] = _item(key.value)
        elif (isinstance(value, ast.Call) and not value.args and isinstance(value.func, ast.Attribute)
              and value.func.attr == "tolist" and isinstance(value.func.value, ast.Name)):
            found[value.func.value.id] = _as_array(key.value)  # the array the notebook turned into a list
    return found


def _shown(expr: ast.expr) -> ast.expr:
    """What run() answers for a shown value: print's or display's last argument, without json.dumps (as lift)."""
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("print", "display"):
        positional = [a for a in expr.args if not isinstance(a, ast.Starred)]
        expr = positional[-1] if positional else expr
    if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "dumps"
            and isinstance(expr.func.value, ast.Name) and expr.func.value.id == "json" and expr.args):
        return expr.args[0]
    return expr


def _item(key: str) -> ast.expr:
    return ast.Subscript(ast.Name(ANSWER, ast.Load()), ast.Constant(key), ast.Load())


def _as_array(key: str) -> ast.expr:
    return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), "asarray", ast.Load()), [_item(key)], [])


def _copy(node: ast.expr) -> ast.expr:
    return ast.parse(ast.unparse(node), mode="eval").body


class _Substitute(ast.NodeTransformer):
    def __init__(self, names: Mapping[str, ast.expr]):
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.expr:
        found = self.names.get(node.id)
        return _copy(found) if found is not None and isinstance(node.ctx, ast.Load) else node


def _only_counts(condition: ast.expr) -> bool:
    """Whether every read of the answer is a count of it (`len(...)`, `.shape`, `.ndim`, `.size`) or asks
    whether there is one (`result is not None`): true of any model's answer to the sample."""
    counted = set()
    for node in ast.walk(condition):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len" and node.args:
            counted |= {id(n) for n in ast.walk(node.args[0])}
        elif isinstance(node, ast.Attribute) and node.attr in _COUNTING:
            counted |= {id(n) for n in ast.walk(node.value)}
        elif _is_none_test(node):
            counted |= {id(n) for n in ast.walk(node.left)}
    return all(id(n) in counted for n in ast.walk(condition) if isinstance(n, ast.Name) and n.id == ANSWER)


def _is_none_test(node: ast.AST) -> bool:
    """`x is None`, `x is not None`: whether there is a value, not what it is."""
    return (isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot))
            and isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None)
