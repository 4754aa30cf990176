"""Hostile and broken environments (issue 11, section 4): each gets one line `nb2prod: path: message`
and exit 2, never a hang, a MemoryError or an internal error (exit 3).

Cases that could hang (FIFOs) or need a real process (broken pipes, /dev/full) run in a
subprocess with a timeout, so a regression fails instead of blocking CI.
"""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nb2prod.cli import main
from tests.build import notebook_json

ROOT = Path(__file__).resolve().parents[1]
posix_only = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs, sockets and /dev need POSIX")


def nb2prod(*args: str, cwd: Path, env: dict = None, stdout=subprocess.PIPE, timeout: float = 60):
    """Run the CLI in its own process; `timeout` turns a hang into a failure."""
    env = dict(os.environ, **(env or {}))
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "nb2prod", *args], cwd=cwd, env=env, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def good(folder: Path, name: str = "ok.ipynb") -> Path:
    path = folder / name
    path.write_text(notebook_json(["import numpy as np", "x = np.arange(3)\nnp.save('x.npy', x)"]),
                    encoding="utf-8")
    return path


# -- only regular files are read, and only up to a size cap -----------------------------------------------

@posix_only
def test_convert_refuses_a_fifo_instead_of_hanging(tmp_path):
    os.mkfifo(tmp_path / "x.ipynb")
    proc = nb2prod("convert", "x.ipynb", "-o", "out", cwd=tmp_path, timeout=30)
    assert (proc.returncode, proc.stderr) == (2, "nb2prod: x.ipynb: not a regular file: a FIFO (named pipe)\n")


@posix_only
@pytest.mark.parametrize("cache", [[], ["--no-cache"]])
def test_lint_folder_with_a_fifo_reports_it_instead_of_hanging(cache, tmp_path):
    os.mkfifo(tmp_path / "y.ipynb")
    good(tmp_path)
    proc = nb2prod("lint", ".", *cache, cwd=tmp_path, env={"XDG_CACHE_HOME": str(tmp_path / "c")}, timeout=30)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["nb2prod: y.ipynb: not a regular file: a FIFO (named pipe)"]


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_symlink_to_dev_zero_is_refused_without_reading_it(tmp_path, monkeypatch):
    (tmp_path / "z.ipynb").symlink_to("/dev/zero")
    monkeypatch.chdir(tmp_path)
    result = run("convert", "z.ipynb", "-o", "out")
    assert (result.exit_code, result.stderr) == (2, "nb2prod: z.ipynb: not a regular file: a character device\n")


def test_a_file_over_the_size_cap_is_refused_and_the_cap_is_configurable(tmp_path, monkeypatch):
    path = good(tmp_path)
    size = path.stat().st_size
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NB2PROD_MAX_BYTES", str(size - 1))
    line = (f"nb2prod: ok.ipynb: file is {size:,} bytes, over the {size - 1:,}-byte limit "
            "(set NB2PROD_MAX_BYTES to raise it)")
    for command in (["convert", "ok.ipynb", "-o", "out"], ["lint", "--no-cache", "ok.ipynb"]):
        result = run(*command)
        assert (result.exit_code, result.stderr.splitlines()) == (2, [line])
    monkeypatch.setenv("NB2PROD_MAX_BYTES", str(size))
    assert run("lint", "--no-cache", "ok.ipynb").exit_code == 0


def test_the_default_size_cap_is_well_above_real_notebooks():
    from nb2prod.notebook.files import max_bytes

    assert max_bytes() == 256 * 1024 * 1024


# -- lint says what a path is, not "no such file or directory" ---------------------------------------------

