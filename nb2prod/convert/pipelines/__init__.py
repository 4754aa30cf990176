"""`convert --pipeline NAME`: the generated steps as a pipeline for an existing engine, one module per engine.

Each module renders text only: convert never imports the engine's SDK. `ENGINES` are the engines whose
files cover an output folder: `files(generated, env, texts) -> (bodies by relative path, notices)`; kfp's
pipeline_kfp.py goes beside one training notebook's train.py (`kfp.files(plan, ref, env)`, called by
convert/pipeline.py's `_add_pipelines`).
"""

from __future__ import annotations

import importlib
from typing import Dict, Sequence, Tuple

from nb2prod.errors import UnusableInput
from nb2prod.model import Location

ENGINES = {"azureml": "nb2prod.convert.pipelines.azureml"}
NEEDS_EVALUATE = frozenset({"azureml"})  # its evaluate step runs evaluate.py


def files(names: Sequence[str], generated: Sequence, env, texts: Dict[str, str]) -> Tuple[Dict[str, str], tuple]:
    """Every requested engine's files for one output folder, and their notices."""
    out: Dict[str, str] = {}
    notices: tuple = ()
    for name in sorted(set(names)):
        if name not in ENGINES:
            raise UnusableInput(f"--pipeline {name} is not available in this version of nb2prod",
                                Location(generated[0].notebook))
        bodies, more = importlib.import_module(ENGINES[name]).files(generated, env, texts)
        out.update(bodies)
        notices += more
    return out, notices
