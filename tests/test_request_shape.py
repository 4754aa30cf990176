"""score.py's run() checks a request against the sample request's fixed shape and answers a wrong one with an
error, never with the model's exception (HTTP 500 under the inference server): every shape, run for real."""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from nb2prod import api


def scoring_notebook(sample: str, rows: str) -> str:
    code = [
        "import json\n\nimport joblib\nimport numpy as np\nimport pandas as pd",
        "## Load the model",
        'model = joblib.load("model.pkl")',
        "## Preprocess input",
        f"raw_data = {sample!r}\ndata = {rows}",
        "## Predict",
        "result = model.predict(data)\nresult",
    ]
    cells = [{"cell_type": "markdown", "metadata": {}, "source": c} if c.startswith("## ") else
             {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c} for c in code]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": cells, "metadata": {
        "kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}}})


class Stub:
    def __init__(self):
        self.inputs = []

    def predict(self, features):
        self.inputs.append(features)
        return [0] * len(features)


def score_module(tmp_path, sample: str, rows: str):
    (tmp_path / "scoring.ipynb").write_text(scoring_notebook(sample, rows), encoding="utf-8")
    (result,) = api.convert([str(tmp_path / "scoring.ipynb")], str(tmp_path / "out"), kind="scoring")
    assert result.error is None, result.error
    code = (tmp_path / "out" / "score.py").read_text(encoding="utf-8")
    assert pyflakes_messages(code) == []
    name = f"score_{abs(hash(sample))}"
    spec = importlib.util.spec_from_file_location(name, tmp_path / "out" / "score.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]
    module.model = Stub()
    return module


def pyflakes_messages(code: str) -> list:
    from pyflakes.api import check
    from pyflakes.reporter import Reporter

    class Collect(Reporter):
        def __init__(self):
            self.messages = []

        def flake(self, message):
            self.messages.append(str(message))

        def syntaxError(self, *args):
            self.messages.append(repr(args))

    reporter = Collect()
    check(code, "score.py", reporter)
    return reporter.messages


VALUES = '{"data": [[1, 2.5, 3], [4, 5, 6]]}'
RECORDS = '{"data": [{"height": 1.7, "weight": 60}, {"height": 1.8, "weight": 80}]}'
COLUMNS = '{"data": {"height": [1.7, 1.8], "weight": [60, 80]}}'
BARE = '[[1, 2], [3, 4]]'
ODD_KEY = '{"rows \\" x\\n": [["a", "b"]]}'
FRAME = 'pd.DataFrame(json.loads(raw_data)["data"])'

WRONG = [  # sample, how run() reads it, a wrong request, the error
    (VALUES, 'np.array(json.loads(raw_data)["data"])', '{"data": [[1, 2]]}',
     "row 1 holds 2 of the 3 values the model takes per row"),
    (VALUES, 'np.array(json.loads(raw_data)["data"])', '{"data": [[1, 2, 3], [1, "x", 3]]}',
     "row 2 holds a value that is not a number"),
    (VALUES, 'np.array(json.loads(raw_data)["data"])', '{"data": [[1, 2, 3], 7]}', "row 2 is not a list of values"),
    (VALUES, 'np.array(json.loads(raw_data)["data"])', '{"rows": [[1, 2, 3]]}',
     'the request needs a non-empty list of rows under "data"'),
    (VALUES, 'np.array(json.loads(raw_data)["data"])', '{"data": []}',
     'the request needs a non-empty list of rows under "data"'),
    (VALUES, 'np.array(json.loads(raw_data)["data"])', "not json", "the request is not JSON"),
    (RECORDS, FRAME, '{"data": [{"height": 1.7}]}', "row 1 lacks weight; the model takes height, weight"),
    (RECORDS, FRAME, '{"data": [{"height": 1.7, "weight": 60, "age": 3}]}',
     "row 1 has unknown age; the model takes height, weight"),
    (RECORDS, FRAME, '{"data": [{"age": 3}]}', "row 1 lacks height, weight; the model takes height, weight"),
    (COLUMNS, FRAME, '{"data": {"height": [1.7], "weight": [60], "age": [3]}}',
     "the request has unknown age; the model takes height, weight"),
    (RECORDS, FRAME, '{"data": [[1.7, 60]]}', "row 1 is not an object of columns"),
    (COLUMNS, FRAME, '{"data": {"height": [1.7]}}', "the request lacks weight; the model takes height, weight"),
    (COLUMNS, FRAME, '{"data": {"height": [1.7], "weight": [60, 80]}}',
     "every column must be a list of values, all of the same length"),
    (COLUMNS, FRAME, '{"data": {"height": [1.7], "weight": [null]}}', "column weight holds a value that is not a number"),
    (BARE, "np.array(json.loads(raw_data))", "[[1, 2, 3]]", "row 1 holds 3 of the 2 values the model takes per row"),
    (BARE, "np.array(json.loads(raw_data))", '{"data": [[1, 2]]}', "the request needs a non-empty list of rows"),
    (ODD_KEY, 'json.loads(raw_data)["rows \\" x\\n"]', '{"rows \\" x\\n": [["a"]]}',
     "row 1 holds 1 of the 2 values the model takes per row"),
]


@pytest.mark.parametrize("sample, rows, wrong, error", WRONG)
def test_run_answers_a_request_of_the_wrong_shape_with_its_error(tmp_path, sample, rows, wrong, error):
    score = score_module(tmp_path, sample, rows)
    assert score.run(wrong, {}) == {"error": error}
    assert not score.model.inputs, "the model was asked about a request it cannot score"
    answer = score.run(sample, {})  # the sample itself still goes through to the model
    assert score.model.inputs and "error" not in answer


def test_a_sample_without_a_fixed_shape_gets_no_check(tmp_path):
    score = score_module(tmp_path, '{"data": [[1, 2], [3]]}', 'json.loads(raw_data)["data"]')
    assert not hasattr(score, "_request_problem")
    assert "error" not in score.run('{"data": [[1, 2, 3]]}', {})


@pytest.mark.parametrize("sample, form, width, columns", [
    (VALUES, "values", 3, ()), (RECORDS, "records", 0, ("height", "weight")),
    (COLUMNS, "columns", 0, ("height", "weight")), (BARE, "values", 2, ()),
])
def test_request_check_reads_the_shape_of_the_sample(sample, form, width, columns):
    from nb2prod.convert.lift.request import request_check

    check = request_check(sample)
    assert (check.form, check.width, check.columns, check.numbers) == (form, width, columns, True)


@pytest.mark.parametrize("sample", ['{"data": [[1, 2], [3]]}', '{"data": ["a text", "another"]}', '{"data": []}',
                                    '{"data": [{"a": 1}, {"b": 2}]}', "[]", None, "not json"])
def test_request_check_finds_no_shape_where_rows_differ_or_are_not_rows(sample):
    from nb2prod.convert.lift.request import request_check

    assert request_check(sample) is None
