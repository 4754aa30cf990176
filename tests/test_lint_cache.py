"""The lint cache: a warm run prints what a cold run prints, and any change of input or settings misses."""

from __future__ import annotations

import dataclasses

import pytest
from click.testing import CliRunner

from nb2prod.lint import files, results
from nb2prod.lint.cache import FOLDER
from nb2prod.cli import main
from nb2prod.model import Finding, Location

DIRTY = "# %%\nimport pandas as pd\ndf = pd.read_csv('d.csv')\n# %%\ndf.head()\nprint(df.shape)\n"


def run(*args):
    return CliRunner().invoke(main, ["lint", *args], catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NB2PROD_CACHE_DIR", raising=False)
    (tmp_path / "dirty.py").write_text(DIRTY)
    (tmp_path / "clean.py").write_text("x = 1\nprint(x)\n")
    return tmp_path


def test_warm_run_prints_what_the_cold_run_printed(project, monkeypatch):
    cold = run(".")
    assert (project / FOLDER / ".gitignore").read_text().endswith("*\n")
    monkeypatch.setattr(files, "lint_file", lambda path, *a, **k: pytest.fail(f"{path} was linted again"))
    warm = run(".")
    assert (warm.exit_code, warm.output) == (cold.exit_code, cold.output)
    assert warm.exit_code == 1


def test_changed_bytes_are_linted_again(project):
    run(".")
    (project / "clean.py").write_text("x = 1\nx\n")
    assert "clean.py:2:1: NB103" in run(".").output


def test_selection_is_part_of_the_key(project):
    only_prints = run("--select", "NB102", ".").output
    assert "NB101" not in only_prints and "NB102" in only_prints
    assert "NB101" in run(".").output


def test_no_cache_reads_and_writes_nothing(project, monkeypatch):
    run("--no-cache", ".")
    assert not (project / FOLDER).exists()
    run(".")
    calls = []
    real = files.lint_file
    monkeypatch.setattr(files, "lint_file", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    run("--no-cache", ".")
    assert sorted(calls) == ["clean.py", "dirty.py"]


def test_unreadable_cache_is_ignored_and_replaced(project):
    cold = run(".")
    for f in (project / FOLDER).glob("lint-*"):
        f.write_bytes(b"\x00not marshal")
    assert run(".").output == cold.output
    assert run(".").output == cold.output


def test_unwritable_cache_folder_is_skipped(project, monkeypatch):
    (project / "blocker").write_text("a file, not a folder")
    monkeypatch.setenv("NB2PROD_CACHE_DIR", str(project / "blocker" / "cache"))
    first, second = run("."), run(".")
    assert first.output == second.output and "NB101" in first.output


def test_fix_bypasses_the_cache(project):
    run(".")
    result = run("--fix", ".")
    assert "Fixed" in result.output
    assert "df.head()" not in (project / "dirty.py").read_text()


def test_payload_carries_every_finding_field():
    finding = Finding(Location("a.ipynb", 3, 4, 5), "NB101", "message", "error", True, 7)
    result = results.FileResult("a.ipynb", (finding,))
    assert results.from_payload("a.ipynb", results.to_payload(result)) == result
    assert [f.name for f in dataclasses.fields(Finding)] == [
        "location", "code", "message", "severity", "fixable", "end_line"]
    assert [f.name for f in dataclasses.fields(Location)] == ["path", "cell", "line", "col"]
