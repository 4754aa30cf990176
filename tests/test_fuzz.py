"""Fuzzing (issue 11, section 4): mutated pdsh and example notebooks give 0 internal errors, 0 generated
files that do not compile and 0 undefined names in generated files.

The cases come from tests/mutate.py, seeded, so case N is the same notebook on every run. CI runs
NB2PROD_FUZZ_CASES (default 200) cases, as 4 tests of consecutive seeds; set it higher locally to hunt
(e.g. 2000). A failure names the seed, the source notebook and the mutations, and leaves the notebook in
the test's tmp_path.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import pytest
from pyflakes import checker, messages

from nb2prod import api
from nb2prod.errors import Nb2prodError
from nb2prod.lint.files import lint_file
from nb2prod.notebook.parse import deep_enough
from tests import mutate

ROOT = Path(__file__).resolve().parents[1]
PDSH = Path(os.environ.get("NB2PROD_SHARED", ROOT.parent / "shared")) / "corpus" / "pdsh"
if not PDSH.is_dir():
    PDSH = Path("/work/shared/corpus/pdsh")
CASES = int(os.environ.get("NB2PROD_FUZZ_CASES", "200"))
CHUNKS = 4  # the cases as 4 tests of consecutive seeds: pytest-xdist spreads them over its workers


@deep_enough  # pyflakes recurses per nesting level, like nb2prod
def undefined_names(name: str, text: str) -> list:
    """pyflakes' undefined-name messages for one generated file."""
    tree = ast.parse(text, filename=name)
    found = checker.Checker(tree, filename=name)
    return [str(m) for m in found.messages if isinstance(m, (messages.UndefinedName, messages.UndefinedLocal))]


def check_generated(result, problems: list, label: str) -> None:
    for name, text in result.texts.items():
        if not name.endswith(".py"):
            continue
        try:
            compile(text, name, "exec")
        except SyntaxError as exc:
            problems.append(f"{label}: {name} does not compile: {exc}")
            continue
        problems.extend(f"{label}: {m}" for m in undefined_names(name, text))


