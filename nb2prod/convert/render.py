"""Fill the Jinja templates: typed contexts (convert/contexts.py) built from resolved facts (convert/artifacts.py)."""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import field, replace
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from nb2prod.escape import code_comments, docstring_text, help_text, py_literal, split_lines, yaml_scalar
from nb2prod.convert.artifacts import (TrainingArtifacts, metrics_file, model_option, scoring_artifacts,
                                       training_artifacts)
from nb2prod.convert.contexts import MetricsReport, Option, ParamsFile, RequestShape, ScoreContext, TrainContext
from nb2prod.convert.hyper import Hyper
from nb2prod.convert.lift import Lifted, lift
from nb2prod.convert.naming import free_name, numbered
from nb2prod.convert.plan import Plan
from nb2prod.convert.plan.sample_checks import CODE, MOVED_TRAINED
from nb2prod.convert.test_contexts import score_tests, train_tests
from nb2prod.frozen import frozen

TRAIN_IMPORTS = ("import argparse", "import json")  # json: main() reads --params FILE
METRICS_IMPORTS = ("import json", "from pathlib import Path")  # main() writes the metrics as JSON
SCORE_IMPORTS = ("import argparse", "import json", "import os")
DEFAULT = " (default: %(default)s)"  # argparse fills it in
MODEL_PATH = "--model-path"  # the model's path is always an option of that name (an alias when named otherwise)


@frozen
class Rendered:
    """The generated files' text by file name, and the lifted code they came from."""

    files: Dict[str, str]
    lifted: Lifted
    context: object = None  # the script's template context (TrainContext, ScoreContext): pipelines read its options
    reasons: Dict[int, Tuple[str, str]] = field(default_factory=dict)  # drops whose reason the tests decided


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
        bytecode_cache=_template_cache(jinja2),
    )
    env.filters["pyrepr"] = py_literal
    env.filters["docstring"] = docstring_text
    env.filters["indent_code"] = indent_code
    env.filters["yaml"] = yaml_scalar
    return env


TEMPLATE_SETTINGS = "strict-keepnl-noescape-1"  # environment()'s settings, which compiled templates depend on


def _template_cache(jinja2):
    """Compiled templates kept between runs in the user cache folder (never the user's tree): compiling them
    was a tenth of a convert's CPU time. Jinja finds an entry by the template's name and path and uses it only
    when the source hashes the same; the folder is named after the Jinja version and TEMPLATE_SETTINGS (change
    it with the settings: old entries are then not read). None when the folder cannot be made."""
    from nb2prod.convert.environment import cache_folder

    folder = cache_folder() / f"templates-{jinja2.__version__}-{TEMPLATE_SETTINGS}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _cache_type()(str(folder))


@lru_cache(maxsize=1)
def _cache_type():
    """jinja2's FileSystemBytecodeCache taking a damaged or unwritable entry for a missing one."""
    import jinja2

    class TemplateCache(jinja2.FileSystemBytecodeCache):
        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except Exception:  # a damaged entry (pickle and marshal raise many kinds): compile afresh
                bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except OSError:  # a full disk, the folder removed meanwhile: the next run compiles again
                pass

    return TemplateCache


def indent_code(text: str, width: int = 4) -> str:
    """Jinja's `indent` for code: it cuts lines with str.splitlines, which also breaks inside a string or comment."""
    lines = split_lines(text)
    return "\n".join([lines[0]] + [" " * width + line if line else line for line in lines[1:]])


def render(plan: Plan, notebook_ref: str, env, companion: Optional[Plan] = None) -> Rendered:
    if plan.kind == "training":
        return _training(plan, notebook_ref, env)
    return _scoring(plan, notebook_ref, env, companion)


def _fill(env, name: str, context) -> str:
    return finish(env.get_template(name).render(**vars(context)))


# -- training ---------------------------------------------------------------------------------

