"""Helpers for executing example notebooks in tests.

``execute_notebook`` copies a notebook into a working directory and runs it
there with nbclient, so files the notebook writes (e.g. ``joblib.dump`` with a
relative name) land in that directory and never in the repository.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
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
