"""Time `nb2prod convert` against `jupyter nbconvert --to script`, as whole processes, with peak memory.

Inputs: generated training notebooks of 100, 1,000 and 2,000 code cells (mixed cells under headings),
and the MLOpsPython training notebook with its `reg` bug fixed in a temporary copy.

    python benchmarks/bench_convert.py [--runs 3] [--sizes 100,1000,2000] [--keep DIR]
    python benchmarks/bench_convert.py --linear [--runs 1]   # nb2prod alone at 1,000 to 10,000 cells
    python benchmarks/bench_convert.py --against REV          # also: this tree's convert over REV's

Each run is one child process started by a fresh wrapper process that reports the child's wall time
and `ru_maxrss` (RUSAGE_CHILDREN), so memory is the peak of that child alone. Best of N is reported,
after one warm-up run. As in bench_lint.py, Python runs from bytecode as it does once installed
(PYTHONDONTWRITEBYTECODE is dropped and .pyc files go to a temporary PYTHONPYCACHEPREFIX, so the tree
stays clean) and convert's caches live in the temporary folder (NB2PROD_CACHE_DIR): the figures are
those of a second run, not of compiling nb2prod's modules or filling its caches.
Targets (issue 6): 2,000 cells < 3 s and < 150 MiB; linear growth; MLOps training <= 0.6x nbconvert.
`--linear` converts 1,000, 2,000, 5,000 and 10,000 cells and prints the marginal ms per cell of
1,000 -> 2,000 and of 5,000 -> 10,000 and their ratio (issue 12: at most 1.3, i.e. linear).
`--against REV` (a git revision or a checkout's directory) also converts every input from this tree
and from REV in alternation (benchmarks/against.py) and gives this tree's time over REV's per input;
the run fails (exit 1) when one takes more than 10 % longer, in wall time (issue 13).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MLOPS = ROOT.parent / "shared" / "reference" / "mlopspython" / "Diabetes Ridge Regression Training.ipynb"
WRAPPER = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": rc, "s": seconds, "cpu": usage.ru_utime + usage.ru_stime, "kib": usage.ru_maxrss}))
"""
HEADINGS = ["Load data", "Prepare features", "Split data", "Train model", "Evaluate", "Save model"]


def _block(i: int, rng: random.Random) -> list:
    """One experiment of ten code cells under headings; block i reads one column list of block i-1."""
    prev = f"cols_{i - 1}" if i else '["a", "b", "c"]'
    alpha = round(rng.uniform(0.1, 2.0), 2)
    cells = [
        ("md", f"{'#' * rng.randint(1, 3)} {HEADINGS[0]} {i}"),
        ("code", f'df_{i} = pd.read_csv("data_{i}.csv")\ndf_{i}.head()'),
        ("code", f"cols_{i} = list({prev})\ndf_{i} = df_{i}.dropna()"),
        ("md", f"## {HEADINGS[1]}"),
        ("code", f'X_{i} = df_{i}[cols_{i}].values\ny_{i} = df_{i}["y"].values\nprint(X_{i}.shape)'),
        ("md", f"## {HEADINGS[2]}"),
        ("code", f"X_train_{i}, X_test_{i}, y_train_{i}, y_test_{i} = train_test_split(\n"
                 f"    X_{i}, y_{i}, test_size=0.2, random_state={i})"),
        ("md", f"## {HEADINGS[3]}"),
        ("code", f"params_{i} = {{\"alpha\": {alpha}}}"),
        ("code", f"%time model_{i} = Ridge(**params_{i}).fit(X_train_{i}, y_train_{i})"),
        ("md", f"## {HEADINGS[4]}"),
        ("code", f"preds_{i} = model_{i}.predict(X_test_{i})"),
        ("code", f"mse_{i} = mean_squared_error(y_test_{i}, preds_{i})\nprint(f\"mse {{mse_{i}:.3f}}\")"),
        ("code", f"plt.scatter(y_test_{i}, preds_{i})"),
        ("md", f"## {HEADINGS[5]}"),
        ("code", f'joblib.dump(model_{i}, "model_{i}.pkl")'),
    ]
    return cells


