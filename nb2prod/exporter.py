"""`jupyter nbconvert --to nb2prod notebook.ipynb`: the generated script, with its tests as extra outputs.

nbconvert names the output after `resources["unique_key"]`, so the main output becomes
train.py or score.py, and the pytest file (`test_train.py`/`test_score.py`) is written beside it
through `resources["outputs"]`. The conversion is the same as `nb2prod convert`'s.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from nbconvert.exporters import Exporter
from traitlets import Unicode

from nb2prod.convert.pipeline import generate, plan_notebook
from nb2prod.errors import Nb2prodError


class Nb2prodExporter(Exporter):
    """Convert a notebook into nb2prod's production script (and its tests)."""

    export_from_notebook = "nb2prod production script"
    output_mimetype = "text/x-python"
    kind = Unicode("auto", help="What the notebook does: auto, training or scoring.").tag(config=True)

    def _file_extension_default(self):
        return ".py"

    def from_notebook_node(self, nb, resources=None, **kw):
        nb_copy, resources = super().from_notebook_node(nb, resources, **kw)
        meta = resources.get("metadata", {})
        name = (meta.get("name") or "notebook") + ".ipynb"
        with tempfile.TemporaryDirectory(prefix="nb2prod-export-") as tmp:
            path = os.path.join(tmp, name)
            Path(path).write_text(nbformat.writes(nb_copy), encoding="utf-8")
            try:
                plan = plan_notebook(path, self.kind)
                (gen,) = generate([(path, plan)], tmp)
            except Nb2prodError as exc:
                raise ValueError(f"nb2prod: {str(exc).replace(path, name)}") from None
        script = "train.py" if plan.kind == "training" else "score.py"
        resources["unique_key"] = Path(script).stem
        resources["output_extension"] = ".py"
        resources.setdefault("outputs", {})
        for file, text in gen.texts.items():
            if file != script:
                resources["outputs"][f"./{file}"] = text.encode("utf-8")  # "./": nbconvert makes its folder
        return gen.texts[script], resources
