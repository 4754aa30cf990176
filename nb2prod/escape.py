"""Notebook text into generated code: one escaping function per context it lands in.

Headings, prose, comments, file names and string values are data. Through these functions a
comment stays on its line, a docstring cannot be ended early and a string literal is always
valid, whatever the text holds; text with none of the characters below comes out unchanged.
"""

from __future__ import annotations

import io
import re
import tokenize

# Shown as escapes (`\u2028`, `\x00`): what str.splitlines or Python's tokenizer ends a line at
# (\n \r \v \f \x1c-\x1e \x85 U+2028 U+2029), NUL and the other control characters except tab,
# lone surrogates (UTF-8 cannot hold them) and the bidirectional controls that make a line read
# in another order than Python runs it ("Trojan Source").
_ODD = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"  # and "\n"
_IN_COMMENT = re.compile(f"[\n{_ODD}]")
_IN_DOCSTRING = re.compile(f'\\\\|"""|"\\Z|[\n{_ODD}]')
_IN_DOCSTRING_PROSE = re.compile(f'\\\\|"""|"\\Z|[{_ODD}]')  # a newline stays one
_ODD_IN_CODE = re.compile(f"[{_ODD}]")


def _shown(char: str) -> str:
    """The escape Python itself would write for the character: `\\u2028`, `\\x0b`, `\\ud800`."""
    return repr(char)[1:-1]


def comment_text(text: str) -> str:
    """Text for after a `#`: one physical line, every line break and control character as an escape."""
    return _IN_COMMENT.sub(lambda m: _shown(m.group()), text)


def docstring_text(text: str, multiline: bool = False) -> str:
    """Text for inside `\"\"\"...\"\"\"`: backslashes and the quotes that could end it escaped, as are control
    characters and line breaks (but `\\n` in `multiline` prose); the docstring's value is `text`."""
    return (_IN_DOCSTRING_PROSE if multiline else _IN_DOCSTRING).sub(_docstring_escape, text)


def _docstring_escape(match: re.Match) -> str:
    found = match.group()
    if found == "\\":
        return "\\\\"
    if found.startswith('"'):
        return '\\"' * len(found)
    return _shown(found)


def string_literal(text: str) -> str:
    """`text` as a Python string literal: repr's escapes, in double quotes where that needs no escaping."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        literal = '"' + literal[1:-1].replace("\\'", "'") + '"'
    return literal


def help_text(text: str) -> str:
    """The value of an argparse `help=`: argparse %-formats it, so a `%` from the notebook is doubled."""
    return text.replace("%", "%%")


def code_comments(code: str) -> str:
    """Generated code with every comment's text through `comment_text` (a comment a cell carried in may
    hold U+2028 and the like, which Python ignores but str.splitlines and editors break at)."""
    if not _ODD_IN_CODE.search(code):
        return code
    lines = code.split("\n")
    try:
        comments = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type == tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):
        return code  # not Python: the compile check of generated files reports it
    for token in reversed(comments):
        (row, start), (_, end) = token.start, token.end
        line = lines[row - 1]
        lines[row - 1] = line[:start] + comment_text(line[start:end]) + line[end:]
    return "\n".join(lines)


def expression_code(node) -> "str | None":
    """A generated expression (an `ast` tree) as code on one line, its string values written as literals
    (repr's escapes); None when it cannot be: a line break or control character would reach the code."""
    import ast

    code = ast.unparse(node)
    if "\n" in code or "\r" in code or _ODD_IN_CODE.search(code):
        return None
    try:
        compile(code, "<expression>", "eval")
    except (SyntaxError, ValueError):
        return None
    return code


def split_lines(text: str) -> list:
    """Generated text's lines, cut where Python cuts them (\\n, \\r\\n, \\r), never where str.splitlines
    also would (U+2028, \\x0b, ... inside a string or comment)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def py_literal(value) -> str:
    """A Python literal for `value`: strings through `string_literal`, anything else through repr."""
    return string_literal(value) if isinstance(value, str) else repr(value)


_YAML_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.=<>~!+/-]*")
_YAML_WORDS = re.compile(r"(?i)(true|false|yes|no|on|off|y|n|null|nan|inf)")
_YAML_UNPRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]")


def yaml_scalar(value) -> str:
    """`value` as a YAML scalar on one line: plain when it can only read back as that string (a name, a pin,
    a path), else a double-quoted string with JSON's escapes (YAML double quotes take them), every character
    YAML may not hold as is (C1 controls, line separators, bidirectional controls) written as `\\uXXXX`."""
    import json

    if isinstance(value, bool) or value is None or isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if _YAML_PLAIN.fullmatch(text) and not _YAML_WORDS.fullmatch(text):
        return text
    return _YAML_UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text, ensure_ascii=False))
