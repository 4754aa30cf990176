"""What kind of object a name holds, from what was assigned to it: a figure, a data frame, or a logger,
run or summary writer (called for its effect); and so whether a call plots or is made for its effect."""

from __future__ import annotations

import ast
import re
from typing import List, Optional, Set

from nb2prod.analysis.figures import PLOT_MODULES, Figures, is_plot_library_data, is_plot_method
from nb2prod.analysis.imports import Imports
from nb2prod.analysis.vocab import (
    EFFECT_MODULES,
    EXPORT_METHODS,
    EXPORT_PATH_KEYWORDS,
    LOG_METHODS,
    LOG_MODULES,
    LOGGER_NAMES,
    TRACKER_FACTORIES,
    TRACKER_NAMES,
    TRACKING_METHODS,
    WRITE_METHODS,
    in_modules,
)
from nb2prod.analysis.walk import root_name, walk
from nb2prod.model import Statement

_FRAME_NAME = re.compile(r"^(df|.*_df|df_.*|data_?frame|frame)$", re.IGNORECASE)


class NameKinds:
    """Names bound to a figure (kept in `figures`), a data frame, or an object called for its effect."""

    def __init__(self, imports: Imports, figures: Figures) -> None:
        self.imports = imports
        self.figures = figures
        self.frames: Set[str] = set()
        self.effect_objects: Set[str] = set()  # names bound to a logger, a run or a summary writer

    def bind(self, targets: List[ast.AST], value: ast.AST, st: Optional[Statement] = None) -> None:
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
            self.figures.bind(names, st, (self.imports.module_of(call.func) or "").startswith("matplotlib.pyplot."))
        elif self._makes_frame(value):
            self.frames |= names

    def is_plot_target(self, func: ast.AST) -> bool:
        name = self.imports.module_of(func)
        if name is not None:
            return name.startswith(PLOT_MODULES) and not is_plot_library_data(name)
        return root_name(func) in self.figures.names

    def _makes_tracker(self, call: ast.Call) -> bool:
        """`logging.getLogger(__name__)`, `structlog.get_logger()`, `wandb.init()`, `SummaryWriter(logdir)`."""
        name = self.imports.module_of(call.func)
        return name is not None and (in_modules(name, LOG_MODULES) or name in TRACKER_FACTORIES)

    def is_effect_call(self, call: ast.Call) -> bool:
        """Whether a call is made for its effect, known from what it calls: logging (`logger.info("rows %d", n)`),
        experiment tracking (`mlflow.log_metric("mse", mse)`, `run.log({...})`), `warnings.warn`, a write
        (`df.to_json("out.json")`). Decided from what the receiver is bound to, else from its conventional name."""
        func = call.func
        name = self.imports.module_of(func)
        if name is not None:
            return in_modules(name, EFFECT_MODULES)
        if not isinstance(func, ast.Attribute):
            return False
        method, receiver = func.attr, func.value
        if (
            method in WRITE_METHODS
            or method in EXPORT_METHODS
            and (call.args or any(kw.arg in EXPORT_PATH_KEYWORDS for kw in call.keywords))
        ):
            return True
        if isinstance(receiver, ast.Call):  # `logging.getLogger(__name__).info(...)`
            return self._makes_tracker(receiver)
        if isinstance(receiver, ast.Name):
            if receiver.id in self.effect_objects:
                return True
            if receiver.id in self.frames or receiver.id in self.figures.names:
                return False
            held = receiver.id
        elif isinstance(receiver, ast.Attribute):  # `self.logger.info(...)`, `app.log.warning(...)`
            held = receiver.attr
        else:
            return False
        return held in LOGGER_NAMES and method in LOG_METHODS or held in TRACKER_NAMES and method in TRACKING_METHODS

    def _makes_frame(self, value: ast.AST) -> bool:
        if isinstance(value, ast.Call):
            name = self.imports.module_of(value.func) or ""
            if name.startswith("pandas."):
                return True
            func = value.func
            return (
                isinstance(func, ast.Attribute)
                and self.is_frame(func.value)
                and func.attr not in ("to_numpy", "tolist")
            )
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
