"""The compile check of a large conversion runs in a child process (progress.beside) while this one heads
the files: the same bytes as checking here, and the same one-line error when the generated code is broken."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.bench_convert import generated_notebook
from nb2prod import api
from nb2prod.convert import pipeline

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI in a process of its own: no pytest threads, so convert forks its checker as a user's run does."""
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("large") / "large.ipynb"
    path.write_text(json.dumps(generated_notebook(250)), encoding="utf-8")
    return path


def test_a_large_conversion_checked_in_a_child_writes_the_same_bytes_as_one_checked_here(large, tmp_path,
                                                                                         monkeypatch):
    done = _cli("convert", str(large), "-o", str(tmp_path / "forked"))
    assert done.returncode == 0, done.stderr
    written = {p.name: p.read_bytes() for p in (tmp_path / "forked").iterdir()}
    assert sum(len(text) for name, text in written.items() if name.endswith(".py")) > pipeline._FORK_ABOVE
    monkeypatch.setattr(pipeline, "_FORK_ABOVE", float("inf"))  # checked in this process
    [result] = api.convert([str(large)], str(tmp_path / "here"))
    assert result.error is None, result.error
    assert {p.name: p.read_bytes() for p in (tmp_path / "here").iterdir()} == written


def test_broken_code_from_a_large_template_is_the_same_one_line_error_checked_in_a_child(large, tmp_path):
    mine = tmp_path / "templates"
    mine.mkdir()  # a template whose output alone is past the threshold, and reads a name nothing defines
    (mine / "train.py.j2").write_text("{% for i in range(4000) %}# company boilerplate, line {{ i }}\n{% endfor %}"
                                      "def main(argv=None):\n    return undefined_helper(argv)\n")
    done = _cli("convert", str(large), "-o", str(tmp_path / "out"), "--templates", str(mine))
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [f"nb2prod: {mine}: template error: generated train.py: reads undefined "
                                        "name `undefined_helper` (in main, line 4002)"]
    assert not (tmp_path / "out").exists()
