"""Notebook text never becomes live code: headings, prose, comments, file names and string values.

Each measured case (issue 11, section 1) has a test with the smallest notebook.
"""

from __future__ import annotations

import ast

import pytest

from nb2prod.escape import comment_text, docstring_text, string_literal

# -- the three escaping functions: what must change, what must not ---------------------------------------

UNCHANGED = ["", "plain", "Données ✓ — 100% (x′)", "C:/data", "tab\there", "# a 'quoted' \"text\" here", "日本語"]


@pytest.mark.parametrize("text", UNCHANGED + ["C:\\Users\\alice", 'say "hi"', "\\x \\U \\N"])
def test_comment_text_keeps_ordinary_text(text):
    assert comment_text(text) == text


@pytest.mark.parametrize("text", UNCHANGED)
def test_docstring_text_keeps_ordinary_text(text):
    assert docstring_text(text) == text


@pytest.mark.parametrize("char, shown", [("\n", "\\n"), ("\r", "\\r"), ("\x00", "\\x00"), ("\x0b", "\\x0b"),
                                         ("\x85", "\\x85"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029"),
                                         ("\ud800", "\\ud800"), ("\u202e", "\\u202e"), ("\x1b", "\\x1b")])
def test_comment_text_shows_line_breaks_and_controls_as_escapes(char, shown):
    assert comment_text(f"a{char}b") == f"a{shown}b"


@pytest.mark.parametrize("text", ['"""', '""""', 'end"', '""', 'a"""b"""c', "C:\\Users\\alice", "\\", "\\x \\U \\N",
                                  "nul\x00", "\r\n", "\ud800", "line\u2028sep", "two\nlines", "\x85\x0b\x0c"])
def test_docstring_text_round_trips_through_one_docstring(text):
    module = ast.parse(f'"""{docstring_text(text)}"""\n')
    assert len(module.body) == 1
    assert ast.get_docstring(module, clean=False) == text


@pytest.mark.parametrize("text", ["", "plain", "it's", 'say "hi"', "both ' and \"", "\\", "\x00\ud800\u2028\n"])
def test_string_literal_round_trips(text):
    assert ast.literal_eval(string_literal(text)) == text
