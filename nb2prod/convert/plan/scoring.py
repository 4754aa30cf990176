"""The scoring request contract: `run(raw_data, request_headers)`, its sample input, what it returns.

Reads the statements still kept and their section roles; returns a Contract: the lines that become
run()'s parameters (NB902), how lift rewrites the sample and the returned value, and the sample.
"""

from __future__ import annotations

import ast
import json
from dataclasses import field
from typing import Dict, List, Mapping, Optional, Sequence

from nb2prod.convert.hyper import assigned_name, literal_value
from nb2prod.convert.plan.codes import BECOMES_PARAMETER
from nb2prod.convert.plan.types import Drops
from nb2prod.frozen import frozen
from nb2prod.model import Rewrite, Statement

RUN_ROLES = ("prepare", "score", "other")


@frozen
class Contract:
    drops: Drops = field(default_factory=dict)
    rewrites: Dict[int, Rewrite] = field(default_factory=dict)
    sample: Optional[str] = None  # the request body the __main__ example and the tests send
    sample_name: Optional[str] = None  # the notebook variable that held it
    returned: Optional[Statement] = None  # the statement whose value run() returns


def contract(alive: Sequence[Statement], role_of: Mapping[int, str]) -> Contract:
    """The request contract of a scoring notebook, from the statements nothing has dropped."""
    drops: Drops = {}
    rewrites: Dict[int, Rewrite] = {}
    sample, sample_name = None, None
    for s in alive:
        name = assigned_name(s)
        if role_of.get(s.index) not in RUN_ROLES or name is None:
            continue
        value = literal_value(s)
        if name == "request_headers":
            drops[s.index] = (BECOMES_PARAMETER.code, "request_headers becomes a parameter of run()")
        elif sample is None and isinstance(value, str) and _looks_like_json(value):
            sample, sample_name = value, name
            if name == "raw_data":
                drops[s.index] = (BECOMES_PARAMETER.code,
                                  "sample input: becomes run()'s raw_data parameter and the __main__ example")
            else:
                rewrites[s.index] = Rewrite.RAW_DATA
    left = [s for s in alive if s.index not in drops]
    if sample is None:
        literal = _literal_input(left, role_of)
        if literal is not None:
            sample, sample_name = json.dumps({"data": literal[1]}), assigned_name(literal[0])
            rewrites[literal[0].index] = Rewrite.DATA_LITERAL
    returned = _returned(left, role_of, rewrites)
    return Contract(drops, rewrites, sample, sample_name, returned)


def _literal_input(alive: Sequence[Statement], role_of: Mapping[int, str]):
    """No JSON sample: (statement, rows) of the first literal rows the notebook predicts on, else None."""
    for s in alive:
        if role_of.get(s.index) not in RUN_ROLES or assigned_name(s) is None:
            continue
        value = rows_literal(s.node.value)
        if value is not None:
            return s, value
    return None


def _returned(alive: Sequence[Statement], role_of: Mapping[int, str], rewrites: Dict[int, Rewrite]):
    """The last value shown from the score section on (a later section of run() may show the answer: `## Show
    the result`), else the score section's last assignment: run() returns it."""
    score: List[Statement] = [s for s in alive if role_of.get(s.index) == "score"]
    after = [s for s in alive if score and s.index >= score[0].index and role_of.get(s.index) in RUN_ROLES]
    shown = [s for s in after if _shows(s.node)]
    if shown:
        rewrites[shown[-1].index] = Rewrite.RETURN
        return shown[-1]
    scored = [s for s in score if assigned_name(s)]
    if scored:
        rewrites[scored[-1].index] = Rewrite.RETURN_AFTER
        return scored[-1]
    return None


def _shows(node: ast.AST) -> bool:
    if not isinstance(node, ast.Expr):
        return False
    value = node.value
    if isinstance(value, ast.Call):
        return isinstance(value.func, ast.Name) and value.func.id in ("print", "display") and bool(value.args)
    return True


def rows_literal(node: ast.AST):
    """Rows given as a literal (`[[...]]`, `np.array([[...]])`, `pd.DataFrame({...})`, `[{...}, ...]`), else None."""
    if isinstance(node, ast.Call) and len(node.args) == 1:
        node = node.args[0]
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, (list, tuple)) and value and all(isinstance(r, (list, tuple)) for r in value):
        return [list(r) for r in value]
    if isinstance(value, dict) and value and all(isinstance(v, (list, tuple)) for v in value.values()):
        return {str(k): list(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and all(isinstance(r, dict) and r for r in value):
        return [{str(k): v for k, v in r.items()} for r in value]  # records: one dict per row
    return None


def _looks_like_json(value: str) -> bool:
    text = value.strip()
    if not text.startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
