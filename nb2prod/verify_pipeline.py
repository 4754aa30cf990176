"""`nb2prod verify --pipeline kfp`: the generated Kubeflow pipeline run here, and what it produced.

verify.py starts `python pipeline_kfp.py --local` (kfp.local.SubprocessRunner) beside `python train.py`,
in a folder of its own holding the same generated files and the notebook's inputs. Once it has finished,
the model its train step wrote goes through the same probe as train.py's (predictions on the notebook's
inputs, in the notebook's kernel), and the metrics its evaluate step logged are compared with the
notebook's values. kfp is never imported here: the pipeline runs in its own process.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from nb2prod.compare import Comparison, metric_comparisons
from nb2prod.errors import UnusableInput
from nb2prod.model import Location
from nb2prod.run import start, tail

ENGINES = ("kfp",)
SCRIPT = "pipeline_kfp.py"
# The gate's branch does not matter here: verify compares what the train and evaluate steps produce.
LOCAL = (SCRIPT, "--local", "--production-metric", "0")
MISSING = "verify --pipeline kfp needs the Kubeflow Pipelines SDK: pip install 'nb2prod[kfp]'"


def require_sdk(notebook: str) -> None:
    """A missing kfp stops verify before anything runs: one line naming the extra (exit 2)."""
    if importlib.util.find_spec("kfp") is None:
        raise UnusableInput(MISSING, Location(notebook))


def require_file(notebook: str, texts: dict, notices: Sequence[str]) -> None:
    """The pipeline convert could not write for this notebook is unusable input, saying why."""
    if SCRIPT not in texts:
        why = next((n for n in notices if n.startswith(SCRIPT)),
                   f"{SCRIPT} not written: a Kubeflow pipeline is written for a training notebook, and none is here")
        raise UnusableInput(f"verify --pipeline kfp: {why}", Location(notebook))


def start_local(folder: Path) -> subprocess.Popen:
    return start([sys.executable, *LOCAL], folder)


def label(model_file: str) -> str:
    """The model comparisons' name for the pipeline's model: `pipeline_kfp.py's model.pkl`."""
    return f"{SCRIPT}'s {model_file}"


def model_pair(plan, nb_dir: Path, folder: Path, model_files: Sequence[str]) -> List[Tuple[str, str, str]]:
    """(label, the notebook's model file, the pipeline's) for the probe: the first model file the
    notebook saves, against the `Model` the pipeline's train step wrote."""
    if not model_files:
        return []
    written = _run_folder(folder)
    step = written / "train-step" if written else None
    found = sorted(p for p in step.iterdir() if p.name != "executor_output.json") if step and step.is_dir() else []
    theirs = str(found[0]) if found else str(folder / "no-model-written")
    return [(label(model_files[0]), str(nb_dir / model_files[0]), theirs)]


def comparisons(ran: subprocess.CompletedProcess, folder: Path, notebook_metrics: dict,
                metrics) -> Tuple[List[Comparison], List[str]]:
    """The local run's metric comparisons (or why it failed), and notes on what was not compared."""
    if ran.returncode != 0:
        return [Comparison(f"{SCRIPT} --local runs", False, tail(ran.stderr))], []
    logged, notes, numeric = _logged(folder), [], []
    for key, source, merged in metrics:
        if _numbers(notebook_metrics.get(key, {}).get("value", 0)):
            numeric.append((key, source, merged))
        else:
            notes.append(f"{SCRIPT}: metric {key} is not a number, which KFP Metrics cannot log; not compared")
    found = metric_comparisons(notebook_metrics, logged, numeric)
    return [replace(c, what=f"{SCRIPT}: {c.what}", detail=c.detail.replace("train.py", "the pipeline"))
            for c in found], notes


def _numbers(value) -> bool:
    if isinstance(value, dict):
        return bool(value) and all(_numbers(v) for v in value.values())
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _run_folder(folder: Path) -> Optional[Path]:
    runs = sorted((folder / "local_outputs").glob("*")) if (folder / "local_outputs").is_dir() else []
    return runs[-1] if runs else None


def _logged(folder: Path):
    """The metrics the evaluate step logged (a dict), or why there are none (a str)."""
    run = _run_folder(folder)
    try:
        output = json.loads((run / "evaluate-step" / "executor_output.json").read_text(encoding="utf-8"))
        [artifact] = output["artifacts"].values()
        return dict(artifact["artifacts"][0]["metadata"])
    except (OSError, TypeError, ValueError, KeyError, IndexError) as exc:
        return f"the pipeline's evaluate step logged no readable metrics: {type(exc).__name__}: {exc}"
