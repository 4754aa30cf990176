"""Fill the Jinja templates: typed contexts (convert/contexts.py) built from resolved facts (convert/artifacts.py)."""

from __future__ import annotations

import keyword
import posixpath
import re
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Sequence, Tuple

from nb2prod.escape import code_comments, docstring_text, help_text, split_lines, string_literal
from nb2prod.convert.artifacts import (Estimator, SavedFile, ScoringArtifacts, TrainingArtifacts, metrics_file,
                                       printing_end, saved_files, scoring_artifacts, training_artifacts)
from nb2prod.convert.contexts import (EvaluationTest, Fitted, MainTest, MetricsReport, Mocked, Option, ScoreContext,
                                      ScoreTestsContext, TrainCall, TrainContext, Trained, TrainTestsContext)
from nb2prod.convert.hyper import Hyper
from nb2prod.convert.lift import Lifted, lift, sort_imports
from nb2prod.convert.plan import Plan, Step

TRAIN_IMPORTS = ("import argparse",)
METRICS_IMPORTS = ("import json", "from pathlib import Path")  # main() writes the metrics as JSON
SCORE_IMPORTS = ("import argparse", "import json", "import os")


@dataclass(frozen=True)
class Rendered:
    """The generated files' text by file name, and the lifted code they came from."""

    files: Dict[str, str]
    lifted: Lifted


def default_templates() -> Path:
    here = Path(__file__).resolve().parent.parent  # the nb2prod package
    packaged = here / "templates"
    return packaged if packaged.is_dir() else here.parent / "templates"


def environment(user_dir: Optional[str] = None):
    import jinja2

    dirs = ([user_dir] if user_dir else []) + [str(default_templates())]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(dirs),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["pyrepr"] = py_literal
    env.filters["docstring"] = docstring_text
    env.filters["indent_code"] = indent_code
    return env


def py_literal(value) -> str:
    """A Python literal for `value`, strings in double quotes where that needs no escaping."""
    return string_literal(value) if isinstance(value, str) else repr(value)


def indent_code(text: str, width: int = 4) -> str:
    """Jinja's `indent` for code: it cuts lines with str.splitlines, which also breaks inside a string or comment."""
    lines = split_lines(text)
    return "\n".join([lines[0]] + [" " * width + line if line else line for line in lines[1:]])


def render(plan: Plan, notebook_ref: str, env, companion: Optional[Plan] = None) -> Rendered:
    if plan.kind == "training":
        return _training(plan, notebook_ref, env)
    return _scoring(plan, notebook_ref, env, companion)


def _fill(env, name: str, context) -> str:
    return _finish(env.get_template(name).render(**vars(context)))


# -- training ---------------------------------------------------------------------------------

def _training(plan: Plan, ref: str, env) -> Rendered:
    reporting = any(step.metrics for step in plan.steps)
    lifted = lift(plan, TRAIN_IMPORTS + (METRICS_IMPORTS if reporting else ()))
    facts = training_artifacts(plan)
    options_name = _free_name("options", facts.notebook_names)
    taken = set(facts.notebook_names) | {s.name for s in plan.steps} | {h.name for h in plan.hypers} | {options_name}
    metrics = _metrics_report(taken) if reporting else None
    options = tuple(_option(h) for h in _unique(plan.hypers))
    if metrics is not None:
        options += (_metrics_option(metrics, metrics_file(plan)),)
    context = TrainContext(
        title=plan.title or f"Train the model of {Path(plan.notebook.path).name}",
        intro=_docstring_text(plan.intro), notebook=ref, script="train.py",
        imports=lifted.imports, module=lifted.module,
        gap=_gap(lifted.module), module_block="\n\n\n".join(code.rstrip() for code in lifted.module),
        functions=lifted.functions, options=options, options_name=options_name,
        calls=_main_calls(plan, lifted, options_name, metrics, taken), metrics=metrics,
    )
    files = {"train.py": _fill(env, "train.py.j2", context),
             "test_train.py": _fill(env, "test_train.py.j2", _train_tests(plan, facts, ref))}
    return Rendered(files, lifted)


def _metrics_report(taken: set) -> MetricsReport:
    names = []
    for base in ("metrics", "report_metrics", "_plain", "metrics_path"):
        names.append(_numbered(base, taken))
        taken.add(names[-1])
    return MetricsReport(*names)


def _metrics_option(metrics: MetricsReport, default: str) -> Option:
    """`--metrics-path`, by default `metrics.json` beside the model file (artifacts.metrics_file)."""
    return Option(flag="--" + metrics.dest.replace("_", "-"), dest="", type="str", default=py_literal(default),
                  help=help_text("where main() writes the metrics, as JSON"))


