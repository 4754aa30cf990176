"""One table per planner pass, in the pyupgrade style: inputs that must change, inputs that must not."""

from __future__ import annotations

import ast
from pathlib import Path
import re

import pytest
from click.testing import CliRunner

from nb2prod.analysis import unbound
from nb2prod.analysis.dataflow import flow
from nb2prod.cli import main
from nb2prod.convert.plan import branches, drops, placement, scoring, slicing, steps, testfacts
from nb2prod.convert.plan import make_plan
from nb2prod.convert.plan.codes import CODES
from nb2prod.convert.plan.types import Source
from nb2prod.convert.sections import split_sections
from nb2prod.model import Rewrite
from nb2prod.notebook.load import load_notebook_text
from nb2prod.notebook.parse import parse_notebook
from tests.build import notebook_json


def _cells(text: str) -> list:
    """`# %%` chunks of a script as notebook cells; `# %% [markdown]` ones as markdown headings."""
    out = []
    for chunk in re.split(r"^# %%", text, flags=re.MULTILINE):
        if chunk.startswith(" [markdown]"):
            out.append("\n".join(line[2:] for line in chunk.splitlines()[1:]))
        elif chunk.strip():
            out.append(chunk.strip("\n"))
    return out


def _text(s) -> str:
    return ast.unparse(s.node).splitlines()[0]


def _source(text: str, kind: str = "training"):
    """(notebook, cells, Source) of a `# %%` script; statements are numbered from 0."""
    nb = load_notebook_text("t.ipynb", notebook_json(_cells(text)))
    cells = parse_notebook(nb)
    statements = tuple(s for pc in cells for s in pc.statements)
    role_of = {s.index: x.role for x in split_sections(nb, cells, kind) for s in x.statements}
    return nb, cells, Source(statements, {s.index: flow(s.node) for s in statements}, role_of, kind, frozenset())


# -- drops: closing exploration drops over data flow ------------------------------------------------
PLOT = ("NB105", "plot")
SHOWN = ("NB101", "inspection")

@pytest.mark.parametrize("text, given, expected", [
    # a dropped data definition kept code reads comes back
    ("x = df_describe()\nprint(x)\n", {0: SHOWN}, {}),
    # code drawing on a dropped plot goes too, and what reads it in turn
    ("ax = plot()\nt = ax.title\nprint(t)\n", {0: PLOT}, {0: PLOT, 1: "NB905", 2: "NB905"}),
    # a function body reading a dropped plot's name
    ("ax = plot()\ndef f():\n    return ax\n", {0: PLOT}, {0: PLOT, 1: "NB905"}),
    # a function, nested function or class body reading a name only IPython defines, and its callers
    ("def shell():\n    return get_ipython()\nshell()\n", {}, {0: "NB905", 1: "NB905"}),
    ("def f():\n    def g(v):\n        display(v)\n    g(1)\n", {}, {0: "NB905"}),
    ("class Shown:\n    out = Out\n", {}, {0: "NB905"}),
])
def test_close_over_changes(text, given, expected):
    _, _, src = _source(text)
    closed = drops.close_over(src, given, {})
    assert {i: d if d[0] != "NB905" else "NB905" for i, d in closed.items()} == expected


@pytest.mark.parametrize("text, given", [
    ("x = 1\ny = 2\n", {0: SHOWN}),  # nothing reads the dropped line
    ("ax = plot()\nprint(1)\n", {0: PLOT}),
    ("x = 1\nprint(x)\n", {}),
    ("def f(_):\n    return _\ndef g():\n    for _ in range(2):\n        print(_)\n", {}),  # bound in the body
    ("def display(v):\n    print(v)\ndef f():\n    display(1)\n", {}),  # the notebook's own display
])
def test_close_over_keeps(text, given):
    _, _, src = _source(text)
    assert drops.close_over(src, given, {}) == given


def test_close_over_magic_result():
    _, _, src = _source("print(out.stdout)\n")
    assert drops.close_over(src, {}, {"out": "%%capture"})[0][0] == "NB905"


