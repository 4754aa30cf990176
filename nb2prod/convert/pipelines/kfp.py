"""pipeline_kfp.py: a Kubeflow Pipelines v2 pipeline whose components import train.py and call its steps.

The steps before training become one data component (their results go out as a `Dataset`), the
training step a component writing the model as a `Model` (with the library the notebook saves it
with), the evaluation steps one component logging their metrics as `Metrics` and returning the gate
metric, and a register component runs under `dsl.If` only when that metric beats the production
model's, a pipeline input. Pipeline parameters are train.py's options (train.py.j2's context) that
the steps read, with the notebook's defaults. Convert never imports kfp: this is text.
"""

from __future__ import annotations

import ast
import keyword
import re
from typing import Dict, List, Optional, Sequence, Tuple

from nb2prod.convert.contexts import KfpComponent, KfpContext, KfpParameter, Option
from nb2prod.convert.evaluate import direction
from nb2prod.convert.naming import module_alias, numbered
from nb2prod.escape import py_literal
from nb2prod.frozen import frozen

FILE = "pipeline_kfp.py"
LIBRARIES = {"joblib": "import joblib", "pickle": "import pickle"}  # model formats components can read back
_OPTION = re.compile(r"\{options\}\.(\w+)")


@frozen
class _Names:
    """The components' own local names, clear of the notebook's and the options'."""

    module: str
    script_dir: str
    data: str
    model: str
    metrics: str
    values: str
    production: str


def files(plan, ref: str, env) -> Tuple[Dict[str, str], Tuple[str, ...]]:
    """{"pipeline_kfp.py": body} for a training plan, or no file and a notice saying why."""
    context, why = build_context(plan, ref)
    if context is None:
        return {}, (f"{FILE} not written: {why}",)
    from nb2prod.convert.render import finish  # heavy: libcst (render imports lift)

    return {FILE: finish(env.get_template(FILE + ".j2").render(**vars(context)))}, ()


def build_context(plan, ref: str) -> Tuple[Optional[KfpContext], str]:
    from nb2prod.convert.render import train_context  # heavy: libcst

    shape, why = _shape(plan)
    if shape is None:
        return None, why
    before, train, after, library = shape
    model = plan.estimator[0]
    context, lifted, facts = train_context(plan, ref)
    calls = {f.name: f.calls for f in lifted.functions}
    options = {_attr(o): o for o in context.options}
    taken = set(facts.notebook_names) | set(options) | {s.name for s in plan.steps}
    names = _names(taken)
    keys = [k for s in after for m in s.metrics for k in (m.keys if m.merged else (m.key,))]
    gate = next((k for k in keys if direction(k) is not None), keys[0] if keys else None)
    if gate is None:
        return None, "the evaluation's metric names are not known before it runs"
    shared = [n for n in dict.fromkeys(n for s in before for n in s.returns)
              if n in train.params or any(n in s.params for s in after)]
    body = _Bodies(names, library, calls)
    components = (
        body.data(before, shared, options),
        body.train(train, shared, model, options),
        body.evaluate(after, shared, model, gate, options),
        _register(names, gate),
    )
    used = [o for o in options if any(o in c.parameters for c in components)]
    higher = direction(gate) is not False
    return KfpContext(
        notebook=ref, script="train.py", name=_slug(plan.title or "train"), title=plan.title or "train.py",
        library=library, module=names.module, script_dir=names.script_dir, production=names.production,
        parameters=tuple(KfpParameter(n, kfp_type(options[n]), kfp_default(options[n])) for n in used),
        components=components, gate=gate, higher_is_better=higher, known_direction=direction(gate) is not None,
        tasks=_tasks(components, names, set(used), ">" if higher else "<"),
    ), ""


def _shape(plan):
    """((steps before training, the training step, the steps after it but saves, library), "") when a
    pipeline can carry the data and the model between the steps, else (None, why not)."""
    if plan.kind != "training":
        return None, "a Kubeflow pipeline is written for a training notebook"
    train = next((s for s in plan.steps if s.role == "train"), None)
    if train is None or plan.estimator is None:
        return None, "no training step that fits a model"
    library = next((call.split(".")[0] for call, _ in plan.saved if call.split(".")[0] in LIBRARIES), None)
    if library is None:
        return None, "the model is not saved with joblib.dump or pickle.dump"
    model = plan.estimator[0]
    if tuple(train.returns) != (model,) or train.metrics:
        return None, f"the training step {train.name} returns more than the model"
    position = plan.steps.index(train)
    before = plan.steps[:position]
    after = [s for s in plan.steps[position + 1:] if s.role != "save"]
    if not any(s.metrics for s in after):
        return None, "no evaluation step reports metrics after training"
    given = {n for s in before for n in s.returns}
    needs = {n for s in after for n in s.params} - {model} - given - {n for s in after for n in s.returns}
    if needs:
        return None, f"the evaluation reads {', '.join(sorted(needs))}, which no step before it returns"
    return (before, train, after, library), ""


