"""Lint findings as one JSON document: findings, unusable files and a summary."""

from __future__ import annotations

import json
from typing import Dict, List
from nb2prod import __version__


def finding_dict(f) -> Dict[str, object]:
    from nb2prod.rules import BY_CODE  # heavy: every rule module, which a cache-served lint never loads

    loc = f.location
    return {
        "code": f.code,
        "name": BY_CODE[f.code].name if f.code in BY_CODE else f.code,
        "severity": f.severity,
        "message": f.message,
        "path": loc.path,
        "cell": loc.cell,
        "line": loc.line,
        "column": loc.col,
        "end_line": f.end_line,
        "fixable": f.fixable,
    }


def unusable(report) -> List[Dict[str, str]]:
    out = []
    for r in report.files:
        if r.error:
            message = r.error[len(r.path) + 2:] if r.error.startswith(r.path + ": ") else r.error
            out.append({"path": r.path, "message": message})
    return out


def render(report) -> str:
    findings = report.findings
    doc = {
        "tool": "nb2prod",
        "version": __version__,
        "findings": [finding_dict(f) for f in findings],
        "unusable": unusable(report),
        "skipped": [{"path": r.path, "message": r.skipped} for r in report.files if r.skipped],
        "summary": {
            "files": len(report.files),
            "findings": len(findings),
            "errors": sum(1 for f in findings if f.severity == "error"),
            "warnings": sum(1 for f in findings if f.severity != "error"),
            "fixable": sum(1 for f in findings if f.fixable),
            "fixed": sum(r.fixed for r in report.files),
            "exit_code": report.exit_code,
        },
    }
    return json.dumps(doc, indent=2)