# -- scoring: the request contract ---------------------------------------------------------------
SCORE = "# %%\nimport joblib\nmodel = joblib.load('m.pkl')\n# %% [markdown]\n# # Score\n# %%\n"

@pytest.mark.parametrize("body, drops_, rewrites, sample", [
    ("raw_data = '{\"data\": [[1, 2]]}'\nprint(model.predict(raw_data))\n",
     {"raw_data = '{\"data\": [[1, 2]]}'": "NB902"}, {"print(model.predict(raw_data))": Rewrite.RETURN},
     '{"data": [[1, 2]]}'),
    ("payload = '[1]'\nresult = model.predict(payload)\n",
     {}, {"payload = '[1]'": Rewrite.RAW_DATA, "result = model.predict(payload)": Rewrite.RETURN_AFTER}, "[1]"),
    ("rows = [[1, 2]]\nresult = model.predict(rows)\n",
     {}, {"rows = [[1, 2]]": Rewrite.DATA_LITERAL, "result = model.predict(rows)": Rewrite.RETURN_AFTER},
     '{"data": [[1, 2]]}'),
    ("request_headers = {}\nmodel.predict([[1]])\n", {"request_headers = {}": "NB902"}, {}, None),
    # the answer shown in a later section of run() (`## Show the result`): returned there, not after `result =`
    ("# %% [markdown]\n# ## Predict\n# %%\npayload = '[1]'\nresult = model.predict(payload)\n"
     "# %% [markdown]\n# ## Show the result\n# %%\nprint({'labels': result.tolist()})\n",
     {}, {"payload = '[1]'": Rewrite.RAW_DATA, "print({'labels': result.tolist()})": Rewrite.RETURN}, "[1]"),
])
def test_contract_changes(body, drops_, rewrites, sample):
    _, _, src = _source(SCORE + body, "scoring")
    found = scoring.contract(src.statements, src.role_of)
    text = {s.index: _text(s) for s in src.statements}
    assert {text[i]: c for i, (c, _) in found.drops.items()} == drops_
    assert {text[i]: r for i, r in found.rewrites.items()} == rewrites
    assert found.sample == sample


def test_contract_leaves_load_model_section_alone():
    _, _, src = _source("# %%\nimport joblib\nraw_data = '[1]'\nmodel = joblib.load('m.pkl')\n", "scoring")
    found = scoring.contract(src.statements, {s.index: "load_model" for s in src.statements})
    assert (found.drops, found.rewrites, found.sample, found.returned) == ({}, {}, None, None)


# -- slicing: backwards from the outputs ---------------------------------------------------------------
@pytest.mark.parametrize("text, dropped, value_only", [
    ("x = 1\ny = 2\nprint(x)\n", ["y = 2"], []),
    ("m = make()\nhistory = m.fit(1)\nsave(m)\n", [], ["history = m.fit(1)"]),
    ("a = 1\nb = a + 1\n", ["a = 1", "b = a + 1"], []),
])
def test_slice_changes(text, dropped, value_only):
    _, _, src = _source(text)
    sliced = slicing.slice_outputs(src.statements, src.flows, None, {})
    text_of = {s.index: _text(s) for s in src.statements}
    assert sorted(text_of[i] for i in sliced.drops) == sorted(dropped)
    assert [text_of[i] for i in sliced.rewrites] == value_only
    assert all(d == ("NB901", "no effect on outputs") for d in sliced.drops.values())


@pytest.mark.parametrize("text", [
    "import os\nx = 1\nprint(x)\n",
    "x = [1]\nx.append(2)\nsave(x)\n",
    "for i in range(3):\n    print(i)\n",
])
def test_slice_keeps(text):
    _, _, src = _source(text)
    sliced = slicing.slice_outputs(src.statements, src.flows, None, {})
    assert (sliced.drops, sliced.rewrites, sliced.notices) == ({}, {}, ())


# -- unbound: reads that fail in the order they run ---------------------------------------------------------