def generated_notebook(code_cells: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    cells = [("md", "# Experiment"),
             ("code", "%matplotlib inline\nimport joblib\nimport matplotlib.pyplot as plt\nimport pandas as pd\n"
                      "from sklearn.linear_model import Ridge\nfrom sklearn.metrics import mean_squared_error\n"
                      "from sklearn.model_selection import train_test_split")]
    i = 0
    while sum(kind == "code" for kind, _ in cells) < code_cells:
        cells += _block(i, rng)
        i += 1
    out, count = [], 0
    for n, (kind, source) in enumerate(cells):
        if kind == "code":
            if count == code_cells:
                continue
            count += 1
        out.append(_cell(kind, source, n))
    return _notebook(out)


def _cell(kind: str, source: str, n: int) -> dict:
    cell = {"cell_type": "code" if kind == "code" else "markdown", "id": f"c{n}", "metadata": {},
            "source": source.splitlines(keepends=True)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _notebook(cells: list) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "cells": cells,
            "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
                         "language_info": {"name": "python"}}}


def mlops_fixed(folder: Path) -> Path:
    text = MLOPS.read_text(encoding="utf-8").replace("joblib.dump(value=reg,", "joblib.dump(value=reg_model,")
    path = folder / "mlops_training.ipynb"
    path.write_text(text, encoding="utf-8")
    return path


def measure(command: list, runs: int) -> dict:
    """Best wall and CPU time of `runs` children after a warm-up one, and the largest peak RSS among them (MiB)."""
    subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, check=True)
    best, cpu, peak, rc = float("inf"), float("inf"), 0.0, 0
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True, check=True)
        got = json.loads(out.stdout)
        best, cpu, peak, rc = min(best, got["s"]), min(cpu, got["cpu"]), max(peak, got["kib"] / 1024), rc or got["rc"]
    return {"s": best, "cpu": cpu, "mib": peak, "rc": rc}


def commands(path: Path, work: Path) -> dict:
    nbconvert = ["jupyter", "nbconvert"] if shutil.which("jupyter") else [sys.executable, "-m", "nbconvert"]
    out = work / f"out_{path.stem}"
    return {
        "nb2prod": [sys.executable, "-m", "nb2prod", "convert", str(path), "-o", str(out), "--force"],
        "nbconvert": [*nbconvert, "--to", "script", str(path), "--output-dir", str(work / "nbconvert"),
                      "--log-level", "ERROR"],
    }


def _environment(work: Path) -> None:
    """Children run from bytecode kept in `work`, with convert's caches there too (see the module docstring)."""
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pyc")
    os.environ["NB2PROD_CACHE_DIR"] = str(work / "nb2prod_cache")
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="100,1000,2000")
    parser.add_argument("--keep", help="write the generated notebooks into this folder and keep them")
    parser.add_argument("--linear", action="store_true", help="nb2prod alone at 1,000-10,000 cells: marginal ms/cell")
    parser.add_argument("--against", metavar="REV",
                        help="also time this tree's convert against REV's (a git revision or a checkout), interleaved")
    args = parser.parse_args()
    if args.linear:
        return linear(args.runs, args.keep)
    work = Path(args.keep or tempfile.mkdtemp(prefix="nb2prod-bench-")).resolve()
    work.mkdir(parents=True, exist_ok=True)
    _environment(work)
    inputs = []
    for size in (int(s) for s in args.sizes.split(",")):
        path = work / f"cells_{size}.ipynb"
        path.write_text(json.dumps(generated_notebook(size), indent=1) + "\n", encoding="utf-8")
        inputs.append((f"{size} cells", size, path))
    if MLOPS.is_file():
        inputs.append(("MLOps training", None, mlops_fixed(work)))
    else:
        print(f"(skipping the MLOps notebook: {MLOPS} not found)")
    rows = [(label, size, {tool: measure(cmd, args.runs) for tool, cmd in commands(path, work).items()})
            for label, size, path in inputs]
    _print(rows, args.runs)
    within = against(inputs, args.against, args.runs, work) if args.against else True
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if within and all(r["rc"] == 0 for _, _, m in rows for r in m.values()) else 1


