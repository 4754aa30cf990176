"""Time `nb2prod lint` against `ruff check` and `nbqa flake8` on a folder of notebooks.

Whole-process wall time, best of N runs (a process start is part of what users wait for).

    pip install nbqa flake8            # or: pip install -e '.[bench]'
    python benchmarks/bench_lint.py [FOLDER] [--runs 5]

FOLDER defaults to ../shared/corpus/pdsh. ruff runs with its default rule set (E4, E7, E9, F:
the closest to nb2prod's kind of checks) and --no-cache so every run does the full work.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent.parent / "shared" / "corpus" / "pdsh"


def best_of(command, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"no folder {folder}", file=sys.stderr)
        return 2
    notebooks = sorted(str(p) for p in folder.glob("*.ipynb"))
    py = sys.executable
    times = {
        "nb2prod --version": best_of([py, "-m", "nb2prod", "--version"], args.runs),
        "python -c pass": best_of([py, "-c", "pass"], args.runs),
        "nb2prod lint": best_of([py, "-m", "nb2prod", "lint", str(folder)], args.runs),
        "nb2prod lint -j 1": best_of([py, "-m", "nb2prod", "lint", "-j", "1", str(folder)], args.runs),
    }
    if shutil.which("ruff"):
        times["ruff check"] = best_of(["ruff", "check", "--no-cache", "--isolated", *notebooks], args.runs)
    if shutil.which("nbqa") and shutil.which("flake8"):
        times["nbqa flake8"] = best_of(["nbqa", "flake8", *notebooks], max(1, min(args.runs, 3)))
    print(f"{len(notebooks)} notebooks in {folder}, best of {args.runs} runs")
    for name, seconds in times.items():
        print(f"  {name:<20} {seconds:7.3f} s")
    lint = times["nb2prod lint"]
    if "ruff check" in times:
        print(f"  nb2prod lint / ruff check   = {lint / times['ruff check']:.2f}x (target <= 3x)")
    if "nbqa flake8" in times:
        print(f"  nbqa flake8 / nb2prod lint  = {times['nbqa flake8'] / lint:.1f}x faster (target >= 30x)")
    print(f"  nb2prod --version           = {times['nb2prod --version']:.3f} s (target < 0.1 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