def kfp_type(option: Option) -> str:
    """The KFP parameter type of a train.py option: a `nargs="+"` list (or tuple) is a `list`, a JSON one
    a `list` or `dict` as its default is; scalars keep their type. KFP passes lists and dicts to the
    component as the Python values, so the step gets what train.py's own parsing gives it."""
    if option.nargs:
        return "list"
    if option.type == "json":
        return "dict" if isinstance(ast.literal_eval(option.default), dict) else "list"
    return option.type


def kfp_default(option: Option) -> str:
    """The notebook's value as a KFP default, code: a tuple is written as a list (KFP's `list` holds JSON);
    the step's call turns it back into a tuple, as train.py's main() does."""
    value = ast.literal_eval(option.default)
    return py_literal(list(value)) if isinstance(value, tuple) else option.default


def _attr(option: Option) -> str:
    return option.dest or option.flag[2:].replace("-", "_")


def _names(taken: set) -> _Names:
    chosen = []
    for base in ("train", "script_dir", "dataset", "model_file", "metrics", "values", "production_metric"):
        name = module_alias(base, taken) if base == "train" else numbered(base, taken)
        taken.add(name)
        chosen.append(name)
    return _Names(*chosen)


def _slug(title: str) -> str:
    """A KFP pipeline name: lower-case letters, digits and dashes."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-") or "train"


class _Bodies:
    """The components' bodies: imports, what they read from their inputs, the step calls, what they write."""

    def __init__(self, names: _Names, library: str, calls: Dict[str, str]) -> None:
        self.names, self.library, self.calls = names, library, calls

    def _head(self) -> List[str]:
        module = "import train" if self.names.module == "train" else f"import train as {self.names.module}"
        return ["import sys", "", f"sys.path.insert(0, {self.names.script_dir})",
                LIBRARIES[self.library], module, ""]

    def _call(self, step, metrics: str = "") -> Tuple[str, List[str]]:
        line = self.calls[step.name].replace(f"{step.name}(", f"{self.names.module}.{step.name}(", 1)
        read = list(dict.fromkeys(_OPTION.findall(line)))
        return _OPTION.sub(r"\1", line).replace("{metrics}", metrics), read

    def _load(self, target: str, path: str) -> str:
        if self.library == "joblib":
            return f"{target} = joblib.load({path}.path)"
        return f"with open({path}.path, 'rb') as file:\n    {target} = pickle.load(file)"

    def _dump(self, value: str, path: str) -> str:
        if self.library == "joblib":
            return f"joblib.dump({value}, {path}.path)"
        return f"with open({path}.path, 'wb') as file:\n    pickle.dump({value}, file)"

    def _unpack(self, shared: Sequence[str], wanted: Sequence[str]) -> List[str]:
        names = [n for n in shared if n in wanted]
        if not names:
            return []
        v = self.names.values
        return [self._load(v, self.names.data), ", ".join(names) + " = " + ", ".join(f"{v}[{py_literal(n)}]" for n in names)]

    def data(self, steps, shared, options) -> KfpComponent:
        lines, read = [], []
        for step in steps:
            line, more = self._call(step)
            lines.append(line)
            read += more
        packed = "{" + ", ".join(f"{py_literal(n)}: {n}" for n in shared) + "}"
        if len(packed) > 72:
            packed = "{\n" + "".join(f"    {py_literal(n)}: {n},\n" for n in shared) + "}"
        lines.append(self._dump(packed, self.names.data))
        names = ", ".join(s.name for s in steps) or "none"
        return _component("data_step", f"train.py's steps before training ({names}); their results go to `{self.names.data}`.",
                          [f"{self.names.data}: Output[Dataset]"], read, options, self._head() + lines, self.names)

    def train(self, step, shared, model, options) -> KfpComponent:
        line, read = self._call(step)
        lines = self._unpack(shared, step.params) + [line, self._dump(model, self.names.model)]
        doc = f"train.py's {step.name}; writes the model to `{self.names.model}` with {self.library}, as the notebook does."
        return _component("train_step", doc, [f"{self.names.data}: Input[Dataset]", f"{self.names.model}: Output[Model]"],
                          read, options, self._head() + lines, self.names)

    def evaluate(self, steps, shared, model, gate, options) -> KfpComponent:
        wanted = {p for s in steps for p in s.params}
        lines = self._unpack(shared, wanted) + [self._load(model, self.names.model)]
        read, first, v = [], True, self.names.metrics + "_"
        scores = numbered("scores", set(wanted) | {model} | set(shared) | {n for s in steps for n in s.returns})
        for step in steps:
            if not step.metrics:
                line, more = self._call(step)
            elif first:
                (line, more), first = self._call(step, scores), False
            else:
                line, more = self._call(step, v)
                line += f"\n{scores}.update({v})"
            lines.append(line)
            read += more
        lines += [f"for name, value in {scores}.items():",
                  "    # KFP metrics are numbers; train.py's metrics.json has the rest",
                  "    if isinstance(value, numbers.Real):",
                  f"        {self.names.metrics}.log_metric(name, float(value))",
                  f"return float({scores}[{py_literal(gate)}])"]
        head = self._head()
        head.insert(0, "import numbers")
        doc = f"train.py's {', '.join(s.name for s in steps)}: logs its metrics, returns {gate} for the gate."
        inputs = [f"{self.names.data}: Input[Dataset]", f"{self.names.model}: Input[Model]",
                  f"{self.names.metrics}: Output[Metrics]"]
        return _component("evaluate_step", doc, inputs, read, options, head + lines, self.names, returns="float")


