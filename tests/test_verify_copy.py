"""verify copies what the notebook needs: itself and the files it reads, the whole folder (as git shows
it) only when a path it reads is unknown; never environments; and says what it copied."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod.cli import main
from nb2prod.workdir import copy_needed, folder_files
from tests.notebooks import ensure_kernelspec

GIT = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "commit.gpgsign=false"]


def git_repo(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([*GIT, "init", "-q"], cwd=folder, check=True)
    return folder


def fake_environment(folder: Path, files: int = 1000) -> None:
    """A virtual environment of many small files, the kind that made verify take minutes."""
    (folder / "pyvenv.cfg").parent.mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /usr\n")
    for i in range(files):
        pkg = folder / "lib" / "site-packages" / f"pkg{i % 30}"
        pkg.mkdir(parents=True, exist_ok=True)
        (pkg / f"m{i}.py").write_text("x = 1\n")


def test_verify_copies_the_notebook_and_its_ignored_data_not_the_environment(tmp_path):
    ensure_kernelspec()
    repo = git_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("*.csv\n")  # data files are commonly git-ignored
    rows = "\n".join(f"{i},{2 * i + 1}" for i in range(20))
    (repo / "points.csv").write_text("x,y\n" + rows + "\n")
    (repo / "other.csv").write_text("never read\n")
    fake_environment(repo / "venv")
    cells = ["import joblib\nimport pandas as pd\nfrom sklearn.linear_model import LinearRegression\n"
             "from sklearn.metrics import mean_squared_error",
             "## Read dataset", 'df = pd.read_csv("points.csv")',
             "## Train model", 'reg = LinearRegression()\nreg.fit(df[["x"]], df["y"])',
             "## Evaluate model", 'mse = mean_squared_error(df["y"], reg.predict(df[["x"]]))\nprint("mse", mse)',
             "## Save model", 'joblib.dump(reg, "line.joblib")']
    nb = repo / "training.py"  # a jupytext percent script: verify runs its cells as a notebook's
    nb.write_text("".join(f"# %% [markdown]\n# {c}\n\n" if c.startswith("#") else f"# %%\n{c}\n\n" for c in cells))
    result = CliRunner().invoke(main, ["verify", str(nb), "--verbose", "--timeout", "120"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    size = len((repo / "points.csv").read_bytes()) + len(nb.read_bytes())
    assert lines[1:4] == [f"  copied 2 files ({size:,} bytes): what the notebook reads",
                          "        points.csv", "        training.py"]
    assert lines[-1].startswith("equivalent: ")


def test_the_whole_folder_as_git_shows_it_with_the_read_files_even_if_ignored(tmp_path):
    repo = git_repo(tmp_path / "repo")
    nb_dir = repo / "ml"
    nb_dir.mkdir()
    (repo / ".gitignore").write_text("\\#draft.py\n*.parquet\n")  # an escaped `#`: a pattern, not a comment
    (repo / ".git" / "info" / "exclude").write_text("scratch/\n")
    for name in ("#draft.py", "rows.parquet", "read.parquet", "scratch/a.txt", "keep.txt", "sub/b.txt",
                 ".hidden/c.txt", "__pycache__/d.pyc"):
        (nb_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (nb_dir / name).write_text(name)
    fake_environment(nb_dir / "env", files=50)  # not git-ignored, still an environment
    assert folder_files(nb_dir) == ["keep.txt", "sub/b.txt"]
    target = tmp_path / "copy"
    copied = copy_needed(nb_dir, target, ["read.parquet", "../outside.txt", "missing.csv"], whole_folder=True,
                         skip=["sub/b.txt"])
    assert copied.files == ("keep.txt", "read.parquet")
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()) == list(copied.files)
    assert copied.size == len("keep.txt") + len("read.parquet") and copied.whole_folder


def test_outside_git_the_gitignore_files_are_honoured(tmp_path):
    folder = tmp_path / "plain"
    (folder / "cache").mkdir(parents=True)
    (folder / ".gitignore").write_text("cache/\n*.tmp\n")
    for name in ("data.csv", "x.tmp", "cache/big.bin"):
        (folder / name).write_text(name)
    fake_environment(folder / "conda_env", files=10)
    if subprocess.run(["git", "rev-parse"], cwd=folder, capture_output=True).returncode == 0:
        pytest.skip("the temporary folder is inside a git repository")
    assert folder_files(folder) == ["data.csv"]


def test_the_gitignore_matcher_reads_escapes_and_info_exclude(tmp_path):
    """lint's folder walk (and verify's copy outside git) read ignore files as git does."""
    from nb2prod.notebook.config import find_files

    repo = git_repo(tmp_path / "repo")
    (repo / ".gitignore").write_text("\\#scratch.py\n\\!bang.py\ntrailing.py\\ \n# comment.py\n")
    (repo / ".git" / "info" / "exclude").write_text("private/\n")
    names = ("#scratch.py", "!bang.py", "trailing.py ", "trailing.py", "# comment.py", "private/p.py", "kept.py")
    for name in names:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x = 1\n")
    files, missing = find_files([str(repo)])
    found = sorted(os.path.relpath(f, repo) for f, _ in files)
    assert (found, missing) == (["# comment.py", "kept.py", "trailing.py"], [])
    git_view = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=repo, capture_output=True,
                              text=True).stdout.split("\n")
    assert sorted(n for n in git_view if n.endswith(".py")) == found  # what git itself says


def test_the_reads_verify_copies_come_from_the_whole_notebook(tmp_path):
    from nb2prod import api
    from nb2prod.convert.artifacts import run_reads
    from tests.build import write_notebook

    nb = write_notebook(tmp_path / "nb.ipynb", [
        "import json\nimport os\nimport joblib\nimport pandas as pd\nfrom sklearn.linear_model import LinearRegression",
        'DATA = "data"\nwith open("columns.json") as f:\n    columns = json.load(f)',
        'df = pd.read_csv(os.path.join(DATA, "rows.csv"))\npd.read_csv("peek.csv").head()',
        "extra = pd.read_parquet(os.environ['EXTRA'])",
        "reg = LinearRegression().fit(df[columns], df['y'])\njoblib.dump(reg, 'm.pkl')"])
    reads, unknown = run_reads(api.plan_notebook(str(nb)))
    assert reads == ("columns.json", "data/rows.csv", "peek.csv")  # exploration's reads too: the notebook runs whole
    assert unknown == ("pd.read_parquet(os.environ['EXTRA'])",)
