"""Decide, for every statement, where it goes in the generated code or why it is dropped.

The plan is the source of truth for `--explain`: each statement gets exactly one Decision. The
passes, in order, each reading plain data and returning plain data:

- names.check_names: notebook bugs (undefined names, reads that fail in order) stop the conversion;
- branches: a name bound only on some paths (in a loop or a branch) also reads the value from before;
- drops: exploration and notebook-only syntax go with their lint rule codes, closed over data
  flow (kept code never reads a dropped definition; NB905);
- scoring: a scoring notebook's request contract (run()'s parameters and result);
- sample_checks: its asserts on the sample (NB110) leave run() for test_score.py, in the tests' names;
- slicing: what no output needs goes (NB901);
- placement: imports, module-level helpers and constants, options (NB902), helper globals;
- steps: one function per section role, parameters and return values from data flow;
- shadows: a step's variable named like a module-level name it reads (`max = max(x)`) is renamed;
- testfacts: what the generated tests need to know.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Dict, FrozenSet, List, Sequence, Tuple

from nb2prod.analysis.dataflow import flow, lazy_annotations
from nb2prod.analysis.hidden_names import magic_definitions
from nb2prod.convert import sections as sec
from nb2prod.convert.hyper import assigned_name, with_options
from nb2prod.convert.plan import (branches, call_options, drops, evaluation, parameters, placement, sample_checks,
                                  scoring, shadows, slicing)
from nb2prod.convert.plan.kind import check_kind, detect_kind
from nb2prod.convert.plan.names import CodeProblems, check_contract_names, check_names
from nb2prod.convert.plan.steps import make_steps, script_names
from nb2prod.convert.plan.testfacts import script_facts
from nb2prod.convert.plan.types import Decision, Drops, Plan, Source, Step
from nb2prod.errors import UnusableInput
from nb2prod.frozen import frozen
from nb2prod.model import Location, Notebook, ParsedCell, Rewrite, Statement

__all__ = ["CodeProblems", "Decision", "Plan", "Step", "detect_kind", "make_plan"]
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def make_plan(nb: Notebook, cells: Sequence[ParsedCell], kind: str = "auto", settings=None) -> Plan:
    cells = tuple(cells)
    statements = tuple(s for pc in cells for s in pc.statements)
    if not statements or all(s.magic and not s.magic.keeps_statement for s in statements):
        raise UnusableInput("notebook has no Python code to convert", Location(nb.path))
    flows = {s.index: flow(s.node) for s in statements}
    lazy = lazy_annotations(s.node for s in statements)  # `from __future__ import annotations`
    as_written = {s.index: flow(s.node, True) for s in statements} if lazy else flows  # what lint's Facts has
    check_names(nb, cells, statements, as_written)
    imported = frozenset(n for s in statements if placement.is_import_like(s.node) for n in flows[s.index].defs)
    flows = {i: replace(f, updates=f.updates - imported) if f.updates & imported else f  # `np.array(...)`
             for i, f in flows.items()}                                               # does not change `np`
    flows = branches.with_surviving_reads(statements, flows)  # `if ok: best = m` may keep the old `best`
    if kind == "auto":
        kind = detect_kind(statements, nb)
    else:
        check_kind(statements, nb, kind)
    sections = sec.split_sections(nb, cells, kind, settings)
    role_of = {s.index: x.role for x in sections for s in x.statements}
    params = parameters.parameters(cells, flows) if kind == "training" else parameters.NONE
    flows = parameters.without_overrides(flows, params)
    src = Source(statements, flows, role_of, kind, imported, params.defining, params.values)
    ev = evaluation.evaluation(statements, flows, kind)
    found = drops.exploration(nb, cells, src, ev.statements, as_written)
    dropped = drops.close_over(src, found, magic_definitions(cells))
    dropped = {**dropped, **params.drops}
    contract = scoring.contract(_alive(src, dropped), role_of) if kind == "scoring" else scoring.Contract()
    dropped = {**dropped, **contract.drops}
    if kind != "scoring":  # NB110 judged the notebook a scoring one, `--kind training` says otherwise: no run()
        dropped = {i: d for i, d in dropped.items() if d[0] != sample_checks.CODE}
    reasons, checks = sample_checks.sample_checks(statements, dropped, contract,
                                                  frozenset(n for f in flows.values() for n in f.defs))
    return _assemble(nb, cells, sections, src, {**dropped, **reasons}, contract, ev, checks)


@frozen
class _Layout:
    """Where the kept statements go besides the steps, and what that changed in the data flow."""

    src: Source  # flows: settings stay put, helper calls read their globals
    dropped: Drops
    rewrites: Dict[int, Rewrite]
    notices: Tuple[str, ...]
    imports: List[Statement]
    module: List[Statement]
    hypers: placement.Hypers
    helper_globals: Dict[str, Tuple[str, ...]]


def _layout(src: Source, dropped: Drops, contract: scoring.Contract, outputs: FrozenSet[int]) -> _Layout:
    """Slice from the outputs, then place imports, module level, options and helper globals."""
    alive = _alive(src, dropped)
    defs = [s for s in alive if isinstance(s.node, _DEFS)]  # a call reads what the body reads, when it runs
    src = replace(src, flows=placement.with_callee_reads(src.flows, placement.free_names(src, defs),
                                                         [s for s in alive if s not in defs]))
    sliced = slicing.slice_outputs(alive, src.flows, contract.returned, contract.rewrites, outputs)
    dropped = {**dropped, **sliced.drops}
    alive = _alive(src, dropped)
    counts = placement.Counts.of(src.flows)
    fixed = placement.fixed_module(alive, src, counts)
    hypers = placement.hypers(alive, fixed, src, counts) if src.kind == "training" else {}
    if src.kind == "training":  # the saved model's constructor arguments and path
        hypers = with_options({**hypers, **call_options.call_hypers(alive, {s.index for s in fixed}, src, hypers)})
    module = placement.module_statements(alive, fixed, hypers, src, counts)
    settings = {assigned_name(s) for s in module if placement.is_setting(s, src, counts)}
    helpers = placement.helper_globals(module, src)
    flows = placement.with_callee_reads(placement.settings_stay_put(src.flows, settings), helpers,
                                        [s for s in alive if s not in module])
    hyper_drops, hyper_rewrites = placement.hyper_decisions(hypers, src.statements)
    imports = [s for s in alive if isinstance(s.node, (ast.Import, ast.ImportFrom))]
    return _Layout(replace(src, flows=flows), {**dropped, **hyper_drops},
                   {**contract.rewrites, **sliced.rewrites, **hyper_rewrites}, sliced.notices,
                   imports, module, hypers, helpers)


def _assemble(nb: Notebook, cells: Tuple[ParsedCell, ...], sections, src: Source, dropped: Drops,
              contract: scoring.Contract, ev: evaluation.Evaluation, checks: Tuple = ()) -> Plan:
    lay = _layout(src, dropped, contract, ev.statements)
    check_contract_names(nb, src.statements, src.flows, lay.dropped, src.kind)
    placed = {s.index for s in lay.imports + lay.module}
    steps, bindings = make_steps(lay.src, sections, placed, lay.hypers, lay.dropped, ev)
    outer = {n for s in lay.imports + lay.module for n in lay.src.flows[s.index].defs} | {
        n for st in steps for n in st.globals_}  # score.py: run() reads the globals init() sets
    renames = shadows.shadowed(steps, lay.src.flows, outer, {n for f in src.flows.values() for n in f.defs | f.uses})
    if renames:  # `max = max(scores)` in a step: the notebook's variable is renamed, the steps rewired
        lay = replace(lay, src=replace(lay.src, flows=shadows.renamed_flows(lay.src.flows, renames)))
        steps, bindings = make_steps(lay.src, sections, placed, lay.hypers, lay.dropped, ev)
    rewrites = {**lay.rewrites, **dict.fromkeys(bindings, Rewrite.BIND_METRIC)}
    decisions = _decisions(src.statements, lay, steps)
    kept = [s for s in src.statements if s.index in decisions and decisions[s.index].kept]
    all_hypers = tuple(h for idx in sorted(lay.hypers) for h in lay.hypers[idx])
    facts = script_facts(src.statements, kept, lay.module, all_hypers)
    notes = sec.markdown_notes(nb, cells)
    first = src.statements[0]
    intro = notes.pop(first.index, "") if placement.is_import_like(first.node) else ""
    return Plan(
        kind=src.kind, notebook=nb, cells=cells, imports=tuple(lay.imports), module=tuple(lay.module),
        steps=steps, decisions=decisions, hypers=all_hypers, rewrites=rewrites,
        helper_globals=lay.helper_globals, sample_input=contract.sample, sample_name=contract.sample_name,
        returned=contract.returned, title=_title(nb), notices=lay.notices + _reported(steps),
        estimator=facts.estimator, predict_input=facts.predict_input, saved=facts.saved,
        plain_saves=facts.plain_saves, read_files=facts.read_files, notes=notes, intro=intro,
        evaluations=ev.statements, bindings=bindings,
        script_names=script_names(src.flows), renames=renames,
        injected={i: v for i, v in src.values.items() if i not in lay.hypers}, sample_checks=checks,
    )


def _decisions(statements: Sequence[Statement], lay: _Layout, steps: Sequence[Step]) -> Dict[int, Decision]:
    """Each statement's one Decision: dropped with its code, or kept where it went."""
    decisions = {i: Decision(statements[i], False, code=code, reason=reason)
                 for i, (code, reason) in lay.dropped.items()}
    for st in steps:
        decisions.update((s.index, Decision(s, True, where=st.name)) for s in st.statements)
    decisions.update((s.index, Decision(s, True, where="<imports>")) for s in lay.imports)
    decisions.update((s.index, Decision(s, True, where="<module>")) for s in lay.module)
    return decisions


def _reported(steps: Sequence[Step]) -> Tuple[str, ...]:
    """A notice naming the metrics each evaluation step reports (main() prints them and writes them as JSON)."""
    out = []
    for step in steps:
        if step.metrics:
            names = ", ".join(f"`{k}`" for m in step.metrics for k in (m.keys if m.merged and m.keys else (m.key,)))
            out.append(f"{step.name}() reports the held-out metrics {names}: main() prints them and writes "
                       f"them as JSON (--metrics-path)")
    return tuple(out)


def _alive(src: Source, dropped: Drops) -> List[Statement]:
    return [s for s in src.statements if s.index not in dropped]


def _title(nb: Notebook) -> str:
    """The notebook's title: the heading that names it rather than opening a section."""
    found = sec.title_heading(nb)
    return found[2] if found else ""