@pytest.mark.parametrize("text, name, line", [
    ("def f():\n    x = x\n", "x", 2),
    ("def f():\n    print(total)\n    total = 1\n", "total", 2),
    ("def f():\n    n += 1\n", "n", 2),
    ("def f(a):\n    if a:\n        print(t)\n    t = 1\n", "t", 3),  # fails whenever the branch runs
    ("for i in range(3):\n    del y; del y\n", "y", 2),
])
def test_bad_reads_found(text, name, line):
    tree = ast.parse(text)
    found = unbound.bad_reads(text, tree.body[0])
    assert [(b.name, b.line) for b in found] == [(name, line)]


@pytest.mark.parametrize("text", [
    "def f():\n    for i in range(3):\n        print(t)\n        t = i\n",  # an earlier pass binds it
    "def f(a):\n    if a:\n        t = 1\n    print(t)\n",  # bound before, in a branch
    "def f():\n    global x\n    x = x + 1\n",
    "def f(x):\n    x = x + 1\n",
    "def f():\n    try:\n        print(x)\n    except NameError:\n        pass\n    x = 2\n",
    "def f():\n    def g():\n        return v\n    v = 1\n    return g()\n",  # g runs after v is bound
    "def f():\n    [x for x in range(3)]\n    x = 1\n",
    "def f(c):\n    y = 1\n    if c:\n        del y\n    print(y)\n",  # the del may not have run
    "def f():\n    match v:\n        case [a, *rest]:\n            print(a, rest)\n",
    "def f():\n    (n := 3)\n    print(n)\n    import os\n    return os.sep\n",
])
def test_bad_reads_none(text):
    tree = ast.parse(text)
    assert unbound.bad_reads(text, tree.body[0]) == []


_TRICKY = [  # each shape the shortcut must leave to the exact work
    "def f():\n    for i in range(len(i)):\n        pass\n    i = 0\n",
    "def f():\n    with open(p) as p:\n        pass\n",
    "def f():\n    try:\n        pass\n    except E as e:\n        pass\n    print(q)\n    q = 1\n",
    "def f():\n    g = lambda a=b: a\n    b = 1\n",
    "def f():\n    [v for v in w]\n    w = 1\n",
    "def f():\n    [(y := 1) for _ in r]\n    print(y)\n",
    "def f():\n    class C(B):\n        pass\n    B = 1\n",
    "def f():\n    @deco\n    def g():\n        pass\n    deco = 1\n",
    "def f():\n    def g(a=dflt):\n        pass\n    dflt = 1\n",
    "def f():\n    match v:\n        case {**rest}:\n            pass\n    v = rest\n",
    "def f():\n    import os.path\n    print(os)\n",
    "def f():\n    print(os)\n    import os.path\n",
    "def f():\n    while w:\n        w = 0\n",
    "def f():\n    if c:\n        c = 1\n",
    "def f():\n    def g():\n        print(h)\n        h = 1\n    return g\n",
    "if True:\n    def f():\n        x += 1\n",
    "class A:\n    def m(self):\n        print(z)\n        z = 1\n",
    "def f():\n    x: int\n    print(x)\n",
    "def f():\n    a, *b = b\n",
    "def f():\n    x = 1\n    del x\n    print(x)\n",
    "def f():\n    try:\n        def g():\n            print(h)\n            h = 1\n    except E:\n        pass\n",
    "def f():\n    try:\n        x = 1\n        del x\n        print(x)\n    finally:\n        pass\n",
]


def _statements_with_def_or_del():
    """Every top-level statement with a def or a del: the cases above, the rule fixtures and snapshots' inputs,
    the test notebooks and (when ../shared is there) the pdsh corpus."""
    import glob
    from nb2prod.lint.engine import parse_all
    from nb2prod.notebook import load
    here = Path(__file__).parent
    texts = list(_TRICKY)
    files = sorted(glob.glob(str(here / "**" / "*.ipynb"), recursive=True))
    files += sorted(glob.glob(str(here.parent.parent / "shared" / "corpus" / "pdsh" / "*.ipynb")))
    files += sorted(glob.glob(str(here.parent.parent / "shared" / "reference" / "**" / "*.ipynb"), recursive=True))
    files += sorted(glob.glob(str(here / "rules" / "fixtures" / "*.py")))
    for path in files:
        try:
            nb = load.load(path)
        except Exception:  # noqa: BLE001 - invalid inputs are part of the test data
            continue
        texts += [st.source for pc in parse_all(nb) for st in pc.statements]
    for text in texts:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        if unbound._KEYWORDS.search(text):
            yield text, tree