def _component(name, doc, artifacts, read, options, lines, names: _Names, returns: str = "") -> KfpComponent:
    read = list(dict.fromkeys(read))
    signature = [f"{names.script_dir}: str", *artifacts, *(f"{r}: {kfp_type(options[r])}" for r in read)]
    return KfpComponent(name=name, doc=doc, signature=", ".join(signature), returns=returns,
                        body=tuple("\n".join(lines).split("\n")), parameters=tuple(read))


def _register(names: _Names, gate: str) -> KfpComponent:
    registered = numbered("registered", {names.model, gate})
    metric = gate if gate.isidentifier() and not keyword.iskeyword(gate) and gate not in (names.model, registered) \
        else "metric"
    lines = ["import shutil", "", f"shutil.copyfile({names.model}.path, {registered}.path)",
             f"{registered}.metadata[{py_literal(gate)}] = {metric}"]
    doc = f"Registers the candidate: a copy with its {gate} here; on a cluster, your model registry's call."
    return KfpComponent(name="register_step", doc=doc, returns="", parameters=(),
                        signature=f"{names.model}: Input[Model], {metric}: float, {registered}: Output[Model]",
                        body=tuple(lines))


def _tasks(components, names: _Names, options: set, compare: str) -> Tuple[str, ...]:
    """The pipeline's body: one task per component, the register task under the gate."""
    taken = set(options) | {names.production, names.script_dir}
    data, trained, evaluated, candidate = (numbered(n, taken) for n in ("prepared", "trained", "evaluated", "candidate"))
    data_c, train_c, evaluate_c, register_c = components

    def args(component, *extra):
        words = [f"{names.script_dir}={names.script_dir}", *extra, *(f"{p}={p}" for p in component.parameters)]
        one_line = ", ".join(words)
        return one_line if len(one_line) < 72 else "\n" + "".join(f"    {w},\n" for w in words)

    out_data = f'{data}.outputs["{names.data}"]'
    out_model = f'{trained}.outputs["{names.model}"]'
    metric = register_c.signature.split(", ")[1].split(":")[0]
    return (
        f"{data} = data_step({args(data_c)})",
        f"{trained} = train_step({args(train_c, f'{names.data}={out_data}')})",
        f"{evaluated} = evaluate_step({args(evaluate_c, f'{names.data}={out_data}', f'{names.model}={out_model}')})",
        f'{candidate} = {evaluated}.outputs["Output"]',
        f'with dsl.If({candidate} {compare} {names.production}, "candidate-is-better"):',
        f"    register_step({names.model}={out_model}, {metric}={candidate})",
    )
