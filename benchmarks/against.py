"""Time the same nb2prod command from this checkout and from an earlier one, interleaved.

bench_lint.py and bench_convert.py take `--against REV` (a git revision, or a directory holding a
checkout): each nb2prod row is then run from both trees in alternation, one run of each per round, so
both see the same machine load, and the report gives this tree's time over the other's. The target
that says "no slowdown beyond 10 %" is checked on the best wall time of each: what a user waits for.
CPU time is shown beside it; it adds up every process, so work moved to a second core (lint's
workers, convert's compile check beside the formatting of a large notebook) raises it without
making anyone wait longer.

Each tree runs as it would once installed: `python -m nb2prod` with the tree first on PYTHONPATH and
as the working directory (`-m` puts the working directory first on sys.path), from bytecode compiled
under the benchmark's PYTHONPYCACHEPREFIX (kept apart per tree by their paths), and with its own
NB2PROD_CACHE_DIR, so one tree never reads the other's cache.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.10


@contextmanager
def checkout(rev: str):
    """A directory holding nb2prod at `rev`: `rev` itself if it is such a directory, else a temporary git worktree."""
    given = Path(rev)
    if (given / "nb2prod" / "__init__.py").is_file():
        yield given.resolve()
        return
    tmp = Path(tempfile.mkdtemp(prefix="nb2prod-against-"))
    tree = tmp / "tree"
    try:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(tree), rev],
                       check=True, stdout=subprocess.DEVNULL)
        yield tree
    finally:
        if tree.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(tmp, ignore_errors=True)


def revision(tree: Path) -> str:
    """The short commit a tree is at, with `+` when it has uncommitted changes ("?" outside git)."""
    head = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode:
        return "?"
    dirty = subprocess.run(["git", "-C", str(tree), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return head.stdout.strip() + ("+" if dirty else "")


def environment(tree: Path, base: dict, cache: Path) -> dict:
    """`base` with `tree` first on PYTHONPATH and nb2prod's caches in `cache`.

    Checked: a child started from `tree` with it imports `tree`'s nb2prod (an installed copy would
    otherwise make both sides of the comparison the same code).
    """
    path = os.pathsep.join([str(tree), *filter(None, [base.get("PYTHONPATH")])])
    env = dict(base, PYTHONPATH=path, NB2PROD_CACHE_DIR=str(cache))
    found = subprocess.run([sys.executable, "-c", "import nb2prod; print(nb2prod.__file__)"], cwd=tree, env=env,
                           capture_output=True, text=True).stdout.strip()
    if Path(found).resolve() != (tree / "nb2prod" / "__init__.py").resolve():
        raise SystemExit(f"against: a child run from {tree} imports nb2prod from {found or 'nowhere'}")
    return env


def timed(argv: list, cwd=None, env=None):
    """(wall seconds, CPU seconds of the child and its children, exit status) of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    rc = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, rc


def interleaved(runs: dict, rounds: int) -> dict:
    """Best (wall, CPU) seconds and exit status per name of `runs` {name: (argv, cwd, env)}.

    Every command runs once as a warm-up (bytecode, caches), then once per round, in turn.
    """
    best = {}
    for name, (argv, cwd, env) in runs.items():
        _, _, rc = timed(argv, cwd, env)
        best[name] = (float("inf"), float("inf"), rc)
    for _ in range(rounds):
        for name, (argv, cwd, env) in runs.items():
            wall, cpu, rc = timed(argv, cwd, env)
            old = best[name]
            best[name] = (min(old[0], wall), min(old[1], cpu), old[2] or rc)
    return best


def report(rows: list, this: str, other: str, rounds: int) -> bool:
    """Print one line per row (label, this tree's best, the other's) and whether all are within the target.

    A row fails when either tree exits with status 2 or more (unusable input, a crash): 1 only means findings.
    """
    print(f"against {other}: this tree {this}, best of {rounds} interleaved rounds, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  {'':<30} {'wall':>7} {'was':>7} {'ratio':>6}   {'cpu':>7} {'was':>7} {'ratio':>6}")
    within = True
    for label, mine, theirs in rows:
        wall, cpu = mine[0] / theirs[0], mine[1] / theirs[1]
        failed = "" if 0 <= mine[2] <= 1 and 0 <= theirs[2] <= 1 else f"  (exit {mine[2]}/{theirs[2]})"
        print(f"  {label:<30} {mine[0]:7.3f} {theirs[0]:7.3f} {wall:5.2f}x   "
              f"{mine[1]:7.3f} {theirs[1]:7.3f} {cpu:5.2f}x{failed}")
        within = within and wall <= TARGET and not failed
    worst = max(m[0] / t[0] for _, m, t in rows)
    verdict = "met" if within else "MISSED"
    print(f"  slowest wall ratio {worst:.2f}x: no slowdown beyond {100 * (TARGET - 1):.0f} % against {other} — "
          f"{verdict}")
    return within
