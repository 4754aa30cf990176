"""## What it does
Reports a notebook whose saved execution counts do not increase from top to bottom: a cell
was run after a cell below it, or the kernel was restarted part way.

## Why is this bad?
The saved outputs may depend on state that running the notebook from the top does not
recreate. Results that cannot be reproduced should not be turned into production code.

## Example
```json
{"nbformat": 4, "nbformat_minor": 5, "metadata": {},
 "cells": [{"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [], "source": "a = 1"},
           {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": "b = 2"}]}
```

Use instead:
```json
{"nbformat": 4, "nbformat_minor": 5, "metadata": {},
 "cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": "a = 1"},
           {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [], "source": "b = 2"}]}
```

## Not flagged
Cells never run (no execution count), gaps between counts, and scripts. It is a warning, not
an error: the code itself may well be correct; "Restart & Run All" and save to clear it.
"""

from __future__ import annotations

from nb2prod.model import Finding, Location, Notebook
from nb2prod.rules._base import Context, Found, Rule


def check(r: Rule, nb: Notebook, ctx: Context) -> Found:
    if nb.is_script:
        return
    highest, above = 0, None
    for cell in nb.code_cells:
        count = cell.execution_count
        if count is None:
            continue
        if count <= highest:
            message = (f"cell {cell.index} was run (execution count {count}) before cell {above.index} "
                       f"above it (execution count {highest}): run all cells from the top and save")
            yield Finding(Location(nb.path, cell.index, 1, 1), r.code, message, r.severity, False, None)
            return
        highest, above = count, cell


RULE = Rule("NB303", "out-of-order-execution", "saved execution counts not increasing top to bottom",
            "warning", False, (Notebook,), check, __doc__)
