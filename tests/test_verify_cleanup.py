"""`nb2prod verify` leaves nothing behind: no running child, no temporary folder, on every way out (issue 11)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod.cli import main
from nb2prod.workdir import copy_data
from tests.notebooks import ensure_kernelspec

ROOT = Path(__file__).resolve().parents[1]
TRAINING = ROOT / "examples" / "diabetes_ridge" / "training.ipynb"


@pytest.fixture()
def tmpdir_env(tmp_path, monkeypatch) -> Path:
    """A TMPDIR of this test's own, so a leftover nb2prod-verify-* folder is this test's."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    return folder


def notebook_with(folder: Path, *sources: str) -> Path:
    """The example training notebook in `folder`, with `sources` as extra cells after its third."""
    nb = json.loads(TRAINING.read_text())
    for n, source in enumerate(sources):
        nb["cells"].insert(3 + n, {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                                   "source": source})
    folder.mkdir(exist_ok=True)
    path = folder / "training.ipynb"
    path.write_text(json.dumps(nb))
    return path


def sleeping_script(folder: Path, pid_file: Path) -> Path:
    """A train.py that writes its pid to `pid_file`, then sleeps far longer than any test."""
    script = folder / "train.py"
    script.write_text(f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\ntime.sleep(120)\n")
    return script


def pid_in(path: Path, wait: float = 30) -> int:
    deadline = time.monotonic() + wait
    while not (path.exists() and path.read_text()):
        assert time.monotonic() < deadline, f"{path.name} was never written"
        time.sleep(0.1)
    return int(path.read_text())


def assert_gone(pid: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def leftovers(tmp: Path):
    return sorted(p.name for p in tmp.glob("nb2prod-verify-*"))


def test_a_cell_timeout_kills_the_running_script(tmp_path, tmpdir_env):
    ensure_kernelspec()
    path = notebook_with(tmp_path / "nb", "import time\ntime.sleep(60)\n")
    script = sleeping_script(tmp_path, tmp_path / "train.pid")
    result = CliRunner().invoke(main, ["verify", str(path), "--script", str(script), "--timeout", "3"],
                                catch_exceptions=False)
    assert result.exit_code == 2
    assert "a cell ran longer than the 3 s timeout" in result.output
    assert_gone(pid_in(tmp_path / "train.pid", wait=0))
    assert leftovers(tmpdir_env) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_sigterm_kills_the_script_and_the_kernel_and_removes_the_folder(tmp_path, tmpdir_env):
    ensure_kernelspec()
    kernel_pid = tmp_path / "kernel.pid"
    path = notebook_with(tmp_path / "nb", f"import os\nopen({str(kernel_pid)!r}, 'w').write(str(os.getpid()))\n",
                         "import time\ntime.sleep(60)\n")
    script = sleeping_script(tmp_path, tmp_path / "train.pid")
    env = dict(os.environ, PYTHONPATH=str(ROOT), TMPDIR=str(tmpdir_env))
    proc = subprocess.Popen([sys.executable, "-m", "nb2prod", "verify", str(path), "--script", str(script),
                             "--timeout", "60"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        pids = pid_in(tmp_path / "train.pid"), pid_in(kernel_pid)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode != 0
    for pid in pids:
        assert_gone(pid)
    assert leftovers(tmpdir_env) == []


def test_a_symlink_loop_beside_the_notebook_is_no_internal_error(tmp_path, tmpdir_env):
    ensure_kernelspec()
    path = notebook_with(tmp_path / "nb")
    (path.parent / "itself").symlink_to(".", target_is_directory=True)
    (path.parent / "a").symlink_to("b")
    (path.parent / "b").symlink_to("a")
    script = tmp_path / "train.py"
    script.write_text("raise SystemExit('boom')\n")
    result = CliRunner().invoke(main, ["verify", str(path), "--script", str(script), "--timeout", "60"],
                                catch_exceptions=False)
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[2:4] == ["  DIFF  train.py runs", "        boom"]
    assert leftovers(tmpdir_env) == []


def test_the_copy_skips_environments_caches_and_loops(tmp_path):
    source = tmp_path / "project"
    for name in ("venv/lib/python3/site-packages/pkg", "env2/bin", "node_modules/x", "__pycache__", ".git",
                 "data/site-packages", "data/inner"):
        (source / name).mkdir(parents=True)
    (source / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (source / "env2" / "conda-meta").mkdir()
    (source / "data" / "inner" / "rows.csv").write_text("a\n1\n")
    (source / "data.csv").write_text("a\n1\n")
    (source / "training.executed.ipynb").write_text("{}")
    (source / "data" / "inner" / "up").symlink_to("..", target_is_directory=True)
    (source / "loop").symlink_to("loop")
    (source / "linked.csv").symlink_to("data.csv")
    target = tmp_path / "copy"
    copy_data(source, target)  # the whole folder: what verify copies when a read path is unknown
    copied = sorted(str(p.relative_to(target)) for p in target.rglob("*"))
    assert copied == ["data", "data.csv", "data/inner", "data/inner/rows.csv", "linked.csv"]
