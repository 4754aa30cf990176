"""Time `nb2prod lint` against `ruff check` and `nbqa flake8` on a folder of notebooks.

Whole-process wall time, best of N runs (a process start is part of what users wait for), and
beside it the CPU time (user + system) of the best run, which a busy machine disturbs less.

    pip install nbqa flake8            # or: pip install -e '.[bench]'
    python benchmarks/bench_lint.py [FOLDER] [--runs 5] [--scale 20] [--against REV]

FOLDER defaults to ../shared/corpus/pdsh. Rows come in like-for-like pairs:

- cold: `nb2prod lint --no-cache` vs `ruff check --no-cache`: every file is linted.
- warm: `nb2prod lint` vs `ruff check`, each with its cache filled by an earlier run and the
  files unchanged (the common case of re-running a linter).
- nbqa flake8 has no cache: its one time is compared with both.

- at scale (`--scale N`): the folder copied N times into a temporary folder (20 copies of pdsh
  are 1,340 notebooks, 27 MB), cold nb2prod against cold ruff: what a repository with
  thousands of notebooks waits for in CI, where the start-up cost no longer matters.

ruff runs with its default rule set (E4, E7, E9, F: the closest to nb2prod's kind of checks).
Python runs from bytecode as it does once installed (PYTHONDONTWRITEBYTECODE is dropped and
.pyc files go to a temporary PYTHONPYCACHEPREFIX, so the tree stays clean); one row shows a run
that compiles every module instead. Caches live in a temporary folder, never in FOLDER.

- against an earlier revision (`--against REV`, a git revision or a checkout's directory): cold
  lint with the default workers and with `-j 1`, and warm lint, run from this tree and from REV in
  alternation (benchmarks/against.py); each row gives this tree's time over REV's, and the run
  fails (exit 1) when one takes more than 10 % longer (wall time).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from against import timed

HERE = Path(__file__).resolve().parent
DEFAULT = HERE.parent.parent / "shared" / "corpus" / "pdsh"


def best_of(command, runs: int, env=None):
    """(wall seconds, CPU seconds) of the fastest of `runs` runs, after one warm-up run."""
    timed(command, env=env)
    return min(timed(command, env=env)[:2] for _ in range(runs))


def environments(tmp: str):
    """(bytecode env, no-bytecode env): both keep caches in `tmp`."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    base["NB2PROD_CACHE_DIR"] = os.path.join(tmp, "nb2prod_cache")
    compiled = dict(base, PYTHONPYCACHEPREFIX=os.path.join(tmp, "pyc"))
    source = dict(base, PYTHONPYCACHEPREFIX=os.path.join(tmp, "empty"), PYTHONDONTWRITEBYTECODE="1")
    return compiled, source


def measure(folder: Path, notebooks, runs: int, tmp: str) -> dict:
    py = sys.executable
    env, no_pyc = environments(tmp)
    lint = [py, "-m", "nb2prod", "lint"]
    times = {
        "python -c pass": best_of([py, "-c", "pass"], runs, env),
        "nb2prod --version": best_of([py, "-m", "nb2prod", "--version"], runs, env),
        "cold nb2prod lint --no-cache": best_of(lint + ["--no-cache", str(folder)], runs, env),
        "cold nb2prod, no .pyc": best_of(lint + ["--no-cache", str(folder)], runs, no_pyc),
        "warm nb2prod lint": best_of(lint + [str(folder)], runs, env),
    }
    if shutil.which("ruff"):
        ruff = ["ruff", "check", "--isolated", "--cache-dir", os.path.join(tmp, "ruff_cache")]
        times["cold ruff check --no-cache"] = best_of(ruff + ["--no-cache", *notebooks], runs, env)
        times["warm ruff check"] = best_of(ruff + notebooks, runs, env)
    if shutil.which("nbqa") and shutil.which("flake8"):
        times["nbqa flake8 (no cache)"] = best_of(["nbqa", "flake8", *notebooks], max(1, min(runs, 3)), env)
    return times


def at_scale(folder: Path, copies: int, runs: int, tmp: str) -> dict:
    """Cold nb2prod and cold ruff on `copies` copies of the folder's notebooks."""
    root = Path(tmp, "scale")
    for i in range(copies):
        shutil.copytree(folder, root / f"copy{i:03d}", ignore=shutil.ignore_patterns(".*"))
    env, _ = environments(tmp)
    runs = max(1, min(runs, 3))
    times = {"nb2prod lint --no-cache": best_of([sys.executable, "-m", "nb2prod", "lint", "--no-cache", str(root)],
                                                runs, env)}
    if shutil.which("ruff"):
        times["ruff check --no-cache"] = best_of(["ruff", "check", "--isolated", "--no-cache", str(root)], runs, env)
    return times


