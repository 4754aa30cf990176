"""`--pipeline azureml`: the generated scripts as an Azure ML (v2) pipeline, written as YAML text.

azureml/ holds one command component per step (train → evaluate → register), the pipeline job wiring
them with train.py's options as pipeline inputs (defaults: the notebook's values), the training
environment (environment.yml + conda.yml from requirements.txt's pins) and, for a scoring notebook, an
online deployment whose entry script is score.py. Never imports azure-ai-ml: every value reaches the YAML
through `escape.yaml_scalar` (the templates' `yaml` filter) and shell words through `shlex.quote`.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from nb2prod.convert import environment
from nb2prod.convert.artifacts import training_artifacts

FOLDER = "azureml"
TRAIN_IMAGE = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
SERVE_IMAGE = "mcr.microsoft.com/azureml/minimal-ubuntu22.04-py311-cpu-inference:latest"
COMPUTE = "azureml:cpu-cluster"
INSTANCE = "Standard_DS3_v2"
TYPES = {"int": "integer", "float": "number", "str": "string"}  # a bool option keeps its default (see README)
PRODUCTION = "production_model"
REGISTERED = "registered_model"


@dataclass(frozen=True)
class Port:
    """A component or pipeline input or output: its name, Azure ML type, default and whether it may be left out."""

    name: str
    type: str
    default: object = None
    optional: bool = False


@dataclass(frozen=True)
class Component:
    name: str
    display_name: str
    description: str
    environment: str
    command: str
    inputs: Tuple[Port, ...]
    outputs: Tuple[Port, ...]


@dataclass(frozen=True)
class Job:
    name: str
    component: str
    inputs: Tuple[Tuple[str, str], ...]
    outputs: Tuple[Tuple[str, str], ...] = ()


def slug(text: str) -> str:
    """A name Azure ML accepts for assets and endpoints: lower-case letters, digits and `-`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


def files(generated: Sequence, env, texts: Dict[str, str]) -> Tuple[Dict[str, str], Tuple[str, ...]]:
    """azureml/*.yml bodies for one output folder (its Generated notebooks and all their `texts`), and notices."""
    training = [g for g in generated if g.plan.kind == "training"]
    scoring = [g for g in generated if g.plan.kind == "scoring"]
    model_name = slug(Path((training or scoring)[0].notebook).stem) + "-model"
    out: Dict[str, str] = {}
    notices: List[str] = []
    if training:
        out.update(_training(training[0], env, texts, model_name, notices))
    if scoring:
        out[f"{FOLDER}/deployment.yml"] = _fill(env, "deployment.yml.j2", dict(
            name="blue", endpoint=slug(Path(scoring[0].notebook).stem) + "-endpoint",
            model=f"azureml:{model_name}@latest", script="score.py",
            environment=environment.environment_name(scoring[0].notebook), image=SERVE_IMAGE,
            conda_file=f"../{environment.CONDA}", instance_type=INSTANCE))
    return out, tuple(notices)


