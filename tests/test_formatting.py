"""Formatted, formatter-proof output (issue 14): generated Python is what ruff format writes with the project's
settings, and a file the user's formatter (ruff format or black, their line length) rewrote is neither stale
nor edited, while a real edit still is."""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod import write
from nb2prod.cli import main
from nb2prod.codeform import code_form
from nb2prod.convert import format as formatting
from nb2prod.convert.pipeline import _finished

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "expected").is_dir())
DIABETES = ROOT / "examples" / "diabetes_ridge"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def ruff_format(*args):
    done = subprocess.run([sys.executable, "-m", "ruff", "format", "--no-cache", *map(str, args)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def black(*args):
    done = subprocess.run([sys.executable, "-m", "black", "-q", *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def copy_example(folder: Path, tmp: Path) -> tuple:
    """The example's notebooks and its committed expected/ in tmp (no pyproject.toml above: 88 columns)."""
    shutil.copytree(folder / "expected", tmp / "expected")
    notebooks = []
    for nb in sorted(folder.glob("*.ipynb")):
        shutil.copyfile(nb, tmp / nb.name)
        notebooks.append(tmp / nb.name)
    return tuple(notebooks)


def python_files(folder: Path) -> dict:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.py"))}


def code_widths(text: str) -> list:
    """The width of every line but docstrings' (formatters never rewrap a docstring)."""
    docs = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            docs.update(range(node.lineno, node.end_lineno + 1))
    return [len(line) for n, line in enumerate(text.splitlines(), 1) if n not in docs]


def assert_current_and_not_refused(notebooks, out: Path) -> None:
    before = python_files(out)
    checked = run("check", *notebooks, "-o", out)
    assert checked.exit_code == 0, checked.output
    converted = run("convert", *notebooks, "-o", out)
    assert converted.exit_code == 0, converted.output
    assert "edited" not in converted.output
    assert python_files(out) == before, "convert rewrote files that only the user's formatter changed"


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_output_reformatted_by_ruff_or_black_is_current_and_not_edited(folder, tmp_path):
    notebooks = copy_example(folder, tmp_path)
    fresh = tmp_path / "fresh"
    assert run("convert", *notebooks, "-o", fresh).exit_code == 0
    ruff_format("--check", "--isolated", fresh)  # formatted as ruff format would, at the default 88 columns
    # the committed files (120 columns) under black at 70 columns keeping quotes; the fresh ones under ruff at 60
    black("-l", "70", "-S", tmp_path / "expected")
    ruff_format("--isolated", "--line-length", "60", "--config", 'format.quote-style="single"', fresh)
    for out in (tmp_path / "expected", fresh):
        assert any(text != write.body_of(text) for text in python_files(out).values())
        assert_current_and_not_refused(notebooks, out)


@pytest.fixture
def reformatted(tmp_path):
    """The diabetes example converted into tmp, then reformatted by ruff at 50 columns."""
    notebooks = copy_example(DIABETES, tmp_path)
    out = tmp_path / "out"
    assert run("convert", *notebooks, "-o", out).exit_code == 0
    ruff_format("--isolated", "--line-length", "50", out)
    return notebooks, out


@pytest.mark.parametrize("edit", [
    lambda text: text.replace("    return df\n", "    return df.dropna()\n", 1),  # a statement
    lambda text: text.replace("def load_data():\n", "def load_data():\n    # keep the raw rows\n", 1),  # a comment
    lambda text: text.replace('"""Load Data."""', '"""Load the data."""', 1),  # a docstring's words
], ids=["statement", "comment", "docstring"])
def test_a_real_edit_after_reformatting_is_still_refused(reformatted, edit):
    notebooks, out = reformatted
    train = out / "train.py"
    edited = edit(train.read_text(encoding="utf-8"))
    assert edited != train.read_text(encoding="utf-8")
    train.write_text(edited, encoding="utf-8")
    converted = run("convert", *notebooks, "-o", out)
    assert converted.exit_code == 1 and "train.py was edited since nb2prod wrote it" in converted.output
    assert train.read_text(encoding="utf-8") == edited
    checked = run("check", *notebooks, "-o", out)
    assert checked.exit_code == 1 and "was edited by hand" in checked.output


def test_a_changed_notebook_makes_a_reformatted_file_stale(reformatted):
    notebooks, out = reformatted
    training = next(nb for nb in notebooks if nb.name == "training.ipynb")
    nb = json.loads(training.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and "alpha" in "".join(c["source"]))
    cell["source"] = "".join(cell["source"]).replace("0.5", "0.7")
    training.write_text(json.dumps(nb), encoding="utf-8")
    checked = run("check", *notebooks, "-o", out)
    assert checked.exit_code == 1 and "train.py is out of date with its notebook" in checked.output
    converted = run("convert", *notebooks, "-o", out)
    assert converted.exit_code == 0, converted.output
    assert "alpha=0.7" in (out / "train.py").read_text(encoding="utf-8")


def test_a_file_written_before_formatting_is_still_nb2prods_own(tmp_path):
    body = "x = 1\n"
    old = write.HEADER.format(ref="nb.ipynb", digest=hashlib.sha256(body.encode()).hexdigest()[:16]) + "\n" + body
    path = tmp_path / "train.py"
    path.write_text(old, encoding="utf-8")
    assert write.status(path, write.with_header("x = 2\n", "nb.ipynb", "train.py")) == write.UPDATE
    path.write_text(old.replace("x = 1", "x = 3"), encoding="utf-8")
    assert write.status(path, write.with_header("x = 2\n", "nb.ipynb", "train.py")) == write.EDITED


def test_project_line_length_and_quote_style_are_used(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.ruff]\nline-length = 100\n\n[tool.ruff.format]\n'
                                             'quote-style = "single"\n', encoding="utf-8")
    notebooks = copy_example(DIABETES, tmp_path)
    out = tmp_path / "src" / "model"
    assert run("convert", *notebooks, "-o", out).exit_code == 0
    widths = [width for text in python_files(out).values() for width in code_widths(write.body_of(text))]
    assert 88 < max(widths) <= 100
    assert "['Y']" in (out / "train.py").read_text(encoding="utf-8")
    ruff_format("--check", out, "--config", str(tmp_path / "pyproject.toml"))


@pytest.mark.parametrize("toml, expected", [
    ("", formatting.FormatSettings()),
    ("[tool.ruff]\nline-length = 100\n", formatting.FormatSettings(100)),
    ('[tool.ruff.format]\nquote-style = "preserve"\nskip-magic-trailing-comma = true\n',
     formatting.FormatSettings(88, "preserve", False)),
    ("[tool.black]\nline-length = 72\nskip-string-normalization = true\n", formatting.FormatSettings(72, "preserve")),
    ("[tool.black]\nline-length = 72\n[tool.ruff]\nline-length = 99\n", formatting.FormatSettings(99)),
    ("[tool.nb2prod]\n", formatting.FormatSettings()),
])
def test_settings_come_from_the_nearest_project_above_the_output(tmp_path, toml, expected):
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    found = formatting.settings_for(str(tmp_path / "not" / "made" / "yet"))
    assert found == formatting.FormatSettings(expected.line_length, expected.quote_style,
                                              expected.magic_trailing_comma, found.source)


def test_ruff_toml_beside_the_output_wins(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "ruff.toml").write_text("line-length = 70\n", encoding="utf-8")
    assert formatting.settings_for(str(tmp_path / "out")).line_length == 70


def test_a_bad_setting_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.ruff]\nline-length = "wide"\n', encoding="utf-8")
    notebooks = copy_example(DIABETES, tmp_path)
    result = run("convert", *notebooks, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"nb2prod: {tmp_path / 'pyproject.toml'}: line-length must be a whole number from 1 to 320, not 'wide'"]


def test_every_python_file_is_formatted_by_its_type_and_others_are_left_alone():
    texts = _finished({"pipeline.py": "x=[1,2]\n", "requirements.txt": "a==1\n", "conda.yml": "x:  1\n"},
                      "nb.ipynb", formatting.FormatSettings())
    assert write.body_of(texts["pipeline.py"]) == "x = [1, 2]\n"
    assert write.body_of(texts["requirements.txt"]) == "a==1\n"
    assert write.body_of(texts["conda.yml"]) == "x:  1\n"


# Two tables, as pyupgrade's: layouts that are the same code, and edits that are not.
SAME_CODE = [
    ("x = f(a,b)\n", "x = f(\n    a,\n    b,\n)\n"),
    ("x = 'a'\n", 'x = "a"\n'),
    ("x = (1)\n", "x = 1\n"),
    ("y = 0XFF + 1E5\n", "y = 0xFF + 1e5\n"),
    ("x = u'a'\n", 'x = "a"\n'),
    ("del (a, b)\n", "del a, b\n"),
    ("x = 1 #note\n", "x = 1  # note\n"),
    ('def f():\n    """  Doc.\n\n        more   \n    """\n', 'def f():\n    """Doc.\n\n    more\n    """\n'),
    ("x = ('a'\n     'b')\n", 'x = "ab"\n'),
    ("if x :\n\n\n    pass\n", "if x:\n    pass\n"),
]
DIFFERENT_CODE = [
    ("x = f(a, b)\n", "x = f(b, a)\n"),
    ("x = 'a'\n", "x = 'b'\n"),
    ("x = 1  # note\n", "x = 1  # other note\n"),
    ("x = 1  # note\n", "x = 1\n"),
    ("s = '''a\n  b'''\n", "s = '''a\nb'''\n"),  # not a docstring: its spaces are data
    ('"""Doc."""\n', '"""Other."""\n'),
    ("x = '#'\n", "x = ''  #\n"),
    ("x = 1.0\n", "x = 1\n"),
]


@pytest.mark.parametrize("a, b", SAME_CODE)
def test_same_code_in_another_layout_has_the_same_form(a, b):
    assert code_form(a) is not None and code_form(a) == code_form(b)


@pytest.mark.parametrize("a, b", DIFFERENT_CODE)
def test_different_code_or_comments_have_different_forms(a, b):
    assert code_form(a) != code_form(b)


def test_deeply_nested_code_has_a_form():
    assert code_form("x = " + " + ".join(["a"] * 900) + "\n") is not None  # as deep as ast.parse goes


def test_the_recursive_and_the_stacked_spelling_of_the_form_agree():
    """The form is spelled by recursion, and by an explicit stack when a tree is too deep for the recursion
    limit: both must give the same text, or a file's digest would depend on the depth of the call stack."""
    from nb2prod import codeform

    sources = [p for example in EXAMPLES for p in sorted((example / "expected").glob("*.py"))]
    sources += [Path(codeform.__file__), Path(__file__)]
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assert codeform._tree_recursive(tree) == codeform._tree_stacked(tree), path
    deep = ast.parse("x = " + " + ".join(["a"] * 900) + "\n")
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(300)  # too low for the recursion: _tree falls back to the stack
    try:
        with pytest.raises(RecursionError):
            codeform._tree_recursive(deep)
        assert codeform._tree(deep) == codeform._tree_stacked(deep)
    finally:
        sys.setrecursionlimit(limit)
    assert codeform._tree(deep) == codeform._tree_stacked(deep)
