"""Write the malformed notebooks of this folder: `python tests/data/invalid/make_fixtures.py`.

Each `<name>.ipynb` pairs with `<name>.txt`: the one line the CLI must print, then the exit code.
The expected lines are written by hand below, not captured from nb2prod.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"},
          "language_info": {"name": "python"}}


def notebook(cells, metadata=None, **extra) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": PYTHON if metadata is None else metadata,
            "cells": cells, **extra}


def code(source: str, n: int = 1) -> dict:
    return {"cell_type": "code", "id": f"c{n}", "metadata": {}, "execution_count": None, "outputs": [],
            "source": source}


def markdown(source: str, n: int = 1) -> dict:
    return {"cell_type": "markdown", "id": f"m{n}", "metadata": {}, "source": source}


def dump(nb) -> bytes:
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


GOOD = dump(notebook([markdown("# Train"), code("from sklearn.linear_model import Ridge\nreg = Ridge().fit([[1]], [1])\n", 2)]))
R = {"kernelspec": {"name": "ir", "language": "R", "display_name": "R"}, "language_info": {"name": "R"}}
JULIA = {"kernelspec": {"name": "julia-1.9", "language": "julia", "display_name": "Julia 1.9"},
         "language_info": {"name": "julia"}}
TRAIN = "from sklearn.linear_model import Ridge\nimport joblib\n"

# name: (bytes, expected message after `nb2prod: <name>.ipynb`, exit code)
CASES = {
    "not_json": (b"this is a notebook, honest\n",
                 ": not valid JSON (line 1, column 1): Expecting value", 2),
    "truncated_json": (GOOD[: len(GOOD) // 2],
                       None, 2),  # the column depends on the cut; filled in by _truncated
    "json_list": (b"[1, 2, 3]\n", ": JSON but not a notebook (no 'nbformat' field)", 2),
    "json_without_nbformat": (b'{"cells": [], "metadata": {}}\n',
                              ": JSON but not a notebook (no 'nbformat' field)", 2),
    "code_cell_without_source": (dump(notebook([{"cell_type": "code", "id": "c1", "metadata": {},
                                                 "execution_count": None, "outputs": []}])),
                                 ": not a valid notebook at cells/0: 'source' is a required property", 2),
    "cells_not_a_list": (dump(notebook({"0": code("x = 1")})),
                         ": not a valid notebook at cells: a dict, not a list", 2),
    "cell_not_an_object": (dump(notebook([1, 2])), ": not a valid notebook at cells/0: 1 is not an object", 2),
    "nbformat_not_an_integer": (b'{"nbformat": "4", "nbformat_minor": 5, "metadata": {}, "cells": []}\n',
                                ": not a valid notebook at nbformat: '4' is not an integer", 2),
    "unknown_cell_type": (dump(notebook([{"cell_type": "heading", "id": "h", "metadata": {}, "source": "x"}])),
                          (": not a valid notebook at cells/0: {'cell_type': 'heading', 'id': 'h', 'metadata': {}, "
                           "'source': 'x'} is not valid under any of the given schemas"), 2),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", ": binary file, not a notebook", 2),
    "not_utf8": (dump(notebook([code("# caf\u00e9\nx = 1\n")])).replace(b"caf\xc3\xa9", b"caf\xe9"),
                 None, 2),  # the byte offset is computed by _not_utf8
    "empty": (b"", ": empty file, not a notebook", 2),
    "whitespace_only": (b"  \n\n", ": empty file, not a notebook", 2),
    "r_kernel": (dump(notebook([code("library(ggplot2)\nx <- 1\n")], R)),
                 ": notebook kernel language is 'r', only Python is supported", 2),
    "julia_kernel": (dump(notebook([code("using Plots\nx = 1:10\n")], JULIA)),
                     ": notebook kernel language is 'julia', only Python is supported", 2),
    "markdown_only": (dump(notebook([markdown("# Load data"), markdown("Some prose.", 2)])),
                      ": notebook has no code cells", 2),
    "no_cells": (dump(notebook([])), ": notebook has no code cells", 2),
    "unsupported_nbformat": (b'{"nbformat": 5, "nbformat_minor": 0, "metadata": {}, "cells": []}\n',
                             ": unsupported nbformat version 5 (3 and 4 are read)", 2),
    "syntax_error": (dump(notebook([markdown("# Train"), code(TRAIN + "reg = Ridge(alpha=0.5\n", 2)])),
                     ":cell 2:3:12: syntax error: '(' was never closed", 1),
    "undefined_name": (dump(notebook([markdown("# Train"),
                                      code(TRAIN + "reg_model = Ridge().fit([[1]], [1])\njoblib.dump(reg, 'm.pkl')\n", 2)])),
                       ":cell 2:4:13: undefined name `reg` (did you mean `reg_model`?)", 1),
    "no_model": (dump(notebook([code("import numpy as np\nx = np.arange(3)\nprint(x.sum())\n")])),
                 (": cannot tell what this notebook produces: it neither fits and saves a model (training) nor "
                  "loads one and predicts (scoring); pass --kind training or --kind scoring"), 2),
    # structurally invalid, so refused by lint as well as convert (issue 11 §4)
    "nbformat_a_float": (dump(notebook([code("x = 1")])).replace(b'"nbformat": 4,', b'"nbformat": 4.0,'),
                         ": not a valid notebook at nbformat: 4.0 is not an integer", 2),
    "no_nbformat_minor": (dump({k: v for k, v in notebook([code("x = 1")]).items() if k != "nbformat_minor"}),
                          ": not a valid notebook: 'nbformat_minor' is a required property", 2),
    "v3_without_worksheets": (b'{"nbformat": 3, "nbformat_minor": 0, "metadata": {}}\n',
                              ": not a valid notebook: 'worksheets' is a required property", 2),
    "metadata_null": (dump(notebook([code("x = 1")], metadata={})).replace(b'"metadata": {},\n "cells"',
                                                                            b'"metadata": null,\n "cells"'),
                      ": not a valid notebook at metadata: None is not of type 'object'", 2),
    "code_cell_without_outputs": (dump(notebook([{k: v for k, v in code("x = 1").items() if k != "outputs"}])),
                                  ": not a valid notebook at cells/0: 'outputs' is a required property", 2),
    "stream_without_name": (dump(notebook([{**code("x = 1"), "outputs": [{"output_type": "stream", "text": "1"}]}])),
                            ": not a valid notebook at cells/0/outputs/0: 'name' is a required property", 2),
    "kernelspec_without_name": (dump(notebook([code("x = 1")], metadata={"kernelspec": {"language": "python"}})),
                                ": not a valid notebook at metadata/kernelspec: 'name' is a required property", 2),
    "unknown_top_level_key": (dump(notebook([code("x = 1")], extra=1)),
                              (": not a valid notebook: Additional properties are not allowed "
                               "('extra' was unexpected)"), 2),
}


def _truncated(data: bytes) -> str:
    text = data.decode()
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f": truncated JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
    raise AssertionError("the cut left valid JSON")


def _not_utf8(data: bytes) -> str:
    return f": not UTF-8 text (byte {data.index(b'caf') + 3})"


FILL = {"truncated_json": _truncated, "not_utf8": _not_utf8}


def main() -> None:
    for name, (data, message, code_) in CASES.items():
        message = message if message is not None else FILL[name](data)
        (HERE / f"{name}.ipynb").write_bytes(data)
        (HERE / f"{name}.txt").write_text(f"nb2prod: {name}.ipynb{message}\n{code_}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
