"""Where a masked IPython line sits: the top-level statement it became, and whether it is indented."""

from __future__ import annotations

from typing import Optional

from nb2prod.model import Magic, Statement
from nb2prod.rules._base import Context, Rule

# Line magics that only show something or configure the notebook: deleting them changes nothing
# a script depends on. `%cd`, `%env`, `%run`, `%store`, `%load` ... are not here.
SAFE_LINE = frozenset(
    "matplotlib load_ext reload_ext autoreload aimport config who whos who_ls lsmagic history pwd ls "
    "pip conda precision pprint xmode debug pdb quickref magic page pinfo pinfo2 psearch colors "
    "doctest_mode automagic tb timeit time prun notebook qtconsole".split()
)
SAFE_CELL = frozenset("timeit html HTML javascript js latex markdown svg".split())
SAFE_SHELL = frozenset(
    "pip pip3 conda mamba ls ll cat head tail pwd which echo nvidia-smi wc du df free tree whoami "
    "uname date printenv".split()
)


def in_block(magic: Magic) -> bool:
    return magic.col > 0


def statement_of(ctx: Context, magic: Magic) -> Optional[Statement]:
    """The top-level statement that is exactly this masked line, if any (a magic whose brackets run
    on over several lines has none: its `pass` stands for all of them)."""
    if "\n" in magic.text:
        return None
    for st in ctx.cell.statements:
        if st.line == magic.line and st.end_line == magic.line and st.col == 0:
            return st
    return None


def line_finding(r: Rule, ctx: Context, magic: Magic, message: str, safe: bool):
    """A finding on a masked line; fixable when deleting the one statement it became is safe."""
    st = statement_of(ctx, magic)
    if st is not None and safe:
        return ctx.whole(r, message, statement=st)
    end = magic.line + magic.text.count("\n")
    return ctx.span(r, magic.line, end, message, False) if st is None else ctx.whole(
        r, message, fixable=False, statement=st)
