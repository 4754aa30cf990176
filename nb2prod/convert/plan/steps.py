"""Group what is left into one function per section role, name the functions, wire their data.

Reads the sections, the flows, the statements placed elsewhere, the options and the drops;
returns the Steps, each with its parameters, options and return values from data flow.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import fields, replace
from typing import Callable, Collection, Dict, List, Mapping, Sequence, Set, Tuple

from nb2prod.analysis.dataflow import Flow
from nb2prod.analysis.walk import walk
from nb2prod.convert.hyper import Hyper
from nb2prod.convert.plan import evaluation
from nb2prod.convert.plan.evaluation import Binding
from nb2prod.convert.plan.types import ScriptNames, Source, Step
from nb2prod.convert.sections import Section
from nb2prod.model import Statement

STEP_NAMES = {
    "load": "load_data", "prepare": "prepare_data", "split": "split_data", "train": "train_model",
    "evaluate": "evaluate_model", "save": "save_model", "load_model": "init", "score": "run",
}
Group = Tuple[str, str, List[Statement]]  # (role, title, statements)


def make_steps(src: Source, sections: Sequence[Section], placed: Collection[int],
               hypers: Mapping[int, Tuple[Hyper, ...]], dropped: Collection[int],
               ev: evaluation.Evaluation = evaluation.NONE) -> Tuple[Tuple[Step, ...], Dict[int, Tuple[Binding, ...]]]:
    """The generated functions, in notebook order (`placed`, `dropped`: statement indexes), and the names
    inline metric calls get in the evaluation steps."""
    groups = group(sections, src.kind, placed, dropped)
    if ev.statements:
        groups = evaluation.split_groups(groups, src.flows, ev.statements - set(dropped), dropped)
    groups = move_to_first_use(groups, [src.statements[i] for i in hypers if hypers[i][0].at < 0], src.flows)
    steps = wire_returns(_steps(groups, src.flows, hypers, dropped), src.flows)
    if src.kind == "scoring":
        return tuple(scoring_steps(steps, src.flows)), {}
    return _with_metrics(steps, src, ev, dropped)


def _with_metrics(steps: List[Step], src: Source, ev: evaluation.Evaluation, dropped: Collection[int]):
    """Each step holding the model's evaluation reports its metrics (names never taken by the notebook or
    another step): an evaluation step, or the step the evaluation could not leave (`with mlflow.start_run():`
    around the fit and the metric)."""
    taken = {n for i, f in src.flows.items() for n in f.defs | f.uses | f.deferred} | {s.name for s in steps}
    bindings: Dict[int, Tuple[Binding, ...]] = {}
    out = []
    for step in steps:
        if ev.statements & {s.index for s in step.statements}:
            metrics, made = evaluation.reported(step.statements, ev, taken)
            bindings.update(made)
            step = replace(step, metrics=metrics)
        out.append(step)
    return tuple(out), bindings


def group(sections: Sequence[Section], kind: str, placed: Collection[int],
          dropped: Collection[int]) -> List[Group]:
    """Sections by role: setup joins the next section, a section joins one of its role before it; a
    scoring notebook has two roles, load_model and score."""
    groups: List[Group] = []
    pending: List[Statement] = []
    for section in sections:
        stmts = [s for s in section.statements if s.index not in placed]
        role = section.role
        if kind == "scoring":
            role = "load_model" if role in ("load_model", "setup") else "score"
        elif role == "setup":
            pending.extend(stmts)
            continue
        stmts = pending + stmts
        pending = []
        title = section.title if any(s.index not in dropped for s in stmts) else ""
        last = groups[-1] if groups else None
        if last and last[0] == role:
            last[2].extend(stmts)
            if title:
                groups[-1] = (last[0], "; ".join(t for t in (last[1], title) if t), last[2])
        else:
            groups.append((role, title, stmts))
    if pending:
        groups.append(("other" if kind == "training" else "score", "", pending))
    return groups


def move_to_first_use(groups: List[Group], movable: List[Statement], flows: Mapping[int, Flow]) -> List[Group]:
    """A literal dict of hyperparameters set up early goes to the first step that reads it. Which groups read
    each name is counted once and kept up to date as statements move (scanning every statement of every
    group for each movable one was quadratic in the notebook's size)."""
    where: Dict[int, int] = {}
    readers: Dict[str, Counter] = {}  # name → {group index: how many of its statements read the name}
    for at, (_, _, stmts) in enumerate(groups):
        for s in stmts:
            where[s.index] = at
            for n in flows[s.index].uses:
                readers.setdefault(n, Counter())[at] += 1
    for stmt in movable:
        names, own = flows[stmt.index].defs, flows[stmt.index].uses
        home = where.get(stmt.index)
        user = min((at for n in names for at, count in readers.get(n, {}).items()  # read by another statement
                    if count > (at == home and n in own)), default=None)
        if home is None or user is None or user <= home:
            continue
        stmts = groups[home][2]
        del stmts[next(i for i, s in enumerate(stmts) if s is stmt)]
        groups[user][2].insert(0, stmt)
        where[stmt.index] = user
        for n in own:
            readers[n][home] -= 1
            readers[n][user] += 1
    return groups


def _steps(groups: Sequence[Group], flows: Mapping[int, Flow], hypers: Mapping[int, Tuple[Hyper, ...]],
           dropped: Collection[int]) -> List[Step]:
    scalar_hypers = {h.name: h for hs in hypers.values() for h in hs if not h.key}
    steps: List[Step] = []
    producers: Dict[str, int] = {}  # name → the latest step writing it
    names = StepNames({n for i, f in flows.items() if i not in dropped for n in f.defs})
    for role, title, stmts in groups:
        stmts = [s for s in stmts if s.index not in dropped]
        if not stmts:
            continue
        params, step_hypers, local = _inputs(stmts, flows, hypers, scalar_hypers, producers)
        steps.append(Step(names.take(role, title), role, title, tuple(stmts), tuple(params), tuple(step_hypers)))
        for name in local:
            producers[name] = len(steps) - 1
    return steps


def _inputs(stmts: Sequence[Statement], flows: Mapping[int, Flow], hypers: Mapping[int, Tuple[Hyper, ...]],
            scalar_hypers: Mapping[str, Hyper], producers: Mapping[str, int]):
    """(parameters from earlier steps, options, names the step writes) of one step's statements."""
    params: List[str] = []
    local: Set[str] = set()
    step_hypers: List[Hyper] = []
    for s in stmts:
        f = flows[s.index]
        for name in sorted(f.uses, key=lambda n: (_site(f, n), n)):  # name breaks ties: set order varies per process
            if name in local or name in params:
                continue
            if name in scalar_hypers:
                if scalar_hypers[name] not in step_hypers:
                    step_hypers.append(scalar_hypers[name])
            elif name in producers:
                params.append(name)
        local |= f.writes
        if s.index in hypers and (hypers[s.index][0].key or hypers[s.index][0].at >= 0):
            step_hypers.extend(h for h in hypers[s.index] if h not in step_hypers)
    return params, step_hypers, local


class StepNames:
    """Function names handed out so far: a role's name, else a slug of the title, numbered when taken;
    `<name>_step` when the notebook itself binds the name (`def train_model(...)` stays the user's)."""

    def __init__(self, notebook_names: Collection[str] = ()) -> None:
        self.notebook_names = frozenset(notebook_names)
        self.taken: Set[str] = {"main"} | self.notebook_names
        self.next_number: Dict[str, int] = {}  # base → the first number that may be free (those below are taken)

    def take(self, role: str, title: str) -> str:
        base = STEP_NAMES.get(role) or slug(title) or "step"
        if base in self.notebook_names:
            base += "_step"
        name, n = base, self.next_number.get(base, 2)  # not from 2 each time: quadratic in a role's steps
        while name in self.taken:
            name, n = f"{base}_{n}", n + 1
        self.taken.add(name)
        self.next_number[base] = n
        return name


def script_names(flows: Mapping[int, Flow]) -> ScriptNames:
    """ScriptNames clear of every name the notebook binds or reads."""
    taken = {n for f in flows.values() for n in f.defs | f.uses | f.deferred}
    chosen = {}
    for field in fields(ScriptNames):
        name, n = field.default, 2
        while name in taken:
            name, n = f"{field.default}_{n}", n + 1
        chosen[field.name] = name
    return ScriptNames(**chosen)


def slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())[:4]
    out = "_".join(words)
    if out and out[0].isdigit():
        out = "step_" + out
    return out


