"""convert formats all its Python files with one ruff process (convert/format.py format_files), each exactly as
`ruff format --stdin-filename NAME -` formats it alone."""

from __future__ import annotations

import subprocess
from pathlib import Path

from nb2prod.convert import format as formatting

SETTINGS = formatting.FormatSettings(line_length=40, quote_style="single")
FILES = [
    ("train.py", "x = f(aaaaaaaaaa, bbbbbbbbbb, cccccccccc, dddddddddd)\ny = \"a\"\n"),
    ("requirements.txt", "a==1\n"),  # not Python: left alone
    ("broken.py", "x = (\n"),  # does not parse: left as it is
    ("azureml/train.py", "z=[1,2]\n"),  # a second file of the same name, in a folder
    ("types.pyi", "class A:\n    x: int\n\n\n\nclass B: ...\n"),  # a stub: ruff formats it as one
    ("empty.py", ""),
]


def alone(name: str, code: str) -> str:
    """What ruff format gives for one file on standard input (what convert ran per file before)."""
    done = subprocess.run([formatting._ruff_bin(), "format", "--isolated", "--no-cache", *SETTINGS.ruff_options(),
                           "--stdin-filename", name, "-"], input=code.encode(), capture_output=True)
    return done.stdout.decode() if done.returncode == 0 else code


def test_one_process_formats_every_file_as_ruff_formats_it_alone(monkeypatch):
    runs = []
    real = subprocess.run
    monkeypatch.setattr(formatting.subprocess, "run", lambda *a, **k: runs.append(a[0]) or real(*a, **k))
    got = formatting.format_files(FILES, SETTINGS)
    assert len(runs) == 1
    monkeypatch.setattr(formatting.subprocess, "run", real)
    assert got == [alone(name, code) if name.endswith((".py", ".pyi")) else code for name, code in FILES]
    assert got[0] == "x = f(\n    aaaaaaaaaa,\n    bbbbbbbbbb,\n    cccccccccc,\n    dddddddddd,\n)\ny = 'a'\n"
    assert got[2] == "x = (\n" and got[3] == "z = [1, 2]\n"
    assert got[4] == "class A:\n    x: int\n\nclass B: ...\n"  # stub layout: one blank line


def test_no_python_file_starts_no_process(monkeypatch):
    monkeypatch.setattr(formatting.subprocess, "run", lambda *a, **k: 1 / 0)
    assert formatting.format_files([("conda.yml", "x:  1\n"), ("requirements.txt", "a\n")], SETTINGS) == [
        "x:  1\n", "a\n"]


def test_a_convert_run_starts_one_ruff_process_for_all_its_python_files(tmp_path, monkeypatch):
    """Training and scoring notebook, evaluate.py and the kfp pipeline: six Python files, one process."""
    from nb2prod import api

    folder = Path(__file__).resolve().parents[1] / "examples" / "diabetes_ridge"
    runs = []
    real = subprocess.run
    monkeypatch.setattr(formatting.subprocess, "run", lambda *a, **k: runs.append(a[0]) or real(*a, **k))
    results = api.convert([str(folder / "training.ipynb"), str(folder / "scoring.ipynb")], str(tmp_path),
                          with_evaluate=True, pipelines=["kfp"], workers=1)
    assert all(r.error is None for r in results)
    written = sorted(p.name for p in tmp_path.glob("*.py"))
    assert written == ["evaluate.py", "pipeline_kfp.py", "score.py", "test_score.py", "test_train.py", "train.py"]
    assert len(runs) == 1 and sorted(Path(a).name for a in runs[0] if a.endswith(".py")) == written
