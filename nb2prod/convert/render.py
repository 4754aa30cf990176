"""Fill the Jinja templates: the context is built here in Python, the templates hold layout only."""

from __future__ import annotations

import ast
import keyword
import re
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from nb2prod.escape import code_comments, docstring_text, help_text, split_lines, string_literal
from nb2prod.convert.hyper import Hyper
from nb2prod.convert.lift import MODEL_SUFFIXES, Lifted, lift, model_file_constants, request_rows, sort_imports
from nb2prod.convert.plan import Plan, Step
from nb2prod.convert.sections import SAVE_CALLS, call_names

TRAIN_IMPORTS = ("import argparse",)
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


# -- training ---------------------------------------------------------------------------------

def _training(plan: Plan, ref: str, env) -> Rendered:
    lifted = lift(plan, TRAIN_IMPORTS)
    names = _notebook_names(plan)
    options_name = _free_name("options", names)
    options = [_option(h) for h in _unique(plan.hypers)]
    calls = [f.calls.format(options=options_name) for f in lifted.functions]
    title = plan.title or f"Train the model of {Path(plan.notebook.path).name}"
    context = dict(
        title=title, intro=_docstring_text(plan.intro), notebook=ref, script="train.py",
        imports=lifted.imports, module=lifted.module,
        gap=_gap(lifted.module), module_block="\n\n\n".join(code.rstrip() for code in lifted.module),
        functions=lifted.functions, options=options, options_name=options_name, calls=calls,
    )
    files = {"train.py": _finish(env.get_template("train.py.j2").render(**context))}
    files["test_train.py"] = _finish(env.get_template("test_train.py.j2").render(**_train_tests(plan, ref)))
    return Rendered(files, lifted)


def _docstring_text(text: str) -> str:
    """Prose for a docstring: escaped (nothing can end the docstring early), then wrapped."""
    paragraphs = docstring_text(text.replace("\r\n", "\n").replace("\r", "\n"), multiline=True).split("\n")
    return "\n".join(w for p in paragraphs for w in (textwrap.wrap(p, 88, break_long_words=False) or [""]))


def _gap(blocks: Sequence[str]) -> str:
    """Blank lines after the imports: one before a constant, two before a definition (isort, PEP 8)."""
    first = blocks[0].lstrip() if blocks else "def"
    return "\n" if first.startswith(("def ", "class ", "async def ", "@")) else ""


def _option(h: Hyper) -> dict:
    kind = type(h.default).__name__
    where = f"{h.source_name}[{h.key!r}]" if h.key else h.source_name
    derived = h.option[2:].replace("-", "_")
    return {"flag": h.option, "dest": h.name if derived != h.name else "", "type": kind,
            "default": py_literal(h.default),
            "help": help_text(f"notebook value of {where}: {h.default!r}")}


def _unique(hypers: Sequence[Hyper]) -> List[Hyper]:
    seen, out = set(), []
    for h in hypers:
        if h.name not in seen:
            seen.add(h.name)
            out.append(h)
    return out


def _train_tests(plan: Plan, ref: str) -> dict:
    train = next((s for s in plan.steps if s.role == "train"), None)
    module = _module_alias("train", _notebook_names(plan))
    upstream, available = [], set()
    for step in plan.steps:
        if step is train:
            break
        call = f"{module}.{step.name}({', '.join(step.params)})"
        upstream.append(f"{', '.join(step.returns)} = {call}" if step.returns else call)
        available |= set(step.returns)
    printed = _printed(plan, plan.steps[: plan.steps.index(train) + 1] if train else ())
    main_tests = _main_tests(plan)
    data_files = list(plan.read_files) if any(t["chdir"] for t in main_tests) else []
    context = dict(script="train.py", notebook=ref, module=module, upstream=upstream, train=None, fitted=None,
                   mocked=None, predict_input=None, main_tests=main_tests, printed=printed, data_files=data_files)
    imports = ["import numpy as np"]
    if printed:
        imports += ["import json", "import re", "from pathlib import Path", "import pytest"]
    if data_files:
        imports += ["import shutil", "from pathlib import Path"]
    for library in sorted({t["loader"].split(".")[0] for t in context["main_tests"] if t["loader"]}, reverse=True):
        imports.insert(0, f"import {library}")
    context["imports"] = imports
    if train is not None:
        context["train"] = {"name": train.name, "args": ", ".join(train.params), "returns": ", ".join(train.returns)}
    context["smoke"] = not context["main_tests"]  # the printed-numbers test skips without outputs
    if train is None or plan.estimator is None:
        return _sorted_imports(context)
    variable, cls = plan.estimator
    is_class = cls.split(".")[-1][:1].isupper()
    if variable in train.returns:  # a factory (`make_pipeline(...)`) has no class to check: its predict is
        context["fitted"] = {"variable": variable, "cls": cls if is_class else None,
                             "slug": _snake(cls.split(".")[-1]) if is_class else "model"}
        inputs = plan.predict_input
        if inputs and _free(inputs) <= available | {variable}:
            context["predict_input"] = inputs
    methods = _methods_called(train, variable)
    if is_class and _fits_once(train, variable) and methods <= {"fit", "predict"}:
        context["mocked"] = {
            "slug": _snake(cls.split(".")[-1]),
            "fit_target": f"train.{cls}.fit",
            "predict_target": f"train.{cls}.predict",
            "predicts": "predict" in methods,
        }
    context["smoke"] = not (context["main_tests"] or context["fitted"] or context["mocked"])
    return _sorted_imports(context)


