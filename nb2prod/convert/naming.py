"""Names and paths the generated code picks: never one the notebook's code uses, never outside its folder."""

from __future__ import annotations

import keyword
import posixpath
import re
from pathlib import PurePosixPath


def module_alias(module: str, taken: set) -> str:
    """How the generated test names the script's module: `train`, unless the notebook has a variable
    called that (`train, test = train_test_split(df)`), which the test's own lines would rebind."""
    alias = module
    while alias in taken:
        alias += "_script"
    return alias


def inside(name: str) -> bool:
    """A relative path that stays inside the folder it is read from: `data/x.csv`, not `../data/x.csv`."""
    return not PurePosixPath(name).is_absolute() and not posixpath.normpath(name).startswith("..")


def free_name(base: str, taken: set) -> str:
    """`base`, or `cli_base` (`cli_cli_base`...) when taken: main()'s own variables."""
    name = base
    while name in taken:
        name = "cli_" + name
    return name


def numbered(base: str, taken: set) -> str:
    """`base`, or `base_2`, `base_3`... when taken."""
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def snake(name: str) -> str:
    """snake_case of a class or file name, for test names: `RandomForestRegressor` → `random_forest_regressor`."""
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    text = re.sub(r"[^a-z0-9_]+", "_", text).strip("_") or "model"
    return text + "_" if keyword.iskeyword(text) else text