def _training(plan: Plan, ref: str, env) -> Rendered:
    context, lifted, facts = train_context(plan, ref)
    files = {"train.py": _fill(env, "train.py.j2", context),
             "test_train.py": _fill(env, "test_train.py.j2", train_tests(plan, facts, ref))}
    return Rendered(files, lifted, context)


def train_context(plan: Plan, ref: str) -> Tuple[TrainContext, Lifted, TrainingArtifacts]:
    """train.py.j2's context, the lifted code it holds and the artifacts it was built from: also what
    the pipeline files (convert/pipelines) read train.py's steps and options from."""
    reporting = any(step.metrics for step in plan.steps)
    model = model_option(plan)
    paths = ("from pathlib import Path",) if model is not None else ()
    lifted = lift(plan, TRAIN_IMPORTS + paths + (METRICS_IMPORTS if reporting else ()))
    facts = training_artifacts(plan)
    options_name = free_name("options", facts.notebook_names)
    taken = set(facts.notebook_names) | {s.name for s in plan.steps} | {h.name for h in plan.hypers} | {options_name}
    metrics = _metrics_report(taken) if reporting else None
    params = _params_file(taken, {h.option for h in plan.hypers})
    options = tuple(_option(h, model) for h in _unique(plan.hypers))
    if metrics is not None:
        options += (_metrics_option(metrics, metrics_file(plan)),)
    context = TrainContext(
        title=plan.title or f"Train the model of {Path(plan.notebook.path).name}",
        intro=_docstring_text(plan.intro), notebook=ref, script="train.py",
        imports=lifted.imports, module=lifted.module,
        gap=_gap(lifted.module), module_block="\n\n\n".join(code.rstrip() for code in lifted.module),
        functions=lifted.functions, options=options, options_name=options_name,
        calls=_model_folder(model, options_name) + _main_calls(plan, lifted, options_name, metrics, taken),
        metrics=metrics, params=params,
    )
    return context, lifted, facts


def _metrics_report(taken: set) -> MetricsReport:
    names = []
    for base in ("metrics", "report_metrics", "_plain", "metrics_path"):
        names.append(numbered(base, taken))
        taken.add(names[-1])
    return MetricsReport(*names)


def _params_file(taken: set, flags: set) -> ParamsFile:
    """`--params FILE` (`--params-file` when the notebook has a `--params` option) and its reader's name."""
    flag = next(f for f in ("--params", "--params-file", "--params-file-2") if f not in flags)
    dest, reader = numbered(flag[2:].replace("-", "_"), taken), numbered("read_params", taken)
    taken.update((dest, reader))
    return ParamsFile(flag, dest, reader)


def _metrics_option(metrics: MetricsReport, default: str) -> Option:
    """`--metrics-path`, by default `metrics.json` beside the model file (artifacts.metrics_file)."""
    return Option(flag="--" + metrics.dest.replace("_", "-"), dest="", type="str", default=py_literal(default),
                  help=help_text("where main() writes the metrics, as JSON") + DEFAULT)


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
            more = numbered(metrics.var, taken)
            taken.add(more)
            calls += [f.calls.format(options=options_name, metrics=more), f"{metrics.var}.update({more})"]
    if metrics is not None:
        calls.append(f"{metrics.report}({metrics.var}, {options_name}.{metrics.dest})")
    return tuple(calls)


def _docstring_text(text: str) -> str:
    """Prose for a docstring: escaped (nothing can end the docstring early), then wrapped."""
    paragraphs = docstring_text(text.replace("\r\n", "\n").replace("\r", "\n"), multiline=True).split("\n")
    return "\n".join(w for p in paragraphs for w in (textwrap.wrap(p, 88, break_long_words=False) or [""]))


def _gap(blocks: Sequence[str]) -> str:
    """Blank lines after the imports: one before a constant, two before a definition (isort, PEP 8)."""
    first = blocks[0].lstrip() if blocks else "def"
    return "\n" if first.startswith(("def ", "class ", "async def ", "@")) else ""


