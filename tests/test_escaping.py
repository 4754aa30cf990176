"""Notebook text never becomes live code: headings, prose, comments, file names and string values.

Each measured case (issue 11, section 1) has a test with the smallest notebook, then one property test
feeds arbitrary text through every place such text reaches generated code.
"""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
import tempfile
import tokenize
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nb2prod import api
from nb2prod.errors import CodeProblem, Nb2prodError
from nb2prod.escape import comment_text, docstring_text, string_literal
from tests.build import python_files, write_notebook

# -- the three escaping functions: what must change, what must not ---------------------------------------

UNCHANGED = ["", "plain", "Données ✓ — 100% (x′)", "C:/data", "tab\there", "# a 'quoted' \"text\" here", "日本語"]


@pytest.mark.parametrize("text", UNCHANGED + ["C:\\Users\\alice", 'say "hi"', "\\x \\U \\N"])
def test_comment_text_keeps_ordinary_text(text):
    assert comment_text(text) == text


@pytest.mark.parametrize("text", UNCHANGED)
def test_docstring_text_keeps_ordinary_text(text):
    assert docstring_text(text) == text


@pytest.mark.parametrize("char, shown", [("\n", "\\n"), ("\r", "\\r"), ("\x00", "\\x00"), ("\x0b", "\\x0b"),
                                         ("\x85", "\\x85"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"),
                                         ("\ud800", "\\ud800"), ("\u202e", "\\u202e"), ("\x1b", "\\x1b")])
def test_comment_text_shows_line_breaks_and_controls_as_escapes(char, shown):
    assert comment_text(f"a{char}b") == f"a{shown}b"


@pytest.mark.parametrize("text", ['"""', '""""', 'end"', '""', 'a"""b"""c', "C:\\Users\\alice", "\\", "\\x \\U \\N",
                                  "nul\x00", "\r\n", "\ud800", "line\u2028sep", "two\nlines", "\x85\x0b\x0c"])
def test_docstring_text_round_trips_through_one_docstring(text):
    module = ast.parse(f'"""{docstring_text(text)}"""\n')
    assert len(module.body) == 1
    assert ast.get_docstring(module, clean=False) == text


@pytest.mark.parametrize("text", ["", "plain", "it's", 'say "hi"', "both ' and \"", "\\", "\x00\ud800\u2028\n"])
def test_string_literal_round_trips(text):
    assert ast.literal_eval(string_literal(text)) == text


# what str.splitlines breaks a line at and Python's tokenizer does not (inside a comment or a string)
SPLITLINES_ONLY = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
PAYLOAD = "exec(\"open('pwned', 'w').close()\")"

IMPORTS = "import joblib\nimport numpy as np\nfrom sklearn.linear_model import LinearRegression"
DATA = "X = np.arange(20.0).reshape(10, 2)\ny = X.sum(axis=1)"


def training(title="Plain title", section="plain", prose="Plain prose.", comment="plain", value='"plain"'):
    return [f"# {title}", f"md:{prose}", IMPORTS, "## Load data", f"LABEL = {value}\n{DATA}", f"md:{prose}",
            f"## Train: {section}", f"model = LinearRegression().fit(X, y)  # {comment}\nmodel.label_ = LABEL",
            "## Save", "joblib.dump(model, 'model.pkl')"]


def scoring(title="Plain title", section="plain", prose="Plain prose.", comment="plain", value='"plain"'):
    return [f"# {title}", f"md:{prose}", "import json\nimport joblib\nimport numpy as np",
            "## Load model", f"model = joblib.load('model.pkl')  # {comment}",
            f"## Score: {section}", f"LABEL = {value}\nraw_data = '{{\"data\": [[1, 2], [3, 4]]}}'\n"
            "data = np.array(json.loads(raw_data)['data'])", f"md:{prose}",
            "result = model.predict(data)  # " + comment + "\nprint({'result': result.tolist(), 'label': LABEL})"]


def convert(folder: Path, cells, name="nb.ipynb", kind="training", **options):
    nb = write_notebook(folder / name, cells)
    [result] = api.convert([str(nb)], str(folder / "out"), kind=kind, **options)
    assert result.error is None, str(result.error)
    return result


def calls(text: str, name: str) -> list:
    return [n for n in ast.walk(ast.parse(text)) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == name]


def comments(text: str) -> list:
    return [t.string for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.type == tokenize.COMMENT]


def assert_no_exec(result) -> None:
    """No generated file calls exec, and every comment is one line even to str.splitlines (and editors)."""
    for name, text in python_files(result):
        assert not calls(text, "exec"), f"{name} runs notebook text:\n{text}"
        assert all(len(c.splitlines()) == 1 for c in comments(text)), f"{name} has a comment str.splitlines cuts"


# -- comments -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("char", SPLITLINES_ONLY, ids=lambda c: f"U+{ord(c):04X}")
def test_comment_with_a_line_break_character_stays_a_comment_in_train_py(tmp_path, char):
    cells = training(comment=f"tuned{char}    {PAYLOAD}")
    result = convert(tmp_path, cells)
    assert_no_exec(result)
    assert f"# tuned{comment_text(char)}    {PAYLOAD}\n" in result.texts["train.py"]


@pytest.mark.parametrize("char", ["\u2028", "\x0c", "\x85"], ids=lambda c: f"U+{ord(c):04X}")
def test_comment_with_a_line_break_character_stays_a_comment_in_init_and_run(tmp_path, char):
    result = convert(tmp_path, scoring(comment=f"tuned{char}    {PAYLOAD}"), kind="scoring")
    assert_no_exec(result)
    assert result.texts["score.py"].count(f"# tuned{comment_text(char)}    exec") == 2  # init() and run()


def test_markdown_prose_with_a_line_separator_stays_a_comment(tmp_path):
    result = convert(tmp_path, training(prose=f"Some prose\u2028{PAYLOAD}"))
    assert_no_exec(result)
    assert f"    # Some prose\\u2028{PAYLOAD}\n" in result.texts["train.py"]


@pytest.mark.parametrize("value", ['"a\u2028b\x85c"', '"x" + "a\u2028b\x85c"'], ids=["hyperparameter", "in-code"])
def test_string_with_a_line_separator_keeps_its_value(tmp_path, value):
    result = convert(tmp_path, training(value=value))
    assert_no_exec(result)
    constants = [n.value for n in ast.walk(ast.parse(result.texts["train.py"])) if isinstance(n, ast.Constant)]
    assert "a\u2028b\x85c" in constants


def test_explain_counts_lines_as_python_does_after_a_string_with_a_line_separator(tmp_path):
    result = convert(tmp_path, training(value='"x" + "a\u2028b"'))
    lines = result.texts["train.py"].split("\n")
    [fate] = [f for f in result.fates if f.text == "y = X.sum(axis=1)"]
    number = int(fate.where.split(":")[1].split()[0])
    assert lines[number - 1].strip() == "y = X.sum(axis=1)", fate.where


def test_check_reports_the_first_differing_line_as_python_counts_it(tmp_path):
    from nb2prod.check import compare

    path = tmp_path / "train.py"
    path.write_text('s = "a\u2028b"\nx = 1\n', encoding="utf-8")
    found = compare(path, 's = "a\u2028b"\nx = 2\n')
    assert found.first_line == 2
    assert "-x = 1" in found.diff and '-s = "a\u2028b"' not in found.diff


def _with_metric(metric: str) -> list:
    """A training notebook whose Evaluate section is `metric`: what evaluate.py is built from."""
    return [IMPORTS, "## Load data", DATA, "## Train", "model = LinearRegression()\nmodel.fit(X, y)",
            "## Evaluate", metric, "## Save", "joblib.dump(model, 'model.pkl')"]


def test_evaluate_py_keeps_a_comment_inside_the_metric_statement(tmp_path):
    metric = ("from sklearn.metrics import mean_squared_error\n"
              f"mse = mean_squared_error(y,  # truth\u2028, {PAYLOAD}\n    model.predict(X))\nprint(mse)")
    result = convert(tmp_path, _with_metric(metric), with_evaluate=True)
    assert "evaluate.py" in result.texts
    assert_no_exec(result)


# -- docstrings -----------------------------------------------------------------------------------------

INJECTED_TITLE = f'Churn x"""; {PAYLOAD}; """y'


@pytest.mark.parametrize("make, kind, script", [(training, "training", "train.py"), (scoring, "scoring", "score.py")])
def test_title_cannot_end_the_module_docstring(tmp_path, make, kind, script):
    result = convert(tmp_path, make(title=INJECTED_TITLE), kind=kind)
    assert_no_exec(result)
    assert ast.get_docstring(ast.parse(result.texts[script])).startswith(INJECTED_TITLE + "\n")


@pytest.mark.parametrize("title", ['a """ b', "Data from C:\\Users\\alice", "bytes \\x", "nul\x00here", "lone \ud800",
                                   "ends with a quote\"", "bidi \u202e reversed"])
def test_title_with_quotes_backslashes_nul_or_surrogates_converts(tmp_path, title):
    result = convert(tmp_path, training(title=title))  # written to disk: a surrogate must not break UTF-8
    assert ast.get_docstring(ast.parse(result.texts["train.py"])).startswith(title + "\n")
    (tmp_path / "out" / "train.py").read_text(encoding="utf-8")


def test_section_heading_cannot_end_the_function_docstring(tmp_path):
    result = convert(tmp_path, training(section=f'x"""; {PAYLOAD}; """'))
    assert_no_exec(result)
    functions = {f.name: f for f in ast.walk(ast.parse(result.texts["train.py"])) if isinstance(f, ast.FunctionDef)}
    assert ast.get_docstring(functions["train_model"]) == f'Train: x"""; {PAYLOAD}; """.'


def test_intro_prose_cannot_end_the_module_docstring(tmp_path):
    result = convert(tmp_path, training(prose=f'Intro """ {PAYLOAD} """ \\x \x00'))
    assert_no_exec(result)
    assert f'Intro """ {PAYLOAD} """ \\x \x00' in ast.get_docstring(ast.parse(result.texts["train.py"]))


def test_metric_name_cannot_end_evaluate_py_docstrings(tmp_path):
    key = repr(f'mse"""; {PAYLOAD}; """')
    metric = ("from sklearn.metrics import mean_squared_error\n"
              f"metrics = {{{key}: mean_squared_error(y, model.predict(X))}}\nprint(metrics)")
    result = convert(tmp_path, _with_metric(metric), with_evaluate=True)
    assert "evaluate.py" in result.texts
    assert_no_exec(result)


# -- the notebook's file name ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", [f"a\n{PAYLOAD}\n.ipynb", f"a\r{PAYLOAD}\r.ipynb", f'a"""; {PAYLOAD}; """b.ipynb',
                                  "a\u2028b.ipynb", "bad\udcffbyte.ipynb"],
                         ids=["newline", "carriage-return", "triple-quote", "line-separator", "undecodable-byte"])
