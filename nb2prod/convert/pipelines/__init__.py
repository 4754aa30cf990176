"""`convert --pipeline NAME`: the generated steps as a pipeline for an existing engine, one module per engine.

Each module renders text only: convert never imports the engine's SDK. `ENGINES` is the one registry:
each engine's module, its scope, and whether its steps run evaluate.py. An engine's scope says what its
files cover and what its module's `files()` takes:

- `NOTEBOOK`: files beside one training notebook's script (kfp's pipeline_kfp.py),
  `files(plan, ref, env) -> (bodies by relative path, notices)`;
- `FOLDER`: files covering an output folder and every script in it (azureml/),
  `files(generated, env, texts) -> (bodies by relative path, notices)`.

convert/pipeline.py asks `folder_files` for an output folder (with its requirements files) and
`notebook_files` for each notebook, once the folder's files are done.
"""

from __future__ import annotations

import importlib
from typing import Dict, NamedTuple, Sequence, Tuple

from nb2prod.errors import UnusableInput
from nb2prod.model import Location

NOTEBOOK = "notebook"
FOLDER = "folder"


class Engine(NamedTuple):  # not a dataclass: the CLI imports this registry at start-up, for its choices
    module: str
    scope: str  # NOTEBOOK or FOLDER
    needs_evaluate: bool = False  # its evaluate step runs evaluate.py


ENGINES = {
    "kfp": Engine("nb2prod.convert.pipelines.kfp", NOTEBOOK),
    "azureml": Engine("nb2prod.convert.pipelines.azureml", FOLDER, needs_evaluate=True),
}
NAMES = tuple(ENGINES)


def needs_evaluate(names: Sequence[str]) -> bool:
    return any(ENGINES[n].needs_evaluate for n in names if n in ENGINES)


def folder_files(names: Sequence[str], generated: Sequence, env, texts: Dict[str, str]) -> Tuple[Dict[str, str], tuple]:
    """Every requested folder-scope engine's files for one output folder, and their notices."""
    out: Dict[str, str] = {}
    notices: tuple = ()
    for name in _known(names, generated, FOLDER):
        bodies, more = importlib.import_module(ENGINES[name].module).files(generated, env, texts)
        out.update(bodies)
        notices += more
    return out, notices


def notebook_files(names: Sequence[str], gen, ref: str, env) -> Tuple[Dict[str, str], tuple]:
    """Every requested notebook-scope engine's files beside one training notebook's script, and their notices."""
    out: Dict[str, str] = {}
    notices: tuple = ()
    if gen.plan.kind != "training":
        return out, notices
    for name in _known(names, [gen], NOTEBOOK):
        bodies, more = importlib.import_module(ENGINES[name].module).files(gen.plan, ref, env)
        out.update(bodies)
        notices += more
    return out, notices


def _known(names: Sequence[str], generated: Sequence, scope: str) -> list:
    """The requested engines of `scope`, sorted; an unknown name is unusable input."""
    for name in names:
        if name not in ENGINES:
            raise UnusableInput(f"--pipeline {name} is not available in this version of nb2prod",
                                Location(generated[0].notebook))
    return [n for n in sorted(set(names)) if ENGINES[n].scope == scope]
