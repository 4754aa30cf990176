"""`nb2prod check`: current outputs pass, stale ones fail with a diff and a hint, outputs never matter."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "diabetes_ridge"
PYPROJECT = """[tool.nb2prod]
projects = [
    { notebook = "ml/training.ipynb", output = "ml/expected" },
    { notebook = "ml/scoring.ipynb", output = "ml/expected" },
]
"""


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A tmp repository declaring the diabetes example, converted once so that it is current."""
    (tmp_path / "ml").mkdir()
    for name in ("training.ipynb", "scoring.ipynb"):
        shutil.copyfile(EXAMPLE / name, tmp_path / "ml" / name)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    monkeypatch.chdir(tmp_path)
    result = run("convert", "ml/training.ipynb", "ml/scoring.ipynb", "-o", "ml/expected")
    assert result.exit_code == 0, result.output
    return tmp_path


def edit_notebook(path: Path, change) -> None:
    nb = json.loads(path.read_text())
    change(nb)
    path.write_text(json.dumps(nb, indent=2))


def test_current_outputs_pass(project):
    result = run("check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["7 generated files current, 0 stale"]


def test_stale_output_fails_with_diff_and_hint_then_regenerating_passes(project):
    train = project / "ml" / "expected" / "train.py"
    train.write_text(train.read_text().replace("alpha=0.5", "alpha=0.7", 1))
    result = run("check")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "ml/expected/train.py was edited by hand and differs from what its notebook gives" in lines
    assert "--- ml/expected/train.py" in lines
    assert "+++ ml/expected/train.py" in lines
    assert "-def train_model(data, alpha=0.7):" in lines
    assert "+def train_model(data, alpha=0.5):" in lines
    assert "to update: nb2prod convert ml/training.ipynb ml/scoring.ipynb -o ml/expected --force" in lines
    assert lines[-1] == "6 generated files current, 1 stale"
    assert run("convert", "ml/training.ipynb", "ml/scoring.ipynb", "-o", "ml/expected", "--force").exit_code == 0
    assert run("check").exit_code == 0


def test_notebook_change_makes_output_stale(project):
    def change(nb):
        cell = next(c for c in nb["cells"] if "alpha = 0.5" in "".join(c["source"]))
        cell["source"] = "".join(cell["source"]).replace("alpha = 0.5", "alpha = 0.1")

    edit_notebook(project / "ml" / "training.ipynb", change)
    result = run("check", "ml/")
    assert result.exit_code == 1
    assert "ml/expected/train.py is out of date with its notebook" in result.output.splitlines()
    assert "to update: nb2prod convert ml/training.ipynb ml/scoring.ipynb -o ml/expected" in result.output
    assert run("convert", "ml/training.ipynb", "ml/scoring.ipynb", "-o", "ml/expected").exit_code == 0
    assert run("check", "ml/").exit_code == 0


def test_missing_output_fails(project):
    (project / "ml" / "expected" / "test_score.py").unlink()
    result = run("check")
    assert result.exit_code == 1
    assert "ml/expected/test_score.py is missing" in result.output.splitlines()


def rerun(nb):
    """What re-running and re-saving does to a notebook, stdout aside: counts, metadata, rich outputs."""
    nb["metadata"]["widgets"] = {"state": {}}
    nb["metadata"]["kernelspec"]["display_name"] = "Some Other Name"
    for n, cell in enumerate(nb["cells"]):
        cell["metadata"]["collapsed"] = True
        if cell["cell_type"] == "code":
            cell["execution_count"] = 100 - n
            cell["outputs"] = [o for o in cell["outputs"] if o.get("name") == "stdout"] + [
                {"output_type": "stream", "name": "stderr", "text": "FutureWarning: something\n"},
                {"output_type": "execute_result", "execution_count": 100 - n, "metadata": {},
                 "data": {"text/plain": f"<object {n}>"}},
                {"output_type": "display_data", "metadata": {}, "data": {"text/html": "<b>x</b>"}},
            ]


def test_outputs_metadata_and_execution_counts_do_not_matter(project):
    edit_notebook(project / "ml" / "training.ipynb", rerun)
    edit_notebook(project / "ml" / "scoring.ipynb", rerun)
    result = run("check")
    assert result.exit_code == 0, result.output


def with_printed_mse(nb):
    cell = next(c for c in nb["cells"] if 'print("mse", mse)' in "".join(c["source"]))
    cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "mse 3077.4159388272532\n"}]