def _training(gen, env, texts: Dict[str, str], model_name: str, notices: List[str]) -> Dict[str, str]:
    context = gen.context
    metrics_dest = context.metrics.dest if context.metrics is not None else None
    options = [o for o in context.options if (o.dest or o.flag[2:].replace("-", "_")) != metrics_dest]
    params = [Port(_dest(o), TYPES[o.type], _default(o)) for o in options if o.type in TYPES]
    kept = [o.flag for o in options if o.type not in TYPES]
    if kept:
        notices.append(f"azureml: {', '.join(kept)} keep their notebook values (a flag is not a pipeline input)")
    saved = [s for s in training_artifacts(gen.plan).saved if s.path]
    args = [f"{o.flag} ${{{{inputs.{_dest(o)}}}}}" for o in options if o.type in TYPES]
    if metrics_dest is not None:
        args.append(f"--{metrics_dest.replace('_', '-')} ${{{{outputs.metrics}}}}/metrics.json")
    copies = [_saved_path(s, options) for s in saved]
    command = " ".join(["python train.py", *args]) + "".join(f" && cp {c} ${{{{outputs.model}}}}/" for c in copies)
    env_ref = "file:environment.yml"
    outputs = (Port("model", "uri_folder"),) + ((Port("metrics", "uri_folder"),) if metrics_dest else ())
    components = [Component("train", "Train", f"Runs train.py, generated from {Path(gen.notebook).name}", env_ref,
                            command, tuple(params), outputs)]
    jobs = [Job("train", "train.yml", tuple((p.name, f"${{{{parent.inputs.{p.name}}}}}") for p in params))]
    model_file = shlex.quote(Path(saved[0].path).name) if saved else None
    approved = "${{parent.jobs.train.outputs.model}}"
    if "evaluate.py" in texts and model_file is not None:
        gate = (f"$[[python evaluate.py --candidate ${{{{inputs.model}}}}/{model_file} "
                f"--production ${{{{inputs.{PRODUCTION}}}}}/{model_file} && ]]")
        components.append(Component(
            "evaluate", "Evaluate", "Passes the model on when it beats the production model (evaluate.py), or "
            "when there is none yet", env_ref, gate + "cp -r ${{inputs.model}}/. ${{outputs.approved}}/",
            (Port("model", "uri_folder"), Port(PRODUCTION, "uri_folder", optional=True)),
            (Port("approved", "uri_folder"),)))
        jobs.append(Job("evaluate", "evaluate.yml", (("model", approved),)))  # production_model: set when submitting
        approved = "${{parent.jobs.evaluate.outputs.approved}}"
    else:
        notices.append("azureml: no evaluate step (evaluate.py was not generated): every trained model is registered")
    components.append(Component("register", "Register", "Registers the approved model as the pipeline's model output",
                                env_ref, "cp -r ${{inputs.model}}/. ${{outputs.model}}/",
                                (Port("model", "uri_folder"),), (Port("model", "custom_model"),)))
    jobs.append(Job("register", "register.yml", (("model", approved),),
                    (("model", f"${{{{parent.outputs.{REGISTERED}}}}}"),)))
    out = {f"{FOLDER}/{c.name}.yml": _fill(env, "component.yml.j2", vars(c)) for c in components}
    out[f"{FOLDER}/pipeline.yml"] = _fill(env, "pipeline.yml.j2", dict(
        display_name=context.title, experiment=slug(Path(gen.notebook).stem),
        description=f"train → evaluate → register, generated by nb2prod from {Path(gen.notebook).name}",
        compute=COMPUTE, inputs=params, registered=REGISTERED, model_name=model_name, jobs=jobs))
    out[f"{FOLDER}/{environment.CONDA}"] = environment.conda_text(
        env, slug(Path(gen.notebook).stem) + "-train-env", environment.script_requirements(texts, environment.SCRIPTS))
    out[f"{FOLDER}/environment.yml"] = _fill(env, "environment.yml.j2", dict(
        name=slug(Path(gen.notebook).stem) + "-train-env", description="the environment train.py runs in",
        image=TRAIN_IMAGE, conda_file=environment.CONDA))
    return out


def _dest(option) -> str:
    return option.dest or option.flag[2:].replace("-", "_")


def _default(option):
    """The option's notebook value as data (its `default` is code: a Python literal)."""
    import ast

    return ast.literal_eval(option.default)


def _saved_path(saved, options) -> str:
    """A saved file's path for the shell: the input it is an option of, else its notebook path, quoted."""
    if saved.option is not None:
        for o in options:
            if o.flag == saved.option.flag and o.type in TYPES:
                return f"${{{{inputs.{_dest(o)}}}}}"
    return shlex.quote(saved.path)


def _fill(env, name: str, context: dict) -> str:
    body = env.get_template(f"{FOLDER}/{name}").render(**context)
    return "\n".join(line.rstrip() for line in body.rstrip("\n").split("\n")) + "\n"

