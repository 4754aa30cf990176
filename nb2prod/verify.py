"""`nb2prod verify`: run the notebook and the generated script for real and compare what they produce.

The notebook runs top to bottom with nbclient in one temporary folder, the generated script in
another, each holding what the notebook needs from its folder (nb2prod/workdir.py). A last probe cell, run in the notebook's kernel once the script has finished, loads the
model files both sides saved and predicts with each on the notebook's own inputs
(`plan.predict_input`), so both models see exactly the same data, and evaluates the expressions
holding the metrics train.py reports, compared with the JSON file train.py wrote. Printed lines
are compared number by number (nb2prod/compare.py). For a scoring notebook, `python score.py` (the service's `run()` on
the notebook's sample request) is compared with the value the notebook showed.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import List, Optional, Tuple

from nb2prod.compare import (Comparison, compare_printed, compare_values, metric_comparisons, printed_lines,
                             without_report, written_metrics)
from nb2prod.convert.artifacts import metric_expressions, metrics_file, run_reads, saved_files
from nb2prod.convert.pipeline import generate, plan_notebook
from nb2prod import verify_pipeline as kfp
from nb2prod.errors import Nb2prodError
from nb2prod.frozen import frozen
from nb2prod.run import MARK, execute, finish, sigterm_unwinds, start, stop, tail
from nb2prod.workdir import Copied, copy_needed, needed_files


@frozen
class VerifyReport:
    notebook: str
    kind: str
    comparisons: Tuple[Comparison, ...]
    notes: Tuple[str, ...] = ()
    copied: Optional[Copied] = None  # what each side's folder got from the notebook's folder

    @property
    def exit_code(self) -> int:
        return 0 if self.comparisons and all(c.same for c in self.comparisons) else 1


def verify(path: str, *, script: Optional[str] = None, companion: Optional[str] = None,
           timeout: int = 600, kernel: str = "python3", pipeline: Optional[str] = None) -> VerifyReport:
    """Execute `path` and its generated script in temporary folders and compare their results; with
    `pipeline="kfp"`, also the generated pipeline's local run (nb2prod/verify_pipeline.py)."""
    if pipeline is not None:
        kfp.require_sdk(path)
    plan = plan_notebook(path)  # each notebook is planned once, its companion included
    partner = None
    if plan.kind == "scoring":
        partner = (companion, plan_notebook(companion)) if companion else companion_plan(path, plan)
    plans = [partner, (path, plan)] if partner else [(path, plan)]
    with sigterm_unwinds():
        tmp = Path(tempfile.mkdtemp(prefix="nb2prod-verify-"))
        try:
            return _run_both(path, plan, partner, plans, script, tmp, timeout, kernel, pipeline)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _run_both(path, plan, partner, plans, script, tmp: Path, timeout: int, kernel: str, pipeline) -> VerifyReport:
    """Write the generated files beside a copy of the notebook's folder, then run each side in its own copy
    (the pipeline, when asked for, in a third)."""
    nb_dir, script_dir = tmp / "notebook", tmp / "script"
    pipeline_dir = tmp / "pipeline" if pipeline else None
    texts, notices = {}, []
    for gen in generate(plans, str(script_dir), pipelines=(pipeline,) if pipeline else ()):
        texts.update(gen.texts)
        notices += gen.notices
    if pipeline:
        kfp.require_file(plans[0][0], texts, notices)
    main = "train.py" if plan.kind == "training" else "score.py"
    if script:
        texts[main] = Path(script).read_text(encoding="utf-8")
    for folder in (nb_dir, script_dir, pipeline_dir):
        if folder is not None:
            copied = _copy_folder(Path(path).parent, folder, plans)
    for folder in (script_dir, pipeline_dir):
        for name, text in texts.items() if folder is not None else ():
            (folder / name).write_text(text, encoding="utf-8")
    if plan.kind == "training":
        report = _training(path, plan, nb_dir, script_dir, timeout, kernel, pipeline_dir)
    else:
        report = _scoring(path, plan, partner, nb_dir, script_dir, timeout, kernel, pipeline_dir)
    return replace(report, copied=copied)


def find_companion(path: str) -> Optional[str]:
    """The training notebook beside a scoring notebook: `training.ipynb`, else the only training sibling."""
    found = companion_plan(path)
    return found[0] if found else None


def companion_plan(path: str, plan=None):
    """(path, plan) of the training notebook `find_companion` names, or None; `plan` is `path`'s, if planned."""
    here = Path(path)
    siblings = sorted(p for p in here.parent.glob("*.ipynb") if p.resolve() != here.resolve())
    preferred = [p for p in siblings if p.name == "training.ipynb"]
    found = []
    for p in preferred or siblings:
        try:
            sibling = plan_notebook(str(p))
        except Nb2prodError:
            continue
        if sibling.kind == "training":
            found.append((str(p), sibling, {s.name for s in saved_files(sibling) if s.name is not None}))
    if len(found) > 1:  # several training notebooks: the one that saves a file this notebook reads
        read = _literal_strings(plan or plan_notebook(path))
        found = [f for f in found if f[2] & read]
    return found[0][:2] if len(found) == 1 else None


