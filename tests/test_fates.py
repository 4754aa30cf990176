"""Where each notebook line went (explain.Fates): the drops are known at once, the kept lines' places in the
formatted script only when asked for, which costs a parse of the whole script that a plain convert skips."""

from __future__ import annotations

import ast
import pickle
import re
import shutil
from pathlib import Path

from nb2prod import api
from nb2prod.convert import format as formatting
from nb2prod.report.convert import explain_lines, lines

ROOT = Path(__file__).resolve().parents[1]
IRIS = ROOT / "examples" / "iris_pipeline"


def _converted(tmp_path, monkeypatch):
    shutil.copy(IRIS / "training.ipynb", tmp_path / "training.ipynb")
    calls = []
    real = formatting.moved_lines
    monkeypatch.setattr(formatting, "moved_lines", lambda *a: calls.append(a) or real(*a))
    [result] = api.convert([str(tmp_path / "training.ipynb")], str(tmp_path / "out"))
    assert result.error is None
    return result, calls


def test_a_plain_convert_reports_its_drops_without_placing_the_kept_lines(tmp_path, monkeypatch):
    result, calls = _converted(tmp_path, monkeypatch)
    summary = list(lines([result]))
    assert any(line.startswith("  dropped ") for line in summary)
    assert len(result.fates) > len(result.fates.dropped) > 0
    assert calls == []  # nothing asked where a kept line went


def test_explain_places_the_kept_lines_once_and_its_answer_does_not_change(tmp_path, monkeypatch):
    result, calls = _converted(tmp_path, monkeypatch)
    explained = explain_lines(result.fates)
    assert len(calls) == 1
    assert explain_lines(result.fates) == explained and len(calls) == 1
    placed = [(f, int(m[1])) for f in result.fates if f.kept and (m := re.match(r"train\.py:(\d+) in ", f.where))]
    assert placed, "kept lines are placed in train.py"
    script = (tmp_path / "out" / "train.py").read_text(encoding="utf-8").splitlines()
    checked = 0
    for fate, number in placed:  # a line that is a whole statement: the line named is where it starts
        try:
            whole = len(ast.parse(fate.text.strip()).body) == 1
        except SyntaxError:
            continue
        first = re.match(r"[A-Za-z_]\w*", fate.text.strip())
        if whole and first:
            assert first[0] in script[number - 1], (fate, script[number - 1])
            checked += 1
    assert checked >= 5
    assert [f for f in result.fates if not f.kept] == list(result.fates.dropped)


def test_fates_cross_process_boundaries_placed_or_not(tmp_path, monkeypatch):
    result, _ = _converted(tmp_path, monkeypatch)
    unplaced = pickle.loads(pickle.dumps(result.fates))  # as worker processes send them
    assert unplaced == result.fates and unplaced.dropped == result.fates.dropped
    placed = pickle.loads(pickle.dumps(result.fates))
    assert tuple(placed) == tuple(result.fates)
