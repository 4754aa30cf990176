"""The generated tests' contexts (test_train.py.j2, test_score.py.j2), built from resolved facts
(convert/artifacts.py): which steps each test calls, what it asserts, where its files go."""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

from nb2prod.convert.artifacts import (Estimator, SavedFile, ScoringArtifacts, TrainingArtifacts, printing_end,
                                       saved_files)
from nb2prod.convert.contexts import (EvaluationTest, Fitted, MainTest, Mocked, SampleAssert, ScoreTestsContext,
                                      Trained, TrainCall, TrainTestsContext)
from nb2prod.convert.lift import Lifted, sort_imports
from nb2prod.convert.lift.request import wrong_shape
from nb2prod.convert.naming import inside, module_alias, numbered, snake
from nb2prod.convert.plan import Plan, Step
from nb2prod.convert.plan.sample_checks import REQUEST, SampleCheck
from nb2prod.escape import expression_code, py_literal


def train_tests(plan: Plan, facts: TrainingArtifacts, ref: str) -> TrainTestsContext:
    module = module_alias("train", facts.notebook_names)
    train_args = set(facts.train.params) if facts.train else set()
    upstream = _calls(module, facts.upstream, train_args | set(re.findall(r"[A-Za-z_]\w*", facts.predict_input or "")))
    mocked_upstream = _calls(module, facts.upstream, train_args)
    main_tests = tuple(_main_test(saved, facts.estimator is not None) for saved in facts.saved
                       if saved.path is not None)
    outside = tuple(name for name in facts.read_files if not inside(name)) if main_tests else ()
    runs_main = bool(main_tests)
    if outside:
        main_tests = ()  # main() run in tmp_path would read, and write, outside it
    elif facts.read_files:  # the paths main() reads are relative to where it runs: tmp_path, where they are linked
        main_tests = tuple(replace(t, chdir=True) for t in main_tests)
    data_files = tuple(facts.read_files) if any(t.chdir for t in main_tests) else ()
    train = facts.train
    results = list(train.returns) + (["_metrics"] if train and train.metrics else []) if train else []
    call = TrainCall(train.name, ", ".join(train.params), ", ".join(results)) if train else None
    fitted, mocked = _fitted(facts.estimator), _mocked(facts.estimator)
    imports = ["import numpy as np"] if facts.predict_input or (mocked and mocked.predicts) else []
    if facts.printed:
        imports += ["import json", "import re", "from pathlib import Path", "import pytest"]
    if data_files:
        imports += ["import shutil", "from pathlib import Path"]
    imports += [f"import {library}" for library in {t.loader.split(".")[0] for t in main_tests if t.loader}]
    evaluation = _evaluation_test(plan, module, facts) if any(s.metrics for s in plan.steps) else None
    metrics_argv = '"--metrics-path", str(tmp_path / "metrics.json")' if evaluation else ""
    smoke = not (runs_main or fitted or mocked)
    if evaluation:
        main_tests = tuple(replace(t, argv=_with_argv(t.argv, metrics_argv)) for t in main_tests)
        # json reads back what main() wrote: only where a test runs main()
        imports = imports + ["import numpy as np"] + (["import json"] if main_tests or smoke else [])
    return TrainTestsContext(
        script="train.py", notebook=ref, module=module, imports=tuple(sort_imports(imports)), upstream=upstream,
        mocked_upstream=mocked_upstream,
        train=call, fitted=fitted, mocked=mocked, predict_input=facts.predict_input, main_tests=main_tests,
        printed=list(facts.printed), data_files=data_files, outside=outside, smoke=smoke,
        evaluation=evaluation, printing=_printing_calls(plan, module), metrics_argv=metrics_argv)


def _with_argv(argv: str, extra: str, width: int = 120) -> str:
    """`["--model", str(p)]` plus `"--metrics-path", str(q)`, as Python source; on lines of its own, as
    black writes it, when `    train.main(...)` would be longer than `width`."""
    parts = [part for part in (argv.strip()[1:-1], extra) if part]
    flat = "[" + ", ".join(parts) + "]"
    if len(f"    train.main({flat})") <= width:
        return flat
    if len(f"        {flat}") <= width:
        return f"\n        {flat}\n    "
    items = [item for part in parts for item in _top_level_items(part)]
    return "\n        [\n" + "".join(f"            {item},\n" for item in items) + "        ]\n    "


def _top_level_items(source: str) -> List[str]:
    """The comma-separated items of a list's inside, commas in brackets and strings aside."""
    items, depth, quote, current = [], 0, "", ""
    for char in source:
        if quote:
            quote = "" if char == quote and not current.endswith("\\") else quote
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(current.strip())
            current = ""
            continue
        current += char
    return items + [current.strip()] if current.strip() else items


def _evaluation_test(plan: Plan, module: str, facts: TrainingArtifacts) -> EvaluationTest:
    """Run the steps through the last evaluation step, gathering their metrics, as main() does."""
    taken = set(facts.notebook_names) | {module}
    var = numbered("metrics", taken)
    last = max(i for i, s in enumerate(plan.steps) if s.metrics)
    reported = [m for s in plan.steps for m in s.metrics]
    keys = tuple(k for m in reported for k in (m.keys if m.merged else (m.key,)))
    exact = all(m.keys or not m.merged for m in reported)
    return EvaluationTest(_calls(module, plan.steps[: last + 1], set(), var, taken | {var}), var,
                          tuple(dict.fromkeys(keys)), exact)


def _printing_calls(plan: Plan, module: str) -> Tuple[str, ...]:
    """The printed-output test's calls: the steps through the last one that prints."""
    return _calls(module, plan.steps[: printing_end(plan)], set())