def test_shortcut_changes_no_answer():
    """`bad_reads` skips the exact work when its cheap pass finds nothing that can fail: over every statement
    with a def or del we have, it answers as the exact work does, and some of them do fail."""
    failing = compared = 0
    for text, tree in _statements_with_def_or_del():
        exact = unbound.exact_bad_reads(text)
        assert unbound.bad_reads(text, tree.body[0]) == exact, text
        failing += bool(exact)
        compared += 1
    assert compared > 60 and failing >= 8, (compared, failing)


# -- branches: a name bound on some paths only also reads the value from before ------------------------------

@pytest.mark.parametrize("text, index, added", [
    ("best = None\nfor m in ms:\n    if m.ok:\n        best = m\nprint(best)\n", 1, {"best"}),
    ("model = None\nfor c in []:\n    model = fit(c)\nprint(model)\n", 1, {"model"}),
    ("x = 0\nif flag:\n    x = 1\nprint(x)\n", 1, {"x"}),
    ("x = 0\nif flag:\n    x = 1\nelse:\n    y = 2\nprint(x)\n", 1, {"x"}),
    ("df = a()\ntry:\n    df = b()\nexcept OSError:\n    pass\nprint(df)\n", 1, {"df"}),
])
def test_surviving_reads_change(text, index, added):
    _, _, src = _source(text)
    flows = branches.with_surviving_reads(src.statements, src.flows)
    assert flows[index].uses - src.flows[index].uses == added
    assert all(flows[i] == src.flows[i] for i in src.flows if i != index)


@pytest.mark.parametrize("text", [
    "x = 0\nif flag:\n    x = 1\nelse:\n    x = 2\nprint(x)\n",  # bound on every path
    "df = a()\ntry:\n    df = b()\nexcept OSError:\n    df = c()\nprint(df)\n",
    "i = 5\nfor i in range(3):\n    pass\ni = 0\nprint(i)\n",  # bound again for sure before the read
    "for m in ms:\n    best = m\nprint(best)\n",  # nothing before the loop binds it
    "best = None\nfor m in ms:\n    best = m\n",  # nothing reads it after
    "with open(p) as fh:\n    text = fh.read()\nprint(text)\n",
])
def test_surviving_reads_keep(text):
    _, _, src = _source(text)
    assert branches.with_surviving_reads(src.statements, src.flows) == src.flows


# -- shadows: a step's variable named like the module-level name it reads ----------------------------------
TRAIN = "# %% [markdown]\n# # Train\n# %%\n"


@pytest.mark.parametrize("text, renamed", [
    ("scores = [1, 2]\n" + TRAIN + "max = max(scores)\nprint(max)\n",
     {"max_ = max(scores)", "print(max_)"}),
    ("from m import f\n" + TRAIN + "g = f(1)\nf = g + 1\nprint(f)\n", {"f_ = g + 1", "print(f_)"}),
])
def test_shadowing_variables_renamed(text, renamed):
    nb = load_notebook_text("t.ipynb", notebook_json(_cells(text)))
    cells = parse_notebook(nb)
    plan = make_plan(nb, cells, "training")
    from nb2prod.convert.lift import lift

    code = "\n".join(f.code for f in lift(plan).functions)
    assert all(line in code for line in renamed), code


@pytest.mark.parametrize("text", [
    "scores = [1, 2]\n" + TRAIN + "top = max(scores)\nprint(top)\n",
    TRAIN + "max = 3\nprint(max)\n",  # nothing read it before: the step's own variable
    "from m import f\n" + TRAIN + "for f in [1]:\n    print(f)\n",  # not an assignment: left as it is
])
def test_shadowing_variables_kept(text):
    nb = load_notebook_text("t.ipynb", notebook_json(_cells(text)))
    assert make_plan(nb, parse_notebook(nb), "training").renames == {}


