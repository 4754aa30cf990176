"""lift's parts, each through its own table: the edit of every Rewrite kind (sources that must change,
sources that must not), the import block, and the text fast path against libcst's rendering."""

import ast
from types import SimpleNamespace

import libcst as cst
import pytest

from nb2prod.convert.lift.codegen import code, render_block
from nb2prod.convert.lift.imports import hoisted_imports, one_binding_each, sort_imports
from nb2prod.convert.lift.nodes import NodeIndex, simple_cell
from nb2prod.convert.lift.rewrites import EDITS, RETURNS, Rewriter
from nb2prod.convert.plan.types import ScriptNames
from nb2prod.model import Cell, Rewrite
from nb2prod.notebook.parse import parse_cell


def _statement(source: str) -> cst.BaseStatement:
    """The first statement, with the comments above it (libcst keeps a module's first ones in its header)."""
    module = cst.parse_module(source)
    node = module.body[0]
    return node.with_changes(leading_lines=[*module.header, *node.leading_lines])


def test_every_rewrite_kind_has_exactly_one_handler():
    assert set(EDITS) | set(RETURNS) == set(Rewrite)
    assert not set(EDITS) & set(RETURNS)


# -- edits: (kind, source, expected) -----------------------------------------------------------

MUST_CHANGE = [
    (Rewrite.HYPER_DICT, 'params = {"C": 0.8, "max_iter": 100}\n', 'params = {"C": C, "max_iter": max_iter}\n'),
    (Rewrite.HYPER_DICT, "params = dict(C=0.8, n=3)\n", "params = dict(C=C, n=n)\n"),
    (Rewrite.HYPER_DICT, 'grid = {"k": 3, "not a name": 1}\n', 'grid = {"k": k, "not a name": 1}\n'),
    (Rewrite.RAW_DATA, "sample = '{\"data\": [[1, 2]]}'\n", "sample = raw_data\n"),
    (Rewrite.DATA_LITERAL, "X = np.array([[1, 2]])\n", 'X = np.array(json.loads(raw_data)["data"])\n'),
    (Rewrite.DATA_LITERAL, "X = [[1, 2]]\n", 'X = json.loads(raw_data)["data"]\n'),
    (Rewrite.VALUE_ONLY, "history = model.fit(X, y)  # fit\n", "model.fit(X, y)  # fit\n"),
    (Rewrite.VALUE_ONLY, "# train\nh = m.fit(X)\n", "# train\nm.fit(X)\n"),
]

MUST_NOT_CHANGE = [
    (Rewrite.HYPER_DICT, "params = {1: 2}\n"),
    (Rewrite.HYPER_DICT, "params = {**base}\n"),
    (Rewrite.RAW_DATA, "print(sample)\n"),
    (Rewrite.DATA_LITERAL, "model.predict(X)\n"),
    (Rewrite.VALUE_ONLY, "x += 1\n"),
    (Rewrite.VALUE_ONLY, "for x in y:\n    h = m.fit(x)\n"),
]


@pytest.mark.parametrize("kind, source, expected", MUST_CHANGE)
def test_edit_changes(kind, source, expected):
    assert code(EDITS[kind](_statement(source))) == expected


@pytest.mark.parametrize("kind, source", MUST_NOT_CHANGE)
def test_edit_leaves_alone(kind, source):
    assert code(EDITS[kind](_statement(source))) == source


# -- returns: (kind, source, expected, result key) ----------------------------------------------

RETURNING = [
    (Rewrite.RETURN, "print(model.predict(X))\n", 'return {"result": _jsonable(model.predict(X))}\n', "result"),
    (Rewrite.RETURN, "# answer\nmodel.predict(X)\n", '# answer\nreturn {"result": _jsonable(model.predict(X))}\n',
     "result"),
    (Rewrite.RETURN, 'print(json.dumps({"preds": p}))\n', 'return {"preds": p}\n', "preds"),
    (Rewrite.RETURN_AFTER, "preds = model.predict(X)\n",
     'preds = model.predict(X)\nreturn {"result": _jsonable(preds)}\n', "result"),
    (Rewrite.RETURN_AFTER, 'out = {"scores": s}\n', 'out = {"scores": s}\nreturn {"result": _jsonable(out)}\n',
     "result"),
]


@pytest.mark.parametrize("kind, source, expected, key", RETURNING)
def test_returning(kind, source, expected, key):
    ctx = Rewriter(SimpleNamespace(rewrites={0: kind}, helper_globals={}, script_names=ScriptNames()))
    stmt = SimpleNamespace(index=0, node=ast.parse(source).body[-1])
    emitted = ctx.returning(stmt, _statement(source))
    assert "".join(code(node) for node in emitted) == expected
    assert ctx.result_key == key
    assert ctx.jsonable_used == ("_jsonable" in expected)


def test_statement_without_rewrite_is_returned_as_is():
    ctx = Rewriter(SimpleNamespace(rewrites={}, helper_globals={}, renames={}, injected={}))
    node = _statement("print(x)\n")
    assert ctx.returning(SimpleNamespace(index=0), node) == [node]
    assert ctx.rewrite(SimpleNamespace(index=0), node, in_step=None) is node


# -- imports: (notebook imports, code, extra lines, expected block) ------------------------------