@posix_only
@pytest.mark.parametrize("make, message", [
    (lambda p: os.mkfifo(p), "not a regular file: a FIFO (named pipe)"),
    (lambda p: p.symlink_to("/dev/null"), "not a regular file: a character device"),
    (lambda p: (p.symlink_to(p.with_name("b")), p.with_name("b").symlink_to(p)), "symlink loop"),
    (lambda p: p.symlink_to(p.with_name("gone.ipynb")), "broken symlink (its target does not exist)"),
])
def test_lint_names_what_an_existing_path_is(make, message, tmp_path, monkeypatch):
    make(tmp_path / "a.ipynb")
    monkeypatch.chdir(tmp_path)
    result = run("lint", "--no-cache", "a.ipynb")
    assert (result.exit_code, result.stderr) == (2, f"nb2prod: a.ipynb: {message}\n")


@posix_only
def test_lint_names_a_socket(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a socket path must be short: bind to a relative name
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("s.ipynb")
        result = run("lint", "--no-cache", "s.ipynb")
    assert (result.exit_code, result.stderr) == (2, "nb2prod: s.ipynb: not a regular file: a socket\n")


def test_lint_dev_null_by_name(tmp_path):
    if not os.path.exists("/dev/null"):
        pytest.skip("needs /dev/null")
    result = run("lint", "--no-cache", "/dev/null")
    assert (result.exit_code, result.stderr) == (2, "nb2prod: /dev/null: not a regular file: a character device\n")


@posix_only
def test_symlink_loops_in_a_linted_folder_are_one_line_each_and_the_rest_is_linted(tmp_path, monkeypatch):
    good(tmp_path)
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "up").symlink_to(tmp_path / "sub")
    monkeypatch.chdir(tmp_path)
    result = run("lint", "--no-cache", ".")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["nb2prod: a: symlink loop", "nb2prod: b: symlink loop",
                                          "nb2prod: sub/up: symlink loop (it leads back to a folder it is in)"]
    assert "1 file linted" in result.stdout or "All checks passed" in result.stdout


# -- unreadable files and folders: `path: message`, not click's usage error -------------------------------

def test_unreadable_file_is_one_line(tmp_path, monkeypatch):
    path = good(tmp_path)
    monkeypatch.chdir(tmp_path)
    real_open, real_access = os.open, os.access

    def denied(p, *args, **kwargs):
        if os.fspath(p).endswith("ok.ipynb"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(p))
        return real_open(p, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    monkeypatch.setattr(os, "access", lambda p, mode, **k: False if str(p).endswith("ok.ipynb")
                        else real_access(p, mode, **k))
    for command in (["lint", "--no-cache", "ok.ipynb"], ["convert", "ok.ipynb", "-o", "out"]):
        result = run(*command)
        assert (result.exit_code, result.stderr.splitlines()) == (2, ["nb2prod: ok.ipynb: cannot read: Permission denied"])
    assert path.exists()


def test_unreadable_folder_is_one_line(tmp_path, monkeypatch):
    (tmp_path / "locked").mkdir()
    good(tmp_path / "locked")
    monkeypatch.chdir(tmp_path)
    real_scandir = os.scandir

    def denied(p="."):
        if os.fspath(p).endswith("locked"):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(p))
        return real_scandir(p)

    monkeypatch.setattr(os, "scandir", denied)
    result = run("lint", "--no-cache", "locked")
    assert (result.exit_code, result.stderr) == (2, "nb2prod: locked: cannot list folder: Permission denied\n")


# -- pyproject.toml: every malformed value is refused, naming the file -------------------------------------

@pytest.mark.parametrize("toml, message", [
    ("tool = 5\n", "[tool] must be a table, not a number"),
    ('[tool]\nnb2prod = "x"\n', "[tool.nb2prod] must be a table, not a string"),
    ("[tool.nb2prod]\nlint = [1]\n", "[tool.nb2prod.lint] must be a table, not an array"),
    ('[tool.nb2prod.lint]\nselect = ["ZZ"]\n',
     "[tool.nb2prod.lint] select: no rule code starts with 'ZZ' (see `nb2prod rules`)"),
    ('[tool.nb2prod.lint]\nignore = ["NB1", "zz9"]\n',
     "[tool.nb2prod.lint] ignore: no rule code starts with 'ZZ9' (see `nb2prod rules`)"),
])
def test_lint_refuses_a_malformed_pyproject(toml, message, tmp_path, monkeypatch):
    good(tmp_path)
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("lint", "--no-cache", "ok.ipynb")
    assert (result.exit_code, result.stderr) == (2, f"nb2prod: {tmp_path / 'pyproject.toml'}: {message}\n")