def test_clearing_outputs_does_not_matter(project):
    edit_notebook(project / "ml" / "training.ipynb", with_printed_mse)
    assert run("convert", "ml/training.ipynb", "ml/scoring.ipynb", "-o", "ml/expected").exit_code == 0
    assert run("check").exit_code == 0

    def clear(nb):
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                cell["outputs"], cell["execution_count"] = [], None

    edit_notebook(project / "ml" / "training.ipynb", clear)
    result = run("check")
    assert result.exit_code == 0, result.output


def test_selection_by_notebook_and_undeclared_notebook_needs_output(project):
    # a declared notebook brings its whole output folder: the training sibling shapes test_score.py
    assert run("check", "ml/scoring.ipynb").output.splitlines() == ["7 generated files current, 0 stale"]
    shutil.copyfile(project / "ml" / "training.ipynb", project / "other.ipynb")
    result = run("check", "other.ipynb")
    assert result.exit_code == 2
    assert "other.ipynb: not declared in [tool.nb2prod] projects" in result.output
    assert run("convert", "other.ipynb", "-o", "out").exit_code == 0
    assert run("check", "other.ipynb", "-o", "out").exit_code == 0
    result = run("check", "other.ipynb", "-o", "elsewhere")
    assert result.exit_code == 1
    assert "to update: nb2prod convert other.ipynb -o elsewhere" in result.output


def test_error_level_lint_finding_fails(project):
    def change(nb):
        nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                            "source": "mse = mse * 2\n"})

    edit_notebook(project / "ml" / "training.ipynb", change)
    run("convert", "ml/training.ipynb", "ml/scoring.ipynb", "-o", "ml/expected")
    result = run("check")
    assert result.exit_code == 1
    assert any(" NB304 " in line for line in result.output.splitlines())


def test_github_format_places_a_lint_error_at_its_line_in_the_cell(project):
    def change(nb):
        nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                            "source": "mse = mse * 2\n"})

    edit_notebook(project / "ml" / "training.ipynb", change)
    run("convert", "ml/training.ipynb", "ml/scoring.ipynb", "-o", "ml/expected")
    lines = [x for x in run("check", "--format", "github").output.splitlines() if "NB304" in x]
    assert lines and all(x.startswith("::error file=ml/training.ipynb,line=1,") and ",title=NB304 (cell " in x
                         for x in lines), lines


def test_github_format_annotates_stale_file(project):
    train = project / "ml" / "expected" / "train.py"
    train.write_text(train.read_text().replace("alpha=0.5", "alpha=0.7", 1))
    result = run("check", "--format", "github")
    assert result.exit_code == 1
    (line,) = result.output.splitlines()
    text = train.read_text().splitlines()
    first = next(n for n, t in enumerate(text, 1) if "alpha=0.7" in t)
    assert line.startswith(f"::error file=ml/expected/train.py,line={first},title=nb2prod check::")
    assert "run%3A" not in line and "run: nb2prod convert" in line


@pytest.mark.parametrize("env, coloured", [
    ({"NO_COLOR": None, "FORCE_COLOR": None}, False),  # not a terminal
    ({"NO_COLOR": None, "FORCE_COLOR": "1"}, True),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
])
def test_diff_colour_follows_no_color_and_force_color(project, env, coloured):
    train = project / "ml" / "expected" / "train.py"
    train.write_text(train.read_text().replace("alpha=0.5", "alpha=0.7", 1))
    result = CliRunner().invoke(main, ["check"], env=env, catch_exceptions=False)
    assert result.exit_code == 1 and "-" in result.output
    assert ("\x1b[" in result.output) is coloured