AGAINST = {
    "cold nb2prod lint --no-cache": ["--no-cache"],
    "cold nb2prod lint -j 1": ["-j", "1", "--no-cache"],
    "warm nb2prod lint": [],
}


def against(folder: Path, rev: str, runs: int, tmp: str) -> bool:
    """This tree's lint rows against REV's, interleaved; True when none is more than 10 % slower."""
    from against import checkout, environment, interleaved, report, revision

    env, _ = environments(tmp)
    with checkout(rev) as other:
        trees = {"this": HERE.parent, "other": other}
        commands = {(label, side): ([sys.executable, "-m", "nb2prod", "lint", *extra, str(folder)], tree,
                                    environment(tree, env, Path(tmp, f"cache_{side}")))
                    for label, extra in AGAINST.items() for side, tree in trees.items()}
        best = interleaved(commands, runs)
        rows = [(label, best[label, "this"], best[label, "other"]) for label in AGAINST]
        return report(rows, revision(HERE.parent), f"{rev} ({revision(other)})", runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=int, default=0, metavar="N",
                        help="also lint N copies of the folder at once (cold nb2prod vs cold ruff)")
    parser.add_argument("--against", metavar="REV",
                        help="also time this tree's lint against REV's (a git revision or a checkout), interleaved")
    args = parser.parse_args()
    folder = Path(args.folder).resolve()
    if not folder.is_dir():
        print(f"no folder {folder}", file=sys.stderr)
        return 2
    notebooks = sorted(str(p) for p in folder.glob("*.ipynb"))
    with tempfile.TemporaryDirectory(prefix="bench_lint_") as tmp:
        times = measure(folder, notebooks, args.runs, tmp)
    print(f"{len(notebooks)} notebooks in {folder}, best of {args.runs} runs after one warm-up, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"  {'':<30} {'wall':>7}   {'cpu':>7}")
    for name, (wall, cpu) in times.items():
        print(f"  {name:<30} {wall:7.3f} s {cpu:7.3f} s")
    _ratios({name: wall for name, (wall, _) in times.items()})
    if args.scale > 0:
        with tempfile.TemporaryDirectory(prefix="bench_lint_scale_") as tmp:
            scaled = at_scale(folder, args.scale, args.runs, tmp)
        count = len(notebooks) * args.scale
        print(f"at scale: {args.scale} copies, {count} notebooks, best of {max(1, min(args.runs, 3))}")
        for name, (wall, cpu) in scaled.items():
            print(f"  {name:<30} {wall:7.3f} s {cpu:7.3f} s  ({count / wall:,.0f} notebooks/s)")
        if "ruff check --no-cache" in scaled:
            ratio = scaled["nb2prod lint --no-cache"][0] / scaled["ruff check --no-cache"][0]
            print(f"  at scale: nb2prod / ruff      = {ratio:.2f}x")
    if args.against:
        with tempfile.TemporaryDirectory(prefix="bench_lint_against_") as tmp:
            if not against(folder, args.against, args.runs, tmp):
                return 1
    return 0


def _ratios(times: dict) -> None:
    cold, warm = times["cold nb2prod lint --no-cache"], times["warm nb2prod lint"]
    if "cold ruff check --no-cache" in times:
        print(f"  cold: nb2prod / ruff          = {cold / times['cold ruff check --no-cache']:.2f}x (target <= 3x)")
        print(f"  warm: nb2prod / ruff          = {warm / times['warm ruff check']:.2f}x (target <= 3x)")
    if "nbqa flake8 (no cache)" in times:
        nbqa = times["nbqa flake8 (no cache)"]
        print(f"  nbqa flake8 / cold nb2prod    = {nbqa / cold:.1f}x faster (target >= 30x)")
        print(f"  nbqa flake8 / warm nb2prod    = {nbqa / warm:.1f}x faster (nbqa has no cache)")
    print(f"  nb2prod --version             = {times['nb2prod --version']:.3f} s (target < 0.1 s)")


if __name__ == "__main__":
    sys.exit(main())