def _main_calls(plan: Plan, lifted: Lifted, options_name: str, metrics: Optional[MetricsReport],
                taken: set) -> Tuple[str, ...]:
    """main()'s lines: each step's call, the evaluation steps' metrics gathered into one dict, then reported."""
    calls: List[str] = []
    first = True
    for step, f in zip(plan.steps, lifted.functions):
        if not step.metrics or metrics is None:
            calls.append(f.calls.format(options=options_name, metrics=""))
        elif first:
            calls.append(f.calls.format(options=options_name, metrics=metrics.var))
            first = False
        else:
            more = _numbered(metrics.var, taken)
            taken.add(more)
            calls += [f.calls.format(options=options_name, metrics=more), f"{metrics.var}.update({more})"]
    if metrics is not None:
        calls.append(f"{metrics.report}({metrics.var}, {options_name}.{metrics.dest})")
    return tuple(calls)


def _numbered(base: str, taken: set) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def _docstring_text(text: str) -> str:
    """Prose for a docstring: escaped (nothing can end the docstring early), then wrapped."""
    paragraphs = docstring_text(text.replace("\r\n", "\n").replace("\r", "\n"), multiline=True).split("\n")
    return "\n".join(w for p in paragraphs for w in (textwrap.wrap(p, 88, break_long_words=False) or [""]))


def _gap(blocks: Sequence[str]) -> str:
    """Blank lines after the imports: one before a constant, two before a definition (isort, PEP 8)."""
    first = blocks[0].lstrip() if blocks else "def"
    return "\n" if first.startswith(("def ", "class ", "async def ", "@")) else ""


def _option(h: Hyper) -> Option:
    where = f"{h.source_name}[{h.key!r}]" if h.key else h.source_name
    derived = h.option[2:].replace("-", "_")
    return Option(flag=h.option, dest=h.name if derived != h.name else "", type=type(h.default).__name__,
                  default=h.literal, help=help_text(f"notebook value of {where}: {h.default!r}"))


def _unique(hypers: Sequence[Hyper]) -> List[Hyper]:
    seen, out = set(), []
    for h in hypers:
        if h.name not in seen:
            seen.add(h.name)
            out.append(h)
    return out