# A typo is refused as ruff refuses an unknown setting, never read as if the key were absent.
TYPOS = [
    ('[tool.nb2prod.lint]\nselct = ["NB1"]\n', "[tool.nb2prod.lint] unknown key 'selct'; did you mean select?"),
    ('[tool.nb2prod.lint]\nignore = ["NB1O4"]\n',
     "[tool.nb2prod.lint] ignore: no rule code starts with 'NB1O4'; did you mean 'NB104'? (see `nb2prod rules`)"),
    ('[tool.nb2prod.lnt]\nselect = ["NB1"]\n', "unknown table [tool.nb2prod.lnt]; did you mean [tool.nb2prod.lint]?"),
    ("[tool.nb2prod]\nheading-level = [2]\n", "[tool.nb2prod] unknown key 'heading-level'; did you mean heading-levels?"),
    ('[tool.nb2prod]\nignore = ["NB101"]\n', "[tool.nb2prod] unknown key 'ignore'; did you mean [tool.nb2prod.lint] ignore?"),
    ("[tool.nb2prod]\ncolour = true\n", "[tool.nb2prod] unknown key 'colour'"),
]


@pytest.mark.parametrize("toml, message", TYPOS)
def test_lint_refuses_an_unknown_key_or_code_with_a_did_you_mean(toml, message, tmp_path, monkeypatch):
    good(tmp_path)
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("lint", "--no-cache", "ok.ipynb")
    assert (result.exit_code, result.stderr) == (2, f"nb2prod: {tmp_path / 'pyproject.toml'}: {message}\n")


@pytest.mark.parametrize("toml, message", [t for t in TYPOS if "lint]" not in t[0]])
def test_convert_refuses_an_unknown_key(toml, message, tmp_path, monkeypatch):
    good(tmp_path)
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("convert", "ok.ipynb", "-o", "out")
    assert (result.exit_code, result.stderr) == (2, f"nb2prod: {tmp_path / 'pyproject.toml'}: {message}\n")
    assert not (tmp_path / "out").exists()


def test_every_documented_key_is_still_accepted(tmp_path, monkeypatch):
    good(tmp_path)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nb2prod]\nheading-levels = [1, 2]\nprojects = []\n[tool.nb2prod.sections]\n"Any heading" = "train"\n'
        '[tool.nb2prod.lint]\nselect = ["NB1", "NB104"]\nignore = ["NB303"]\nbuiltins = ["spark"]\n'
        '[tool.ruff]\nline-length = 100\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run("lint", "--no-cache", "ok.ipynb").exit_code == 0
    assert "pyproject.toml" not in run("convert", "ok.ipynb", "-o", "out").stderr  # it goes on to the notebook