# -- placement: module level, options, helper globals ------------------------------------------------------
LATER = "# %% [markdown]\n# # Train\n# %%\nm = fit()\n"  # what comes before the first heading is setup


@pytest.mark.parametrize("text, expected", [
    ("import os\nALPHA = 0.5\ndef f(x):\n    return x\n", ["ALPHA = 0.5", "def f(x):"]),
    ("import os\nDATA = os.environ.get('D', 'x')\n", ["DATA = os.environ.get('D', 'x')"]),
    ("try:\n    import ujson\nexcept ImportError:\n    ujson = None\n", ["try:"]),
])
def test_fixed_module_changes(text, expected):
    _, _, src = _source(text + LATER)
    src = Source(src.statements, src.flows, src.role_of, src.kind, frozenset({"os", "ujson"}))
    fixed = placement.fixed_module(src.statements, src, placement.Counts.of(src.flows))
    assert [_text(s) for s in fixed] == expected


@pytest.mark.parametrize("text", [
    "import os\nmodel = load()\ndef f(m=model):\n    return m\n" + LATER,  # a default read at def time
    "# %% [markdown]\n# # Train\n# %%\nx = load()\n",
    # defined twice: at module level the last definition would answer the calls made before it
    "def f():\n    return 1\nx = f()\ndef f():\n    return 2\n" + LATER,
    # a class body reading a step's value: no call site can pass it
    "import os\nclass Scaler:\n    def __init__(self):\n        self.k = factor\n" + LATER + "factor = m.k\n",
])
def test_fixed_module_keeps_out(text):
    _, _, src = _source(text)
    fixed = placement.fixed_module(src.statements, src, placement.Counts.of(src.flows))
    assert [_text(s) for s in fixed if not isinstance(s.node, ast.Import)] == []


TRAIN = "# %% [markdown]\n# # Train\n# %%\n"

@pytest.mark.parametrize("text, options", [
    (TRAIN + "alpha = 0.5\nm = fit(alpha)\nsave(m)\n", ["alpha"]),
    (TRAIN + "params = {'depth': 3, 'rate': 0.1}\nm = fit(**params)\nsave(m)\n", ["depth", "rate"]),
])
def test_hypers_change(text, options):
    _, _, src = _source(text)
    found = placement.hypers(src.statements, [], src, placement.Counts.of(src.flows))
    assert [h.name for hs in found.values() for h in hs] == options
    dropped, rewrites = placement.hyper_decisions(found, src.statements)
    assert [c for c, _ in dropped.values()] + [r.name for r in rewrites.values()] in (["NB902"], ["HYPER_DICT"])


@pytest.mark.parametrize("text", [
    TRAIN + "alpha = 0.5\nalpha = 0.6\nm = fit(alpha)\n",  # written twice
    TRAIN + "alpha = load()\nm = fit(alpha)\n",  # not a literal
    TRAIN + "alpha = 0.5\n",  # no step reads it
])
def test_hypers_keep(text):
    _, _, src = _source(text)
    assert placement.hypers(src.statements, [], src, placement.Counts.of(src.flows)) == {}


def test_callee_reads_change_and_keep():
    _, _, src = _source("def f():\n    return scale\nscale = 2\ny = f()\nz = 1\n")
    flows = placement.with_callee_reads(src.flows, {"f": ("scale",)}, src.statements[1:])
    assert "scale" in flows[2].uses and flows[3] == src.flows[3] and flows[1] == src.flows[1]
    assert placement.with_callee_reads(src.flows, {}, src.statements) == src.flows


@pytest.mark.parametrize("text, expected", [
    ("import os", True), ("from a import b", True),
    ("try:\n    import x\nexcept ImportError:\n    x = None", True),
    ("try:\n    import x\nexcept ImportError:\n    print('no')", False),
    ("x = 1", False),
])
def test_is_import_like(text, expected):
    _, _, src = _source(text + "\n")
    assert placement.is_import_like(src.statements[0].node) is expected


