"""How verify compares the two sides: values inside any nesting, printed lines number by number, and the
metrics train.py wrote against the notebook's own."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import List, Sequence, Tuple

from nb2prod.frozen import frozen
from nb2prod.run import MARK


_NUMBER = re.compile(r"(?<![\w.])(?:[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|nan|inf)(?!\w)", re.IGNORECASE)


@frozen
class Comparison:
    """One thing both sides produced, and whether they agree."""

    what: str
    same: bool
    detail: str = ""


def written_metrics(path: Path):
    """The metrics train.py wrote (a dict), or why there are none (a str)."""
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return f"train.py wrote no readable {path.name}: {exc}"
    return values if isinstance(values, dict) else f"{path.name} holds no dict"


def metric_comparisons(notebook: dict, script, metrics) -> List[Comparison]:
    """Each metric train.py wrote to its JSON file against the value the notebook's kernel holds."""
    if not isinstance(script, dict):
        return [Comparison("metrics written", False, script)]
    out = []
    for key, source, merged in metrics:
        found = notebook.get(key, {})
        what = f"metric {key}"
        if "error" in found or "value" not in found:
            out.append(Comparison(what, False, f"the notebook has no value for `{source}`: {found.get('error', '')}"))
            continue
        mine = found["value"]
        theirs = {k: script.get(k) for k in mine} if merged and isinstance(mine, dict) else script.get(key)
        same, detail = compare_values(mine, theirs)
        out.append(Comparison(what, same, detail.replace("run()", "train.py")))
    return out


def without_report(lines: List[str], keys: Sequence[str]) -> List[str]:
    """The script's printed lines without main()'s metric report (`name: value`, last), which the
    metrics comparison covers."""
    out = list(lines)
    while out and any(out[-1].startswith(f"{key}: ") for key in keys):
        out.pop()
    return out


def compare_values(expected, actual, rel: float = 1e-6) -> Tuple[bool, str]:
    """Same numbers and strings, in order, inside whatever nesting each side used."""
    a, b = list(_leaves(expected)), list(_leaves(actual))
    if len(a) != len(b):
        return False, f"the notebook showed {len(a)} values, run() returned {len(b)}"
    for n, (x, y) in enumerate(zip(a, b)):
        if isinstance(x, float) or isinstance(y, float):
            if not (isinstance(x, (int, float)) and isinstance(y, (int, float)) and _close(x, y, rel)):
                return False, f"value {n + 1}: notebook {x!r}, run() {y!r}"
        elif x != y:
            return False, f"value {n + 1}: notebook {x!r}, run() {y!r}"
    return True, f"{len(a)} values"


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def printed_lines(nb) -> List[str]:
    """What the notebook's own cells printed (stdout and shown values), without the probe cell."""
    lines = []
    for cell in nb.cells:
        if cell.cell_type != "code" or MARK in cell.source:
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                lines.extend(out.get("text", "").splitlines())
            elif out.get("output_type") == "execute_result":
                lines.extend(out.get("data", {}).get("text/plain", "").splitlines())
    return lines


def compare_printed(notebook: Sequence[str], script: Sequence[str], rel: float = 1e-6) -> List[Comparison]:
    """Each line with numbers that the script printed, against the notebook's line of the same shape."""
    out, cursor = [], 0
    shapes = [_NUMBER.sub("#", line).strip() for line in notebook]
    for line in script:
        if not _NUMBER.search(line) or MARK in line:
            continue
        shape = _NUMBER.sub("#", line).strip()
        found = next((i for i in range(cursor, len(shapes)) if shapes[i] == shape), None)
        if found is None:
            found = next((i for i in range(len(shapes)) if shapes[i] == shape), None)
        what = f"printed `{_clip(line.strip())}`"
        if found is None:
            out.append(Comparison(what, False, "the notebook printed no line like it"))
            continue
        cursor = found + 1
        mine = [float(x) for x in _NUMBER.findall(notebook[found])]
        theirs = [float(x) for x in _NUMBER.findall(line)]
        same = all(_close(a, b, rel) for a, b in zip(mine, theirs))
        out.append(Comparison(what, same, "" if same else f"the notebook printed `{_clip(notebook[found].strip())}`"))
    return out


def _close(a: float, b: float, rel: float) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-12) or math.isnan(a) and math.isnan(b)


def _clip(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
