"""Notebook-wide facts gathered once before the walk: import aliases, figures, frames, dataflow."""

from __future__ import annotations

import ast
import re
from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple

from nb2prod.analysis.dataflow import Flow, Undefined, flow, lazy_annotations, undefined_names
from nb2prod.analysis.hidden_names import magic_definitions, namespace_writes
from nb2prod.analysis.vocab import (EFFECT_MODULES, EXPORT_METHODS, EXPORT_PATH_KEYWORDS, LOG_METHODS, LOG_MODULES,
                                    LOGGER_NAMES, TRACKER_FACTORIES, TRACKER_NAMES, TRACKING_METHODS, WRITE_METHODS,
                                    in_modules)
from nb2prod.analysis.walk import root_name, walk
from nb2prod.model import Cell, ParsedCell, Statement

# Methods that write a figure to a file: matplotlib and seaborn grids, plotly figures.
FIGURE_WRITES = frozenset({"savefig", "write_image", "write_html"})
FIGURE_ENDS = frozenset({"show", "close"})  # after these the next plot call starts a new figure
PLOT_MODULES = ("matplotlib", "seaborn", "plotly", "pandas.plotting", "bokeh", "altair")
# What plotting libraries offer besides plots: example datasets and image files, read as data.
PLOT_LIBRARY_DATA = frozenset({"load_dataset", "get_dataset_names", "get_data_home", "imread"})
PLOT_LIBRARY_DATA_MODULES = ("plotly.express.data.", "plotly.data.", "bokeh.sampledata.")
DEBUG_MODULES = ("pdb", "ipdb", "pudb", "IPython.core.debugger")
_FRAME_NAME = re.compile(r"^(df|.*_df|df_.*|data_?frame|frame)$", re.IGNORECASE)
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
                 builtins: Sequence[str] = ()):
        self.cells = cells
        self.builtins = frozenset(builtins)  # names the platform defines, from [tool.nb2prod.lint] builtins
        self.broken = broken  # code cells that do not parse
        self.modules: Dict[str, str] = {}  # alias -> full dotted name
        self.statements: List[Tuple[ParsedCell, Statement]] = [(pc, st) for pc in cells for st in pc.statements]
        self._flows: Optional[List[Flow]] = None
        self.figures: Set[str] = set()
        self.frames: Set[str] = set()
        self.effect_objects: Set[str] = set()  # names bound to a logger, a run or a summary writer
        self.savefig = False
        assigns, saved = [], []
        self.figure_groups: Dict[str, FrozenSet[str]] = {}  # `fig, ax = plt.subplots()`: fig -> {fig, ax}
        self._writes: Set[int] = set()  # ids of statements that save a figure (`.savefig`, ...)
        self._ends: Set[int] = set()  # ... and of those that show or close one
        for _, st, node, _ in nodes:  # (cell, statement, node, in function) from the engine's one walk
            kind = type(node)
            if kind is ast.Import or kind is ast.ImportFrom:
                self._import(node)
            elif kind is ast.Assign:
                assigns.append((st, node))
            elif kind is ast.Attribute:
                if node.attr in FIGURE_WRITES:
                    self.savefig = True
                    self._writes.add(id(st))
                    saved.append((st, node.value))
                elif node.attr in FIGURE_ENDS:
                    self._ends.add(id(st))
            elif kind is ast.withitem and node.optional_vars is not None:
                assigns.append((st, node))  # `with mlflow.start_run() as run:`
        self._figure_binds: Dict[str, List[Statement]] = {}
        self._bound_figures: Dict[int, FrozenSet[str]] = {}  # statement id -> the pyplot figure names it binds
        for st, node in assigns:
            if node.__class__ is ast.withitem:
                self._bind([node.optional_vars], node.context_expr, st)
            else:
                self._bind(node.targets, node.value, st)
        # statements saving a named figure (`fig.savefig(...)`, `g.savefig(...)`; not `plt.savefig`)
        self._figure_saves: Dict[str, List[Statement]] = {}
        for st, value in saved:
            name = root_name(value)
            if name is not None and name not in self.modules:
                self._figure_saves.setdefault(name, []).append(st)
        self.magic_names = self._magic_names()
        self._later: Optional[List[FrozenSet[str]]] = None
        self._positions: Optional[Dict[int, int]] = None
        self._undefined: Optional[List[Undefined]] = None
        self._saved: Dict[int, Dict[int, bool]] = {}
        self._own_display: Optional[bool] = None

    # -- imports ---------------------------------------------------------------
    def _import(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                self.modules[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif node.module and not node.level:
            for a in node.names:
                self.modules[a.asname or a.name] = f"{node.module}.{a.name}"

    def module_of(self, node: ast.AST) -> Optional[str]:
        """Dotted name a call target resolves to through the imports (`plt.plot` -> matplotlib.pyplot.plot)."""
        root = node
        while root.__class__ is ast.Attribute:
            root = root.value
        if root.__class__ is not ast.Name or root.id not in self.modules:
            return None  # most calls: a method of a variable, decided without building a name
        parts: List[str] = []
        while node.__class__ is ast.Attribute:
            parts.append(node.attr)
            node = node.value
        return ".".join([self.modules[node.id]] + parts[::-1])

    def is_plot_target(self, func: ast.AST) -> bool:
        name = self.module_of(func)
        if name is not None:
            return name.startswith(PLOT_MODULES) and not is_plot_library_data(name)
        return root_name(func) in self.figures

    def own_display(self) -> bool:
        """Whether `display` is the notebook's own function (`def display(obj): ...`), not IPython's."""
        if self._own_display is None:
            imported = self.modules.get("display", "IPython.display.display")
            self._own_display = not imported.startswith("IPython") or any(
                isinstance(st.node, (ast.FunctionDef, ast.Assign)) and "display" in flow.defs
                for (_, st), flow in zip(self.statements, self.flows))
        return self._own_display

    def is_module(self, name: Optional[str]) -> bool:
        return name is not None and name in self.modules

    # -- what names hold -------------------------------------------------------
    def saved_later(self, names: Set[str], st: Statement) -> bool:
        """Whether a statement from `st` on saves the figure one of `names` holds (or one made with it:
        `fig, ax = plt.subplots()`), with no new figure bound to that name in between."""
        here = self.position(st)
        for name in {member for given in names for member in self.figure_groups.get(given, (given,))}:
            binds = [self.position(b) for b in self._figure_binds.get(name, ())]
            for save in self._figure_saves.get(name, ()):
                at = self.position(save)
                if at >= here and not any(here < b < at for b in binds):
                    return True
        return False

    def current_figure_saved(self, pc: ParsedCell, st: Statement) -> bool:
        """For a pyplot call (`plt.plot(...)`) in `st`: whether the figure it draws on was bound to a name
        earlier in the cell (`fig = plt.figure()`, no show/close between) and that figure is saved later."""
        statements = pc.statements
        at = self.position(st) - self.position(statements[0])
        for other in reversed(statements[:at]):
            key = id(other)
            if key in self._ends:
                return False
            names = self._bound_figures.get(key)
            if names:
                return self.saved_later(set(names), other)
        return False

    def _bind(self, targets: List[ast.AST], value: ast.AST, st: Optional[Statement] = None) -> None:
        if len(targets) == 1 and targets[0].__class__ is ast.Name:  # `x = ...`: most assignments
            names = {targets[0].id}
        else:
            names = {n.id for t in targets for n in walk(t) if isinstance(n, ast.Name)}
        call = value
        while isinstance(call, (ast.Subscript, ast.Attribute)):
            call = call.value
        if isinstance(call, ast.Call) and self._makes_tracker(call):
            self.effect_objects |= names
        elif isinstance(call, ast.Call) and (self.is_plot_target(call.func) or is_plot_method(call.func)):
            self.figures |= names
            group = frozenset(names)
            for name in names:
                self.figure_groups[name] = group
                self._figure_binds.setdefault(name, []).append(st)
            if (self.module_of(call.func) or "").startswith("matplotlib.pyplot."):
                self._bound_figures[id(st)] = group  # `fig = plt.figure()`: pyplot draws on it next
        elif self._makes_frame(value):
            self.frames |= names

    def _makes_tracker(self, call: ast.Call) -> bool:
        """`logging.getLogger(__name__)`, `structlog.get_logger()`, `wandb.init()`, `SummaryWriter(logdir)`."""
        name = self.module_of(call.func)
        return name is not None and (in_modules(name, LOG_MODULES) or name in TRACKER_FACTORIES)

    def is_effect_call(self, call: ast.Call) -> bool:
        """Whether a call is made for its effect, known from what it calls: logging (`logger.info("rows %d", n)`),
        experiment tracking (`mlflow.log_metric("mse", mse)`, `run.log({...})`), `warnings.warn`, a write
        (`df.to_json("out.json")`). Decided from what the receiver is bound to, else from its conventional name."""
        func = call.func
        name = self.module_of(func)
        if name is not None:
            return in_modules(name, EFFECT_MODULES)
        if not isinstance(func, ast.Attribute):
            return False
        method, receiver = func.attr, func.value
        if method in WRITE_METHODS or method in EXPORT_METHODS and (
                call.args or any(kw.arg in EXPORT_PATH_KEYWORDS for kw in call.keywords)):
            return True
        if isinstance(receiver, ast.Call):  # `logging.getLogger(__name__).info(...)`
            return self._makes_tracker(receiver)
        if isinstance(receiver, ast.Name):
            if receiver.id in self.effect_objects:
                return True
            if receiver.id in self.frames or receiver.id in self.figures:
                return False
            held = receiver.id
        elif isinstance(receiver, ast.Attribute):  # `self.logger.info(...)`, `app.log.warning(...)`
            held = receiver.attr
        else:
            return False
        return held in LOGGER_NAMES and method in LOG_METHODS or held in TRACKER_NAMES and method in TRACKING_METHODS

    def _makes_frame(self, value: ast.AST) -> bool:
        if isinstance(value, ast.Call):
            name = self.module_of(value.func) or ""
            if name.startswith("pandas."):
                return True
            func = value.func
            return isinstance(func, ast.Attribute) and self.is_frame(func.value) and func.attr not in ("to_numpy", "tolist")
        if isinstance(value, ast.Subscript):
            return self.is_frame(value.value)
        return False

    def is_frame(self, node: ast.AST) -> bool:
        """Whether an expression is (probably) a pandas DataFrame or Series."""
        if isinstance(node, ast.Name):
            return node.id in self.frames or bool(_FRAME_NAME.match(node.id))
        if isinstance(node, ast.Subscript):
            return self.is_frame(node.value)
        if isinstance(node, ast.Attribute) and node.attr in ("loc", "iloc", "T"):
            return self.is_frame(node.value)
        return False

    def saves_figure(self, pc: ParsedCell, st: Statement) -> bool:
        """Whether a figure drawn in `st` is saved: `st` or a later statement of its cell saves one before
        anything shows or closes it (the inline backend closes a cell's figures when the cell ends)."""
        cell = self._saved.get(id(pc))
        if cell is None:
            cell = self._saved[id(pc)] = {}
            saved = False
            for other in reversed(pc.statements):
                key = id(other)
                saved = True if key in self._writes else False if key in self._ends else saved
                cell[key] = saved
        return cell.get(id(st), False)

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


def is_plot_library_data(name: str) -> bool:
    """`seaborn.load_dataset`, `matplotlib.pyplot.imread`, `plotly.express.data.iris`: data, not a plot."""
    return name.rsplit(".", 1)[-1] in PLOT_LIBRARY_DATA or name.startswith(PLOT_LIBRARY_DATA_MODULES)


def is_plot_method(func: ast.AST) -> bool:
    """`df.plot(...)`, `df.plot.scatter(...)`, `df.hist()`, `df.boxplot()`."""
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in ("plot", "hist", "boxplot", "scatter_matrix"):
        return True
    return isinstance(func.value, ast.Attribute) and func.value.attr == "plot"

