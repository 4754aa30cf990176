"""Ecosystem hooks: the pre-commit hooks run by pre-commit in a temporary repository, and `jupyter nbconvert --to nb2prod`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "diabetes_ridge" / "training.ipynb"
GIT = ["git", "-c", "user.email=test@example.com", "-c", "user.name=test", "-c", "commit.gpgsign=false"]


FIXED_DATE = {"GIT_AUTHOR_DATE": "2000-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2000-01-01T00:00:00Z"}


def git(folder: Path, *args: str) -> None:
    """Commits get fixed dates, so the same files give the same commit (and pre-commit reuses its hook env)."""
    subprocess.run([*GIT, *args], cwd=folder, check=True, capture_output=True, env={**os.environ, **FIXED_DATE})


def test_hook_manifest_declares_both_hooks():
    yaml = pytest.importorskip("yaml")
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["nb2prod-lint"]["entry"] == "nb2prod lint"
    assert hooks["nb2prod-lint"]["files"] == r"\.ipynb$"
    assert hooks["nb2prod-check"]["entry"] == "nb2prod check"
    assert hooks["nb2prod-check"]["pass_filenames"] is False
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["name"] and hook["description"]


def hook_repo(cache: Path) -> Path:
    """This working tree's package as a committed git repository (pre-commit installs hooks from a commit)."""
    repo = cache / "hooks"
    shutil.rmtree(repo, ignore_errors=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("nb2prod", "templates"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=ignore)
    for file in ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml"):
        shutil.copyfile(ROOT / file, repo / file)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hooks")
    return repo


def user_repo(cache: Path) -> Path:
    """A user's repository: one declared notebook and its generated files, committed."""
    repo = cache / "user"
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "ml").mkdir(parents=True)
    shutil.copyfile(EXAMPLE, repo / "ml" / "training.ipynb")
    (repo / "pyproject.toml").write_text(
        '[tool.nb2prod]\nprojects = [{ notebook = "ml/training.ipynb", output = "ml/out" }]\n')
    subprocess.run([sys.executable, "-m", "nb2prod", "convert", "ml/training.ipynb", "-o", "ml/out"],
                   cwd=repo, check=True, capture_output=True)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "user")
    return repo


def run_hooks(hooks: Path, repo: Path, home: Path) -> dict:
    """`pre-commit run --all-files` in `repo` with a config using both hooks from `hooks` at its HEAD."""
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hooks, capture_output=True, text=True).stdout.strip()
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n- repo: {hooks}\n  rev: {rev}\n  hooks:\n  - id: nb2prod-lint\n  - id: nb2prod-check\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    done = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--all-files"],
                          cwd=repo, capture_output=True, text=True, env=env, timeout=600)
    results = {}
    for line in done.stdout.splitlines():
        for hook in ("nb2prod lint", "nb2prod check"):
            if line.startswith(hook + "..."):
                results[hook] = line.rsplit(".", 1)[-1].strip()
    assert results, done.stdout + done.stderr
    return results


def test_pre_commit_runs_both_hooks(request, tmp_path):
    pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install pre-commit)")
    # fixed places and commit dates: pre-commit keys its hook env by repository path and commit, so the
    # env is built once per version of the code instead of on every run
    store = getattr(request.config, "cache", None)  # absent with `-p no:cacheprovider`: build the env afresh
    cache = store.mkdir("pre-commit") if store is not None else tmp_path
    hooks, repo, home = hook_repo(cache), user_repo(cache), cache / "home"
    # the example notebook keeps exploration cells on purpose, so the linter flags them
    assert run_hooks(hooks, repo, home) == {"nb2prod lint": "Failed", "nb2prod check": "Passed"}
    train = repo / "ml" / "out" / "train.py"
    train.write_text(train.read_text().replace("alpha=0.5", "alpha=0.9"))
    assert run_hooks(hooks, repo, home)["nb2prod check"] == "Failed"


def test_nbconvert_exporter_writes_the_script_and_its_tests(tmp_path):
    if shutil.which("jupyter") is None:
        pytest.skip("jupyter is not on PATH")
    from importlib.metadata import entry_points

    if not any(ep.name == "nb2prod" for ep in entry_points(group="nbconvert.exporters")):
        pytest.skip("nb2prod's nbconvert entry point is not installed: run `pip install -e .` first")
    shutil.copyfile(EXAMPLE, tmp_path / "training.ipynb")
    done = subprocess.run(["jupyter", "nbconvert", "--to", "nb2prod", "training.ipynb"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    from nb2prod import api

    (expected,) = api.generate([(str(tmp_path / "training.ipynb"), api.plan_notebook(str(tmp_path / "training.ipynb")))],
                               str(tmp_path))
    assert (tmp_path / "train.py").read_text() == expected.texts["train.py"]
    assert (tmp_path / "test_train.py").read_text() == expected.texts["test_train.py"]


def test_nbconvert_exporter_reports_unusable_notebooks(tmp_path):
    from nbconvert.exporters import get_exporter

    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("only prose")])
    exporter = get_exporter("nb2prod")()
    with pytest.raises(ValueError, match=r"^nb2prod: notebook\.ipynb: notebook has no code cells$"):
        exporter.from_notebook_node(nb, {"metadata": {"name": "notebook"}})
