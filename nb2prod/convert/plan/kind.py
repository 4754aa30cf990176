"""What a notebook produces: a training notebook fits a model, a scoring notebook loads one and predicts."""

from __future__ import annotations

from typing import Sequence

from nb2prod.convert import sections as sec
from nb2prod.errors import UnusableInput
from nb2prod.model import Location, Notebook, Statement


def _call_names(statements: Sequence[Statement]) -> set:
    return {n for s in statements if not (s.magic and not s.magic.keeps_statement) for n in sec.call_names(s.node)}


def detect_kind(statements: Sequence[Statement], nb: Notebook) -> str:
    """training: fits (and usually saves) a model; scoring: loads a model and predicts."""
    names = _call_names(statements)
    fits = bool(names & sec.FIT_CALLS)
    saves = bool(names & sec.SAVE_CALLS)
    loads = bool(names & sec.LOAD_MODEL_CALLS)
    predicts = bool(names & sec.PREDICT_CALLS)
    if fits and saves:
        return "training"
    if loads and predicts and not fits:
        return "scoring"
    if fits:
        return "training"
    raise UnusableInput(
        "cannot tell what this notebook produces: it neither fits and saves a model (training) "
        "nor loads one and predicts (scoring); pass --kind training or --kind scoring",
        Location(nb.path),
    )


def check_kind(statements: Sequence[Statement], nb: Notebook, kind: str) -> None:
    """`--kind scoring` needs a notebook that loads a model and predicts: score.py's init() loads the model
    and run() predicts, and there is nothing else to build them from. `--kind training` takes any notebook
    (a data-preparation notebook becomes a script all the same)."""
    if kind != "scoring":
        return
    names = _call_names(statements)
    loads, predicts = names & sec.LOAD_MODEL_CALLS, names & sec.PREDICT_CALLS
    if loads and predicts:
        return
    why = (f"nothing loads a model ({_listed(sec.LOAD_MODEL_CALLS)})" if not loads
           else f"nothing predicts ({_listed(sec.PREDICT_CALLS)})")
    hint = "; it fits one: use --kind training (or auto)" if names & sec.FIT_CALLS else ""
    raise UnusableInput(f"this notebook does not load a model and predict: {why}{hint}", Location(nb.path))


def _listed(calls) -> str:
    return ", ".join(f"{name}()" for name in sorted(calls))
