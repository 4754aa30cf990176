"""Issue 13's unseen set: lint's exploration verdicts against line-level truth written by judgement
(tests/data/unseen13/build.py), scored by benchmarks/exploration_truth.py over both unseen folders."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SPEC = importlib.util.spec_from_file_location("exploration_truth", ROOT / "benchmarks" / "exploration_truth.py")
truth = sys.modules.setdefault("exploration_truth", importlib.util.module_from_spec(_SPEC))
_SPEC.loader.exec_module(truth)


def _scored():
    paths = truth.notebooks(truth.FOLDERS)
    assert len([p for p in paths if p.parent.name == "unseen13"]) >= 12
    return [truth.score(p) for p in paths]


def test_lint_exploration_recall_and_precision():
    scored = _scored()
    lint = truth.figures(scored, "lint")
    print(f"lint NB1: precision {lint['precision']:.3f}, recall {lint['recall']:.3f}")
    assert lint["recall"] >= 0.9, lint
    assert lint["precision"] >= 0.97, lint
    assert lint["effects"] == 0, "a logging or tracking line is flagged as exploration"
    assert lint["held_out"] == 0, "a line of the held-out evaluation is flagged as exploration"


def test_convert_never_drops_logging_or_tracking_as_exploration():
    convert = truth.figures(_scored(), "convert")
    assert convert["effects"] == 0
    assert convert["held_out"] == 0