def test_a_valid_select_in_pyproject_still_selects(tmp_path, monkeypatch):
    good(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.nb2prod.lint]\nselect = ["nb3"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run("lint", "--no-cache", "ok.ipynb").exit_code == 0


@pytest.mark.parametrize("toml", ["tool = 5\n", '[tool]\nnb2prod = "x"\n', "[tool.nb2prod]\nheading-levels = [true]\n",
                                  "[tool.nb2prod]\nheading-levels = []\n", "[tool.nb2prod]\nheading-levels = [7]\n"])
def test_convert_refuses_a_malformed_pyproject(toml, tmp_path, monkeypatch):
    good(tmp_path)
    (tmp_path / "pyproject.toml").write_text(toml, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("convert", "ok.ipynb", "-o", "out")
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"nb2prod: {tmp_path / 'pyproject.toml'}: [tool")
    if "heading-levels" in toml:
        assert result.stderr.endswith(": [tool.nb2prod] heading-levels must be a non-empty list of numbers "
                                      "from 1 to 6\n")
    assert not (tmp_path / "out").exists()


# -- a line too complex for Python's parser says why ----------------------------------------------------

@pytest.mark.parametrize("source", ["x = " + "-" * 20_000 + "1", "x = " + "+".join(["1"] * 10_000)])
def test_a_line_too_complex_to_parse_gives_a_reason(source, tmp_path, monkeypatch):
    (tmp_path / "long.ipynb").write_text(notebook_json([source]), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("lint", "--no-cache", "long.ipynb")
    assert result.exit_code == 1
    line = result.stdout.splitlines()[0]
    assert line.startswith("long.ipynb:cell 1:1: NB300 cannot parse cell: ")
    reason = line.split("cannot parse cell: ", 1)[1]
    assert reason in ("Python source too complex to parse (the parser's stack overflowed)",
                      "maximum recursion depth exceeded during ast construction")
    result = run("convert", "long.ipynb", "-o", "out")
    assert (result.exit_code, result.stderr) == (1, f"nb2prod: long.ipynb:cell 1:1: cannot parse cell: {reason}\n")


# -- where output goes: a closed pipe or a full disk is one line and exit 2 ----------------------------------

@posix_only
@pytest.mark.parametrize("args", [["rules"], ["rule", "NB101"], ["lint", "--no-cache", "ok.ipynb"]])
def test_a_closed_pipe_is_one_line_not_an_internal_error(args, tmp_path):
    good(tmp_path)
    read, write = os.pipe()
    os.close(read)  # as `nb2prod rules | head -1` once head has gone: every write fails with EPIPE
    try:
        proc = nb2prod(*args, cwd=tmp_path, stdout=write, timeout=60)
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (2, "nb2prod: cannot write output: Broken pipe\n")


@posix_only
def test_a_closed_pipe_before_any_command_is_clicks_quiet_exit(tmp_path):
    read, write = os.pipe()
    os.close(read)
    try:  # click itself handles EPIPE while parsing options (--version): silently, exit 1
        proc = nb2prod("--version", cwd=tmp_path, stdout=write, timeout=60)
    finally:
        os.close(write)
    assert (proc.returncode, proc.stderr) == (1, "")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["rules"], ["lint", "--no-cache", "ok.ipynb"], ["--version"], ["--help"]])
def test_stdout_on_a_full_disk_is_one_line_not_an_internal_error(args, tmp_path):
    good(tmp_path)
    with open("/dev/full", "w") as full:
        proc = nb2prod(*args, cwd=tmp_path, stdout=full, timeout=60)
    assert (proc.returncode, proc.stderr) == (2, "nb2prod: cannot write output: No space left on device\n")


# -- a POSIX locale (ASCII) and non-ASCII file names and text ------------------------------------------------

@posix_only
@pytest.mark.parametrize("utf8_mode", ["0", "1"])
def test_non_ascii_paths_under_the_c_locale(utf8_mode, tmp_path):
    (tmp_path / "données.ipynb").write_text(
        notebook_json(["import pandas as pd", "données = pd.read_csv('données.csv')", "données.head()"]),
        encoding="utf-8")
    env = {"LC_ALL": "C", "PYTHONUTF8": utf8_mode, "PYTHONCOERCECLOCALE": "0"}
    for args, code in ((["lint", "--no-cache", "."], 1), (["lint", "--format", "json", "."], 1),
                       (["lint", "--no-cache", "--diff", "données.ipynb"], 1), (["lint", "absent_é.ipynb"], 2)):
        proc = nb2prod(*args, cwd=tmp_path, env=env, timeout=120)
        assert proc.returncode == code, (args, proc.stderr)
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr


def test_check_refuses_a_pyproject_whose_tool_is_not_a_table(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text("tool = 5\n")
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(main, ["check"])
    assert done.exit_code == 2
    assert done.output.strip().endswith("pyproject.toml: [tool] must be a table, not a number")
