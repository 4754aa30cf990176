"""Facts the generated files need, resolved once from a plan: the estimator, the files the notebook
reads and writes, the model file, the request shape, what the steps print and call.

Render builds its template contexts from these and walks no syntax tree itself.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, FrozenSet, Optional, Sequence, Tuple

from nb2prod.analysis.walk import walk
from nb2prod.convert.hyper import Hyper
from nb2prod.convert.lift import MODEL_SUFFIXES, model_file_constants, request_rows
from nb2prod.convert.plan import Plan, Step
from nb2prod.convert.plan.testfacts import notebook_reads
from nb2prod.convert.sections import SAVE_CALLS, call_names
from nb2prod.frozen import frozen

LOAD_LIBRARIES = ("joblib", "pickle")  # the model loaders the generated score tests can stand in for


@frozen
class SavedFile:
    """One file the notebook saves: the saving call, the file expression, and the path it resolves to."""

    call: str  # "joblib.dump"
    target: str  # the file expression as written: "'model.pkl'", "model_path", "cfg['out']"
    path: Optional[str]  # the relative path it names (a literal, or the default of `option`); None if unknown
    option: Optional[Hyper]  # the training option whose default is the path, when the target is a tunable value
    plain: bool  # the saved object is plain data (a column list), not a model

    @property
    def library(self) -> str:
        return self.call.split(".")[0]

    @property
    def name(self) -> Optional[str]:
        return Path(self.path).name if self.path is not None else None


@frozen
class Estimator:
    """The model the training step fits and what the step does with it."""

    variable: str  # "model"
    cls: str  # the constructor expression: "RandomForestRegressor", "make_pipeline"
    is_class: bool  # `cls` names a class (capitalised), not a factory function
    returned: bool  # the training step returns `variable`
    fits_once: bool  # exactly one top-level `variable.fit(...)` in the training step
    methods: FrozenSet[str]  # attributes the step reads off it, and "(passed)" when handed to a call


@frozen
class TrainingArtifacts:
    """What the tests of a training notebook need."""

    notebook_names: FrozenSet[str]  # every name the notebook's code mentions
    train: Optional[Step]  # the step that fits the model
    upstream: Tuple[Step, ...]  # the steps before it
    estimator: Optional[Estimator]
    predict_input: Optional[str]  # the expression the notebook predicts on, when the tests can build it
    saved: Tuple[SavedFile, ...]
    read_files: Tuple[str, ...]  # relative paths the kept code reads
    printed: Tuple[int, ...]  # cells kept whole in the steps up to training that call print()


@frozen
class ScoringArtifacts:
    """What the tests of a scoring notebook need."""

    notebook_names: FrozenSet[str]
    init: Optional[Step]  # the step that loads the model
    globals_: Tuple[str, ...]  # the globals init() sets
    model_file: Optional[str]  # the file name init() loads
    library: Optional[str]  # "joblib" or "pickle" when init() loads with `<library>.load(`
    model_global: Optional[str]  # the global holding the loaded model
    bundle_keys: Tuple[object, ...]  # keys init() takes out of a loaded bundle (`bundle["scaler"]`)
    sample: Optional[str]  # the sample request, JSON text
    rows_key: Optional[str]  # the request key holding the rows; None when the request is the rows


def artifacts(plan: Plan):
    """TrainingArtifacts or ScoringArtifacts for the plan's kind."""
    return training_artifacts(plan) if plan.kind == "training" else scoring_artifacts(plan)


# -- training ---------------------------------------------------------------------------------

def training_artifacts(plan: Plan) -> TrainingArtifacts:
    train = next((s for s in plan.steps if s.role == "train"), None)
    upstream = plan.steps[: plan.steps.index(train)] if train else plan.steps
    estimator = _estimator(plan, train)
    available = {n for step in upstream for n in step.returns}
    predict_input = None
    if estimator is not None and estimator.returned and plan.predict_input:
        if _free(plan.predict_input) <= available | {estimator.variable}:
            predict_input = plan.predict_input
    printed = _printed(plan, plan.steps[: printing_end(plan)])
    return TrainingArtifacts(notebook_names(plan), train, tuple(upstream), estimator, predict_input,
                             saved_files(plan), plan.read_files, tuple(printed))


