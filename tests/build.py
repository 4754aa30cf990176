"""Build small notebooks for tests: a list of cells, markdown ones starting with '#'-headings or 'md:'."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Optional


def notebook_json(cells: Iterable, language: str = "python") -> str:
    out = []
    for i, cell in enumerate(cells):
        if isinstance(cell, dict):
            out.append(cell)
            continue
        kind = "markdown" if cell.startswith(("#", "md:")) else "code"
        text = cell[3:] if cell.startswith("md:") else cell
        entry = {"cell_type": kind, "id": f"c{i}", "metadata": {}, "source": text}
        if kind == "code":
            entry.update(execution_count=None, outputs=[])
        out.append(entry)
    meta = {"kernelspec": {"name": language, "display_name": language, "language": language},
            "language_info": {"name": language}}
    return json.dumps({"cells": out, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}, indent=1)


def write_notebook(path: Path, cells: Iterable, language: str = "python") -> Path:
    path.write_text(notebook_json(cells, language), encoding="utf-8")
    return path


def code(source: str, printed: Optional[str] = None, tags=()) -> dict:
    outputs = [{"output_type": "stream", "name": "stdout", "text": printed}] if printed else []
    return {"cell_type": "code", "id": f"x{abs(hash(source)) % 10**8}", "metadata": {"tags": list(tags)},
            "execution_count": None, "outputs": outputs, "source": source}


def python_files(result):
    """The generated Python files of a convert result (name, text): not its requirements or YAML files."""
    return [(name, text) for name, text in result.texts.items() if name.endswith(".py")]