def wire_returns(steps: List[Step], flows: Mapping[int, Flow]) -> List[Step]:
    """A step returns the names it last wrote that a later step takes as parameters."""
    returns: List[List[str]] = [[] for _ in steps]
    last_writer: Dict[str, int] = {}  # name -> latest earlier step writing it (one pass, not a rescan per param)
    for j, step in enumerate(steps):
        for p in step.params:
            producer = last_writer[p]
            if p not in returns[producer]:
                returns[producer].append(p)
        for s in step.statements:
            last_writer.update(dict.fromkeys(flows[s.index].writes, j))
    return [Step(s.name, s.role, s.title, s.statements, s.params, s.hypers,
                 tuple(sorted(r, key=_written_at(s, flows))) if r else (), s.globals_)  # no walk without returns
            for s, r in zip(steps, returns)]


def _written_at(step: Step, flows: Mapping[int, Flow]) -> Callable[[str], Tuple[int, int, int]]:
    """Sort key: where the step last writes a name, so returns read in the notebook's order
    (`X_train, X_test, y_train, y_test = train_test_split(...)` comes back in that order)."""
    at: Dict[str, Tuple[int, int, int]] = {}
    for i, s in enumerate(step.statements):
        stores = {}
        for node in walk(s.node):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                stores.setdefault(node.id, (node.lineno, node.col_offset))
        for name in flows[s.index].writes:
            at[name] = (i, *stores.get(name, (0, 0)))
    return lambda name: at.get(name, (len(step.statements), 0, 0))


def _site(f: Flow, name: str) -> Tuple[int, int]:
    for n, line, col in f.use_sites:
        if n == name:
            return line, col
    return 0, 0


def scoring_steps(steps: List[Step], flows: Mapping[int, Flow]) -> List[Step]:
    """A scoring script has two functions: init() loads the model into globals, run() scores a request."""
    init = [s for st in steps if st.role == "load_model" for s in st.statements]
    run = [s for st in steps if st.role != "load_model" for s in st.statements]
    init_writes = {n for s in init for n in flows[s.index].writes}
    run_uses = {n for s in run for n in flows[s.index].uses}
    globals_ = tuple(sorted(init_writes & run_uses))
    return [
        Step("init", "load_model", "", tuple(init), globals_=globals_),
        Step("run", "score", "", tuple(run), params=("raw_data", "request_headers")),
    ]
