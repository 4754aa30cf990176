"""One walk over a parsed notebook, dispatching nodes to the rules that subscribe to them.

`lint_parsed` is pure (no IO): convert calls it too, so both commands share one set of detectors.
Then `# noqa`, the `nb2prod:keep` cell tag and select/ignore prefixes filter the findings (see
`selection.py`); linting files, the cache and worker processes are `files.py` and `batch.py`.
"""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple

from nb2prod.analysis.dataflow import Flow
from nb2prod.analysis.walk import SCOPES, child_fields
from nb2prod.analysis.facts import FACT_NODES, Facts
from nb2prod.lint.selection import active_rules, unsuppressed
from nb2prod.model import Finding, Notebook, ParsedCell
from nb2prod.notebook.parse import parse_notebook
from nb2prod.rules import RULES
from nb2prod.rules._base import Context, PrintCall, Rule
from nb2prod.rules._metrics import keep_evaluations



def _dispatch(rules: Sequence[Rule]) -> Dict[type, Tuple[Rule, ...]]:
    table: Dict[type, List[Rule]] = {}
    for r in rules:
        for kind in r.nodes:
            table.setdefault(kind, []).append(r)
    return {k: tuple(v) for k, v in table.items()}


def lint_parsed(nb: Notebook, cells: Tuple[ParsedCell, ...], select=None, ignore=None, builtins=(),
                unfixable: frozenset = frozenset(), flows: Optional[List[Flow]] = None) -> List[Finding]:
    """All findings for a parsed notebook, sorted; code cells missing from `cells` are syntax errors.

    Findings whose `fix_key` is in `unfixable` (the fix cannot remove them cleanly) are not fixable.
    `flows`: every statement's Flow in order, when the caller worked them out already (convert's plan).
    """
    table, wanted = _plan(select, ignore)
    parsed = {pc.cell.index for pc in cells}
    broken = [c for c in nb.code_cells if c.index not in parsed]
    nodes = _collect(cells, wanted)
    ctx = Context(nb, cells, Facts(cells, tuple(broken), nodes, builtins, flows))
    findings: List[Finding] = []
    for pc in cells:
        ctx.cell, ctx.statement = pc, None
        findings += _run(table, pc, ctx)
        for magic in pc.magics:
            findings += _run(table, magic, ctx)
    prints = table.get(PrintCall)
    for pc, st, node, in_function in nodes:
        rules = table.get(type(node))
        if prints and node.__class__ is ast.Call and node.func.__class__ is ast.Name and node.func.id == "print":
            rules = rules + prints if rules else prints
        if rules:
            ctx.cell, ctx.statement, ctx.in_function = pc, st, in_function
            ctx.depth = 0 if node is st.node else 1
            for r in rules:
                findings.extend(r.check(r, node, ctx))
    ctx.cell = ctx.statement = None
    findings += _run(table, nb, ctx)
    findings = unsuppressed(nb, _nested(keep_evaluations(findings, ctx)))
    if unfixable:
        findings = [replace(f, fixable=False) if f.fixable and fix_key(f) in unfixable else f for f in findings]
    return sorted(_needed(findings, ctx), key=Finding.sort_key)


def fix_key(f: Finding) -> tuple:
    """What names a finding across lint runs of one notebook."""
    return f.code, f.location.cell, f.location.line, f.location.col


def _plan(select, ignore) -> Tuple[Dict[type, Tuple[Rule, ...]], frozenset]:
    """The dispatch table for a selection and the node types the walk collects; worked out once per selection."""

    key = (id(RULES), tuple(select or ()), tuple(ignore or ()))
    plan = _PLANS.get(key)
    if plan is None:
        table = _dispatch(active_rules(select, ignore))
        wanted = frozenset(table) | FACT_NODES | ({ast.Call} if PrintCall in table else set())
        plan = _PLANS[key] = (table, wanted)
    return plan


_PLANS: Dict[tuple, tuple] = {}


def _run(table, obj, ctx) -> List[Finding]:
    out: List[Finding] = []
    for r in table.get(type(obj), ()):
        out.extend(r.check(r, obj, ctx))
    return out


