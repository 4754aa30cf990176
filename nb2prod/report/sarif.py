"""Lint findings as SARIF 2.1.0 (GitHub code scanning and other SARIF viewers)."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Dict, List
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


def _result(f, index: Dict[str, int]) -> Dict[str, object]:
    loc = f.location
    region: Dict[str, int] = {"startLine": loc.line or 1}
    if loc.col:
        region["startColumn"] = loc.col
    if f.end_line:
        region["endLine"] = f.end_line
    text = f.message if loc.cell is None else f"cell {loc.cell}, line {loc.line}: {f.message}"
    physical: Dict[str, object] = {"artifactLocation": {"uri": PurePath(loc.path).as_posix()}}
    if loc.cell is None:
        physical["region"] = region
    result: Dict[str, object] = {
        "ruleId": f.code,
        "level": "error" if f.severity == "error" else "warning",
        "message": {"text": text},
        "locations": [{"physicalLocation": physical}],
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
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": PurePath(r.path).as_posix()}}}],
    } for r in report.files if r.error]
    run = {
        "tool": {"driver": {"name": "nb2prod", "version": __version__, "rules": rules}},
        "results": [_result(f, index) for f in report.findings],
        "invocations": [{"executionSuccessful": not notifications, "toolExecutionNotifications": notifications}],
    }
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}, indent=2)