def run_case(path: Path, outdir: Path, problems: list, label: str) -> tuple:
    """Lint and convert (auto, training) one notebook; (conversions, refusals) and `problems` appended."""
    converted = refused = 0
    try:
        lint_file(str(path))
    except Exception as exc:  # noqa: BLE001 - any exception here is an internal error
        problems.append(f"{label}: lint internal error {type(exc).__name__}: {exc}")
    for kind in ("auto", "training"):
        try:
            (result,) = api.convert([str(path)], str(outdir / kind), kind=kind, dry_run=True, workers=1)
        except Nb2prodError:
            refused += 1
            continue
        except Exception as exc:  # noqa: BLE001 - any exception here is an internal error
            problems.append(f"{label}: convert --kind {kind} internal error {type(exc).__name__}: {exc}")
            continue
        if result.error is not None:
            refused += 1
            continue
        converted += 1
        check_generated(result, problems, f"{label} --kind {kind}")
    return converted, refused


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_mutated_notebooks_give_no_internal_errors(chunk, tmp_path, capsys):
    notebooks = mutate.sources([PDSH, ROOT / "examples"])
    if not any(PDSH in p.parents for p in notebooks):
        pytest.skip(f"{PDSH} is absent: the pdsh corpus is needed for the fuzz cases")
    cache: dict = {}
    problems: list = []
    converted = refused = 0
    seeds = range(chunk * CASES // CHUNKS, (chunk + 1) * CASES // CHUNKS)
    for seed in seeds:
        source, data, done = mutate.case(notebooks, seed, cache)
        path = tmp_path / f"case{seed}.ipynb"
        path.write_text(json.dumps(data), encoding="utf-8")
        label = f"seed {seed} ({source.name}: {', '.join(done)})"
        ok, no = run_case(path, tmp_path / f"out{seed}", problems, label)
        converted, refused = converted + ok, refused + no
        if not problems:
            path.unlink()
    with capsys.disabled():
        print(f"\nfuzz: cases {seeds.start}-{seeds.stop - 1} of {CASES}, {converted} conversions, {refused} refusals, "
              f"{len(problems)} problems")
    assert not problems, "\n".join(problems)


# -- ordinary input that once gave internal errors (issue 11, section 4); minimal reproducers --------------

_IMPORTS = "import joblib\nimport numpy as np\nfrom sklearn.linear_model import LogisticRegression"
_DATA = "X = np.arange(20).reshape(-1, 2)\ny = np.arange(10) % 2"
_FIT = "model = LogisticRegression(C=C).fit(X, y)\njoblib.dump(model, 'model.joblib')"
ORDINARY = {
    "get_ipython-in-kept-code": ("auto", [_IMPORTS, "get_ipython().run_line_magic('matplotlib', 'inline')\n"
                                          + _DATA + "\nC = 1.0", _FIT]),
    "get_ipython-in-a-function": ("auto", [_IMPORTS, "def shell():\n    return get_ipython()\n\n\nshell()",
                                           _DATA + "\nC = 1.0", _FIT]),
    "display-in-a-nested-function": ("auto", [_IMPORTS, "def report(v):\n    def show():\n        display(v)\n"
                                              "    show()\n\n\nreport(1)", _DATA + "\nC = 1.0", _FIT]),
    "function-defined-twice": ("training", [_IMPORTS, _DATA + "\nC = 1.0",  # seeds 1175, 1889, 1895
                                            "def helper():\n    return y.sum()\n\n\nk = helper()",
                                            "def helper():\n    return X.shape\n\n\nshape = helper()",
                                            _FIT.replace("C=C", "C=C, max_iter=int(k) + shape[0]")]),
    "scoring-kind-on-training": ("scoring", [_IMPORTS, _DATA + "\nC = 1.0", _FIT]),
    "hyperparameter-1e400": ("auto", [_IMPORTS, _DATA + "\nC = 1e400", _FIT]),
    "5000-digit-literal": ("auto", [_IMPORTS, _DATA + "\nC = " + "7" * 5000, _FIT]),
    "sum-of-2000-terms": ("auto", [_IMPORTS, _DATA + "\nC = " + " + ".join(["1"] * 2000), _FIT]),
    "elif-chain-of-1000": ("auto", [_IMPORTS, _DATA + "\nv = 3\nif v == 0:\n    C = 0.5\n"
                                    + "".join(f"elif v == {i}:\n    C = {i}.0\n" for i in range(1, 1000)), _FIT]),
}


REFUSED = {  # the notebook itself fails on these reads: one code problem naming cell, line and column (291, 1609)
    "local-read-before-assignment": ("def scale(v):\n    k = k\n    return v * k", "cell 3:2:9: `k` is read in scale()"),
    "use-after-del": ("for i in range(2):\n    del y; del y", "cell 3:2:16: `y` is used after `del y`"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_read_the_notebook_fails_on_is_a_code_problem(name, tmp_path):
    from tests.build import write_notebook

    cell, expected = REFUSED[name]
    path = write_notebook(tmp_path / "nb.ipynb", [_IMPORTS, _DATA + "\nC = 1.0", cell, _FIT])
    (result,) = api.convert([str(path)], str(tmp_path / "out"), dry_run=True, workers=1)
    assert result.error is not None and result.error.exit_code == 1
    assert len(str(result.error).splitlines()) == 1 and expected in str(result.error), str(result.error)


KNOWN: dict = {  # open: the reproducer stays, the test says strict xfail until the mechanism is fixed
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(reason=KNOWN[n], strict=True))
                                  if n in KNOWN else n for n in sorted(ORDINARY)])
def test_ordinary_input_gives_no_internal_error(name, tmp_path):
    from tests.build import write_notebook

    kind, cells = ORDINARY[name]
    path = write_notebook(tmp_path / f"{name}.ipynb", cells)
    lint_file(str(path))
    problems: list = []
    try:
        (result,) = api.convert([str(path)], str(tmp_path / "out"), kind=kind, dry_run=True, workers=1)
    except Nb2prodError:
        return
    if result.error is None:
        check_generated(result, problems, name)
    assert not problems, "\n".join(problems)
