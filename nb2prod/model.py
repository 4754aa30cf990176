"""The intermediate representation: frozen dataclasses shared by every stage."""

from __future__ import annotations

import ast
import enum
from dataclasses import field
from typing import Optional, Tuple

from nb2prod.frozen import frozen

# The roles a notebook section can play (headings, code and [tool.nb2prod.sections] map onto them).
TRAINING_ROLES = ("setup", "load", "prepare", "split", "train", "evaluate", "save", "other")
SCORING_ROLES = ("setup", "load_model", "prepare", "score", "other")
ROLES = frozenset(TRAINING_ROLES + SCORING_ROLES)


@frozen
class Location:
    """Where something is: a file, optionally a cell (1-based, all cells counted), line and column."""

    path: str
    cell: Optional[int] = None
    line: Optional[int] = None
    col: Optional[int] = None

    def __str__(self) -> str:
        parts = [self.path]
        if self.cell is not None:
            parts.append(f"cell {self.cell}")
        if self.line is not None:
            parts.append(str(self.line))
            if self.col is not None:
                parts.append(str(self.col))
        return ":".join(parts)


@frozen
class Cell:
    """One notebook cell; `index` is 1-based over all cells, as Jupyter shows them."""

    index: int
    kind: str
    source: str
    tags: Tuple[str, ...] = ()
    execution_count: Optional[int] = None
    outputs: Tuple[str, ...] = ()
    offset: int = 0  # lines before this cell in its file (scripts only)
    printed: str = ""  # what the cell wrote to stdout when the notebook was saved


@frozen
class Notebook:
    """A loaded notebook (or a jupytext-percent script, whose cells come from `# %%` markers)."""

    path: str
    cells: Tuple[Cell, ...]
    language: str = "python"
    is_script: bool = False

    @property
    def code_cells(self) -> Tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.kind == "code")


@frozen
class Magic:
    """IPython syntax masked so that the cell parses: what it was and where."""

    kind: str  # line-magic, cell-magic, shell, shell-assign, magic-assign, help
    name: str  # magic name ("time", "matplotlib"), shell command word, or help target
    line: int  # 1-based line within the cell
    col: int
    text: str  # the original line
    keeps_statement: bool = False  # `%time stmt`, `%%time`: the Python inside still runs


@frozen(eq=False)
class Statement:
    """One top-level statement of a code cell, with its parsed node and original text."""

    cell: int
    index: int  # position in the whole notebook's statement sequence
    line: int  # first line within the cell (1-based)
    end_line: int
    col: int
    node: ast.stmt
    source: str  # the statement's Python text as parsed (magics already masked)
    magic: Optional[Magic] = None  # set when this statement stands for masked IPython syntax


@frozen
class ParsedCell:
    """A code cell after masking IPython syntax and parsing."""

    cell: Cell
    python: str  # the masked, parseable source; same line count as cell.source
    statements: Tuple[Statement, ...]
    magics: Tuple[Magic, ...] = ()
    tree: Optional[ast.Module] = field(default=None, compare=False)


@frozen
class Finding:
    """A lint finding: rule code, message, where, and whether --fix may remove it."""

    location: Location
    code: str
    message: str
    severity: str = "warning"  # "error" or "warning"
    fixable: bool = False
    end_line: Optional[int] = None

    def sort_key(self):
        loc = self.location
        return (loc.path, loc.cell or 0, loc.line or 0, loc.col or 0, self.code)


class Rewrite(enum.Enum):
    """How lift must edit one kept statement, as the plan decided (Plan.rewrites)."""

    HYPER_DICT = "hyper-dict"  # `params = {"C": 1.0}`: the literal values become the step's keyword parameters
    HYPER_ARGS = "hyper-args"  # `SVC(C=1.0)`, `dump(m, "m.pkl")`: literal arguments become keyword parameters
    RAW_DATA = "raw-data"  # the scoring sample's value becomes run()'s `raw_data` argument
    DATA_LITERAL = "data-literal"  # a literal sample row in run() becomes the request's rows
    VALUE_ONLY = "value-only"  # `history = model.fit(...)` with the result never read: keep the call only
    RETURN = "return"  # run()'s shown answer becomes its return value
    RETURN_AFTER = "return-after"  # run() returns the name this statement assigns, after it
    BIND_METRIC = "bind-metric"  # a metric computed inline (`print("acc:", accuracy_score(...))`) gets a name first
