"""What a notebook's import aliases stand for: `plt` is matplotlib.pyplot, `read_csv` pandas.read_csv."""

from __future__ import annotations

import ast
from functools import partial
from typing import Callable, Dict, List, Optional


class Imports:
    """Alias -> full dotted name, from every import statement the walk met (a later one wins)."""

    def __init__(self) -> None:
        self.modules: Dict[str, str] = {}  # alias -> full dotted name
        # module_of(node): the dotted name a call target resolves to (`plt.plot` -> matplotlib.pyplot.plot);
        # resolve bound to the table, asked ~8,000 times a lint without a method call in between
        self.module_of: Callable[[ast.AST], Optional[str]] = partial(resolve, modules=self.modules)

    def add(self, node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            for a in node.names:
                self.modules[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif node.module and not node.level:
            for a in node.names:
                self.modules[a.asname or a.name] = f"{node.module}.{a.name}"

    def is_module(self, name: Optional[str]) -> bool:
        return name is not None and name in self.modules


def resolve(node: ast.AST, modules: Dict[str, str]) -> Optional[str]:
    """Dotted name `node` (`plt.plot`) resolves to through the aliases `modules`, None when its root is none."""
    root = node
    while root.__class__ is ast.Attribute:
        root = root.value
    if root.__class__ is not ast.Name or root.id not in modules:
        return None  # most calls: a method of a variable, decided without building a name
    parts: List[str] = []
    while node.__class__ is ast.Attribute:
        parts.append(node.attr)
        node = node.value
    return ".".join([modules[node.id]] + parts[::-1])


def aliases(nodes) -> Dict[str, str]:
    """Alias -> dotted name from the import statements among `nodes`."""
    imports = Imports()
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.add(node)
    return imports.modules