def _literal_strings(plan) -> set:
    """File names among the string literals of a notebook's code."""
    return {Path(n.value).name for pc in plan.cells for s in pc.statements for n in ast.walk(s.node)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value}


def saved_paths(plan) -> Tuple[List[str], List[str]]:
    """Relative paths the training code saves to, as convert.artifacts resolves them for render too (a
    literal, an option's default, a config-dict entry's default), and a note for each it cannot name."""
    paths, notes = [], []
    for saved in saved_files(plan):
        if saved.path is not None:
            paths.append(saved.path)
        else:
            notes.append(f"cannot tell which file `{saved.call}(..., {saved.target})` writes; it is not compared")
    return paths, notes


# -- training ---------------------------------------------------------------------------------

def _training(path, plan, nb_dir: Path, script_dir: Path, timeout: int, kernel: str,
              pipeline_dir: Optional[Path] = None) -> VerifyReport:
    files, notes = saved_paths(plan)
    pairs = [(name, str(nb_dir / name), str(script_dir / name)) for name in files]
    script = start([sys.executable, "train.py"], script_dir)
    local = kfp.start_local(pipeline_dir) if pipeline_dir else None
    finished = {}

    metrics = metric_expressions(plan)

    def probe() -> str:
        finished["script"] = finish(script, "train.py", timeout)
        more = []
        if local is not None:
            finished["pipeline"] = finish(local, kfp.SCRIPT, timeout)
            more = kfp.model_pair(plan, nb_dir, pipeline_dir, files) if finished["pipeline"].returncode == 0 else []
        return _model_probe(plan.predict_input, pairs + more, metrics)

    try:
        nb, answer = execute(path, nb_dir, timeout, kernel, probe)
    finally:
        stop(script)  # the notebook failed or was interrupted before the probe waited for the script
        if local is not None:
            stop(local)
    done = finished["script"]
    if done.returncode != 0:
        return VerifyReport(path, "training", (Comparison("train.py runs", False, tail(done.stderr)),), tuple(notes))
    comparisons = _model_comparisons(answer, plan.predict_input)
    printed = done.stdout.splitlines()
    if metrics:
        written = written_metrics(script_dir / metrics_file(plan))
        comparisons += metric_comparisons(answer.get("metrics", {}), written, metrics)
        printed = without_report(printed, list(written) if isinstance(written, dict) else [])
    comparisons += compare_printed(printed_lines(nb), printed)
    if local is not None:
        more, why = kfp.comparisons(finished["pipeline"], pipeline_dir, answer.get("metrics", {}), metrics)
        comparisons += more
        notes += why
    if plan.predict_input is None:
        notes.append("the notebook never calls .predict(X); saved models are compared by type only")
    return VerifyReport(path, "training", tuple(comparisons), tuple(notes))


def _model_probe(predict_input: Optional[str], pairs, metrics=()) -> str:
    """Code for the notebook's kernel: load both sides' model files and predict on the notebook's inputs;
    evaluate the expressions holding the metrics train.py reports."""
    return f'''
def {MARK}(expression, pairs, metrics):
    import json, os
    import numpy as np
    from joblib import load  # reads plain pickle files too
    out = {{"inputs": None, "files": [], "metrics": {{}}}}
    for key, source, merged in metrics:
        try:
            out["metrics"][key] = {{"value": eval(source, globals())}}  # the notebook's names, never this function's
        except Exception as exc:
            out["metrics"][key] = {{"error": f"{{type(exc).__name__}}: {{exc}}"}}
    inputs = None
    if expression:
        try:
            inputs = eval(expression, globals())
        except Exception as exc:
            out["inputs"] = f"{{type(exc).__name__}}: {{exc}}"
    for name, mine, theirs in pairs:
        entry = {{"name": name, "missing": [s for s, p in (("notebook", mine), ("script", theirs))
                                            if not os.path.exists(p)]}}
        out["files"].append(entry)
        if entry["missing"]:
            continue
        a, b = load(mine), load(theirs)
        entry["types"] = [type(a).__name__, type(b).__name__]
        entry["results"] = {{}}
        for method in ("predict", "predict_proba"):
            if inputs is None or not (hasattr(a, method) and hasattr(b, method)):
                continue
            pa, pb = np.asarray(getattr(a, method)(inputs)), np.asarray(getattr(b, method)(inputs))
            if pa.shape != pb.shape:
                same, diff = False, f"shapes {{pa.shape}} and {{pb.shape}}"
            elif pa.dtype.kind in "fiub" and pb.dtype.kind in "fiub":
                same = bool(np.allclose(pa, pb, equal_nan=True))
                diff = f"largest difference {{float(np.max(np.abs(pa - pb), initial=0.0)):.3g}}"
            else:
                same, diff = bool(np.array_equal(pa, pb)), "labels differ"
            entry["results"][method] = [same, int(pa.shape[0]) if pa.ndim else 1, diff]
    plain = lambda value: value.tolist() if hasattr(value, "tolist") else str(value)
    print({MARK!r} + json.dumps(out, default=plain))


{MARK}({predict_input!r}, {pairs!r}, {list(metrics)!r})
del {MARK}
'''