def _sorted_imports(context: dict) -> dict:
    """numpy only for the tests that use it (finite predictions, the mocked predict); isort order."""
    imports = context["imports"]
    if not (context["predict_input"] or (context["mocked"] and context["mocked"]["predicts"])):
        imports = [line for line in imports if line != "import numpy as np"]
    context["imports"] = sort_imports(imports)
    return context


def _printed(plan: Plan, steps: Sequence[Step]) -> List[int]:
    """Cells that call print() and whose code the steps keep whole: what they printed when the notebook
    was saved is what the steps must print. Only the cell numbers go into the generated test, which
    reads the outputs from the notebook when it runs, so clearing or refreshing outputs changes no
    generated file."""
    kept_cells = {s.cell for st in steps for s in st.statements}
    return [pc.cell.index for pc in plan.cells
            if pc.cell.index in kept_cells and _calls_print(pc) and _all_shown_kept(plan, pc.cell.index, steps)]


def _calls_print(pc) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "print"
               for s in pc.statements for n in ast.walk(s.node))


def _all_shown_kept(plan: Plan, cell: int, steps: Sequence[Step]) -> bool:
    """Every statement of the cell that could print is kept in these steps (no dropped prints)."""
    in_steps = {s.index for st in steps for s in st.statements}
    for pc in plan.cells:
        if pc.cell.index == cell:
            return all(s.index in in_steps for s in pc.statements)
    return False


# how a test reads back a file the script saved with `<library>.dump(...)`, given its `path`
LOADERS_BY_DUMP = {"joblib": "joblib.load(path)", "pickle": "pickle.loads(path.read_bytes())"}


def _main_tests(plan: Plan) -> List[dict]:
    tests = []
    by_name = {h.name if not h.key else f"{h.source_name}[{h.key!r}]": h for h in plan.hypers}
    for call, target in plan.saved:
        loader = LOADERS_BY_DUMP.get(call.split(".")[0])
        hyper = by_name.get(target)
        if hyper is not None and isinstance(hyper.default, str):
            name = Path(hyper.default).name
            argv = f'[{py_literal(hyper.option)}, str(tmp_path / {py_literal(name)})]'
            tests.append(dict(slug=_snake(Path(name).stem), chdir=False, argv=argv,
                              path=f"tmp_path / {py_literal(name)}", loader=loader,
                              predicts=plan.estimator is not None and target not in plan.plain_saves))
            continue
        try:
            value = ast.literal_eval(target)
        except (ValueError, SyntaxError):
            continue
        if isinstance(value, str):
            tests.append(dict(slug=_snake(Path(value).stem), chdir=True, argv="[]",
                              path=f"tmp_path / {py_literal(value)}", loader=loader,
                              predicts=plan.estimator is not None and target not in plan.plain_saves))
    return tests


def _fits_once(step: Step, variable: str) -> bool:
    """One `variable.fit(...)` at the top level of the step: the mock can expect exactly one call."""
    count = 0
    for s in step.statements:
        for sub in ast.walk(s.node):
            if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "fit"
                    and isinstance(sub.func.value, ast.Name) and sub.func.value.id == variable):
                count += 1 if not isinstance(s.node, (ast.For, ast.While, ast.AsyncFor)) else 2
    return count == 1


def _methods_called(step: Step, variable: str) -> set:
    """What the step reads off `variable`: attribute names (`fit`, `best_estimator_`), and "(passed)"
    when it hands the object to a call other than a save: a mocked `fit` leaves it unfitted for those."""
    found = set()
    for s in step.statements:
        for sub in ast.walk(s.node):
            if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == variable:
                found.add(sub.attr)
            elif isinstance(sub, ast.Call) and call_names(sub)[0] not in SAVE_CALLS and any(
                    isinstance(a, ast.Name) and a.id == variable for a in sub.args + [k.value for k in sub.keywords]):
                found.add("(passed)")
    return found


# -- scoring ----------------------------------------------------------------------------------