def metrics_file(plan: Plan) -> Optional[str]:
    """Where train.py writes its metrics by default: `metrics.json` beside the (first) model file the
    notebook saves, inside the folder it runs in; None when no step reports metrics."""
    if not any(step.metrics for step in plan.steps):
        return None
    model = next((f.path for f in saved_files(plan) if f.path is not None and not f.plain), None)
    inside = model is not None and not model.startswith(("/", "~")) and ".." not in model.split("/")
    folder = model.rsplit("/", 1)[0] if inside and "/" in model else ""
    return f"{folder}/metrics.json" if folder else "metrics.json"


def metric_expressions(plan: Plan) -> Tuple[Tuple[str, str, bool], ...]:
    """(key, the notebook expression holding it, merged) for every metric train.py reports: a name the
    notebook binds (`mse`), or the call a generated name stands for (`accuracy_score(y_test, pred)`)."""
    bound = {b.name: b.expr for made in plan.bindings.values() for b in made}
    return tuple((m.key, bound.get(m.name, m.name), m.merged) for step in plan.steps for m in step.metrics)


def run_reads(plan: Plan) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """(relative files the notebook reads when it runs whole, the reading calls whose path it cannot tell)."""
    return notebook_reads([s for pc in plan.cells for s in pc.statements], plan.hypers)


def printing_end(plan: Plan) -> int:
    """How many steps the printed-output test runs: through training, and through the last step that
    reports metrics when one comes later."""
    train = next((i for i, s in enumerate(plan.steps) if s.role == "train"), None)
    last = max((i for i, s in enumerate(plan.steps) if s.metrics), default=-1)
    if train is None:
        return 0
    return max(train, last) + 1


def saved_files(plan: Plan) -> Tuple[SavedFile, ...]:
    """Each save target resolved to a path: an option's string default, else a string literal."""
    by_name = {h.name if not h.key else f"{h.source_name}[{h.key!r}]": h for h in plan.hypers}
    out = []
    for call, target in plan.saved:
        hyper = by_name.get(target) or next((h for h in plan.hypers if h.at >= 0 and not h.arg
                                              and h.default == _string_literal(target)), None)
        if hyper is not None and isinstance(hyper.default, str):
            path, option = hyper.default, hyper
        else:
            path, option = _string_literal(target), None
        out.append(SavedFile(call, target, path, option, target in plan.plain_saves))
    return tuple(out)


def model_option(plan: Plan) -> Optional[Hyper]:
    """The option holding the path of the model file (the first the notebook saves), if one does;
    None when another option already is `--model-path` while this one is not."""
    option = next((f.option for f in saved_files(plan) if not f.plain), None)
    clash = any(h.option == "--model-path" for h in plan.hypers if h != option)
    return None if option is None or clash else option


def _estimator(plan: Plan, train: Optional[Step]) -> Optional[Estimator]:
    if train is None or plan.estimator is None:
        return None
    variable, cls = plan.estimator
    return Estimator(variable, cls, cls.split(".")[-1][:1].isupper(), variable in train.returns,
                     _fits_once(train, variable), frozenset(_methods_called(train, variable)))


def _printed(plan: Plan, steps: Sequence[Step]) -> list:
    """Cells that call print() and whose code the steps keep whole: what they printed when the notebook
    was saved is what the steps must print. Only the cell numbers go into the generated test, which
    reads the outputs from the notebook when it runs, so clearing or refreshing outputs changes no
    generated file. A percent script keeps no outputs: nothing to compare with."""
    if plan.notebook.is_script:
        return []
    in_steps = {s.index for st in steps for s in st.statements}  # once: a set per cell was quadratic
    return [pc.cell.index for pc in plan.cells
            if pc.statements and all(s.index in in_steps for s in pc.statements) and _calls_print(pc)]