def _collect(cells: Tuple[ParsedCell, ...], wanted: frozenset) -> List[tuple]:
    """The nodes of `wanted` types in every statement, in source order: (cell, statement, node, in a function body)."""
    out: List[tuple] = []
    fields_of, scopes, AST = _FIELDS, SCOPES, ast.AST

    def descend(pc, st, node: ast.AST, in_function: bool) -> None:  # a closure: the hottest loop of lint
        kind = node.__class__
        if kind in wanted:
            out.append((pc, st, node, in_function))
        fields = fields_of.get(kind)
        if fields is None:
            fields = fields_of[kind] = child_fields(kind)
        if not fields:
            return
        inner = in_function or kind in scopes
        for name in fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        descend(pc, st, item, inner)
            elif value is not None and isinstance(value, AST):
                descend(pc, st, value, inner)

    for pc in cells:
        for st in pc.statements:
            descend(pc, st, st.node, False)
    descend = None  # noqa: F841 - the closure refers to itself: break that cycle, gc is off while linting
    return out


_FIELDS: Dict[type, Tuple[str, ...]] = {}  # node type -> its fields that can hold nodes


def _nested(findings: List[Finding]) -> List[Finding]:
    """Drop exploration findings inside a statement that a fixable exploration finding already covers."""
    spans = [(f.location.cell, f.location.line, f.end_line) for f in findings
             if f.fixable and f.code.startswith("NB1") and f.end_line]
    if not spans:
        return findings

    def covered(f: Finding) -> bool:
        loc = f.location
        return f.code.startswith("NB1") and not f.fixable and any(
            c == loc.cell and a <= (loc.line or 0) <= b for c, a, b in spans)

    return [f for f in findings if not covered(f)]


def _needed(findings: List[Finding], ctx) -> List[Finding]:
    """Findings whose fix would delete a statement that binds a name a kept statement reads
    (`fig, ax = plt.subplots()` then `for a in ax: draw(a)`) are not fixable: --fix must not leave a
    NameError behind. Repeated until stable, since a kept statement keeps what it reads in turn."""
    if not any(f.fixable for f in findings):
        return findings
    facts = ctx.facts
    script = ctx.nb.is_script  # the (cell, line, col) a whole-statement finding starts at, as Context.location gives it
    where = {(None, st.line + pc.cell.offset, st.col + 1) if script else (pc.cell.index, st.line, st.col + 1): i
             for i, (pc, st) in enumerate(facts.statements)}  # the column too: `df.head(); x = 1` is two statements
    removed: Dict[int, int] = {}  # statement position -> the fixable finding that deletes it
    for k, f in enumerate(findings):
        i = where.get((f.location.cell, f.location.line, f.location.col)) if f.fixable else None
        if i is not None:
            removed[i] = k
    if not removed:
        return findings
    flows = facts.flows
    binders = [i for i in removed if flows[i].defs]
    while binders:
        # names read after each position by the statements the fix keeps (function bodies: anywhere)
        read = set(facts.magic_names).union(*(f.deferred for j, f in enumerate(flows) if j not in removed))
        later: List[frozenset] = [frozenset()] * (len(flows) + 1)
        for j in range(len(flows) - 1, -1, -1):
            if j not in removed:
                read |= flows[j].uses
            later[j] = frozenset(read)
        kept = [i for i in binders if flows[i].defs & later[i + 1]]
        if not kept:
            break
        for i in kept:
            k = removed.pop(i)
            findings[k] = replace(findings[k], fixable=False)
        binders = [i for i in binders if i in removed]
    return findings


def parse_all(nb: Notebook) -> Tuple[ParsedCell, ...]:
    """Parse every code cell, leaving out the ones with a syntax error (lint_parsed reports those)."""
    return parse_notebook(nb, skip_broken=True)


def lint_notebook(nb: Notebook, select=None, ignore=None, builtins=()) -> List[Finding]:
    """Parse and lint a loaded notebook."""
    return lint_parsed(nb, parse_all(nb), select, ignore, builtins)