def _scoring(plan: Plan, ref: str, env, companion: Optional[Plan]) -> Rendered:
    lifted = lift(plan, SCORE_IMPORTS)
    code = "\n".join(list(lifted.module) + [f.code for f in lifted.functions])
    if not lifted.uses_model_file and not re.search(r"\bos\.", code):  # only _model_file() needs `os`
        lifted = replace(lifted, imports=tuple(i for i in lifted.imports if i != "import os"))
    init = next((s for s in plan.steps if s.name == "init"), None)
    globals_ = list(init.globals_) if init else []
    options_name = _free_name("options", _notebook_names(plan))
    blocks = [code.rstrip() for code in lifted.module]
    if plan.sample_input is not None:
        blocks.append(f"SAMPLE_REQUEST = {py_literal(plan.sample_input)}")
    if globals_:
        blocks.append("\n".join(f"{name} = None  # set by init()" for name in globals_))
    context = dict(
        gap=_gap(blocks), module_block="\n\n\n".join(blocks),
        title=plan.title or f"Score requests with the model of {Path(plan.notebook.path).name}",
        intro=_docstring_text(plan.intro), notebook=ref, script="score.py",
        imports=lifted.imports, module=lifted.module, functions=lifted.functions, sample=plan.sample_input,
        globals=globals_, uses_model_file=lifted.uses_model_file, uses_jsonable=lifted.uses_jsonable,
        options_name=options_name,
    )
    files = {"score.py": _finish(env.get_template("score.py.j2").render(**context))}
    files["test_score.py"] = _finish(env.get_template("test_score.py.j2").render(
        **_score_tests(plan, ref, init, globals_, lifted, companion)))
    return Rendered(files, lifted)


def _score_tests(plan: Plan, ref: str, init: Optional[Step], globals_, lifted: Lifted, companion) -> dict:
    model_file = _model_file(init, model_file_constants(plan)) if init else None
    init_code = "\n".join(ast.unparse(s.node) for s in init.statements) if init else ""
    library = next((lib for lib in ("joblib", "pickle") if f"{lib}.load(" in init_code), None)
    model_global = next((g for g in globals_ if _assigned_by_load(init, g)), globals_[0] if globals_ else None)
    loader = bool(model_file and library and lifted.uses_model_file and model_global)
    trained = None
    if companion is not None and model_file and any(
            Path(_literal(t) or "").name == model_file or _hyper_file(companion, t) == model_file
            for _, t in companion.saved):
        trained = {"module": "train", "argv": "[]", "data_files": list(companion.read_files)}
    imports = ["import json", "import numpy as np"] if plan.sample_input is not None else ["import numpy as np"]
    if trained and trained["data_files"] and plan.sample_input is not None:
        imports += ["import shutil", "from pathlib import Path"]
    if loader:
        imports.insert(0, f"import {library}")
    dumper = "joblib.dump" if library == "joblib" else "_pickle_dump"
    return dict(script="score.py", notebook=ref, module="score", imports=sort_imports(imports), sample=plan.sample_input,
                globals=globals_, loader=loader, dumper=dumper, model_file=model_file or "model.pkl",
                model_global=model_global, trained=trained, result_key=lifted.result_key, stub=_stub_file(init),
                rows_key=request_rows(plan.sample_input)[0])


def _model_file(step: Step, constants: Dict[str, str]) -> Optional[str]:
    """The model file init() loads: a literal name, or a module constant holding one."""
    for s in step.statements:
        for sub in ast.walk(s.node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value.lower().endswith(MODEL_SUFFIXES):
                return Path(sub.value).name
            if isinstance(sub, ast.Name) and sub.id in constants:
                return Path(constants[sub.id]).name
    return None


def _stub_file(step: Optional[Step]) -> str:
    """What the test saves as the model file: a stub model, or a dict of stubs when init() loads a
    bundle and takes its parts out by key (`scaler = bundle["scaler"]`)."""
    if step is None:
        return "StubModel()"
    loaded = {t.id for s in step.statements if isinstance(s.node, ast.Assign) and "load" in ast.unparse(s.node.value)
              for t in s.node.targets if isinstance(t, ast.Name)}
    keys = []
    for s in step.statements:
        value = s.node.value if isinstance(s.node, ast.Assign) else None
        if (isinstance(value, ast.Subscript) and isinstance(value.value, ast.Name) and value.value.id in loaded
                and isinstance(value.slice, ast.Constant) and value.slice.value not in keys):
            keys.append(value.slice.value)
    if not keys:
        return "StubModel()"
    return "{" + ", ".join(f"{py_literal(k)}: StubModel()" for k in keys) + "}"


def _assigned_by_load(step: Optional[Step], name: str) -> bool:
    if step is None:
        return False
    for s in step.statements:
        if isinstance(s.node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in s.node.targets):
            if "load" in ast.unparse(s.node.value):
                return True
    return False


def _literal(expr: str) -> Optional[str]:
    try:
        value = ast.literal_eval(expr)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _hyper_file(plan: Plan, target: str) -> Optional[str]:
    for h in plan.hypers:
        name = h.name if not h.key else f"{h.source_name}[{h.key!r}]"
        if name == target and isinstance(h.default, str):
            return Path(h.default).name
    return None


# -- helpers ----------------------------------------------------------------------------------

def _notebook_names(plan: Plan) -> set:
    names = set()
    for pc in plan.cells:
        for sub in ast.walk(pc.tree):
            if isinstance(sub, ast.Name):
                names.add(sub.id)
    return names


def _module_alias(module: str, taken: set) -> str:
    """How the generated test names the script's module: `train`, unless the notebook has a variable
    called that (`train, test = train_test_split(df)`), which the test's own lines would rebind."""
    alias = module
    while alias in taken:
        alias += "_script"
    return alias


def _free_name(base: str, taken: set) -> str:
    name = base
    while name in taken:
        name = "cli_" + name
    return name


def _free(expr: str) -> set:
    return {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}


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
