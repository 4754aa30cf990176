"""The scoring request's shape, read from the notebook's JSON sample."""

from __future__ import annotations

import json
from typing import Optional, Tuple

from nb2prod.frozen import frozen


def request_rows(sample: Optional[str]) -> Tuple[Optional[str], object]:
    """Where a JSON sample request keeps its rows, as (key, rows): the "data" key, else the only key,
    else the first key holding a list or dict; key None when the request is the rows themselves."""
    try:
        request = json.loads(sample) if sample is not None else {"data": []}
    except ValueError:
        return None, None
    if not isinstance(request, dict):
        return None, request
    if "data" in request or len(request) == 1:
        key = "data" if "data" in request else next(iter(request))
        return key, request[key]
    key = next((k for k, v in request.items() if isinstance(v, (list, dict))), None)
    return (key, request[key]) if key is not None else (None, request)


def request_shape(sample: Optional[str]) -> str:
    """A request's outline for run()'s docstring: `{"data": [[...], ...]}`, `{"texts": ["...", ...]}`,
    `{"data": {"age": [...], ...}}`."""
    key, rows = request_rows(sample)
    if isinstance(rows, dict) and rows:
        inner = "{" + json.dumps(next(iter(rows))) + ": [...], ...}"
    elif isinstance(rows, list) and rows:
        first = rows[0]
        element = ("[...]" if isinstance(first, list) else "{...}" if isinstance(first, dict)
                   else '"..."' if isinstance(first, str) else "...")
        inner = f"[{element}, ...]"
    else:
        inner = "[[...], ...]"
    return "{" + json.dumps(key) + ": " + inner + "}" if key is not None else inner


@frozen
class RequestCheck:
    """The fixed shape of the sample request's rows, which score.py's run() checks every request against:
    `values`, rows of `width` values (`[[1, 2], ...]`); `records`, rows naming `columns` (`[{"a": 1}, ...]`);
    `columns`, one list per name in `columns` (`{"a": [1, 2], ...}`). `numbers`: the sample holds only numbers."""

    key: Optional[str]  # where the rows are (request_rows); None when the request is the rows
    form: str
    width: int = 0
    columns: Tuple[str, ...] = ()
    numbers: bool = False


def request_check(sample: Optional[str]) -> Optional[RequestCheck]:
    """The sample's shape when every row has the same one, else None (free text, ragged rows: nothing to check)."""
    if sample is None:
        return None
    key, rows = request_rows(sample)
    if isinstance(rows, dict) and rows and all(isinstance(k, str) and isinstance(v, list) for k, v in rows.items()):
        values = [x for column in rows.values() for x in column]
        return RequestCheck(key, "columns", columns=tuple(rows), numbers=_numbers(values))
    if not isinstance(rows, list) or not rows:
        return None
    if all(isinstance(r, list) for r in rows) and len({len(r) for r in rows}) == 1 and rows[0]:
        return RequestCheck(key, "values", width=len(rows[0]), numbers=_numbers([x for r in rows for x in r]))
    if all(isinstance(r, dict) for r in rows) and len({tuple(r) for r in rows}) == 1 and rows[0]:
        return RequestCheck(key, "records", columns=tuple(rows[0]), numbers=_numbers([x for r in rows for x in r.values()]))
    return None


def _numbers(values) -> bool:
    return bool(values) and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in values)


def wrong_shape(sample: str, check: RequestCheck) -> Tuple[str, str]:
    """A request like the sample but of the wrong shape (its first row one value or column short, JSON text),
    and the error score.py's run() answers it with (the wording of templates/score.py.j2)."""
    key, rows = request_rows(sample)
    names = ", ".join(check.columns)
    if check.form == "values":
        rows = [rows[0][:-1]] + rows[1:]
        message = f"row 1 holds {check.width - 1} of the {check.width} values the model takes per row"
    elif check.form == "records":
        dropped = check.columns[-1]
        rows = [{k: v for k, v in rows[0].items() if k != dropped}] + rows[1:]
        message = f"row 1 lacks {dropped}; the model takes {names}"
    else:
        dropped = check.columns[-1]
        rows = {k: v for k, v in rows.items() if k != dropped}
        message = f"the request lacks {dropped}; the model takes {names}"
    request = json.loads(sample) if key is not None else None
    if request is not None:
        request[key] = rows
    return json.dumps(request if request is not None else rows), message
