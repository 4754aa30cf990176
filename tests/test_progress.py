"""Batches: the progress bar shows on a terminal only, and parallel results keep input order and bytes."""

from __future__ import annotations

import io
import os
import pickle
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod import api
from nb2prod.cli import main
from nb2prod.errors import CodeProblem
from nb2prod.model import Location
from nb2prod.convert.plan import CodeProblems
from nb2prod.progress import Progress, forked_map, parallel_map, wanted

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
INVALID = Path(__file__).resolve().parent / "data" / "invalid"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def square(x: int) -> int:
    return x * x


def test_parallel_map_keeps_input_order():
    ticks = []
    assert parallel_map(square, range(40), workers=2, advance=lambda: ticks.append(1)) == [x * x for x in range(40)]
    assert len(ticks) == 40


def test_few_items_run_in_this_process():
    assert parallel_map(square, [1, 2, 3]) == [1, 4, 9]


def test_bar_only_on_a_terminal_and_not_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert wanted(Terminal()) and not wanted(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not wanted(Terminal())


def test_bar_draws_and_clears(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    stream = Terminal()
    with Progress(10, "notebooks converted", steps=2, stream=stream) as bar:
        for _ in range(20):
            bar.advance()
    text = stream.getvalue()
    assert "10/10 notebooks converted" in text and text.endswith("\r\033[K")
    quiet = Terminal()
    with Progress(3, "few", stream=quiet) as bar:
        bar.advance()
    assert quiet.getvalue() == ""


def test_errors_cross_process_boundaries_whole():
    many = CodeProblems([CodeProblem("undefined name `reg`", Location("a.ipynb", 2, 4, 13)),
                         CodeProblem("undefined name `x`", Location("a.ipynb", 3, 1, 1))])
    back = pickle.loads(pickle.dumps(many))
    assert (type(back), str(back), back.exit_code) == (CodeProblems, str(many), 1)


def test_parallel_convert_is_identical_to_sequential(tmp_path):
    sources = sorted(EXAMPLES.glob("*/*.ipynb")) + sorted(INVALID.glob("*.ipynb"))[:4]
    notebooks = []
    for i, src in enumerate(sources):  # each in its own folder so every one can be written
        folder = tmp_path / "in" / f"{i:02d}"
        folder.mkdir(parents=True)
        notebooks.append(str(shutil.copy(src, folder / src.name)))
    one = api.convert(notebooks, str(tmp_path / "one"), workers=1, dry_run=True)
    two = api.convert(notebooks, str(tmp_path / "two"), workers=2, dry_run=True)

    def key(results):
        return [(r.notebook, r.kind, str(r.error), r.fates, r.notices) for r in results]

    assert len(notebooks) > 4 and key(one) == key(two)
    for a, b in zip(one, two):
        assert {k: v.replace("/two", "/one") for k, v in b.texts.items()} == a.texts


# -- lint: forked workers and the progress bar -------------------------------------------------

FIXTURES = Path(__file__).resolve().parent / "rules" / "fixtures"


def pid_of(x: int, pause: float = 0.0):
    if x == 13:
        raise ValueError("thirteen")
    time.sleep(pause)  # long enough for the worker to start and take its share
    return (x, os.getpid())


def slow_pid_of(x: int):
    return pid_of(x, 0.02)


def test_forked_map_keeps_order_and_uses_other_processes():
    ticks = []
    out = forked_map(slow_pid_of, range(12), workers=2, weights=list(range(12)), advance=lambda: ticks.append(1),
                     encode=list, decode=tuple)
    assert [x for x, _ in out] == list(range(12)) and len(ticks) == 12
    assert {pid for _, pid in out} - {os.getpid()}, "no item ran in a worker"


def test_forked_map_raises_a_workers_error_here():
    with pytest.raises(ValueError, match="thirteen"):
        forked_map(pid_of, range(20), workers=2)


def test_forked_map_with_one_worker_runs_here():
    assert forked_map(pid_of, range(3), workers=1) == [(x, os.getpid()) for x in range(3)]


def test_bar_waits_for_its_delay(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    stream = Terminal()
    with Progress(0, "files linted", stream=stream, delay=60) as bar:
        bar.expect(10)
        for _ in range(10):
            bar.advance()
    assert stream.getvalue() == ""


def lint_inputs():
    return sorted(str(p) for p in FIXTURES.iterdir()) + sorted(str(p) for p in INVALID.glob("*.ipynb"))


def test_lint_draws_the_bar_on_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    stream = Terminal()
    paths = lint_inputs()
    with Progress(0, "files linted", stream=stream) as bar:
        report = api.lint(paths, progress=bar, workers=2)
    text = stream.getvalue()
    assert f"{len(paths)}/{len(paths)} files linted" in text and text.endswith("\r\033[K")
    assert report == api.lint(paths, workers=1)


def test_parallel_lint_is_identical_to_sequential(monkeypatch):
    monkeypatch.setattr("nb2prod.lint.batch.PARALLEL_BYTES", 0)
    paths = lint_inputs() + sorted(str(p) for p in EXAMPLES.glob("*/*.ipynb"))
    serial = api.lint(paths, workers=1)
    assert serial.findings and any(r.error for r in serial.files)
    assert api.lint(paths) == serial
    assert api.lint(paths, workers=3) == serial


def test_lint_prints_no_bar_into_a_pipe():
    result = CliRunner().invoke(main, ["lint", "--no-cache", *lint_inputs()])
    assert result.exit_code == 2 and "\r" not in result.output


_BESIDE = """
import os, sys, threading
from nb2prod.progress import beside

def positive(x):
    return x > 0

def fails_on_two(x):
    if x == 2:
        raise ValueError(x)
    return True

def dies(x):
    os.kill(os.getpid(), 9)

parent = os.getpid()
ran_in = []
def where(x):
    ran_in.append(os.getpid())  # in a child, this list is the child's copy
    return os.getpid() != parent

print(beside(positive, [1, 2, 3])(), beside(positive, [1, 0])(), beside(fails_on_two, [1, 2])(), beside(dies, [1])())
join = beside(where, [1])
print(join(), join(), ran_in)
stop = threading.Event()
threading.Thread(target=stop.wait).start()  # another thread: a fork is not safe, so none is made
print(beside(where, [1])(), ran_in)
stop.set()
"""


def test_beside_checks_in_a_child_and_says_false_when_a_check_fails_raises_or_dies_or_no_fork_is_safe():
    done = subprocess.run([sys.executable, "-c", _BESIDE], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True False False False", "True True []", "False []"]
