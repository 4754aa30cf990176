"""Which names hold a figure and which statements save, show or close one: whether a plot is saved."""

from __future__ import annotations

import ast
from typing import Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from nb2prod.analysis.walk import root_name
from nb2prod.model import ParsedCell, Statement

# Methods that write a figure to a file: matplotlib and seaborn grids, plotly figures.
FIGURE_WRITES = frozenset({"savefig", "write_image", "write_html"})
FIGURE_ENDS = frozenset({"show", "close"})  # after these the next plot call starts a new figure
FIGURE_ATTRS = FIGURE_WRITES | FIGURE_ENDS  # the attributes `Figures.attribute` looks at
PLOT_MODULES = ("matplotlib", "seaborn", "plotly", "pandas.plotting", "bokeh", "altair")
# What plotting libraries offer besides plots: example datasets and image files, read as data.
PLOT_LIBRARY_DATA = frozenset({"load_dataset", "get_dataset_names", "get_data_home", "imread"})
PLOT_LIBRARY_DATA_MODULES = ("plotly.express.data.", "plotly.data.", "bokeh.sampledata.")


class Figures:
    """The notebook's figures, filled from the engine's walk; `position` below is Facts.position (passed, not kept:
    a reference back to Facts would be a cycle, and lint runs with the garbage collector off)."""

    def __init__(self) -> None:
        self.names: Set[str] = set()  # names bound to a figure or its axes
        self.groups: Dict[str, FrozenSet[str]] = {}  # `fig, ax = plt.subplots()`: fig -> {fig, ax}
        self.writes: Set[int] = set()  # ids of statements that save a figure (`.savefig`, ...)
        self.ends: Set[int] = set()  # ... and of those that show or close one
        self._written: List[Tuple[Statement, ast.AST]] = []  # (statement, what `.savefig` is called on)
        self._binds: Dict[str, List[Statement]] = {}
        self._bound_figures: Dict[int, FrozenSet[str]] = {}  # statement id -> the pyplot figure names it binds
        self._saves: Dict[str, List[Statement]] = {}
        self._saved: Dict[int, Dict[int, bool]] = {}

    def attribute(self, st: Statement, node: ast.Attribute) -> None:
        """An attribute the walk met: `.savefig`, `.write_image` save a figure; `.show`, `.close` end one."""
        if node.attr in FIGURE_WRITES:
            self.writes.add(id(st))
            self._written.append((st, node.value))
        elif node.attr in FIGURE_ENDS:
            self.ends.add(id(st))

    def bind(self, names: Set[str], st: Optional[Statement], pyplot: bool) -> None:
        """`names` are bound to one new figure by `st` (`pyplot`: made by pyplot, which draws on it next)."""
        self.names |= names
        group = frozenset(names)
        for name in names:
            self.groups[name] = group
            self._binds.setdefault(name, []).append(st)
        if pyplot:
            self._bound_figures[id(st)] = group  # `fig = plt.figure()`: pyplot draws on it next

    def resolve_saves(self, modules: Dict[str, str]) -> None:
        """Once the walk is done: statements saving a named figure (`fig.savefig(...)`, `g.savefig(...)`;
        not `plt.savefig`, a module)."""
        for st, value in self._written:
            name = root_name(value)
            if name is not None and name not in modules:
                self._saves.setdefault(name, []).append(st)

    def saved_later(self, names: Set[str], st: Statement, position: Callable[[Statement], int]) -> bool:
        """Whether a statement from `st` on saves the figure one of `names` holds (or one made with it:
        `fig, ax = plt.subplots()`), with no new figure bound to that name in between."""
        here = position(st)
        for name in {member for given in names for member in self.groups.get(given, (given,))}:
            binds = [position(b) for b in self._binds.get(name, ())]
            for save in self._saves.get(name, ()):
                at = position(save)
                if at >= here and not any(here < b < at for b in binds):
                    return True
        return False

    def current_figure_saved(self, pc: ParsedCell, st: Statement, position: Callable[[Statement], int]) -> bool:
        """For a pyplot call (`plt.plot(...)`) in `st`: whether the figure it draws on was bound to a name
        earlier in the cell (`fig = plt.figure()`, no show/close between) and that figure is saved later."""
        statements = pc.statements
        at = position(st) - position(statements[0])
        for other in reversed(statements[:at]):
            key = id(other)
            if key in self.ends:
                return False
            names = self._bound_figures.get(key)
            if names:
                return self.saved_later(set(names), other, position)
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
                saved = True if key in self.writes else False if key in self.ends else saved
                cell[key] = saved
        return cell.get(id(st), False)


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
