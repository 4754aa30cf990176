"""Decide, for every statement, where it goes in the generated code or why it is dropped.

The plan is the source of truth for `--explain`: each statement gets exactly one Decision.
Order of reasoning: notebook bugs (undefined names) stop the conversion; exploration and
notebook-only syntax are dropped with their lint rule codes, then closed over data flow (kept
code never reads a dropped definition: a data definition comes back, code drawing on a dropped
figure is dropped too, NB905); what is left is sliced backwards from the outputs (saved
artifacts, reported metrics, the value `run()` returns); the rest is grouped into one function
per section role, with parameters and return values from data flow.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence, Set, Tuple

from nb2prod.convert import sections as sec
from nb2prod.analysis.dataflow import BUILTINS, Flow, flow, undefined_names, walk
from nb2prod.errors import CodeProblem, UnusableInput
from nb2prod.analysis.hidden_names import magic_definitions, namespace_writes
from nb2prod.convert.hyper import Hyper, assigned_name, find_hypers, is_constant, literal_value
from nb2prod.model import Location, Notebook, ParsedCell, Rewrite, Statement

NO_EFFECT = ("NB901", "no effect on outputs")
_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
BECOMES_PARAMETER = "NB902"
REPLACED = "NB903"
USES_DROPPED = "NB905"  # reads a name only a dropped plot (or notebook-only line) defines
# Dropped definitions that cannot come back: what they bind is a figure or axes, or not Python.
_FOR_SHOW = {"NB105": "plot"}

STEP_NAMES = {
    "load": "load_data", "prepare": "prepare_data", "split": "split_data", "train": "train_model",
    "evaluate": "evaluate_model", "save": "save_model", "load_model": "init", "score": "run",
}


@dataclass(frozen=True)
class Decision:
    """Where one statement went (`where`: a function, "<module>", "<imports>") or why it was dropped."""

    statement: Statement
    kept: bool
    where: str = ""
    code: str = ""
    reason: str = ""


@dataclass(frozen=True)
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


@dataclass(frozen=True)
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


# -- entry point ------------------------------------------------------------------------------

def make_plan(nb: Notebook, cells: Sequence[ParsedCell], kind: str = "auto", settings=None) -> Plan:
    statements = [s for pc in cells for s in pc.statements]
    if not statements or all(s.magic and not s.magic.keeps_statement for s in statements):
        raise UnusableInput("notebook has no Python code to convert", Location(nb.path))
    flows = {s.index: flow(s.node) for s in statements}
    _check_names(nb, cells, statements, flows)
    imported = {n for s in statements if is_import_like(s.node) for n in flows[s.index].defs}
    for index, f in flows.items():  # `np.array(...)` does not change the module `np`
        if f.updates & imported:
            flows[index] = replace(f, updates=f.updates - imported)
    if kind == "auto":
        kind = detect_kind(statements, nb)
    builder = _Builder(nb, tuple(cells), statements, flows, kind, settings, frozenset(imported))
    return builder.build()


def detect_kind(statements: Sequence[Statement], nb: Notebook) -> str:
    """training: fits (and usually saves) a model; scoring: loads a model and predicts."""
    calls = [(n, s) for s in statements if not (s.magic and not s.magic.keeps_statement)
             for n in sec.call_names(s.node)]
    names = {n for n, _ in calls}
    fits = bool(names & sec.FIT_CALLS)
    saves = bool(names & sec.SAVE_CALLS)
    loads = bool(names & sec.LOAD_MODEL_CALLS)
    predicts = bool(names & sec.PREDICT_CALLS)
    if fits and saves:
        return "training"
    if loads and predicts and not fits:
        return "scoring"
    if fits:
        return "training"
    raise UnusableInput(
        "cannot tell what this notebook produces: it neither fits and saves a model (training) "
        "nor loads one and predicts (scoring); pass --kind training or --kind scoring",
        Location(nb.path),
    )


def _check_names(nb: Notebook, cells: Sequence[ParsedCell], statements: Sequence[Statement],
                 flows: Dict[int, Flow]) -> None:
    """Refuse names nothing defines. Names only a magic defines (`%%capture out`) pass: the plan drops
    what reads them (NB905); names bound through globals()/exec are refused with what to do instead."""
    problems = undefined_names([flows[s.index] for s in statements], frozenset(magic_definitions(cells)))
    if not problems:
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
        where = Location(nb.path, None if nb.is_script else stmt.cell, line, col)
        errors.append(CodeProblem(message, where))
    raise CodeProblems(errors)


class CodeProblems(CodeProblem):
    """Several code problems found at once; each prints on its own line."""

    def __init__(self, problems: List[CodeProblem]):
        super().__init__(problems[0].message, problems[0].location)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# -- the builder ----------------------------------------------------------------------------

class _Builder:
    def __init__(self, nb, cells, statements, flows, kind, settings=None, imported=frozenset()):
        self.nb, self.cells, self.statements, self.flows, self.kind = nb, cells, statements, flows, kind
        self.imported = imported  # names the notebook's imports bind
        self.sections = sec.split_sections(nb, cells, kind, settings)
        self.role_of: Dict[int, str] = {s.index: x.role for x in self.sections for s in x.statements}
        self.decisions: Dict[int, Decision] = {}
        self.rewrites: Dict[int, Rewrite] = {}
        self.notices: List[str] = []
        self._origins: Dict[int, str] = {}  # statement dropped by _close_over_drops → what it drew on
        self._magic_names = magic_definitions(cells)  # `%%capture out`: a script has no `out`
        self.notes = sec.markdown_notes(nb, cells)
        first = statements[0].index if statements else None
        self.intro = self.notes.pop(first, "") if first is not None and _is_import(statements[0]) else ""

    def drop(self, stmt: Statement, code: str, reason: str) -> None:
        self.decisions[stmt.index] = Decision(stmt, False, code=code, reason=reason)

    def alive(self) -> List[Statement]:
        return [s for s in self.statements if s.index not in self.decisions]

    def kept(self) -> List[Statement]:
        return [s for s in self.statements if s.index in self.decisions and self.decisions[s.index].kept]

    def build(self) -> Plan:
        self._drop_exploration()
        self._close_over_drops()
        returned = self._scoring_contract() if self.kind == "scoring" else None
        defs = [s for s in self.alive() if isinstance(s.node, _DEFS)]
        self._pass_globals(self._free_names(defs), defs)  # a call reads what the body reads, when it runs
        self._slice(returned)
        imports = [s for s in self.alive() if isinstance(s.node, (ast.Import, ast.ImportFrom))]
        module = [s for s in self.alive() if self._module_level(s)]
        hypers = self._hypers(module) if self.kind == "training" else {}
        module = [s for s in self.alive() if s.index not in hypers and self._module_level(s, constants=True)]
        self._settings_stay_put({assigned_name(s) for s in module if self._setting(s)})
        helper_globals = self._helper_globals(module)
        self._pass_globals(helper_globals, module)
        steps = self._steps(set(id(s) for s in imports + module), hypers)
        for s in imports:
            self.decisions[s.index] = Decision(s, True, where="<imports>")
        for s in module:
            self.decisions[s.index] = Decision(s, True, where="<module>")
        all_hypers = tuple(h for idx in sorted(hypers) for h in hypers[idx])
        return Plan(
            kind=self.kind, notebook=self.nb, cells=self.cells, imports=tuple(imports), module=tuple(module),
            steps=steps, decisions=self.decisions, hypers=all_hypers, rewrites=self.rewrites,
            helper_globals=helper_globals, sample_input=self.sample, sample_name=self.sample_name,
            returned=returned, title=_title(self.nb), notices=tuple(self.notices),
            estimator=self._estimator(), predict_input=self._predict_input(), saved=self._saved(),
            plain_saves=self._plain_saves(), read_files=self._read_files(module, all_hypers),
            notes=self.notes, intro=self.intro,
        )

    # -- exploration ---------------------------------------------------------------------------
    def _drop_exploration(self) -> None:
        from nb2prod.convert.explore import exploration_drops

        for index, (code, reason) in exploration_drops(self.nb, self.cells).items():
            stmt = self.statements[index]
            if self.kind == "scoring" and self.role_of.get(index) == "score" and code in ("NB103", "NB104"):
                continue  # the scoring section's shown value becomes run()'s result
            self.drop(stmt, code, reason)

    def _close_over_drops(self) -> None:
        """Kept code never reads a dropped definition: a data definition comes back, and code that
        draws on a dropped figure or axes (or reads a magic's result) is dropped with it, transitively."""
        final = self._final_definers()
        changed = True
        while changed:  # a restored definition may read another dropped one: again until stable
            changed = False
            reaching: Dict[str, Statement] = {}
            for s in self.statements:
                if s.index not in self.decisions:
                    changed |= self._settle(s, reaching, final)
                reaching.update(dict.fromkeys(self.flows[s.index].defs, s))

    def _settle(self, s: Statement, reaching: Dict[str, Statement], final: Dict[str, List[Statement]]) -> bool:
        """Restore the dropped definitions `s` reads, or drop `s`; whether a decision changed."""
        f = self.flows[s.index]
        needed = [(n, reaching.get(n)) for n in sorted(f.uses)]
        needed += [(n, self._dropped_only(final.get(n, ()))) for n in sorted(f.deferred)]
        changed = False
        for name, definer in needed:
            if definer is None and name in self._magic_names:
                magic = self._magic_names[name]
                self.drop(s, USES_DROPPED, f"uses `{name}`, which only the `{magic}` magic defines")
                self._origins[s.index] = "notebook-only line"
                return True
            if definer is None or definer.index not in self.decisions:
                continue
            origin = self._shown_origin(definer)
            if origin is None:
                del self.decisions[definer.index]  # data the kept code needs: keep it after all
                changed = True
                continue
            self.drop(s, USES_DROPPED, f"uses `{name}` from a dropped {origin} (cell {definer.cell}:{definer.line})")
            self._origins[s.index] = origin
            return True
        return changed

    def _shown_origin(self, definer: Statement) -> Optional[str]:
        """What a dropped definition was, when it must stay dropped ("plot"); None when it can come back."""
        if definer.index in self._origins:
            return self._origins[definer.index]
        if definer.magic is not None:
            return "notebook-only line"
        return _FOR_SHOW.get(self.decisions[definer.index].code)

    def _dropped_only(self, definers: Sequence[Statement]) -> Optional[Statement]:
        """For a read inside a function body: the last definer when every definer was dropped."""
        if not definers or any(d.index not in self.decisions for d in definers):
            return None
        return definers[-1]

    def _final_definers(self) -> Dict[str, List[Statement]]:
        """Every top-level definer of each name, for reads inside function bodies (they run later)."""
        out: Dict[str, List[Statement]] = {}
        for s in self.statements:
            for name in self.flows[s.index].defs:
                out.setdefault(name, []).append(s)
        return out

    # -- scoring: raw_data, request_headers, the returned value ---------------------------------
    sample: Optional[str] = None
    sample_name: Optional[str] = None

    def _scoring_contract(self) -> Optional[Statement]:
        run_roles = ("prepare", "score", "other")
        for s in self.alive():
            name = assigned_name(s)
            value = literal_value(s)
            if self.role_of.get(s.index) not in run_roles or name is None:
                continue
            if name == "request_headers":
                self.drop(s, BECOMES_PARAMETER, "request_headers becomes a parameter of run()")
            elif self.sample is None and isinstance(value, str) and _looks_like_json(value):
                self.sample, self.sample_name = value, name
                if name == "raw_data":
                    self.drop(s, BECOMES_PARAMETER, "sample input: becomes run()'s raw_data parameter and the __main__ example")
                else:
                    self.rewrites[s.index] = Rewrite.RAW_DATA
        if self.sample is None:
            self._literal_input(run_roles)
        shown = [s for s in self.alive() if self.role_of.get(s.index) == "score" and _shows(s.node)]
        if shown:
            self.rewrites[shown[-1].index] = Rewrite.RETURN
            return shown[-1]
        scored = [s for s in self.alive() if self.role_of.get(s.index) == "score" and assigned_name(s)]
        if scored:
            self.rewrites[scored[-1].index] = Rewrite.RETURN_AFTER
            return scored[-1]
        return None

    def _literal_input(self, run_roles) -> None:
        """No JSON sample: the literal rows the notebook predicts on become the request's "data"."""
        import json

        for s in self.alive():
            if self.role_of.get(s.index) not in run_roles or assigned_name(s) is None:
                continue
            value = _rows_literal(s.node.value)
            if value is not None:
                self.sample = json.dumps({"data": value})
                self.sample_name = assigned_name(s)
                self.rewrites[s.index] = Rewrite.DATA_LITERAL
                return

    # -- slicing -----------------------------------------------------------------------------
    def _slice(self, returned: Optional[Statement]) -> None:
        live: Set[str] = set()
        for s in reversed(self.alive()):
            f = self.flows[s.index]
            if isinstance(s.node, (ast.Import, ast.ImportFrom)):
                continue
            if s is returned or _is_sink(s.node) or (f.writes & live):
                if s is not returned and s.index not in self.rewrites and _names_unread(s.node, live):
                    self.rewrites[s.index] = Rewrite.VALUE_ONLY  # `history = model.fit(...)`: keep the call only
                    self.notices.append(f"cell {s.cell}:{s.line}: kept `{ast.unparse(s.node.value)}` for its effect; "
                                        f"nothing reads `{ast.unparse(s.node.targets[0])}`")
                live = (live - f.defs) | f.uses | f.deferred
                continue
            self.drop(s, *NO_EFFECT)

    # -- module level ------------------------------------------------------------------------
    def _module_level(self, s: Statement, constants: bool = False) -> bool:
        """Helpers, classes and constants live at module level (constants: anywhere once hypers are out)."""
        if isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return self._ready_at_import(s)
        if isinstance(s.node, ast.Try) and is_import_like(s.node):
            return True  # `try: import x` / `except ImportError: x = None` belongs with the imports
        if self._setting(s):
            return True
        if not is_constant(s):
            return False
        if self.role_of.get(s.index) == "setup":
            return True
        return constants and self.kind == "training" and self._write_count(assigned_name(s)) == 1

    def _ready_at_import(self, s: Statement) -> bool:
        """A def or class runs its defaults, decorators and bases where it stands: at module level
        only when they read nothing but imports, constants and other helpers (`def f(m=model)` stays put)."""
        needed = self.flows[s.index].uses - BUILTINS
        if not needed:
            return True
        if self._import_time is None:
            self._import_time = {
                n for t in self.statements for n in self.flows[t.index].defs
                if isinstance(t.node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                or is_import_like(t.node)
                or (is_constant(t) and self._write_count(n) == 1) or self._setting(t)
            }
        return needed <= self._import_time

    _import_time: Optional[Set[str]] = None

    def _setting(self, s: Statement) -> bool:
        """An UPPER_CASE name set once before the first heading from imports and literals alone
        (`DATA_DIR = Path("data")`, `N = int(os.environ.get("N", "30"))`): a module constant, not data
        the first step returns to the others."""
        name = assigned_name(s)
        if name is None or not name.isupper() or self.role_of.get(s.index) != "setup" or not self.kind == "training":
            return False
        if self._def_count(name) != 1:
            return False
        return not (self.flows[s.index].uses - BUILTINS - self.imported)

    def _settings_stay_put(self, settings: Set[str]) -> None:
        """`MODEL_DIR.mkdir()` uses a module setting; it does not make a new one for later steps."""
        for index, f in self.flows.items():
            if f.updates & settings:
                self.flows[index] = replace(f, updates=f.updates - settings)

    def _def_count(self, name: str) -> int:
        if self._defs is None:
            self._defs = Counter(n for f in self.flows.values() for n in f.defs)
        return self._defs[name]

    _defs: Optional[Counter] = None

    def _write_count(self, name: Optional[str]) -> int:
        if self._writes is None:  # counted once: flows' writes do not change while the builder runs
            self._writes = Counter(n for f in self.flows.values() for n in f.writes)
        return self._writes[name]

    _writes: Optional[Counter] = None

    def _pass_globals(self, helpers: Dict[str, Tuple[str, ...]], module: List[Statement]) -> None:
        """A call to a helper that reads notebook globals now uses those globals where it is made."""
        if not helpers:
            return
        for s in self.alive():
            if s in module:
                continue
            called = {n.func.id for n in ast.walk(s.node) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
            extra = frozenset(g for h in called & set(helpers) for g in helpers[h])
            if extra:
                f = self.flows[s.index]
                sites = f.use_sites + tuple((g, s.line, s.col) for g in sorted(extra - f.uses))
                self.flows[s.index] = replace(f, uses=f.uses | extra, use_sites=sites)

    def _hypers(self, module: List[Statement]) -> Dict[int, Tuple[Hyper, ...]]:
        counts: Dict[str, int] = {}
        for s in self.statements:
            for name in self.flows[s.index].writes:
                counts[name] = counts.get(name, 0) + 1
        module_uses = {n for s in module for n in self.flows[s.index].deferred | self.flows[s.index].uses}
        step_uses = {n for s in self.alive() if s not in module for n in self.flows[s.index].uses}
        taken = {n for f in self.flows.values() for n in f.defs | f.uses}
        candidates = [
            s for s in self.alive()
            if assigned_name(s) in step_uses and assigned_name(s) not in module_uses
        ]
        return find_hypers(candidates, self.flows, counts, taken)

    # -- steps ---------------------------------------------------------------------------------
    def _steps(self, placed: Set[int], hypers: Dict[int, Tuple[Hyper, ...]]) -> Tuple[Step, ...]:
        scalar_hypers = {h.name: h for hs in hypers.values() for h in hs if not h.key}
        for idx, hs in hypers.items():
            stmt = self.statements[idx]
            if hs[0].key:
                self.rewrites[idx] = Rewrite.HYPER_DICT
            else:
                self.drop(stmt, BECOMES_PARAMETER, f"`{hs[0].name}` becomes a parameter and the option {hs[0].option}")
        groups = _move_to_first_use(self._groups(placed), [self.statements[i] for i in hypers], self.flows)
        steps: List[Step] = []
        producers: Dict[str, int] = {}
        for role, title, stmts in groups:
            stmts = [s for s in stmts if s.index not in self.decisions or s.index in hypers and hypers[s.index][0].key]
            if not stmts:
                continue
            params, local = [], set()
            step_hypers: List[Hyper] = []
            for s in stmts:
                f = self.flows[s.index]
                for name in sorted(f.uses, key=lambda n: (_site(f, n), n)):  # name breaks ties: set order varies per process
                    if name in local or name in params:
                        continue
                    if name in scalar_hypers and name not in local:
                        if scalar_hypers[name] not in step_hypers:
                            step_hypers.append(scalar_hypers[name])
                    elif name in producers:
                        params.append(name)
                local |= f.writes
                if s.index in hypers and hypers[s.index][0].key:
                    step_hypers.extend(h for h in hypers[s.index] if h not in step_hypers)
            steps.append(Step(self._name(role, title, steps), role, title, tuple(stmts), tuple(params),
                              tuple(step_hypers)))
            for name in local:
                producers[name] = len(steps) - 1
        steps = _wire_returns(steps, self.flows)
        if self.kind == "scoring":
            steps = self._scoring_steps(steps)
        for st in steps:
            for s in st.statements:
                self.decisions[s.index] = Decision(s, True, where=st.name)
        return tuple(steps)

    def _groups(self, placed: Set[int]) -> List[Tuple[str, str, List[Statement]]]:
        groups: List[Tuple[str, str, List[Statement]]] = []
        pending: List[Statement] = []
        for section in self.sections:
            stmts = [s for s in section.statements if id(s) not in placed]
            role = section.role
            if self.kind == "scoring":
                role = "load_model" if role in ("load_model", "setup") else "score"
            elif role == "setup":
                pending.extend(stmts)
                continue
            stmts = pending + stmts
            pending = []
            title = section.title if any(s.index not in self.decisions for s in stmts) else ""
            last = groups[-1] if groups else None
            if last and (last[0] == role or (last[0] == "train" and role == "evaluate")):
                last[2].extend(stmts)
                if title:
                    groups[-1] = (last[0], "; ".join(t for t in (last[1], title) if t), last[2])
            else:
                groups.append((role, title, stmts))
        if pending:
            groups.append(("other" if self.kind == "training" else "score", "", pending))
        return groups

    def _name(self, role: str, title: str, done: List[Step]) -> str:
        base = STEP_NAMES.get(role) or _slug(title) or "step"
        taken = {s.name for s in done} | {"main"}
        name, n = base, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        return name

    def _scoring_steps(self, steps: List[Step]) -> List[Step]:
        init = [s for st in steps if st.role == "load_model" for s in st.statements]
        run = [s for st in steps if st.role != "load_model" for s in st.statements]
        init_writes = {n for s in init for n in self.flows[s.index].writes}
        run_uses = {n for s in run for n in self.flows[s.index].uses}
        globals_ = tuple(sorted(init_writes & run_uses))
        return [
            Step("init", "load_model", "", tuple(init), globals_=globals_),
            Step("run", "score", "", tuple(run), params=("raw_data", "request_headers")),
        ]

    def _free_names(self, defs: List[Statement]) -> Dict[str, Tuple[str, ...]]:
        """What each function's body reads from outside it (imports and builtins aside)."""
        out = {}
        for s in defs:
            free = self.flows[s.index].deferred - self.imported - BUILTINS
            if free and not isinstance(s.node, ast.ClassDef):
                out[s.node.name] = tuple(sorted(free))
        return out

    def _helper_globals(self, module: List[Statement]) -> Dict[str, Tuple[str, ...]]:
        module_names = {n for s in module for n in self.flows[s.index].defs}
        module_names |= {n for s in self.statements if is_import_like(s.node) for n in self.flows[s.index].defs}
        out = {}
        for s in module:
            if isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                needed = sorted(self.flows[s.index].deferred - module_names - BUILTINS)
                if needed:
                    out[s.node.name] = tuple(needed)
        return out

    # -- facts for the generated tests ---------------------------------------------------------
    def _estimator(self) -> Optional[Tuple[str, str]]:
        fitted = []
        for s in self.kept():
            for sub in ast.walk(s.node):
                if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "fit":
                    name = sub.func.value.id if isinstance(sub.func.value, ast.Name) else None
                    if name:
                        fitted.append(name)
        for name in reversed(fitted):
            for s in self.statements:
                if assigned_name(s) == name and isinstance(s.node.value, ast.Call):
                    func = s.node.value.func
                    if isinstance(func, (ast.Name, ast.Attribute)):
                        return name, ast.unparse(func)
        return None

    def _predict_input(self) -> Optional[str]:
        """What the notebook predicts on: `m.predict(X)`, else the X of `m.score(X, y)`; in kept code
        first, else in code dropped for having no effect (`labels = m.predict(X)` nothing read)."""
        for method, arity, statements in (("predict", 1, self.kept()), ("score", 2, self.kept()),
                                          ("predict", 1, self.statements)):
            for s in statements:
                for sub in ast.walk(s.node):
                    if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                            and sub.func.attr == method and len(sub.args) == arity):
                        return ast.unparse(sub.args[0])
        return None

    def _plain_saves(self) -> Tuple[str, ...]:
        """Files whose saved object is a literal list, dict, tuple or set (a column list, not a model)."""
        literal = (ast.List, ast.Dict, ast.Tuple, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp, ast.Constant)
        plain = {assigned_name(s) for s in self.statements if assigned_name(s) and isinstance(s.node.value, literal)}
        return tuple(target for call, target in self._save_calls() if call.args and (
            isinstance(call.args[0], literal) or isinstance(call.args[0], ast.Name) and call.args[0].id in plain))

    def _saved(self) -> Tuple[Tuple[str, str], ...]:
        return tuple((ast.unparse(call.func), target) for call, target in self._save_calls())

    def _save_calls(self) -> List[Tuple[ast.Call, str]]:
        """Every save call of the kept code with the file it writes (one walk per statement, once)."""
        if self._saves is None:
            self._saves = []
            for s in self.kept():
                nodes = walk(s.node)
                opened = _opened_files(nodes)
                for sub in nodes:
                    if isinstance(sub, ast.Call) and sec.call_name(sub.func) in sec.SAVE_CALLS:
                        target = _file_argument(sub, opened)
                        if target is not None:
                            self._saves.append((sub, target))
        return self._saves

    _saves: Optional[List[Tuple[ast.Call, str]]] = None

    def _read_files(self, module: Sequence[Statement], hypers: Sequence[Hyper]) -> Tuple[str, ...]:
        """Relative paths the kept code reads, literally or through a constant or option: a test that
        runs main() in an empty folder brings them along."""
        values: Dict[str, object] = {assigned_name(s): literal_value(s) for s in module if is_constant(s)}
        values.update({h.name: h.default for h in hypers if not h.key})
        values.update({f"{h.source_name}[{h.key!r}]": h.default for h in hypers if h.key})
        for s in module:  # `DATA_DIR = Path("data")`: a folder constant later paths are built from
            if isinstance(s.node, ast.Assign) and len(s.node.targets) == 1 and isinstance(s.node.targets[0], ast.Name):
                folder = _path_value(s.node.value, values)
                if folder is not None:
                    values.setdefault(s.node.targets[0].id, folder)
        saved = {literal_value_of(target, values) for _, target in self._saved()}
        found: List[str] = []
        for s in self.kept():
            for sub in walk(s.node):
                node = _read_argument(sub) if isinstance(sub, ast.Call) else None
                path = _path_value(node, values) if node is not None else None
                if isinstance(path, str) and _relative_file(path) and path not in saved and path not in found:
                    found.append(path)
        return tuple(found)


def _move_to_first_use(groups, movable: List[Statement], flows: Dict[int, Flow]):
    """A literal dict of hyperparameters set up early goes to the first step that reads it."""
    for stmt in movable:
        names = flows[stmt.index].defs
        home = next((g for g in groups if stmt in g[2]), None)
        user = next((g for g in groups if any(names & flows[s.index].uses for s in g[2] if s is not stmt)), None)
        if home is None or user is None or home is user or groups.index(user) < groups.index(home):
            continue
        home[2].remove(stmt)
        user[2].insert(0, stmt)
    return groups


def _names_unread(node: ast.stmt, live: Set[str]) -> bool:
    """A plain `name = call(...)` (or `a, b = ...`) whose names nothing after it reads."""
    if not isinstance(node, ast.Assign) or len(node.targets) != 1 or not isinstance(node.value, ast.Call):
        return False
    target = node.targets[0]
    names = target.elts if isinstance(target, ast.Tuple) else [target]
    return all(isinstance(n, ast.Name) for n in names) and not {n.id for n in names} & live


def _wire_returns(steps: List[Step], flows: Dict[int, Flow]) -> List[Step]:
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
    return [Step(s.name, s.role, s.title, s.statements, s.params, s.hypers, tuple(sorted(r, key=_written_at(s, flows))),
                 s.globals_)
            for s, r in zip(steps, returns)]


def _written_at(step: Step, flows: Dict[int, Flow]):
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


def _is_sink(node: ast.AST) -> bool:
    """Statements whose effect is outside the names they bind: calls for their side effects."""
    if isinstance(node, ast.Expr):
        return isinstance(node.value, (ast.Call, ast.Await, ast.Yield))
    if isinstance(node, (ast.For, ast.While, ast.With, ast.If, ast.Try, ast.AsyncFor, ast.AsyncWith)):
        return any(isinstance(sub, ast.Expr) and isinstance(sub.value, ast.Call) for sub in ast.walk(node)) or any(
            isinstance(sub, (ast.Raise, ast.Assert)) for sub in ast.walk(node))
    return isinstance(node, (ast.Raise, ast.Assert, ast.Global, ast.Nonlocal))


def _shows(node: ast.AST) -> bool:
    if not isinstance(node, ast.Expr):
        return False
    value = node.value
    if isinstance(value, ast.Call):
        return isinstance(value.func, ast.Name) and value.func.id in ("print", "display") and bool(value.args)
    return True


def _is_import(stmt: Statement) -> bool:
    return is_import_like(stmt.node)


def is_import_like(node: ast.AST) -> bool:
    """An import, or a guarded one: `try: import x` with handlers that import, pass or set a constant."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return True
    if not isinstance(node, ast.Try) or node.orelse or node.finalbody:
        return False
    handled = [st for h in node.handlers for st in h.body]
    return all(isinstance(st, (ast.Import, ast.ImportFrom)) for st in node.body) and all(
        isinstance(st, (ast.Import, ast.ImportFrom, ast.Pass))
        or (isinstance(st, ast.Assign) and isinstance(st.value, ast.Constant)) for st in handled)


def _rows_literal(node: ast.AST):
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
    import json

    text = value.strip()
    if not text.startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _opened_files(nodes: Sequence[ast.AST]) -> Dict[str, str]:
    """`with open(PATH, ...) as f:` → {"f": "PATH"}: `pickle.dump(model, f)` inside writes PATH."""
    opened = {}
    for sub in nodes:
        if isinstance(sub, (ast.With, ast.AsyncWith)):
            for item in sub.items:
                call, name = item.context_expr, item.optional_vars
                if (isinstance(call, ast.Call) and call.args and isinstance(name, ast.Name)
                        and sec.call_name(call.func) == "open"):
                    opened[name.id] = ast.unparse(call.args[0])
    return opened


def _file_argument(call: ast.Call, opened: Dict[str, str]) -> Optional[str]:
    """The file a saving call writes: its path argument, seen through `open(path)` and `with open(path) as f`."""
    node = None
    for kw in call.keywords:
        if kw.arg in ("filename", "file", "path", "fname", "f", "filepath"):
            node = kw.value
    if node is None and len(call.args) >= 2:
        node = call.args[1]
    if node is None and len(call.args) == 1 and isinstance(call.func, ast.Attribute) and call.func.attr in ("save", "save_model"):
        node = call.args[0]
    if node is None:
        return None
    if isinstance(node, ast.Call) and node.args and sec.call_names(node)[0] == "open":
        node = node.args[0]
    text = ast.unparse(node)
    return opened.get(text, text)


_READ_CALLS = frozenset({"open", "load", "loadtxt", "genfromtxt", "imread", "read"})
_PATH_KEYWORDS = ("filepath_or_buffer", "path", "path_or_buf", "io", "fname", "file", "filename", "filepath")


def _read_argument(call: ast.Call) -> Optional[ast.AST]:
    """The path a reading call reads (`pd.read_csv(p)`, `open(p)`, `np.loadtxt(p)`), None for other calls
    and for `open(p, "w")`."""
    name = sec.call_name(call.func)
    if not (name in _READ_CALLS or name.startswith(("read_", "load_"))):
        return None
    if name == "open":
        mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax"):
            return None
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg in _PATH_KEYWORDS), None)


def literal_value_of(expr: str, values: Dict[str, object]) -> object:
    """The value of a literal expression, or of a constant or option named by it; None otherwise."""
    if expr in values:
        return values[expr]
    try:
        return ast.literal_eval(expr)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _path_value(node: ast.AST, values: Dict[str, object]) -> Optional[str]:
    """The path an expression spells with literals and known constants: `"data/x.csv"`, `DATA_DIR /
    "x.csv"`, `Path("data", "x.csv")`, `os.path.join(DATA_DIR, "x.csv")`; None when it needs more."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        parts = [_path_value(node.left, values), _path_value(node.right, values)]
    elif isinstance(node, ast.Call) and sec.call_name(node.func) in ("Path", "PurePath", "join", "joinpath") \
            and not node.keywords:
        head = [node.func.value] if sec.call_name(node.func) == "joinpath" and isinstance(node.func, ast.Attribute) else []
        parts = [_path_value(arg, values) for arg in head + list(node.args)]
        if not parts or (sec.call_name(node.func) == "join" and ast.unparse(node.func) != "os.path.join"):
            return None
    else:
        value = literal_value_of(ast.unparse(node), values)
        return value if isinstance(value, str) else None
    if any(p is None for p in parts):
        return None
    return "/".join(p.rstrip("/") for p in parts if p not in ("", "."))  # type: ignore[union-attr]


def _relative_file(path: str) -> bool:
    """A relative file name such as `data/train.csv`: not absolute, not a URL, not a bare word."""
    return bool(re.fullmatch(r"[\w.-]+(/[\w.-]+)*\.\w+", path)) and not path.startswith(("/", "~"))


def _slug(title: str) -> str:
    words = re.findall(r"[a-z0-9]+", title.lower())[:4]
    slug = "_".join(words)
    if slug and slug[0].isdigit():
        slug = "step_" + slug
    return slug


def _title(nb: Notebook) -> str:
    """The notebook's title: the heading that names it rather than opening a section."""
    found = sec.title_heading(nb)
    return found[2] if found else ""
