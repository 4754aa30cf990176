"""Run notebooks with nbclient and scripts as subprocesses, with timeouts and one-line errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List

from nb2prod.errors import Nb2prodError
from nb2prod.model import Location

MARK = "__nb2prod_verify__"  # a probe cell prints its JSON answer after this marker


class VerifyError(Nb2prodError):
    """Verification could not run (no kernel, timeout, the notebook itself fails): exit 2."""

    exit_code = 2


def _notebook_node(path: str):
    """The notebook to run: the .ipynb file, or a percent script's cells as nb2prod's reader finds them."""
    import nbformat

    if path.endswith(".ipynb"):
        return nbformat.read(path, as_version=4)
    from nb2prod.notebook.load import load

    new = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell, "raw": nbformat.v4.new_raw_cell}
    return nbformat.v4.new_notebook(cells=[new[c.kind](c.source) for c in load(path).cells])


def execute(path: str, workdir: Path, timeout: int, kernel: str, probe=None):
    """Run the notebook in `workdir`; `probe()` gives code run last in the same kernel. (notebook, probe answer)."""
    import nbformat
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = _notebook_node(path)
    client = NotebookClient(nb, kernel_name=kernel, timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": str(workdir)}})
    where = Location(path)
    client.reset_execution_trackers()
    try:
        with client.setup_kernel(stderr=subprocess.DEVNULL):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            if probe is None:
                return nb, {}
            extra = nbformat.v4.new_code_cell(probe())
            nb.cells.append(extra)
            client.execute_cell(extra, len(nb.cells) - 1, execution_count=client.code_cells_executed + 1)
    except NoSuchKernel:
        raise VerifyError(f"no Jupyter kernel named {kernel!r}; install one with "
                          f"`{Path(sys.executable).name} -m ipykernel install --user`", where) from None
    except CellTimeoutError:
        raise VerifyError(f"a cell ran longer than the {timeout} s timeout (raise it with --timeout)", where) from None
    except CellExecutionError as exc:
        cell = next((i for i, c in enumerate(nb.cells, 1) if any(
            o.get("output_type") == "error" for o in c.get("outputs", []))), None)
        raise VerifyError(f"the notebook fails: {exc.ename}: {exc.evalue}", Location(path, cell)) from None
    except DeadKernelError:
        raise VerifyError("the kernel died while running the notebook", where) from None
    finally:
        _shut_down(client)
    return nb, answer(nb.cells[-1])


def _shut_down(client) -> None:
    """Kill the kernel if it is still up: interrupted while it started, setup_kernel never shut it down."""
    from nbclient.util import ensure_async, run_sync

    km = client.km
    if km is not None and km.has_kernel:
        run_sync(lambda: ensure_async(km.shutdown_kernel(now=True)))()


def answer(cell) -> dict:
    for out in cell.get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith(MARK):
                return json.loads(line[len(MARK):])
    raise VerifyError("the verification probe gave no answer (this is a bug in nb2prod)")


def start(argv: List[str], cwd: Path) -> subprocess.Popen:
    """`argv` in its own process group, so `stop` can end it together with whatever it started."""
    return subprocess.Popen(argv, cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(proc: subprocess.Popen, name: str, timeout: int) -> subprocess.CompletedProcess:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc)
        raise VerifyError(f"{name} ran longer than the {timeout} s timeout (raise it with --timeout)") from None
    finally:
        _kill_group(proc)  # children it left running
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def stop(proc: subprocess.Popen) -> None:
    """Kill `proc`'s process group and reap it; nothing happens if it has already been finished."""
    if proc.returncode is not None:
        return
    _kill_group(proc)
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:  # a grandchild that left the group still holds the pipes
        proc.wait()


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # the group is gone already
        pass


class Terminated(SystemExit):
    """SIGTERM arrived during verify: unwinds like an exception so children are killed and folders removed."""


@contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """While inside, SIGTERM raises `Terminated` (exit 143) once; the previous handler is restored after."""
    def unwind(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not interrupt the cleanup
        raise Terminated(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, unwind)
    except ValueError:  # not the main thread: signals cannot be handled here
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