def _calls_print(pc) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
               for s in pc.statements for n in walk(s.node))


def _fits_once(step: Step, variable: str) -> bool:
    """One `variable.fit(...)` at the top level of the step: the mock can expect exactly one call."""
    count = 0
    for s in step.statements:
        for sub in walk(s.node):
            if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "fit"
                    and isinstance(sub.func.value, ast.Name) and sub.func.value.id == variable):
                count += 1 if not isinstance(s.node, (ast.For, ast.While, ast.AsyncFor)) else 2
    return count == 1


def _methods_called(step: Step, variable: str) -> set:
    """What the step reads off `variable`: attribute names (`fit`, `best_estimator_`), and "(passed)"
    when it hands the object to a call other than a save: a mocked `fit` leaves it unfitted for those."""
    found = set()
    for s in step.statements:
        for sub in walk(s.node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == variable:
                found.add(sub.attr)
            elif isinstance(sub, ast.Call) and call_names(sub)[0] not in SAVE_CALLS and any(
                    isinstance(a, ast.Name) and a.id == variable for a in sub.args + [k.value for k in sub.keywords]):
                found.add("(passed)")
    return found


# -- scoring ----------------------------------------------------------------------------------

def scoring_artifacts(plan: Plan) -> ScoringArtifacts:
    init = next((s for s in plan.steps if s.name == "init"), None)
    globals_ = tuple(init.globals_) if init else ()
    model_file = _model_file(init, model_file_constants(plan)) if init else None
    init_code = "\n".join(ast.unparse(s.node) for s in init.statements) if init else ""
    library = next((lib for lib in LOAD_LIBRARIES if f"{lib}.load(" in init_code), None)
    model_global = next((g for g in globals_ if _assigned_by_load(init, g)), globals_[0] if globals_ else None)
    return ScoringArtifacts(notebook_names(plan), init, globals_, model_file, library, model_global,
                            _bundle_keys(init), plan.sample_input, request_rows(plan.sample_input)[0])


def _model_file(step: Step, constants: Dict[str, str]) -> Optional[str]:
    """The model file init() loads: a literal name, or a module constant holding one."""
    for s in step.statements:
        for sub in walk(s.node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.lower().endswith(MODEL_SUFFIXES):
                return Path(sub.value).name
            if isinstance(sub, ast.Name) and sub.id in constants:
                return Path(constants[sub.id]).name
    return None


def _bundle_keys(step: Optional[Step]) -> Tuple[object, ...]:
    """Keys init() takes out of what it loaded (`scaler = bundle["scaler"]`): the model file is a dict."""
    if step is None:
        return ()
    loaded = {t.id for s in step.statements if isinstance(s.node, ast.Assign) and "load" in ast.unparse(s.node.value)
              for t in s.node.targets if isinstance(t, ast.Name)}
    keys = []
    for s in step.statements:
        value = s.node.value if isinstance(s.node, ast.Assign) else None
        if (isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and value.value.id in loaded
                and isinstance(value.slice, ast.Constant) and value.slice.value not in keys):
            keys.append(value.slice.value)
    return tuple(keys)


def _assigned_by_load(step: Optional[Step], name: str) -> bool:
    if step is None:
        return False
    for s in step.statements:
        if isinstance(s.node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in s.node.targets):
            if "load" in ast.unparse(s.node.value):
                return True
    return False


# -- helpers ----------------------------------------------------------------------------------

def notebook_names(plan: Plan) -> FrozenSet[str]:
    """Every name the notebook's code mentions: generated names must not shadow them."""
    return frozenset(sub.id for pc in plan.cells for sub in walk(pc.tree) if isinstance(sub, ast.Name))


def _string_literal(expr: str) -> Optional[str]:
    try:
        value = ast.literal_eval(expr)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _free(expr: str) -> set:
    return {n.id for n in walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}