def _model_folder(model: Optional[Hyper], options_name: str) -> Tuple[str, ...]:
    """main() first makes the folder the model goes to: a pipeline step may point it anywhere."""
    if model is None:
        return ()
    return (f"Path({options_name}.{model.name}).parent.mkdir(parents=True, exist_ok=True)",)


def _option(h: Hyper, model: Optional[Hyper]) -> Option:
    where = f"{h.source_name}[{h.key!r}]" if h.key else h.source_name
    derived = h.option[2:].replace("-", "_")
    kind, nargs = h.kind
    aliases = (MODEL_PATH,) if h == model and h.option != MODEL_PATH else ()
    return Option(flag=h.option, dest=h.name if derived != h.name else "", type=kind, nargs=nargs, aliases=aliases,
                  default=h.literal,
                  help=help_text(h.help) + DEFAULT if h.help else help_text(f"notebook value of {where}: {h.default!r}"))


def _unique(hypers: Sequence[Hyper]) -> List[Hyper]:
    seen, out = set(), []
    for h in hypers:
        if h.name not in seen:
            seen.add(h.name)
            out.append(h)
    return out


# -- scoring ----------------------------------------------------------------------------------

def _scoring(plan: Plan, ref: str, env, companion: Optional[Plan]) -> Rendered:
    lifted = lift(plan, SCORE_IMPORTS)
    facts = scoring_artifacts(plan)
    code = "\n".join(list(lifted.module) + [f.code for f in lifted.functions])
    if not lifted.uses_model_file and not re.search(r"\bos\.", code):  # only _model_file() needs `os`
        lifted = replace(lifted, imports=tuple(i for i in lifted.imports if i != "import os"))
    blocks = [code.rstrip() for code in lifted.module]
    names = plan.script_names
    if plan.sample_input is not None:
        blocks.append(f"{names.sample} = {py_literal(plan.sample_input)}")
    if facts.globals_:
        blocks.append("\n".join(f"{name} = None  # set by init()" for name in facts.globals_))
    context = ScoreContext(
        gap=_gap(blocks), module_block="\n\n\n".join(blocks),
        title=plan.title or f"Score requests with the model of {Path(plan.notebook.path).name}",
        intro=_docstring_text(plan.intro), notebook=ref, script="score.py",
        imports=lifted.imports, module=lifted.module, functions=lifted.functions, sample=plan.sample_input,
        globals=facts.globals_, uses_model_file=lifted.uses_model_file, uses_jsonable=lifted.uses_jsonable,
        options_name=free_name("options", facts.notebook_names), parser_name=names.parser, sample_name=names.sample,
        model_file_helper=names.model_file, jsonable_helper=names.jsonable, request=_request_shape(lifted),
        request_problem_helper=names.request_problem, bad_request_helper=names.bad_request,
    )
    files = {"score.py": _fill(env, "score.py.j2", context)}
    tests = score_tests(facts, ref, lifted, companion, names.sample, plan.sample_checks)
    files["test_score.py"] = _fill(env, "test_score.py.j2", tests)
    trained = {c.index: (CODE, MOVED_TRAINED) for c in plan.sample_checks if c.needs_model and tests.trained_checks}
    return Rendered(files, lifted, context, trained)


def _request_shape(lifted: Lifted) -> Optional[RequestShape]:
    check = lifted.request_check
    if check is None:
        return None
    kind = "an object of columns" if check.form == "columns" else "a non-empty list of rows"
    where = f" under {json.dumps(check.key, ensure_ascii=False)}" if check.key is not None else ""
    return RequestShape(check.key, check.form, check.width, py_literal(check.columns), check.numbers,
                        py_literal(f"the request needs {kind}{where}"))


# -- helpers ----------------------------------------------------------------------------------

def finish(text: str) -> str:
    """Exactly one trailing newline, no trailing spaces, each comment on its line: generated files read like
    hand-written ones."""
    code = code_comments("\n".join(split_lines(text)))  # Python's line ends, all written as \n
    lines = [line.rstrip() for line in code.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"
