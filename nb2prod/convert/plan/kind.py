"""What a notebook produces: a training notebook fits a model, a scoring notebook loads one and predicts."""

from __future__ import annotations

from typing import Sequence

from nb2prod.convert import sections as sec
from nb2prod.errors import UnusableInput
from nb2prod.model import Location, Notebook, Statement


def detect_kind(statements: Sequence[Statement], nb: Notebook) -> str:
    """training: fits (and usually saves) a model; scoring: loads a model and predicts."""
    calls = [(n, s) for s in statements if not (s.magic and not s.magic.keeps_statement)
             for n in sec.call_names(s.node)]
    names = {n for n, _ in calls}
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
