"""Precision and recall of nb2prod's exploration verdicts against line-level truth.

    python benchmarks/exploration_truth.py [FOLDER ...]

FOLDER defaults to tests/data/unseen and tests/data/unseen13: notebooks beside a
`<name>.truth.json` (`{"exploration": ["cell:line", ...]}`, cells counted from 1 with markdown).
Two verdicts are scored, line by line: (a) lint's NB1 findings (every line of the statement a
finding covers) and (b) the lines `convert --dry-run` drops with an exploration code (NB1xx,
NB2xx, NB4xx). Imports are outside the truth (they follow what uses them) and are not scored.
Two counts say what must never go: lines of a held-out evaluation (analysis/metrics, with the
statements that show what it computed: `holdout` after `holdout = evaluate(...)`) that lint flags
or convert drops, and logging/tracking lines flagged or dropped.
"""

from __future__ import annotations

import ast
import json
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence, Set, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nb2prod import api  # noqa: E402
from nb2prod.analysis.dataflow import flow  # noqa: E402
from nb2prod.lint.engine import lint_notebook, parse_all  # noqa: E402
from nb2prod.notebook.load import load  # noqa: E402
from nb2prod.rules._metrics import compute  # noqa: E402

FOLDERS = (ROOT / "tests" / "data" / "unseen", ROOT / "tests" / "data" / "unseen13")
EXPLORATION_CODES = ("NB1", "NB2", "NB4")
REPORTED = "NB903"  # a bare `holdout` showing the evaluation: train.py's metric report shows it instead
EFFECT_LINE = re.compile(r"\b(logger|logging|log|mlflow|wandb|warnings|structlog)\.|\brun\.(log|finish)\b")
Line = Tuple[int, int]


@dataclass
class Scored:
    """One notebook's lines: the truth, what each verdict marks, and the lines that must never go."""

    name: str
    truth: Set[Line]
    lint: Set[Line]
    convert: Set[Line]
    held_out: Set[Line] = field(default_factory=set)
    effects: Set[Line] = field(default_factory=set)
    convert_held_out: Dict[Line, str] = field(default_factory=dict)  # held-out lines convert drops, with the code


def statement_lines(path: Path):
    """(every statement's lines, import lines, held-out evaluation lines) of a notebook."""
    nb = load(str(path))
    statements = [st for pc in parse_all(nb) for st in pc.statements]
    nodes = [st.node for st in statements]
    held = compute(nodes, [flow(n) for n in nodes]).evaluations  # and the statements showing what they computed
    imports, evaluation = set(), set()
    for i, st in enumerate(statements):
        lines = {(st.cell, n) for n in range(st.line, st.end_line + 1)}
        if isinstance(st.node, (ast.Import, ast.ImportFrom)):
            imports |= lines
        if i in held:
            evaluation |= lines
    return nb, imports, evaluation


def score(path: Path) -> Scored:
    truth = {tuple(map(int, at.split(":"))) for at in json.loads(path.with_suffix(".truth.json").read_text())["exploration"]}
    nb, imports, held_out = statement_lines(path)
    lint = set()
    for f in lint_notebook(nb):
        if f.code.startswith("NB1"):
            lint |= {(f.location.cell, n) for n in range(f.location.line, (f.end_line or f.location.line) + 1)}
    with tempfile.TemporaryDirectory() as out:
        [result] = api.convert([str(path)], out, dry_run=True)
        if result.error is not None:  # a notebook that saves nothing: judged as the training it is
            [result] = api.convert([str(path)], out, dry_run=True, kind="training")
    if result.error is not None:
        raise SystemExit(f"{path}: {result.error}")
    dropped = {(x.cell, x.line): x.code for x in result.fates if not x.kept}
    convert = {at for at, code in dropped.items() if code.startswith(EXPLORATION_CODES)}
    source = {(c.index, n): text for c in nb.code_cells for n, text in enumerate(c.source.split("\n"), 1)}
    effects = {at for at, text in source.items() if EFFECT_LINE.search(text)}
    return Scored(path.stem, truth - imports, lint - imports, convert - imports, held_out, effects,
                  {at: code for at, code in dropped.items() if at in held_out})


def figures(scored: Sequence[Scored], verdict: str) -> Dict[str, float]:
    hits = sum(len(s.truth & getattr(s, verdict)) for s in scored)
    marked = sum(len(getattr(s, verdict)) for s in scored)
    truth = sum(len(s.truth) for s in scored)
    return {"precision": hits / max(marked, 1), "recall": hits / max(truth, 1), "hits": hits, "marked": marked,
            "truth": truth, "held_out": sum(len(s.held_out & getattr(s, verdict)) for s in scored),
            "effects": sum(len(s.effects & getattr(s, verdict)) for s in scored)}


def notebooks(folders: Sequence[Path]) -> List[Path]:
    return [p for folder in folders for p in sorted(folder.glob("*.ipynb")) if p.with_suffix(".truth.json").exists()]


def main(argv: Sequence[str]) -> int:
    folders = [Path(a) for a in argv] or list(FOLDERS)
    scored = [score(p) for p in notebooks(folders)]
    print(f"{len(scored)} notebooks with line-level truth in {', '.join(str(f) for f in folders)}")
    for verdict, label in (("lint", "lint NB1 findings"), ("convert", "convert exploration drops")):
        f = figures(scored, verdict)
        print(f"  {label:<26} precision {f['precision']:.3f}  recall {f['recall']:.3f}  "
              f"({f['hits']} of {f['marked']} marked, {f['truth']} exploration lines)")
        print(f"  {'':<26} held-out metric lines marked {f['held_out']}, logging/tracking lines marked {f['effects']}")
    dropped = sum(1 for s in scored for code in s.convert_held_out.values() if code != REPORTED)
    replaced = sum(1 for s in scored for code in s.convert_held_out.values() if code == REPORTED)
    print(f"  held-out metric lines convert drops with any code (NB901 included): {dropped}; "
          f"shows main()'s metric report replaces ({REPORTED}): {replaced}")
    for s in scored:
        missed, wrong = sorted(s.truth - s.lint), sorted(s.lint - s.truth)
        if missed or wrong:
            print(f"    {s.name}: lint misses {missed or '-'}; lint over-flags {wrong or '-'}")
        if s.convert_held_out:
            print(f"    {s.name}: held-out metric lines convert leaves out {sorted(s.convert_held_out.items())}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