# -- steps: grouping, naming, wiring ---------------------------------------------------------------
@pytest.mark.parametrize("asked, names", [
    ([("train", ""), ("train", "")], ["train_model", "train_model_2"]),
    ([("other", "Clean up"), ("other", "Clean up"), ("other", "")], ["clean_up", "clean_up_2", "step"]),
    ([("other", "Main")], ["main_2"]),
    ([("other", "2 ways")], ["step_2_ways"]),
])
def test_step_names_change(asked, names):
    taken = steps.StepNames()
    assert [taken.take(role, title) for role, title in asked] == names


def test_step_names_keep_distinct_roles():
    taken = steps.StepNames()
    roles = ["load", "prepare", "split", "train", "evaluate", "save"]
    assert [taken.take(r, "Title") for r in roles] == [steps.STEP_NAMES[r] for r in roles]


def test_steps_wire_parameters_and_returns():
    text = ("# %% [markdown]\n# # Load data\n# %%\ndf = read()\n"
            "# %% [markdown]\n# # Train\n# %%\nm = fit(df)\nsave(m)\n")
    nb, cells, src = _source(text)
    made, _ = steps.make_steps(src, split_sections(nb, cells, "training"), set(), {}, set())
    assert [(s.name, s.params, s.returns) for s in made] == [("load_data", (), ("df",)),
                                                            ("train_model", ("df",), ())]


def test_steps_group_keeps_dropped_out():
    text = "# %% [markdown]\n# # Train\n# %%\nm = fit()\nprint(m)\n"
    nb, cells, src = _source(text)
    made, _ = steps.make_steps(src, split_sections(nb, cells, "training"), set(), {}, {1})
    assert [_text(s) for s in made[0].statements] == ["m = fit()"]


# -- testfacts: what the generated tests need -------------------------------------------------------
@pytest.mark.parametrize("text, estimator, predict, saved, plain, read", [
    ("m = LinearRegression()\nm.fit(X, y)\np = m.predict(X_test)\njoblib.dump(m, 'm.pkl')\n",
     ("m", "LinearRegression"), "X_test", (("joblib.dump", "'m.pkl'"),), (), ()),
    ("df = pd.read_csv('data/x.csv')\ncols = ['a']\njson.dump(cols, 'cols.json')\n",
     None, None, (("json.dump", "'cols.json'"),), ("'cols.json'",), ("data/x.csv",)),
    ("with open('m.pkl', 'wb') as f:\n    pickle.dump(m, f)\n",
     None, None, (("pickle.dump", "'m.pkl'"),), (), ()),
])
def test_facts_found(text, estimator, predict, saved, plain, read):
    _, _, src = _source(text)
    facts = testfacts.script_facts(src.statements, src.statements, [], ())
    assert (facts.estimator, facts.predict_input, facts.saved, facts.plain_saves, facts.read_files) == (
        estimator, predict, saved, plain, read)


@pytest.mark.parametrize("text", [
    "x = 1\nprint(x)\n",
    "df = pd.read_csv('/abs/x.csv')\nopen('out.txt', 'w')\n",  # absolute, and a write
])
def test_facts_absent(text):
    _, _, src = _source(text)
    facts = testfacts.script_facts(src.statements, src.statements, [], ())
    assert (facts.estimator, facts.predict_input, facts.saved, facts.plain_saves, facts.read_files) == (
        None, None, (), (), ())


# -- codes: every convert code is explained by `nb2prod rule` --------------------------------------
@pytest.mark.parametrize("code", [c.code for c in CODES])
def test_rule_explains_convert_code(code):
    result = CliRunner().invoke(main, ["rule", code])
    assert result.exit_code == 0, result.output
    name = next(c.name for c in CODES if c.code == code)
    assert result.output.startswith(f"# {code} {name}\n")
    for section in ("## What it does", "## Why", "## Example"):
        assert section in result.output


def test_convert_codes_are_nb901_to_nb905():
    assert [c.code for c in CODES] == ["NB901", "NB902", "NB903", "NB904", "NB905"]
