"""What the planner hands on: one Decision per statement, the Steps, and the Plan that holds them."""

from __future__ import annotations

from dataclasses import field
from typing import Dict, FrozenSet, Mapping, Optional, Tuple

from nb2prod.analysis.dataflow import Flow
from nb2prod.convert.hyper import Hyper
from nb2prod.convert.plan.evaluation import Binding, Reported
from nb2prod.frozen import frozen
from nb2prod.model import Notebook, ParsedCell, Rewrite, Statement

Drops = Dict[int, Tuple[str, str]]  # statement index → (code, reason): what a pass leaves out


@frozen
class Source:
    """What the passes read: the statements, their data flow, their section roles, the notebook kind."""

    statements: Tuple[Statement, ...]
    flows: Dict[int, Flow]
    role_of: Dict[int, str]
    kind: str
    imported: FrozenSet[str]  # names the notebook's imports bind
    parameters: FrozenSet[int] = frozenset()  # statements of papermill's parameters cell (plan/parameters)
    values: Mapping[int, object] = field(default_factory=dict)  # their values injected later


@frozen
class Decision:
    """Where one statement went (`where`: a function, "<module>", "<imports>") or why it was dropped."""

    statement: Statement
    kept: bool
    where: str = ""
    code: str = ""
    reason: str = ""


@frozen
class Step:
    """One generated function: a section (or merged sections) of the notebook."""

    name: str
    role: str
    title: str
    statements: Tuple[Statement, ...]
    params: Tuple[str, ...] = ()
    hypers: Tuple[Hyper, ...] = ()
    returns: Tuple[str, ...] = ()
    globals_: Tuple[str, ...] = ()
    metrics: Tuple[Reported, ...] = ()  # an evaluation step's report: it returns them as a dict, last


@frozen
class Rename:
    """New names for a statement's names (old, new): in all of it, and in its assignment targets only."""

    names: Tuple[Tuple[str, str], ...] = ()
    targets: Tuple[Tuple[str, str], ...] = ()


@frozen
class ScriptNames:
    """What the script's own code binds at module level besides the steps (score.py's `__main__` block and
    helpers): the base name, or the first `<base>_2`, `<base>_3`... no statement of the notebook mentions."""

    parser: str = "parser"
    sample: str = "SAMPLE_REQUEST"
    model_file: str = "_model_file"
    jsonable: str = "_jsonable"
    request_problem: str = "_request_problem"  # what is wrong with a request's shape (lift/request.RequestCheck)
    bad_request: str = "_bad_request"  # the 4xx answer for it
    problem: str = "problem"  # run()'s local holding it


@frozen
class Plan:
    kind: str
    notebook: Notebook
    cells: Tuple[ParsedCell, ...]
    imports: Tuple[Statement, ...]
    module: Tuple[Statement, ...]
    steps: Tuple[Step, ...]
    decisions: Dict[int, Decision]
    hypers: Tuple[Hyper, ...] = ()
    rewrites: Dict[int, Rewrite] = field(default_factory=dict)
    helper_globals: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    sample_input: Optional[str] = None
    sample_name: Optional[str] = None
    returned: Optional[Statement] = None
    title: str = ""
    notices: Tuple[str, ...] = ()
    estimator: Optional[Tuple[str, str]] = None  # (model variable, constructor expression) for tests
    predict_input: Optional[str] = None  # the expression the notebook predicts on
    saved: Tuple[Tuple[str, str], ...] = ()  # (saving call, file expression)
    plain_saves: Tuple[str, ...] = ()  # file expressions the notebook saves plain data to (`dump(cols, f)`)
    read_files: Tuple[str, ...] = ()  # relative paths the kept code reads (`pd.read_csv("data.csv")`)
    notes: Dict[int, str] = field(default_factory=dict)  # statement index → markdown prose before it
    intro: str = ""  # prose that came before any code: the module docstring
    evaluations: FrozenSet[int] = frozenset()  # statements that evaluate the model: outputs, never dropped
    bindings: Dict[int, Tuple[Binding, ...]] = field(default_factory=dict)  # Rewrite.BIND_METRIC's names
    script_names: ScriptNames = ScriptNames()  # what the script binds itself, clear of the notebook's names
    renames: Dict[int, Rename] = field(default_factory=dict)  # statement index → the names lift renames in it
    injected: Dict[int, object] = field(default_factory=dict)  # a kept parameter statement → papermill's value
    sample_checks: Tuple[object, ...] = ()  # scoring: the notebook's asserts on its sample, for test_score.py
