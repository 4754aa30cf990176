"""Notebook-wide facts gathered once before the walk: import aliases, figures, frames, dataflow.

Each family of facts is kept by its own object, filled from the engine's one walk: `imports.Imports`
(aliases), `figures.Figures` (what is saved, shown, closed), `kinds.NameKinds` (what a name holds);
Facts asks them, and answers the dataflow queries itself.
"""

from __future__ import annotations

import ast
import re
from typing import Callable, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from nb2prod.analysis.dataflow import Flow, Undefined, flow, lazy_annotations, undefined_names
from nb2prod.analysis.figures import FIGURE_ATTRS, Figures
from nb2prod.analysis.hidden_names import magic_definitions, namespace_writes
from nb2prod.analysis.imports import Imports
from nb2prod.analysis.kinds import NameKinds
from nb2prod.model import Cell, ParsedCell, Statement

DEBUG_MODULES = ("pdb", "ipdb", "pudb", "IPython.core.debugger")
_TEMPLATE_NAME = re.compile(r"[{$](\w+)")
# Magics that bring names into the namespace in ways the code does not show.
DYNAMIC_MAGICS = {"run", "pylab", "load", "recall", "macro", "rerun"}
_HISTORY = r"^_(i{0,3}|\d+|i\d+|oh|ih|dh)$"  # patterns only some notebooks need: compiled on first use
# The node types Facts reads from the engine's walk (the engine collects these and the rules' types only).
FACT_NODES = frozenset({ast.Import, ast.ImportFrom, ast.Assign, ast.Attribute, ast.withitem})
_DEFINES = r"^\s*(?:def|class)\s+(\w+)|^\s*([A-Za-z_][\w, ]*?)\s*=[^=]|import\s+(.+)$"