def _model_comparisons(answer, predict_input) -> List[Comparison]:
    out = []
    if answer.get("inputs"):
        out.append(Comparison(f"notebook inputs {predict_input}", False, f"could not evaluate: {answer['inputs']}"))
    for entry in answer["files"]:
        name = entry["name"]
        if entry["missing"]:
            out.append(Comparison(f"{name} saved", False, "not written by the " + " or the ".join(entry["missing"])))
            continue
        a, b = entry["types"]
        if a != b:
            out.append(Comparison(f"{name}: model type", False, f"notebook {a}, script {b}"))
        for method, (same, rows, diff) in entry["results"].items():
            detail = f"{rows} rows of {predict_input}" + ("" if same else f"; {diff}")
            out.append(Comparison(f"{name}: {method}()", same, detail))
    return out


# -- scoring ----------------------------------------------------------------------------------

def _scoring(path, plan, partner, nb_dir: Path, script_dir: Path, timeout: int, kernel: str,
             pipeline_dir: Optional[Path] = None) -> VerifyReport:
    """Run the training pair first (and compare it too), then the scoring notebook beside `python score.py`."""
    comparisons, notes = [], []
    if partner:
        trained = _training(*partner, nb_dir, script_dir, timeout, kernel, pipeline_dir)
        name = Path(partner[0]).name
        comparisons += [replace(c, what=f"{name}: {c.what}") for c in trained.comparisons]
        notes += [f"{name}: {note}" for note in trained.notes]
        if any(c.what == "train.py runs" for c in trained.comparisons):
            return VerifyReport(path, "scoring", tuple(comparisons), tuple(notes))
    else:
        notes.append("no training notebook beside it (use --with): the model file must already be in its folder")
    if plan.sample_input is None:
        notes.append("the notebook has no sample request, so run() is not compared")
        return VerifyReport(path, "scoring", tuple(comparisons), tuple(notes))
    shown = _shown_expression(plan.returned)
    server = start([sys.executable, "score.py"], script_dir)
    try:
        _, answer = execute(path, nb_dir, timeout, kernel, lambda: _value_probe(shown))
        served = finish(server, "score.py", timeout)
    finally:
        stop(server)  # not finished: the notebook failed or verify was interrupted
    comparisons.append(_served(served, answer, shown))
    return VerifyReport(path, "scoring", tuple(comparisons), tuple(notes))


def _served(served: subprocess.CompletedProcess, answer: dict, shown: Optional[str]) -> Comparison:
    what = f"run() on the sample vs the notebook's {shown}"
    if served.returncode != 0:
        return Comparison("score.py runs", False, tail(served.stderr))
    try:
        result = json.loads(served.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return Comparison("run() answers JSON", False, tail(served.stdout))
    if answer.get("error"):
        return Comparison(what, False, f"the notebook's value: {answer['error']}")
    return Comparison(what, *compare_values(answer["value"], result))


def _shown_expression(stmt) -> Optional[str]:
    """The expression whose value the notebook showed as its scoring result."""
    if stmt is None:
        return None
    node = stmt.node
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name) \
            and node.value.func.id in ("print", "display"):
        args = [a for a in node.value.args if not (isinstance(a, ast.Constant) and isinstance(a.value, str))]
        return ast.unparse(_json_unwrapped(args[-1])) if args else None
    if isinstance(node, ast.Expr):
        return ast.unparse(_json_unwrapped(node.value))
    if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def _json_unwrapped(node: ast.AST) -> ast.AST:
    """`json.dumps(value)` → `value`: what run() answers (lift unwraps it the same way)."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "dumps"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "json" and node.args):
        return node.args[0]
    return node


def _value_probe(expression: Optional[str]) -> str:
    return f'''
def {MARK}(expression):
    import json
    def plain(value):
        return value.tolist() if hasattr(value, "tolist") else str(value)
    try:
        out = {{"value": eval(expression, globals())}} if expression else {{"error": "the notebook shows no result"}}
        print({MARK!r} + json.dumps(out, default=plain))
    except Exception as exc:
        print({MARK!r} + json.dumps({{"error": f"{{type(exc).__name__}}: {{exc}}"}}))


{MARK}({expression!r})
del {MARK}
'''


def _copy_folder(source: Path, target: Path, plans) -> Copied:
    """What the notebooks need from their folder: themselves and the files they read (the whole folder when
    a path they read is only known at run time), never the model files a run is expected to write."""
    reads, unknown = [], []
    for _, plan in plans:
        known, unsure = run_reads(plan)
        reads += known
        unknown += unsure
    written = [name for _, plan in plans for name in saved_paths(plan)[0]]
    needed = needed_files([p for p, _ in plans], reads, source)
    return copy_needed(source, target, needed, whole_folder=bool(unknown), skip=written)