def test_file_name_stays_in_the_header_comment_and_docstrings(tmp_path, name):
    for make, kind in ((training, "training"), (scoring, "scoring")):
        result = convert(tmp_path, make(), name=name, kind=kind)
        assert_no_exec(result)
        for file, text in result.texts.items():  # every file, the environment files too
            header = text.split("\n", 1)[0]
            assert header == (f"# Generated by nb2prod from ../{comment_text(name)}; edit the notebook, not this file."
                              f" sha256:{header[-16:]}")
            assert file.endswith((".txt", ".yml")) or f"../{name}" in ast.get_docstring(ast.parse(text)), file
            (tmp_path / "out" / file).read_text(encoding="utf-8")


# -- string values ---------------------------------------------------------------------------------------

def test_hyperparameter_with_percent_keeps_train_py_help_working(tmp_path):
    convert(tmp_path, training(value='"%Y-%m-%d"'))
    done = subprocess.run([sys.executable, "train.py", "--help"], cwd=tmp_path / "out", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "'%Y-%m-%d'" in done.stdout


def test_code_cell_with_nul_or_a_lone_surrogate_is_refused_as_a_code_problem(tmp_path):
    for bad in ("\x00", "\ud800"):
        nb = write_notebook(tmp_path / "nb.ipynb", training(comment=f"c{bad}"))
        [result] = api.convert([str(nb)], str(tmp_path / "out"), kind="training")
        assert isinstance(result.error, CodeProblem), result.error


# -- running what was generated executes nothing injected ------------------------------------------------

def test_importing_and_collecting_the_generated_files_runs_no_notebook_text(tmp_path):
    """Every measured payload at once, written to disk: `import train`, `import score` and collecting
    their tests create no `pwned` file."""
    evil = dict(title=INJECTED_TITLE, section=f'x"""; {PAYLOAD}; """', prose=f"p\u2028{PAYLOAD}",
                comment=f"tuned\u2028    {PAYLOAD}", value=_raw_string(f"v\u2028{PAYLOAD}"))
    name = f'nb"""; {PAYLOAD}; """\n{PAYLOAD}\n.ipynb'
    convert(tmp_path, training(**evil), name="training-" + name)
    convert(tmp_path, scoring(**evil), name="scoring-" + name, kind="scoring")
    out = tmp_path / "out"
    for command in (["-c", "import train, score"], ["-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider"]):
        done = subprocess.run([sys.executable, *command], cwd=out, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        assert not (out / "pwned").exists(), f"{command} ran notebook text"


# -- property: arbitrary text anywhere adds no statement --------------------------------------------------

ODD = ["\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "'", '"', '"""',
       "'''", "\\", "\\x", "\\U", "\\N{", "\x00", "\ud800", "\udcff", "\u202e", "%", "{{", "#", PAYLOAD]
texts = st.lists(st.one_of(st.sampled_from(ODD), st.text(max_size=4), st.characters()), max_size=8).map("".join)


def _one_line(text: str) -> str:
    """A heading's text: a newline would end the heading and a `#` start another (markdown, not escaping)."""
    return text.replace("\r\n", " ").replace("\n", " ").replace("#", "")


def _code_comment(text: str) -> str:
    """A comment's text: \\n and \\r end a comment for Python too (the rest would be the cell's own code);
    NUL and surrogates make the cell unparseable (refused, tested above)."""
    return "".join("\u2028" if c in "\r\n" else c for c in text if c != "\x00" and not "\ud800" <= c <= "\udfff")


def _raw_string(text: str) -> str:
    """A double-quoted literal with the odd characters Python allows inside one left raw (U+2028, \\x0b...)."""
    escaped = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\x00": "\\x00"}
    return '"' + "".join(escaped.get(c, repr(c)[1:-1] if "\ud800" <= c <= "\udfff" else c) for c in text) + '"'


def _file_name(text: str) -> str:
    """What a Linux file name can hold: no `/` or NUL; surrogates only as undecodable bytes (U+DC80-U+DCFF)."""
    kept = "".join(c for c in text if c not in "/\x00" and (not "\ud800" <= c <= "\udfff" or "\udc80" <= c <= "\udcff"))
    return kept.encode("utf-8", "surrogateescape")[:200].decode("utf-8", "surrogateescape").rstrip() or "x"


class _Normalised(ast.NodeTransformer):
    """A module's shape: docstrings gone, every string constant emptied (they hold the notebook's text)."""

    def visit_Constant(self, node):
        return ast.Constant("") if isinstance(node.value, str) else node

    def generic_visit(self, node):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
        return super().generic_visit(node)


def _shapes(result) -> dict:
    return {name: ast.dump(_Normalised().visit(ast.parse(text))) for name, text in python_files(result)}


def _convert_in_memory(make, kind, name, **texts):
    with tempfile.TemporaryDirectory() as folder:
        nb = write_notebook(Path(folder) / name, make(**texts))
        [result] = api.convert([str(nb)], os.path.join(folder, "out"), kind=kind, dry_run=True)
    return result


_HARMLESS = {}


def _harmless_shapes(make, kind) -> dict:
    if kind not in _HARMLESS:
        result = _convert_in_memory(make, kind, "nb.ipynb")
        assert result.error is None, result.error
        _HARMLESS[kind] = _shapes(result)
    return _HARMLESS[kind]


@settings(max_examples=int(os.environ.get("NB2PROD_PROPERTY_EXAMPLES", "50")), deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(title=texts, section=texts, prose=texts, comment=texts, value=texts, name=texts)
def test_no_text_anywhere_adds_a_statement(title, section, prose, comment, value, name):
    for make, kind in ((training, "training"), (scoring, "scoring")):
        result = _convert_in_memory(make, kind, _file_name(name) + ".ipynb", title=_one_line(title),
                                    section=_one_line(section), prose=prose.replace("#", ""),
                                    comment=_code_comment(comment), value=_raw_string(value))
        if result.error is not None:
            assert isinstance(result.error, Nb2prodError)
            continue
        for file, text in python_files(result):
            compile(text, file, "exec")
            text.encode("utf-8")  # what writing the file does
            assert all(len(c.splitlines()) == 1 for c in comments(text)), file
        assert _shapes(result) == _harmless_shapes(make, kind)
