"""Which side of the split a name says it holds (`X_test` held-out, `y_train` training), and which names are
spelled like a metric (`rmse`, `val_acc`): the words analysis/metrics reads names by."""

from __future__ import annotations

import functools
import re
from typing import Optional

HELD_OUT, TRAINING, UNKNOWN = "held-out", "training", "unknown"
HELD_OUT_WORDS = frozenset({"test", "tests", "val", "vali", "valid", "validation", "holdout", "heldout", "hold",
                            "eval", "evaluation", "dev", "oof", "unseen"})
TRAINING_WORDS = frozenset({"train", "training", "trn", "tr", "fit"})
# Words a name holding a metric computed by hand is spelled with (`rmse = np.sqrt(np.mean(residuals ** 2))`).
METRIC_WORDS = frozenset({"mse", "rmse", "mae", "mape", "smape", "rmsle", "r2", "accuracy", "acc", "auc", "f1",
                          "precision", "recall", "logloss", "loss", "error", "err", "score"})
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_SHORT = re.compile(r"^[xy](?:test|val|valid|te)$|^[xy](?:train|tr)$", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)
def name_side(name: str) -> Optional[str]:
    """The side of the split a name (or a string key) says it holds: `X_test` held-out, `y_train` training."""
    short = _SHORT.match(name)
    if short:
        return TRAINING if "tr" in name.lower() else HELD_OUT
    words = {w.lower() for w in _WORD.findall(name.replace("_", " _ "))}
    if words & HELD_OUT_WORDS:
        return HELD_OUT
    if words & TRAINING_WORDS:
        return TRAINING
    return None


@functools.lru_cache(maxsize=4096)
def named_like_metric(name: str) -> bool:
    """Whether a name is spelled like a metric's (`rmse`, `val_acc`, `test_loss`)."""
    parts = set(name.lower().split("_")) | {w.lower() for w in _WORD.findall(name.replace("_", " _ "))}
    return bool(parts & METRIC_WORDS)  # `r2` whole, `val_acc` by its parts, `testAccuracy` by its words