HOISTED = [
    ("import os\nimport pandas as pd\nimport numpy as np\n", "pd.read_csv(os.sep)", (),
     ["import os", "", "import pandas as pd"]),
    ("from sklearn.linear_model import A, B\n", "A()", (), ["from sklearn.linear_model import A"]),
    ("import matplotlib.pyplot as plt\nfrom matplotlib import pyplot as plt\n", "plt.plot()", (),
     ["import matplotlib.pyplot as plt"]),
    ("from m import a\nfrom m import b\n", "a(b)", (), ["from m import a, b"]),
    ("from m import *\n", "f(g(x))\nx = 1", (), ["from m import f, g"]),
    ("from m import *\n", "x = 1", (), []),
    ("from m import *\nfrom n import *\n", "f()", (), ["from m import *", "from n import *"]),
    ("import numpy as np\n", "run()", ("import json", "from __future__ import annotations"),
     ["from __future__ import annotations", "", "import json"]),
]


@pytest.mark.parametrize("notebook, body, extra, expected", HOISTED)
def test_hoisted_imports(notebook, body, extra, expected):
    imports = [SimpleNamespace(node=node) for node in ast.parse(notebook).body]
    assert hoisted_imports(imports, body, extra) == expected


SORTED = [
    (["import sys", "import os"], ["import os", "import sys"]),
    (["from os import path", "import sys"], ["import sys", "from os import path"]),
    (["import pandas", "import json", "import json"], ["import json", "", "import pandas"]),
    (["import Zeta", "import alpha"], ["import alpha", "import Zeta"]),
    (["import numpy", "from __future__ import annotations"], ["from __future__ import annotations", "", "import numpy"]),
]


@pytest.mark.parametrize("lines, expected", SORTED)
def test_sort_imports(lines, expected):
    assert sort_imports(lines) == expected


BOUND_ONCE = [
    (["import os", "import os"], ["import os"]),
    (["import numpy as np", "import numpy as np"], ["import numpy as np"]),
    (["from a import x", "from b import x"], ["from a import x", "from b import x"]),  # two things: kept
    (["import os.path", "import os.path"], ["import os.path", "import os.path"]),  # left to sort_imports
]


@pytest.mark.parametrize("lines, expected", BOUND_ONCE)
def test_one_binding_each(lines, expected):
    assert one_binding_each(lines) == expected


# -- the text fast path renders what libcst renders ----------------------------------------------

SIMPLE_CELLS = [
    "x = 1\ny = 2\n",
    "# load\nimport os\n\n\n# two blank lines above\ndf = read(\n    'a.csv',\n)\n# trailing comment\n",
    "a = f(1)  # inline\n\n  # indented comment between\nb = a\n",
    "print('x')\n\n\n",
]
NOT_SIMPLE = [
    "x = 1; y = 2\n",
    "s = '''a\nb'''\n",
    "x = 1 + \\\n    2\n",
    "if x:\n    y = 1\n",
    "x = 1\n    # indented trailing comment\n",
    "x\t= 1\n",
]


def _cell(source: str):
    return parse_cell("nb.ipynb", Cell(index=1, kind="code", source=source))


@pytest.mark.parametrize("source", SIMPLE_CELLS)
def test_text_path_renders_as_libcst(source):
    pc = _cell(source)
    assert simple_cell(pc)
    as_text, as_nodes = NodeIndex([pc], "nb.ipynb"), NodeIndex([pc], "nb.ipynb")
    for stmt in pc.statements:
        text, node = as_text.text(stmt), as_nodes.node(stmt)
        assert render_block([text], [], {}) == render_block([node], [], {})
    last = pc.statements[-1]
    assert [code(line) for line in as_text.footer_of(last)] == [code(line) for line in as_nodes.footer_of(last)]


@pytest.mark.parametrize("source", NOT_SIMPLE)
def test_text_path_not_taken(source):
    pc = _cell(source)
    assert not simple_cell(pc)
    assert NodeIndex([pc], "nb.ipynb").text(pc.statements[0]) is None


def test_marked_node_spans():
    nodes = [_statement("x = 1\n"), _statement("# c\ny = x\n")]
    block, spans = render_block(nodes, [], {id(nodes[1]): 7})
    assert block == "\n    x = 1\n    # c\n    y = x\n"
    assert spans == {7: "    # c\n    y = x\n"}


# The body in pieces (module code, then each function), as lift passes it: only pieces naming an import are
# parsed, and the answer is that of the whole body parsed at once.
HOISTED_PIECES = [
    (["def f():\n    return pd.read_csv('np.csv')\n", "def g():\n    return 'np'  # np\n"], ["import pandas as pd"]),
    (["def f():\n    return x.np\n", "def g():\n    return np.ones(2)\n"], ["import numpy as np"]),
    (["def f():\n    return ﬁt\n"], ["from m import fit"]),  # the ligature is NFKC-normalised to `fit`
    (["if True:\n", "    y = np.ones(1)\n"], ["import numpy as np"]),  # not whole alone: one parse of all
    # a function's own variable named like an import is not the import; a free read of it is
    (["def f():\n    pd = {}\n    return pd\n"], []),
    (["def f():\n    pd = {}\n    return pd\n", "def g():\n    return pd.DataFrame()\n"], ["import pandas as pd"]),
    (["def f():\n    for np in range(3):\n        print(np)\n"], []),
    (["def f():\n    global np\n    np = None\n", "def g():\n    return np\n"], ["import numpy as np"]),
    (["class C:\n    x = np.zeros(1)\n"], ["import numpy as np"]),
]


@pytest.mark.parametrize("pieces, expected", HOISTED_PIECES)
def test_hoisted_imports_from_pieces_match_the_whole_body(pieces, expected):
    notebook = "import numpy as np\nimport pandas as pd\nfrom m import fit\n"
    imports = [SimpleNamespace(node=node) for node in ast.parse(notebook).body]
    whole = hoisted_imports(imports, "".join(pieces), ())
    assert hoisted_imports(imports, pieces, ()) == whole
    assert [line for line in whole if line] == expected
