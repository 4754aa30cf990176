"""Property tests: random realistic notebooks and corrupted real ones never crash nb2prod.

Examples per property: NB2PROD_PROPERTY_EXAMPLES (default 40, for CI); e.g. 1000 for a long run.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb2prod import api
from nb2prod.errors import Nb2prodError
from tests.build import python_files
from tests.strategies import cells, corruption, notebook_json

EXAMPLES = int(os.environ.get("NB2PROD_PROPERTY_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("NB2PROD_PROPERTY_EXAMPLES"),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
REFERENCE = Path(__file__).resolve().parents[1] / "examples" / "diabetes_ridge" / "training.ipynb"


def convert_text(tmp_path: Path, data: bytes, name: str = "nb.ipynb"):
    path = tmp_path / name
    path.write_bytes(data)
    [result] = api.convert([str(path)], str(tmp_path / "out"), dry_run=True)  # anything but Nb2prodError fails
    return path, result


def code_lines(cell_list) -> list:
    return [(i, n) for i, (kind, src) in enumerate(cell_list, 1) if kind == "code"
            for n, line in enumerate(src.split("\n"), 1) if line.strip()]


def check_converted(result, expected_lines) -> None:
    for name, text in python_files(result):
        compile(text, name, "exec")
    seen = sorted((f.cell, f.line) for f in result.fates)
    assert seen == expected_lines


@SETTINGS
@given(cell_list=cells())
def test_random_notebooks_convert_or_refuse_cleanly(tmp_path, cell_list):
    path, result = convert_text(tmp_path, notebook_json(cell_list).encode("utf-8"))
    if result.error is not None:
        assert isinstance(result.error, Nb2prodError)
        assert str(result.error).startswith(str(path))
        return
    check_converted(result, code_lines(cell_list))
    [again] = api.convert([str(path)], str(tmp_path / "out"), dry_run=True)
    assert again.texts == result.texts  # converting twice gives identical bytes


@SETTINGS
@given(data=st.data())
def test_corrupted_reference_notebook_never_crashes(tmp_path, data):
    broken = data.draw(corruption(REFERENCE.read_bytes()))
    path, result = convert_text(tmp_path, broken)
    if result.error is not None:
        assert isinstance(result.error, Nb2prodError)
        assert "\n" not in str(result.error) or result.error.exit_code == 1
        return
    for name, text in python_files(result):
        compile(text, name, "exec")


@SETTINGS
@given(cell_list=cells(), seed=st.integers(0, 2**16))
def test_lint_findings_stable_when_unrelated_cells_move(tmp_path, cell_list, seed):
    """Cells that only print literals share no names with the rest; moving them changes no other finding."""
    from nb2prod.lint.engine import lint_notebook
    from nb2prod.notebook.load import load_notebook_text

    unrelated = [("code", "print('hello')"), ("code", "print('✓ done')")]
    rng = random.Random(seed)
    moved = list(cell_list[1:])
    for cell in unrelated:
        moved.insert(rng.randint(0, len(moved)), cell)
    first = cell_list + unrelated
    second = [cell_list[0]] + moved

    def findings(cell_list_):
        nb = load_notebook_text("nb.ipynb", notebook_json(cell_list_))
        by_source = {c.index: c.source for c in nb.cells}
        return sorted((f.code, f.message, by_source.get(f.location.cell, ""), f.location.line)
                      for f in lint_notebook(nb))

    assert findings(first) == findings(second)