def against(inputs: list, rev: str, runs: int, work: Path) -> bool:
    """This tree's convert of each input against REV's, interleaved; True when none is more than 10 % slower."""
    from against import checkout, environment, interleaved, report, revision

    with checkout(rev) as other:
        trees = {"this": ROOT, "other": other}
        commands = {(label, side): ([sys.executable, "-m", "nb2prod", "convert", str(path), "-o",
                                     str(work / f"out_{side}_{path.stem}"), "--force"],
                                    tree, environment(tree, dict(os.environ), work / f"cache_{side}"))
                    for label, _, path in inputs for side, tree in trees.items()}
        best = interleaved(commands, runs)
        rows = [(label, best[label, "this"], best[label, "other"]) for label, _, _ in inputs]
        return report(rows, revision(ROOT), f"{rev} ({revision(other)})", runs)


LINEAR_SIZES = (1000, 2000, 5000, 10000)
LINEAR_TARGET = 1.3


def linear(runs: int, keep=None) -> int:
    """Is convert linear? The marginal cost per cell at 5,000 -> 10,000 against 1,000 -> 2,000."""
    work = Path(keep or tempfile.mkdtemp(prefix="nb2prod-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    _environment(work)
    seconds = {}
    for size in LINEAR_SIZES:
        path = work / f"cells_{size}.ipynb"
        path.write_text(json.dumps(generated_notebook(size), indent=1) + "\n", encoding="utf-8")
        got = measure(commands(path, work)["nb2prod"], runs)
        seconds[size] = got["cpu"]  # CPU time: on a shared machine wall time measures the neighbours too
        print(f"{size:>6} cells {got['s']:8.2f} s wall {got['cpu']:8.2f} s CPU {got['mib']:6.0f} MiB "
              f"{1000 * got['cpu'] / size:6.2f} CPU ms/cell"
              + ("" if got["rc"] == 0 else f"  (exit {got['rc']})"), flush=True)
    low = 1000 * (seconds[2000] - seconds[1000]) / 1000
    high = 1000 * (seconds[10000] - seconds[5000]) / 5000
    print(f"marginal CPU ms/cell: 1,000->2,000 {low:.2f}, 5,000->10,000 {high:.2f}; ratio {high / low:.2f} "
          f"(target <= {LINEAR_TARGET})")
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if high / low <= LINEAR_TARGET else 1


def _print(rows, runs: int) -> None:
    print(f"best of {runs}; python {sys.version.split()[0]}; {os.cpu_count()} CPUs")
    print(f"{'input':<16} {'nb2prod s':>9} {'MiB':>6} {'ms/cell':>8} {'nbconvert s':>11} {'MiB':>6} {'ratio':>6}")
    for label, size, m in rows:
        a, b = m["nb2prod"], m["nbconvert"]
        per_cell = f"{1000 * a['s'] / size:8.2f}" if size else f"{'':>8}"
        failed = "" if a["rc"] == 0 and b["rc"] == 0 else f"  (exit {a['rc']}/{b['rc']})"
        print(f"{label:<16} {a['s']:9.3f} {a['mib']:6.0f} {per_cell} {b['s']:11.3f} {b['mib']:6.0f} "
              f"{a['s'] / b['s']:5.2f}x{failed}")
    sized = [(size, m["nb2prod"]["s"]) for _, size, m in rows if size]
    if len(sized) >= 2:
        (n0, t0), (n1, t1) = sized[0], sized[-1]
        print(f"growth {n0}->{n1} cells: time x{t1 / t0:.1f} for cells x{n1 / n0:.0f}; "
              f"marginal {1000 * (t1 - t0) / (n1 - n0):.2f} ms/cell")
    print("targets: 2,000 cells < 3 s and < 150 MiB; MLOps training ratio <= 0.60x")


if __name__ == "__main__":
    sys.exit(main())