def _calls(module: str, steps: Sequence[Step], needed: set, metrics: str = "", taken: set = frozenset()
           ) -> Tuple[str, ...]:
    """A test's calls of `steps`, in order: each assigns what a later call or `needed` reads (`_name` for a
    value it must unpack but nothing reads); with `metrics`, the steps' metrics are gathered into it."""
    lines: List[List[str]] = []
    gathered = [i for i, step in enumerate(steps) if step.metrics] if metrics else []
    taken = set(taken)
    for i in range(len(steps) - 1, -1, -1):
        step = steps[i]
        call = f"{module}.{step.name}({', '.join(step.params)})"
        results = [r if r in needed else f"_{r}" for r in step.returns]
        extra: List[str] = []
        if i in gathered:
            target = metrics if i == gathered[0] else numbered(metrics, taken)
            taken.add(target)
            results.append(target)
            extra = [] if i == gathered[0] else [f"{metrics}.update({target})"]
        elif not set(step.returns) & needed:
            results = []  # nothing reads what it returns: called for what it does
        lines.append([f"{', '.join(results)} = {call}" if results else call] + extra)
        needed = (needed - set(step.returns)) | set(step.params)
    return tuple(line for group in reversed(lines) for line in group)


def _fitted(estimator: Optional[Estimator]) -> Optional[Fitted]:
    """A factory (`make_pipeline(...)`) has no class to check: only that it predicts."""
    if estimator is None or not estimator.returned:
        return None
    slug = snake(estimator.cls.split(".")[-1]) if estimator.is_class else "model"
    return Fitted(estimator.variable, estimator.cls if estimator.is_class else None, slug)


def _mocked(estimator: Optional[Estimator]) -> Optional[Mocked]:
    if estimator is None or not (estimator.is_class and estimator.fits_once
                                 and estimator.methods <= {"fit", "predict"}):
        return None
    cls = estimator.cls
    return Mocked(snake(cls.split(".")[-1]), f"train.{cls}.fit", f"train.{cls}.predict",
                  "predict" in estimator.methods)


# how a test reads back a file the script saved with `<library>.dump(...)`, given its `path`
LOADERS_BY_DUMP = {"joblib": "joblib.load(path)", "pickle": "pickle.loads(path.read_bytes())"}


def _main_test(saved: SavedFile, has_estimator: bool) -> MainTest:
    """An option's default is written under tmp_path through the option; a fixed name by running in tmp_path."""
    loader = LOADERS_BY_DUMP.get(saved.library)
    predicts = has_estimator and not saved.plain
    if saved.option is not None:
        name = saved.name
        argv = f'[{py_literal(saved.option.option)}, str(tmp_path / {py_literal(name)})]'
        return MainTest(snake(Path(name).stem), False, argv, f"tmp_path / {py_literal(name)}", loader, predicts)
    return MainTest(snake(Path(saved.path).stem), True, "[]", f"tmp_path / {py_literal(saved.path)}", loader,
                    predicts)


def score_tests(facts: ScoringArtifacts, ref: str, lifted: Lifted, companion: Optional[Plan],
                sample_name: str, checks: Sequence[SampleCheck] = ()) -> ScoreTestsContext:
    model_file, library = facts.model_file, facts.library
    loader = bool(model_file and library and lifted.uses_model_file and facts.model_global)
    trained = None
    if (companion is not None and model_file and any(s.name == model_file for s in saved_files(companion))
            and all(inside(name) for name in companion.read_files)):
        trained = Trained("train", "[]", tuple(companion.read_files))
    imports = ["import json", "import numpy as np"] if facts.sample is not None else ["import numpy as np"]
    if trained and trained.data_files and facts.sample is not None:
        imports += ["import shutil", "from pathlib import Path"]
    if loader:
        imports.insert(0, f"import {library}")
    check = lifted.request_check
    wrong = wrong_shape(facts.sample, check) if check is not None and facts.sample is not None else (None, None)
    asserts = [(c.needs_model, _sample_assert(c, "score", sample_name)) for c in checks] if facts.sample else []
    return ScoreTestsContext(
        script="score.py", notebook=ref, module="score", imports=tuple(sort_imports(imports)), sample=facts.sample,
        globals=facts.globals_, loader=loader, dumper="joblib.dump" if library == "joblib" else "_pickle_dump",
        model_file=model_file or "model.pkl", model_global=facts.model_global, trained=trained,
        result_key=lifted.result_key, stub=_stub(facts.bundle_keys), rows_key=facts.rows_key,
        sample_name=sample_name, wrong_request=wrong[0], wrong_message=wrong[1],
        checks=tuple(a for needs_model, a in asserts if not needs_model),
        trained_checks=tuple(a for needs_model, a in asserts if needs_model) if trained else ())


def _sample_assert(check: SampleCheck, module: str, sample_name: str) -> SampleAssert:
    """A notebook check in the tests' names: the sample request is score.py's constant."""
    request = ast.Attribute(ast.Name(module, ast.Load()), sample_name, ast.Load())
    condition = expression_code(_Request(request).visit(ast.parse(ast.unparse(check.condition), mode="eval").body))
    return SampleAssert(condition, f"the notebook's check at {check.where}: {check.source}")


class _Request(ast.NodeTransformer):
    def __init__(self, request: ast.expr):
        self.request = request

    def visit_Name(self, node: ast.Name) -> ast.expr:
        return self.request if node.id == REQUEST else node


def _stub(bundle_keys: Sequence[object]) -> str:
    """What the test saves as the model file: a stub model, or a dict of stubs when init() loads a
    bundle and takes its parts out by key (`scaler = bundle["scaler"]`)."""
    if not bundle_keys:
        return "StubModel()"
    return "{" + ", ".join(f"{py_literal(k)}: StubModel()" for k in bundle_keys) + "}"
