"""Batches: the progress bar shows on a terminal only, and parallel results keep input order and bytes."""

from __future__ import annotations

import io
import pickle
import shutil
from pathlib import Path

from nb2prod import api
from nb2prod.errors import CodeProblem
from nb2prod.model import Location
from nb2prod.plan import CodeProblems
from nb2prod.progress import Progress, parallel_map, wanted

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
