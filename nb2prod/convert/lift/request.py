"""The scoring request's shape, read from the notebook's JSON sample."""

from __future__ import annotations

import json
from typing import Optional, Tuple


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