class _Terminal:
    def isatty(self):
        return True


@pytest.mark.parametrize("env, coloured", [({}, True), ({"NO_COLOR": "1"}, False), ({"NO_COLOR": ""}, True),
                                           ({"FORCE_COLOR": "1", "NO_COLOR": "x"}, False)])
def test_no_color_turns_colour_off_on_a_terminal(env, coloured):
    from nb2prod.report import colour

    assert colour.wanted(_Terminal(), env) is coloured
    assert colour.wanted(object(), {"FORCE_COLOR": "1"}) is True  # a pipe, forced


def test_no_declared_projects_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    result = run("check")
    assert result.exit_code == 2
    assert "no [tool.nb2prod] projects declared" in result.output


def test_a_typo_in_a_declared_project_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod]\nprojects = [{ notebook = "a.ipynb", outptu = "out" }]\n')
    result = run("check")
    assert (result.exit_code, result.stderr) == (
        2, f"nb2prod: {tmp_path / 'pyproject.toml'}: [tool.nb2prod] projects: unknown key 'outptu'; did you mean output?\n")


def test_repository_examples_are_current():
    """The project's own CI runs this: every example's expected/ folder matches its notebooks."""
    from nb2prod import api

    report = api.check([str(ROOT / "examples")])
    stale = [f.path for g in report.groups for f in g.stale]
    assert report.exit_code == 0, f"stale: {stale}; errors: {[str(e) for g in report.groups for e in g.errors]}"
    checked = {Path(g.output).parent.name for g in report.groups}
    assert checked == {p.parent.name for p in (ROOT / "examples").glob("*/*.ipynb")}


def apply_with_patch(output: str, cwd: Path) -> None:
    """Feed check's diff lines to the real `patch -p0`, from the folder check ran in."""
    diff = "".join(line + "\n" for line in output.splitlines() if line[:1] in ("-", "+", "@", " ", "\\"))
    assert diff.startswith("--- "), output
    done = subprocess.run(["patch", "-p0", "--batch", "--forward"], input=diff, cwd=cwd, text=True,
                          capture_output=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("edit", ["change", "no final newline", "delete"])
def test_check_diff_applies_with_patch_p0(project, edit):
    train = project / "ml" / "expected" / "train.py"
    expected = train.read_bytes()
    if edit == "delete":
        train.unlink()
    else:
        text = train.read_text().replace("alpha=0.5", "alpha=0.7", 1)
        train.write_text(text.rstrip("\n") if edit == "no final newline" else text)
    result = CliRunner().invoke(main, ["check"], env={"NO_COLOR": "1"}, catch_exceptions=False)
    assert result.exit_code == 1
    apply_with_patch(result.output, project)
    assert train.read_bytes() == expected
    assert run("check").exit_code == 0


def test_check_diff_applies_with_patch_p0_to_a_path_with_spaces(tmp_path, monkeypatch):
    (tmp_path / "my notebooks").mkdir()
    shutil.copyfile(EXAMPLE / "training.ipynb", tmp_path / "my notebooks" / "training.ipynb")
    monkeypatch.chdir(tmp_path)
    args = ["my notebooks/training.ipynb", "-o", "out dir"]
    assert run("convert", *args).exit_code == 0
    train = tmp_path / "out dir" / "train.py"
    expected = train.read_bytes()
    train.write_text(train.read_text().replace("alpha=0.5", "alpha=0.7", 1))
    result = run("check", *args)
    assert result.exit_code == 1 and "--- out dir/train.py\t" in result.output.splitlines()
    apply_with_patch(result.output, tmp_path)
    assert train.read_bytes() == expected
