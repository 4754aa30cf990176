"""The environment the generated scripts need: requirements.txt, requirements-test.txt and, beside a score.py,
the Azure ML environment file conda.yml.

The imports come from the generated code itself (parsed with `ast`), the distributions that provide them and
their versions from the running environment (`importlib.metadata`). A module no installed distribution
provides is listed as a comment, never guessed. The same scripts in the same environment give the same bytes;
`unpinned` is the view in which two environments' files compare equal (check, golden tests).
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Mapping, Optional, Set, Tuple

from nb2prod.escape import comment_text
from nb2prod.frozen import frozen

REQUIREMENTS, TEST_REQUIREMENTS, CONDA = "requirements.txt", "requirements-test.txt", "conda.yml"
SCRIPTS = ("train.py", "score.py", "evaluate.py")  # what requirements.txt is for; test_*.py go to the test file
TEST_RUNNER = "pytest"  # the generated tests' runner, imported or not
SERVER = "azureml-inference-server-http"  # what serves score.py in an Azure ML online deployment

_ENTRY = re.compile(r"^\s*(?:- )?(?:\S+  # (.+)|# (.+): needed, but no installed distribution provides it)$")
_PYTHON = re.compile(r"^(\s*- python)=\S+$")


@frozen
class Pin:
    """An installed distribution at its version ("" when not installed), and why it is needed: the modules
    it provides, or a reason."""

    name: str
    version: str
    why: str

    def line(self) -> str:
        return f"{self.name}=={self.version}  # {self.why}" if self.version else f"{self.name}  # {self.why}"


@frozen
class Requirements:
    """Pinned distributions, sorted by name, and the modules nothing installed provides."""

    pins: Tuple[Pin, ...]
    unresolved: Tuple[str, ...] = ()

    def lines(self) -> List[str]:
        return [p.line() for p in self.pins] + [missing(m) for m in self.unresolved]


def missing(module: str) -> str:
    return f"# {comment_text(module)}: needed, but no installed distribution provides it"


def imported_modules(text: str, tree: Optional[ast.Module] = None) -> FrozenSet[str]:
    """The absolute modules a generated file imports, anywhere in it (dotted, as written), less the optional
    ones: an import in a `try` whose handler catches ImportError works without its package (score.py's
    HTTP 400 through the inference server's AMLResponse, when it is there). `tree` is `text` parsed, when
    the caller has it. The answers for the last files asked about are kept: requirements.txt,
    requirements-test.txt, conda.yml and the pipelines' environments ask about the same scripts."""
    found = _known.get(text)
    if found is None:
        modules: Set[str] = set()
        _imports_in((tree or ast.parse(text)).body, modules, False)
        found = _known[text] = frozenset(modules)
        while len(_known) > _KEEP:
            del _known[next(iter(_known))]
    return found


_KEEP = 16  # a folder's scripts and tests, several times over
_known: Dict[str, FrozenSet[str]] = {}
_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")  # where statements nest (imports are statements)


def _imports_in(statements: list, found: Set[str], optional: bool) -> None:
    """Add the non-optional imports of `statements` and the statements nested in them to `found`."""
    for node in statements:
        if isinstance(node, ast.Import):
            if not optional:
                found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if not optional and not node.level and node.module:
                found.add(node.module)
        elif type(node) is ast.Try and _catches_import_error(node):
            _imports_in(node.body, found, True)
            for name in ("handlers", "orelse", "finalbody"):
                _imports_in(getattr(node, name), found, optional)
        else:
            for name in _BODIES:
                _imports_in(getattr(node, name, None) or (), found, optional)


def _catches_import_error(node: ast.Try) -> bool:
    names = set()
    for handler in node.handlers:
        kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        names.update(k.id if isinstance(k, ast.Name) else getattr(k, "attr", None) for k in kinds if k is not None)
        if handler.type is None:
            return True
    return bool(names & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def is_stdlib(module: str) -> bool:
    top = module.split(".")[0]
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return top in names
    return top in sys.builtin_module_names or top in _stdlib_fallback()  # Python 3.9


@functools.lru_cache(maxsize=1)
def _stdlib_fallback() -> frozenset:
    import sysconfig

    folder = Path(sysconfig.get_paths()["stdlib"])
    return frozenset(p.stem for p in folder.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists())


def _providers() -> Mapping[str, List[str]]:
    """Top-level module → the installed distributions providing it."""
    return _installed()["providers"]


def _version(distribution: str) -> str:
    found = _installed()["versions"].get(distribution)
    if found is not None:
        return found
    import importlib.metadata

    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return ""


@functools.lru_cache(maxsize=1)
def _installed() -> Dict[str, Dict]:
    """{"providers": top-level module → distributions, "versions": distribution → version}.

    `packages_distributions()` reads every installed distribution's RECORD (0.3 s and more with a few
    hundred installed), so the answer is kept in the user's cache folder under a key made of the names of
    the installed distributions' metadata folders (`name-version.dist-info`): installing, removing or
    upgrading any package renames or adds one of them, so the key changes and the answer is worked out
    again. A convert that finds it never imports importlib.metadata (and the email package it loads)."""
    import json

    path = cache_folder() / f"distributions-{_installed_key()}.json"
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(found, dict) and isinstance(found.get("providers"), dict) and isinstance(found.get("versions"), dict):
            return found
    except (OSError, ValueError):
        pass
    import importlib.metadata

    versions: Dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and name not in versions:  # the first on sys.path is the one imported
            versions[name] = dist.version
    providers = {top: list(names) for top, names in importlib.metadata.packages_distributions().items()}
    found = {"providers": providers, "versions": versions}
    try:
        from nb2prod.write import write_atomic  # the one atomic writer

        write_atomic(path, json.dumps(found, sort_keys=True))
    except OSError:
        pass  # a read-only home: worked out again next time
    return found


def cache_folder() -> Path:
    """Where convert keeps what it works out once for many runs, outside the user's tree: $NB2PROD_CACHE_DIR,
    else $XDG_CACHE_HOME/nb2prod, else ~/.cache/nb2prod."""
    import os

    given = os.environ.get("NB2PROD_CACHE_DIR")
    if given:
        return Path(given)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nb2prod"


def _installed_key() -> str:
    """A digest of this interpreter and the metadata folders (`name-version.dist-info`) on sys.path."""
    import hashlib
    import os

    names = [sys.executable]
    for entry in sys.path:
        try:
            names += [f"{entry}/{n}" for n in sorted(os.listdir(entry or ".")) if n.endswith((".dist-info", ".egg-info"))]
        except OSError:
            continue
    return hashlib.sha256("\n".join(names).encode("utf-8", "surrogateescape")).hexdigest()[:20]


def _provider(module: str, candidates: List[str]) -> List[str]:
    """Of several distributions sharing a namespace package (`azureml`), those holding the imported module."""
    if len(candidates) < 2 or "." not in module:
        return candidates
    import importlib.metadata

    prefix = "/".join(module.split(".")[:2])
    holding = [d for d in candidates
               if any(str(f).startswith(prefix) for f in (importlib.metadata.distribution(d).files or ()))]
    return holding or candidates


def resolve(modules: Iterable[str], local: Iterable[str] = ()) -> Requirements:
    """The distributions providing `modules`, pinned to their installed versions; stdlib and `local` left out."""
    skip = set(local)
    provided: Dict[str, Set[str]] = {}
    unresolved = set()
    for module in sorted(set(modules)):
        top = module.split(".")[0]
        if top in skip or is_stdlib(module):
            continue
        found = _provider(module, sorted(set(_providers().get(top, ()))))
        if not found:
            unresolved.add(top)
        for name in found:
            provided.setdefault(name, set()).add(top)
    pins = [Pin(name, _version(name), ", ".join(sorted(tops))) for name, tops in provided.items()]
    return Requirements(_sorted(pins), tuple(sorted(unresolved)))


def _sorted(pins: Iterable[Pin]) -> Tuple[Pin, ...]:
    return tuple(sorted(pins, key=lambda p: (p.name.lower(), p.name)))


def merged(*parts: Requirements) -> Requirements:
    pins = {p.name: p for r in parts for p in r.pins}
    unresolved = {m for r in parts for m in r.unresolved}
    return Requirements(_sorted(pins.values()), tuple(sorted(unresolved)))


def without(req: Requirements, given: Requirements) -> Requirements:
    names = {p.name for p in given.pins}
    return Requirements(tuple(p for p in req.pins if p.name not in names),
                        tuple(m for m in req.unresolved if m not in given.unresolved))


def python_version() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def script_requirements(texts: Mapping[str, str], names: Iterable[str], more: Iterable[str] = ()) -> Requirements:
    """What the generated files `names` (of `texts`) import from outside the standard library and the folder,
    and the modules `more` (the test runner: the tests need it whether they import it or not)."""
    names = list(names)
    local = {Path(n).stem for n in texts if n.endswith(".py")}
    modules = set(more) if any(n in texts for n in names) else set()
    for name in names:
        if name in texts:
            modules |= imported_modules(texts[name])
    return resolve(modules, local)


def files(texts: Mapping[str, str], env, conda_name: Optional[str]) -> Dict[str, str]:
    """The environment files' bodies for one output folder's generated `texts`; conda.yml when `conda_name`."""
    scripts = script_requirements(texts, SCRIPTS)
    test_files = [n for n in sorted(texts) if n.startswith("test_") and n.endswith(".py")]
    test_only = without(script_requirements(texts, test_files, (TEST_RUNNER,)), scripts)
    out = {REQUIREMENTS: _text(scripts.lines()),
           TEST_REQUIREMENTS: _text([f"-r {REQUIREMENTS}"] + test_only.lines())}
    if conda_name is not None:  # the model file needs what trained it: all the scripts' requirements
        serving = merged(scripts, Requirements((Pin(SERVER, _version(SERVER), "serves score.py"),)))
        out[CONDA] = conda_text(env, conda_name, serving)
    return out


def conda_text(env, name: str, req: Requirements) -> str:
    """An Azure ML / conda environment file: conda-forge, this Python, pip, and `req` under pip."""
    body = env.get_template("conda.yml.j2").render(name=name, python=python_version(), pins=req.pins,
                                                   unresolved=[missing(m) for m in req.unresolved])
    return "\n".join(line.rstrip() for line in body.rstrip("\n").split("\n")) + "\n"


def environment_name(notebook: str) -> str:
    """A name Azure ML and conda accept (letters, digits, `-`, `_`), from the notebook's file name."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(notebook).stem).strip("-_").lower()
    return (slug or "model") + "-env"


def _text(lines: List[str]) -> str:
    return "\n".join(lines) + "\n"


def pinned_file(name: str) -> bool:
    """Files whose pins follow the environment (see `unpinned`)."""
    return Path(name).name in (REQUIREMENTS, TEST_REQUIREMENTS, CONDA)


def unpinned(text: str) -> str:
    """What of an environment file the notebook decides: its fixed lines, and for each requirement the modules
    it is there for, one per line and sorted, the distribution, its version and the Python version left out.
    Two environments (this machine's, CI's fresh install, a hook's) give the same scripts equal unpinned files."""
    fixed, needs = [], set()
    for line in text.split("\n"):
        m = _ENTRY.match(line)
        if m is None:
            fixed.append(_PYTHON.sub(r"\1=*", line))
        else:
            needs.update(w.strip() for w in (m.group(1) or m.group(2)).split(","))
    return "\n".join(fixed + [f"* # {need}" for need in sorted(needs)])
