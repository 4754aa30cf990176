"""Literal arguments that become options: the keyword arguments of the constructor of the model the
notebook fits and saves (`GradientBoostingClassifier(n_estimators=60)` → `--n-estimators`), the last
step's of a pipeline, and the path the model is saved to (`--model-path`). Lift replaces each literal
with the step's keyword parameter (Rewrite.HYPER_ARGS)."""

from __future__ import annotations

import ast
from typing import Collection, Dict, List, Optional, Sequence, Set, Tuple

from nb2prod.convert.hyper import Hyper, assigned_name, option_kind
from nb2prod.convert.naming import numbered
from nb2prod.convert.plan import testfacts
from nb2prod.convert.plan.types import Source
from nb2prod.model import Statement

Hypers = Dict[int, Tuple[Hyper, ...]]
_PIPELINES = ("Pipeline", "make_pipeline")


def call_hypers(alive: Sequence[Statement], in_module: Collection[int], src: Source, found: Hypers) -> Hypers:
    """The options of the saved model's constructor and of its path, for statements the steps hold;
    names clear of the notebook's names and of the options `found` already."""
    steps = [s for s in alive if s.index not in in_module and s.index not in found]
    taken = {n for f in src.flows.values() for n in f.defs | f.uses | f.deferred}
    taken |= {h.name for hs in found.values() for h in hs}
    out: Hypers = {}
    for s, hypers in _constructor(steps, src, taken) + _model_path(steps, src, found, taken):
        out[s.index] = out.get(s.index, ()) + hypers
    return out


def _constructor(steps: Sequence[Statement], src: Source, taken: Set[str]) -> List[Tuple[Statement, tuple]]:
    fitted = testfacts.estimator(src.statements, steps)
    if fitted is None:
        return []
    made = next((s for s in steps if assigned_name(s) == fitted[0] and isinstance(s.node.value, ast.Call)), None)
    call = final_estimator(made.node.value) if made is not None else None
    if call is None:
        return []
    callee = ast.unparse(call.func)
    hypers = []
    for kw in call.keywords:
        value = _literal(kw.value)
        if kw.arg is None or value is None or option_kind(value) is None:
            continue
        name = numbered(kw.arg, taken)
        taken.add(name)
        hypers.append(Hyper(name, value, f"{callee}({kw.arg}=...)", at=made.index, call=callee, arg=kw.arg))
    return [(made, tuple(hypers))] if hypers else []


def final_estimator(call: ast.Call) -> Optional[ast.Call]:
    """The estimator a constructor call makes: the call itself, or a pipeline's last step
    (`Pipeline([..., ("clf", SVC(C=1))])`, `make_pipeline(StandardScaler(), SVC(C=1))`)."""
    name = ast.unparse(call.func).split(".")[-1]
    if name not in _PIPELINES:
        return call
    last = None
    if name == "make_pipeline" and call.args:
        last = call.args[-1]
    elif name == "Pipeline":
        steps = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg == "steps"), None)
        if isinstance(steps, (ast.List, ast.Tuple)) and steps.elts and isinstance(steps.elts[-1], ast.Tuple):
            pair = steps.elts[-1].elts
            last = pair[1] if len(pair) == 2 else None
    return final_estimator(last) if isinstance(last, ast.Call) else None


def _model_path(steps: Sequence[Statement], src: Source, found: Hypers,
                taken: Set[str]) -> List[Tuple[Statement, tuple]]:
    """`joblib.dump(model, "model.pkl")`: the first model file saved under a literal path gets `--model-path`
    (a path held by an option already keeps that option; render gives it the `--model-path` alias)."""
    for s in steps:
        saves = testfacts.save_calls([s])
        if not saves:
            continue  # most statements: plain_saves reads every statement of the notebook
        plain = set(testfacts.plain_saves(src.statements, saves))
        for _call, target in saves:
            if target in plain:
                continue
            path = _literal_str(target)
            if path is None:
                return []
            name = numbered("model_path", taken)
            taken.add(name)
            return [(s, (Hyper(name, path, target, at=s.index, help="where main() saves the model"),))]
    return []


def _literal(node: ast.AST):
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _literal_str(text: str) -> Optional[str]:
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None