def _train_tests(plan: Plan, facts: TrainingArtifacts, ref: str) -> TrainTestsContext:
    module = _module_alias("train", facts.notebook_names)
    train_args = set(facts.train.params) if facts.train else set()
    upstream = _calls(module, facts.upstream, train_args | set(re.findall(r"[A-Za-z_]\w*", facts.predict_input or "")))
    mocked_upstream = _calls(module, facts.upstream, train_args)
    main_tests = tuple(_main_test(saved, facts.estimator is not None) for saved in facts.saved
                       if saved.path is not None)
    outside = tuple(name for name in facts.read_files if not _inside(name)) if main_tests else ()
    runs_main = bool(main_tests)
    if outside:
        main_tests = ()  # main() run in tmp_path would read, and write, outside it
    data_files = tuple(facts.read_files) if any(t.chdir for t in main_tests) else ()
    train = facts.train
    call = TrainCall(train.name, ", ".join(train.params), ", ".join(train.returns)) if train else None
    fitted, mocked = _fitted(facts.estimator), _mocked(facts.estimator)
    imports = ["import numpy as np"] if facts.predict_input or (mocked and mocked.predicts) else []
    if facts.printed:
        imports += ["import json", "import re", "from pathlib import Path", "import pytest"]
    if data_files:
        imports += ["import shutil", "from pathlib import Path"]
    imports += [f"import {library}" for library in {t.loader.split(".")[0] for t in main_tests if t.loader}]
    evaluation = _evaluation_test(plan, module, facts) if any(s.metrics for s in plan.steps) else None
    metrics_argv = '"--metrics-path", str(tmp_path / "metrics.json")' if evaluation else ""
    if evaluation:
        main_tests = tuple(replace(t, argv=_with_argv(t.argv, metrics_argv)) for t in main_tests)
        imports = imports + ["import numpy as np", "import json"]
    return TrainTestsContext(
        script="train.py", notebook=ref, module=module, imports=tuple(sort_imports(imports)), upstream=upstream,
        mocked_upstream=mocked_upstream,
        train=call, fitted=fitted, mocked=mocked, predict_input=facts.predict_input, main_tests=main_tests,
        printed=list(facts.printed), data_files=data_files, outside=outside, smoke=not (runs_main or fitted or mocked),
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
    var = _numbered("metrics", taken)
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
            target = metrics if i == gathered[0] else _numbered(metrics, taken)
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
    slug = _snake(estimator.cls.split(".")[-1]) if estimator.is_class else "model"
    return Fitted(estimator.variable, estimator.cls if estimator.is_class else None, slug)


def _mocked(estimator: Optional[Estimator]) -> Optional[Mocked]:
    if estimator is None or not (estimator.is_class and estimator.fits_once
                                 and estimator.methods <= {"fit", "predict"}):
        return None
    cls = estimator.cls
    return Mocked(_snake(cls.split(".")[-1]), f"train.{cls}.fit", f"train.{cls}.predict",
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
        return MainTest(_snake(Path(name).stem), False, argv, f"tmp_path / {py_literal(name)}", loader, predicts)
    return MainTest(_snake(Path(saved.path).stem), True, "[]", f"tmp_path / {py_literal(saved.path)}", loader,
                    predicts)


# -- scoring ----------------------------------------------------------------------------------

def _scoring(plan: Plan, ref: str, env, companion: Optional[Plan]) -> Rendered:
    lifted = lift(plan, SCORE_IMPORTS)
    facts = scoring_artifacts(plan)
    code = "\n".join(list(lifted.module) + [f.code for f in lifted.functions])
    if not lifted.uses_model_file and not re.search(r"\bos\.", code):  # only _model_file() needs `os`
        lifted = replace(lifted, imports=tuple(i for i in lifted.imports if i != "import os"))
    blocks = [code.rstrip() for code in lifted.module]
    if plan.sample_input is not None:
        blocks.append(f"SAMPLE_REQUEST = {py_literal(plan.sample_input)}")
    if facts.globals_:
        blocks.append("\n".join(f"{name} = None  # set by init()" for name in facts.globals_))
    context = ScoreContext(
        gap=_gap(blocks), module_block="\n\n\n".join(blocks),
        title=plan.title or f"Score requests with the model of {Path(plan.notebook.path).name}",
        intro=_docstring_text(plan.intro), notebook=ref, script="score.py",
        imports=lifted.imports, module=lifted.module, functions=lifted.functions, sample=plan.sample_input,
        globals=facts.globals_, uses_model_file=lifted.uses_model_file, uses_jsonable=lifted.uses_jsonable,
        options_name=_free_name("options", facts.notebook_names),
    )
    files = {"score.py": _fill(env, "score.py.j2", context),
             "test_score.py": _fill(env, "test_score.py.j2", _score_tests(facts, ref, lifted, companion))}
    return Rendered(files, lifted)


def _score_tests(facts: ScoringArtifacts, ref: str, lifted: Lifted, companion: Optional[Plan]) -> ScoreTestsContext:
    model_file, library = facts.model_file, facts.library
    loader = bool(model_file and library and lifted.uses_model_file and facts.model_global)
    trained = None
    if (companion is not None and model_file and any(s.name == model_file for s in saved_files(companion))
            and all(_inside(name) for name in companion.read_files)):
        trained = Trained("train", "[]", tuple(companion.read_files))
    imports = ["import json", "import numpy as np"] if facts.sample is not None else ["import numpy as np"]
    if trained and trained.data_files and facts.sample is not None:
        imports += ["import shutil", "from pathlib import Path"]
    if loader:
        imports.insert(0, f"import {library}")
    return ScoreTestsContext(
        script="score.py", notebook=ref, module="score", imports=tuple(sort_imports(imports)), sample=facts.sample,
        globals=facts.globals_, loader=loader, dumper="joblib.dump" if library == "joblib" else "_pickle_dump",
        model_file=model_file or "model.pkl", model_global=facts.model_global, trained=trained,
        result_key=lifted.result_key, stub=_stub(facts.bundle_keys), rows_key=facts.rows_key)


def _stub(bundle_keys: Sequence[object]) -> str:
    """What the test saves as the model file: a stub model, or a dict of stubs when init() loads a
    bundle and takes its parts out by key (`scaler = bundle["scaler"]`)."""
    if not bundle_keys:
        return "StubModel()"
    return "{" + ", ".join(f"{py_literal(k)}: StubModel()" for k in bundle_keys) + "}"


# -- helpers ----------------------------------------------------------------------------------

def _module_alias(module: str, taken: set) -> str:
    """How the generated test names the script's module: `train`, unless the notebook has a variable
    called that (`train, test = train_test_split(df)`), which the test's own lines would rebind."""
    alias = module
    while alias in taken:
        alias += "_script"
    return alias


def _inside(name: str) -> bool:
    """A relative path that stays inside the folder it is read from: `data/x.csv`, not `../data/x.csv`."""
    return not PurePosixPath(name).is_absolute() and not posixpath.normpath(name).startswith("..")


def _free_name(base: str, taken: set) -> str:
    name = base
    while name in taken:
        name = "cli_" + name
    return name


def _snake(name: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()
    text = re.sub(r"[^a-z0-9_]+", "_", text).strip("_") or "model"
    return text + "_" if keyword.iskeyword(text) else text


def _finish(text: str) -> str:
    """Exactly one trailing newline, no trailing spaces, each comment on its line: generated files read like
    hand-written ones."""
    code = code_comments("\n".join(split_lines(text)))  # Python's line ends, all written as \n
    lines = [line.rstrip() for line in code.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
