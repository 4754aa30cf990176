"""The registry: every rule module registered once, valid codes and names, complete documentation."""

from __future__ import annotations

import json
import pkgutil
import re

import pytest

import nb2prod.rules as rules_pkg
from nb2prod.lint.engine import lint_notebook
from nb2prod.notebook.load import load_notebook_text, load_script
from nb2prod.rules import RULES

SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "Use instead:", "## Not flagged")


def test_every_module_is_registered_once():
    modules = {m.name for m in pkgutil.iter_modules(rules_pkg.__path__) if not m.name.startswith("_")}
    registered = {r.check.__module__.rsplit(".", 1)[1] for r in RULES}
    assert modules == registered
    assert len(RULES) == len(modules)


def test_codes_unique_valid_and_sorted():
    codes = [r.code for r in RULES]
    assert all(re.fullmatch(r"NB[0-9]{3}", c) for c in codes)
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_name_and_file_match(rule):
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert not rule.name.startswith(("no-", "avoid-"))
    assert rule.check.__module__.endswith("." + rule.name.replace("-", "_"))
    assert rule.severity in ("error", "warning")


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_docstring_sections(rule):
    for section in SECTIONS + (("## Fix",) if rule.fixable else ()):
        assert section in rule.doc, f"{rule.code} lacks {section!r}"


def _blocks(doc: str):
    example = doc.split("## Example", 1)[1]
    before, after = example.split("Use instead:", 1)
    return _fenced(before), _fenced(after)


def _fenced(text: str):
    m = re.search(r"```(\w+)\n(.*?)```", text, re.S)
    assert m, "no fenced block"
    return m.group(1), m.group(2)


def _lint(lang: str, source: str, code: str):
    if lang == "json":
        nb = load_notebook_text("example.ipynb", source)
    else:
        nb = load_script("example.py", source)
    return [f for f in lint_notebook(nb) if f.code == code]


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_example_triggers_and_use_instead_does_not(rule):
    bad, good = _blocks(rule.doc)
    assert _lint(*bad, rule.code), f"{rule.code}: the Example does not trigger the rule"
    assert not _lint(*good, rule.code), f"{rule.code}: the Use instead block triggers the rule"
    for lang, source in (bad, good):
        if lang == "json":
            json.loads(source)
