"""convert parses each generated Python file once for its header's digest, the requirements' import scan and
--explain's moved lines (convert/pipeline.py _finish_one), and the import scan stays exact."""

from __future__ import annotations

import ast
from pathlib import Path

from nb2prod import api, write
from nb2prod.convert import environment

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "breast_cancer_proba"


def test_each_generated_python_file_is_parsed_once(tmp_path, monkeypatch):
    parsed = []
    real = ast.parse
    monkeypatch.setattr(ast, "parse", lambda source, *a, **k: parsed.append(source) or real(source, *a, **k))
    environment._known.clear()
    results = api.convert([str(EXAMPLE / "training.ipynb"), str(EXAMPLE / "scoring.ipynb")], str(tmp_path),
                          with_evaluate=True, pipelines=["azureml"], workers=1)
    assert all(r.error is None for r in results)
    files = {p.name: p.read_text(encoding="utf-8") for p in tmp_path.glob("*.py")}
    assert sorted(files) == ["evaluate.py", "score.py", "test_score.py", "test_train.py", "train.py"]
    for name, text in files.items():
        body = write.body_of(text)
        assert sum(source in (body, text) for source in parsed) == 1, name


OPTIONAL = '''
import json
try:
    from azureml.contrib.services.aml_response import AMLResponse
    import inner.optional
    try:
        import nested.optional
    except ValueError:
        import nested.handler_of_optional
except ImportError:
    import fallback.needed
else:
    import orelse.needed
finally:
    import finally_.needed
try:
    import not_optional
except ValueError:
    pass
class A:
    def f(self):
        import deep.inside
        match x:
            case 1:
                from in_.match import y
        from . import relative
'''


def test_the_import_scan_skips_optional_imports_only():
    assert environment.imported_modules(OPTIONAL) == {
        "json", "fallback.needed", "orelse.needed", "finally_.needed", "not_optional", "deep.inside", "in_.match"}
