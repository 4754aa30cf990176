"""The generated score.py served by the real Azure ML inference server answers the notebook's sample."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from nb2prod import api

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "diabetes_ridge"


def server_command() -> str:
    """`azmlinfsrv` of this Python's environment, or skip with how to get it."""
    import importlib.util

    beside = Path(sys.executable).parent / "azmlinfsrv"
    if importlib.util.find_spec("azureml_inference_server_http") is None or not beside.exists():
        pytest.skip("azureml-inference-server-http is not installed in this environment "
                    "(pip install -e '.[test]' installs it)")
    return str(beside)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}: {proc.stdout.read()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.3)
    raise AssertionError(f"the server did not answer {url} within {seconds} s")


def test_served_score_py_answers_the_sample(tmp_path):
    command = server_command()
    notebooks = [str(EXAMPLE / "training.ipynb"), str(EXAMPLE / "scoring.ipynb")]
    for result in api.convert(notebooks, str(tmp_path)):
        assert result.error is None, result.error
    trained = subprocess.run([sys.executable, "train.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert trained.returncode == 0, trained.stderr
    models = tmp_path / "models"  # AZUREML_MODEL_DIR: init() must find the model there, not in the cwd
    models.mkdir()
    (tmp_path / "sklearn_regression_model.pkl").rename(models / "sklearn_regression_model.pkl")
    port, health = free_port(), free_port()
    proc = subprocess.Popen(
        [command, "--entry_script", "score.py", "--model_dir", str(models), "--port", str(port),
         "--health_port", str(health)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", proc)
        sample = json.loads(subprocess.run(
            [sys.executable, "-c", "import score; print(score.SAMPLE_REQUEST)"], cwd=tmp_path,
            capture_output=True, text=True, check=True).stdout)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/score", data=json.dumps(sample).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            answer = json.loads(response.read())
        status, refusal = post(port, {"data": [row[:-1] for row in sample["data"]]})  # one feature short
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    local = subprocess.run([sys.executable, "score.py", "--model-path", str(models / "sklearn_regression_model.pkl")],
                           cwd=tmp_path, capture_output=True, text=True, check=True)
    assert answer == json.loads(local.stdout)
    assert len(answer["result"]) == len(sample["data"])
    width = len(sample["data"][0])
    assert (status, refusal) == (400, {"error": f"row 1 holds {width - 1} of the {width} values the model takes per row"})


def post(port: int, body) -> tuple:
    """(HTTP status, JSON answer) of a scoring request, an error status included."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/score", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
