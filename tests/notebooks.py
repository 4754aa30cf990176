"""Helpers for executing example notebooks in tests.

``execute_notebook`` copies a notebook into a working directory and runs it
there with nbclient, so files the notebook writes (e.g. ``joblib.dump`` with a
relative name) land in that directory and never in the repository.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import nbformat

KERNEL_NAME = "python3"
REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_ROOT / "examples"

_kernel_checked = False


def ensure_kernelspec(name: str = KERNEL_NAME) -> None:
    """Make sure a Jupyter kernelspec called ``name`` exists (install it once if not)."""
    global _kernel_checked
    if _kernel_checked:
        return
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        subprocess.run(
            [sys.executable, "-m", "ipykernel", "install", "--user", "--name", name],
            check=True,
            capture_output=True,
        )
    _kernel_checked = True


def example_notebooks() -> list[Path]:
    """Every example notebook, sorted, training notebooks before scoring ones."""
    return sorted(
        (p for p in EXAMPLES_DIR.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts),
        key=lambda p: (p.parent.name, p.name != "training.ipynb", p.name),
    )


def execute_notebook(path, workdir, timeout: int = 120, allow_errors: bool = False):
    """Copy ``path`` into ``workdir``, execute it there and return the executed notebook.

    The kernel's current directory is ``workdir``. The executed copy is written
    next to the original copy as ``<name>.executed.ipynb`` for debugging.
    A scoring notebook needs its training notebook executed first in the same
    ``workdir`` (see :func:`execute_with_prerequisites`).
    With ``allow_errors=False`` a failing cell raises
    ``nbclient.exceptions.CellExecutionError``.
    """
    from nbclient import NotebookClient

    path = Path(path)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    copied = workdir / path.name
    if copied.resolve() != path.resolve():
        shutil.copyfile(path, copied)

    ensure_kernelspec()
    nb = nbformat.read(copied, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        timeout=timeout,
        allow_errors=allow_errors,
        # nbclient waits 4 s by default for a cell's output messages after its reply, then carries on
        # without them: on a loaded machine (CI's 2 cores, two test workers) a cell's prints went missing
        iopub_timeout=60,
        raise_on_iopub_timeout=True,
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        client.execute()
    finally:
        nbformat.write(nb, workdir / (path.stem + ".executed.ipynb"))
    return nb


def execute_with_prerequisites(path, workdir, timeout: int = 120):
    """Execute ``path`` in ``workdir``; for a non-training notebook run the
    sibling ``training.ipynb`` first. Returns the executed target notebook."""
    path = Path(path)
    training = path.parent / "training.ipynb"
    if path.name != "training.ipynb" and training.exists():
        execute_notebook(training, workdir, timeout=timeout)
    return execute_notebook(path, workdir, timeout=timeout)


class ExampleRuns:
    """Each example notebook executed at most once, in its folder's workdir under ``root``; a scoring
    notebook runs after its folder's training notebook, in the same workdir (it loads the model saved
    there). The notebook tests and the equivalence lab share one (tests/conftest.py `example_runs`);
    the lab asks from its background threads, so each folder has a lock. A failed run is not kept:
    the next test asking runs it again and fails alike."""

    def __init__(self, root):
        self.root = Path(root)
        self._executed: dict = {}
        self._locks: dict = {}
        self._guard = threading.Lock()

    def workdir(self, folder: str) -> Path:
        return self.root / folder

    def run(self, path):
        """(the executed notebook, its workdir) for the example notebook ``path``."""
        path = Path(path)
        folder = path.parent.name
        with self._guard:
            lock = self._locks.setdefault(folder, threading.RLock())
        with lock:
            if path not in self._executed:
                training = path.parent / "training.ipynb"
                if path != training and training.exists():
                    self.run(training)
                self._executed[path] = execute_notebook(path, self.workdir(folder))
        return self._executed[path], self.workdir(folder)


def error_outputs(nb) -> list[str]:
    """Human-readable descriptions of every error output in an executed notebook."""
    errors = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                errors.append(
                    f"cell {index} ({cell.get('id')}): {output.get('ename')}: {output.get('evalue')}"
                )
    return errors