class Facts:
    """Facts about one notebook that several rules need."""

    def __init__(self, cells: Tuple[ParsedCell, ...], broken: Tuple[Cell, ...] = (), nodes: Sequence[tuple] = (),
                 builtins: Sequence[str] = (), flows: Optional[List[Flow]] = None):
        self.cells = cells
        self.builtins = frozenset(builtins)  # names the platform defines, from [tool.nb2prod.lint] builtins
        self.broken = broken  # code cells that do not parse
        self.statements: List[Tuple[ParsedCell, Statement]] = [(pc, st) for pc in cells for st in pc.statements]
        self._flows: Optional[List[Flow]] = flows  # worked out on first use, unless the caller has them
        self.imports = Imports()
        # the dotted name a call target resolves to (`plt.plot` -> matplotlib.pyplot.plot): the hottest
        # question rules ask, answered without the two method calls in between
        self.module_of: Callable[[ast.AST], Optional[str]] = self.imports.module_of
        self.figures = Figures()
        self.kinds = NameKinds(self.imports, self.figures)
        self.is_module: Callable[[Optional[str]], bool] = self.imports.is_module
        self.is_plot_target: Callable[[ast.AST], bool] = self.kinds.is_plot_target
        self.is_effect_call: Callable[[ast.Call], bool] = self.kinds.is_effect_call
        self.is_frame: Callable[[ast.AST], bool] = self.kinds.is_frame  # (probably) a DataFrame or Series
        assigns = []
        for _, st, node, _ in nodes:  # (cell, statement, node, in function) from the engine's one walk
            kind = type(node)
            if kind is ast.Import or kind is ast.ImportFrom:
                self.imports.add(node)
            elif kind is ast.Assign:
                assigns.append((st, node))
            elif kind is ast.Attribute:
                if node.attr in FIGURE_ATTRS:  # tested here: the walk meets thousands of attributes
                    self.figures.attribute(st, node)
            elif kind is ast.withitem and node.optional_vars is not None:
                assigns.append((st, node))  # `with mlflow.start_run() as run:`
        for st, node in assigns:  # once every import is known
            if node.__class__ is ast.withitem:
                self.kinds.bind([node.optional_vars], node.context_expr, st)
            else:
                self.kinds.bind(node.targets, node.value, st)
        self.figures.resolve_saves(self.imports.modules)
        self.savefig = bool(self.figures.writes)  # some statement saves a figure
        self.magic_names = self._magic_names()
        self._later: Optional[List[FrozenSet[str]]] = None
        self._positions: Optional[Dict[int, int]] = None
        self._undefined: Optional[List[Undefined]] = None
        self._own_display: Optional[bool] = None

    # -- asked of the imports, the figures and what names hold ---------------------------------
    # is_module(name), is_plot_target(func), is_effect_call(call), is_frame(node): bound in __init__ to the
    # objects that answer them (asked thousands of times a lint: no method call in between)

    def saved_later(self, names: Set[str], st: Statement) -> bool:
        return self.figures.saved_later(names, st, self.position)

    def current_figure_saved(self, pc: ParsedCell, st: Statement) -> bool:
        return self.figures.current_figure_saved(pc, st, self.position)

    def saves_figure(self, pc: ParsedCell, st: Statement) -> bool:
        return self.figures.saves_figure(pc, st)

    def own_display(self) -> bool:
        """Whether `display` is the notebook's own function (`def display(obj): ...`), not IPython's."""
        if self._own_display is None:
            imported = self.imports.modules.get("display", "IPython.display.display")
            self._own_display = not imported.startswith("IPython") or any(
                isinstance(st.node, (ast.FunctionDef, ast.Assign)) and "display" in flow.defs
                for (_, st), flow in zip(self.statements, self.flows))
        return self._own_display

    # -- dataflow --------------------------------------------------------------
    @property
    def flows(self) -> List[Flow]:
        """The Flow of every statement, in order; computed on first use (only dataflow rules need it)."""
        if self._flows is None:
            lazy = lazy_annotations(st.node for _, st in self.statements)
            self._flows = [flow(st.node, lazy) for _, st in self.statements]
        return self._flows

    def _magic_names(self) -> FrozenSet[str]:
        """Names that magic and shell lines interpolate (`!echo {x}`, `%store df`)."""
        found: Set[str] = set()
        for pc in self.cells:
            for m in pc.magics:
                found.update(_TEMPLATE_NAME.findall(m.text))
                found.update(re.findall(r"[A-Za-z_]\w*", m.text.split(m.name, 1)[-1] if m.name else m.text))
        return frozenset(found)

    def used_after(self, index: int) -> FrozenSet[str]:
        """Names read by any statement after position `index` of `self.statements` (or by any function)."""
        if self._later is None:
            later: List[FrozenSet[str]] = [frozenset()] * (len(self.flows) + 1)
            acc: Set[str] = set(self.magic_names)
            for f in self.flows:
                acc |= f.deferred
            later[len(self.flows)] = frozenset(acc)
            for i in range(len(self.flows) - 1, -1, -1):
                acc |= self.flows[i].uses
                later[i] = frozenset(acc)
            self._later = later
        return self._later[min(index + 1, len(self.flows))]

    def undefined(self) -> List[Undefined]:
        """Names read where nothing defines them (dataflow); none when magics define names unseen."""
        if self._undefined is None:
            dynamic = any(m.name in DYNAMIC_MAGICS for pc in self.cells for m in pc.magics)
            names, prefixes = namespace_writes(self.cells)
            found = [] if dynamic or prefixes is None else undefined_names(self.flows, self._extra_names() | names)
            self._undefined = [u for u in found if not re.match(_HISTORY, u.name) and not u.name.startswith(prefixes)]
        return self._undefined

    def _extra_names(self) -> FrozenSet[str]:
        """Names defined where dataflow cannot see: broken cells, `%%capture out`, `%store -r x`, the
        configured builtins."""
        names: Set[str] = set(self.builtins)
        for cell in self.broken:
            for m in re.finditer(_DEFINES, cell.source, re.MULTILINE):
                names.update(re.findall(r"[A-Za-z_]\w*", " ".join(g for g in m.groups() if g)))
        names.update(magic_definitions(self.cells))
        return frozenset(names)

    def position(self, st: Statement) -> int:
        if self._positions is None:
            self._positions = {id(other): i for i, (_, other) in enumerate(self.statements)}
        return self._positions.get(id(st), len(self.statements))

