"""Run `convert --pipeline kfp`'s pipeline locally for every training example and the fixed MLOps notebook.

    python benchmarks/kfp_local.py [NAME ...]

For each notebook: convert into a temporary folder, run `python train.py`, then
`python pipeline_kfp.py --local` (kfp.local.SubprocessRunner), and compare the pipeline's model
(predictions on the notebook's inputs) and logged metrics with train.py's model file and
metrics.json. Prints one line per notebook with the local run's wall time; exit 1 on a difference.
CI runs every one of them (tests/test_pipeline_kfp.py, in its own process); this gives per-run figures.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import joblib  # noqa: E402 - after the repository is on sys.path

from nb2prod import api  # noqa: E402
from tests.equivalence import (  # noqa: E402
    MLOPS_TRAINING, assert_same_predictions, patched_notebook, rebuild_inputs,
)


def notebooks(root: Path) -> dict:
    found = {p.parent.name: p for p in sorted((ROOT / "examples").glob("*/training.ipynb"))}
    if MLOPS_TRAINING.exists():
        found["mlops"] = patched_notebook(MLOPS_TRAINING, root / "mlops_nb" / "training.ipynb",
                                          "value=reg,", "value=reg_model,")
    return found


def run_one(notebook: Path, out: Path) -> str:
    [result] = api.convert([str(notebook)], str(out), pipelines=("kfp",))
    if result.error is not None:
        return f"convert failed: {result.error}"
    subprocess.run([sys.executable, "train.py"], cwd=out, check=True, capture_output=True)
    expected = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "pipeline_kfp.py", "--local", "--production-metric", "0"],
                          cwd=out, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        return f"local run failed: {proc.stderr.strip().splitlines()[-1:]}"
    [run] = (out / "local_outputs").glob("*")
    output = json.loads((run / "evaluate-step" / "executor_output.json").read_text(encoding="utf-8"))
    [logged] = [a["artifacts"][0]["metadata"] for a in output["artifacts"].values()]
    [model] = [p for p in out.iterdir() if p.suffix in (".joblib", ".pkl")]
    inputs = rebuild_inputs(out / "train.py", api.plan_notebook(str(notebook)))
    try:
        assert_same_predictions(joblib.load(model), joblib.load(run / "train-step" / "model_file"),
                                inputs["__predict_input__"])
    except AssertionError as exc:
        return f"{took:5.1f} s  predictions differ: {str(exc).splitlines()[0]}"
    verdict = "metrics equal metrics.json" if logged == expected else f"metrics differ: {logged} != {expected}"
    return f"{took:5.1f} s  same predictions, {verdict}"


def main(names) -> int:
    root = Path(tempfile.mkdtemp(prefix="kfp_local_"))
    failed = False
    try:
        for name, notebook in notebooks(root).items():
            if names and name not in names:
                continue
            line = run_one(notebook, root / name)
            failed |= "same predictions, metrics equal" not in line
            print(f"{name:22} {line}", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
