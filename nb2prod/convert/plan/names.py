"""Refuse notebooks that read names nothing defines: the script would fail with a NameError."""

from __future__ import annotations

from typing import Collection, Dict, List, Sequence

from nb2prod.analysis.dataflow import Flow, undefined_names
from nb2prod.analysis.hidden_names import magic_definitions, namespace_writes
from nb2prod.analysis.unbound import bad_reads
from nb2prod.errors import CodeProblem
from nb2prod.model import Location, Notebook, ParsedCell, Statement


class CodeProblems(CodeProblem):
    """Several code problems found at once; each prints on its own line."""

    def __init__(self, problems: List[CodeProblem]):
        super().__init__(problems[0].message, problems[0].location)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def check_names(nb: Notebook, cells: Sequence[ParsedCell], statements: Sequence[Statement],
                flows: Dict[int, Flow]) -> None:
    """Refuse names nothing defines, and reads that fail in the order they run. Names only a magic defines (`%%capture out`) pass: the plan drops
    what reads them (NB905); names bound through globals()/exec are refused with what to do instead."""
    problems = undefined_names([flows[s.index] for s in statements], frozenset(magic_definitions(cells)))
    bad = _bad_reads(nb, statements)
    if not problems and not bad:
        return
    dynamic, prefixes = namespace_writes(cells)
    errors = []
    for u in problems:
        stmt = statements[u.statement]
        line = u.line if u.line else stmt.line
        col = u.col + 1 if u.line else stmt.col + 1
        what = "used before it is defined" if u.later else "undefined name"
        hint = f" (did you mean `{u.suggestion}`?)" if u.suggestion else ""
        message = f"{what} `{u.name}`{hint}"
        if u.name in dynamic or prefixes is None or u.name.startswith(prefixes or ()):
            message = (f"`{u.name}` is bound only through globals(), vars() or exec(), which the script's "
                       "functions cannot follow; assign it by name")
        errors.append(CodeProblem(message, where(nb, stmt, line, col)))
    raise CodeProblems(errors + bad)


def where(nb: Notebook, stmt: Statement, line: int, col: int) -> Location:
    """A statement's place as lint reports it: cell and line in a notebook, the file's line in a script."""
    if not nb.is_script:
        return Location(nb.path, stmt.cell, line, col)
    offset = next((c.offset for c in nb.cells if c.index == stmt.cell), 0)
    return Location(nb.path, None, line + offset, col)


def _bad_reads(nb: Notebook, statements: Sequence[Statement]) -> List[CodeProblem]:
    """Reads the notebook fails on in order (a local read before its assignment, a name used after `del`)."""
    errors = []
    for stmt in statements:
        for bad in bad_reads(stmt.source, stmt.node):
            col = bad.col + (stmt.col if bad.line == 1 else 0) + 1
            errors.append(CodeProblem(bad.message, where(nb, stmt, stmt.line + bad.line - 1, col)))
    return errors


CONTRACT_NAMES = {  # names the generated script must define itself, and why
    "training": {"main": "the entry point of train.py (its tests call main())"},
    "scoring": {"init": "required in score.py by the Azure ML entry-script contract",
                "run": "required in score.py by the Azure ML entry-script contract"},
}


def check_contract_names(nb: Notebook, statements: Sequence[Statement], flows: Dict[int, Flow],
                         dropped: Collection[int], kind: str) -> None:
    """Refuse a kept statement binding a name the generated script defines by contract (`def main()`):
    the script's own definition would replace the notebook's, or the other way round."""
    contract = CONTRACT_NAMES.get(kind, {})
    errors = []
    for stmt in statements:
        if stmt.index in dropped:
            continue
        for name in sorted(flows[stmt.index].defs & contract.keys()):
            errors.append(CodeProblem(f"`{name}` is {contract[name]}; rename it in the notebook",
                                      where(nb, stmt, stmt.line, stmt.col + 1)))
    if errors:
        raise CodeProblems(errors)
