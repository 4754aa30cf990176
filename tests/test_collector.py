"""The cyclic collector is paused while convert's stages and lint's batch run, and left as it was found."""

from __future__ import annotations

import gc

import pytest

from nb2prod import api, write
from nb2prod.collector import paused, uncollected
from nb2prod.convert import pipeline, render
from nb2prod.convert import plan as planner
from tests.build import write_notebook

CELLS = ["import joblib\nimport numpy as np\nfrom sklearn.linear_model import LinearRegression",
         "## Load data", "X = np.arange(20.0).reshape(10, 2)\ny = X.sum(axis=1)",
         "## Train", "model = LinearRegression().fit(X, y)", "joblib.dump(model, 'model.joblib')"]


def test_paused_restores_the_collector_after_an_error_and_leaves_a_paused_one_paused():
    assert gc.isenabled()
    with pytest.raises(ValueError):
        with paused():
            assert not gc.isenabled()
            raise ValueError
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_uncollected_runs_the_function_paused():
    assert uncollected(gc.isenabled)() is False and gc.isenabled()


def test_convert_loads_plans_and_renders_with_the_collector_paused_and_enables_it_again(tmp_path, monkeypatch):
    seen = []
    real_load, real_plan, real_render, real_header = pipeline.load, planner.make_plan, render.render, write.with_header

    def header(*args, **kwargs):  # the finish stage: the formatted files parsed for their headers
        seen.append(("header", gc.isenabled()))
        return real_header(*args, **kwargs)

    def load(*args, **kwargs):
        seen.append(("load", gc.isenabled()))
        return real_load(*args, **kwargs)

    def plan(*args, **kwargs):
        seen.append(("plan", gc.isenabled()))
        return real_plan(*args, **kwargs)

    def rendered(*args, **kwargs):
        seen.append(("render", gc.isenabled()))
        return real_render(*args, **kwargs)

    monkeypatch.setattr(pipeline, "load", load)
    monkeypatch.setattr(write, "with_header", header)
    monkeypatch.setattr(planner, "make_plan", plan)
    monkeypatch.setattr(render, "render", rendered)
    nb = write_notebook(tmp_path / "nb.ipynb", CELLS)
    [result] = api.convert([str(nb)], str(tmp_path / "out"))
    assert result.error is None, result.error
    assert seen[:3] == [("load", False), ("plan", False), ("render", False)] and gc.isenabled()
    assert seen[3:5] == [("header", False)] * 2  # train.py, test_train.py; the folder's requirements come after
