"""Lint findings as SARIF 2.1.0 (GitHub code scanning and other SARIF viewers)."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Dict, List
from urllib.parse import quote

from nb2prod import __version__

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _rules() -> List[Dict[str, object]]:
    from nb2prod.rules import RULES  # heavy: every rule module, which a cache-served lint never loads

    return [{
        "id": r.code,
        "name": r.name,
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": r.doc.strip()},
        "help": {"text": r.doc.strip(), "markdown": r.doc.strip()},
        "defaultConfiguration": {"level": "error" if r.severity == "error" else "warning"},
        "properties": {"fixable": r.fixable},
    } for r in RULES]


def uri(path: str) -> str:
    """An RFC 3986 URI reference for a path: a percent-encoded relative reference (`a%20b.ipynb`),
    or a `file:` URI for an absolute path; a raw path with spaces is no URI."""
    pure = PurePath(path)
    return pure.as_uri() if pure.is_absolute() else quote(pure.as_posix())


def _result(f, index: Dict[str, int]) -> Dict[str, object]:
    loc = f.location
    region: Dict[str, int] = {"startLine": loc.line or 1}
    if loc.col:
        region["startColumn"] = loc.col
    if f.end_line:
        region["endLine"] = f.end_line
    text = f.message if loc.cell is None else f"cell {loc.cell}, line {loc.line}: {f.message}"
    location: Dict[str, object] = {"physicalLocation": {"artifactLocation": {"uri": uri(loc.path)}, "region": region}}
    if loc.cell is not None:  # the region's lines count within this cell, as the text output does
        location["logicalLocations"] = [{"name": f"cell {loc.cell}", "kind": "module"}]
    result: Dict[str, object] = {
        "ruleId": f.code,
        "level": "error" if f.severity == "error" else "warning",
        "message": {"text": text},
        "locations": [location],
    }
    if f.code in index:
        result["ruleIndex"] = index[f.code]
    if loc.cell is not None:
        result["properties"] = {"cell": loc.cell, "line": loc.line, "column": loc.col, "endLine": f.end_line}
    return result


def render(report) -> str:
    rules = _rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    notifications = [{
        "level": "error",
        "message": {"text": r.error},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": uri(r.path)}}}],
    } for r in report.files if r.error]
    run = {
        "tool": {"driver": {"name": "nb2prod", "version": __version__, "rules": rules}},
        "results": [_result(f, index) for f in report.findings],
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)
