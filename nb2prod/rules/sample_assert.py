"""## What it does
Flags a top-level `assert` in a scoring notebook (one that loads a model and fits none): a check
of the sample request or of the answer the model gave it (`assert result.shape == (2,)`,
`assert set(pred) <= {0, 1}`).

## Why is this bad?
The check is about one sample the notebook made up. In the scoring script it would run on every
request, and fail a real one that differs from the sample; it belongs in the script's tests.

## Example
```python
import joblib
model = joblib.load("model.joblib")
result = model.predict([[0.1, 0.2]])
assert len(result) == 1
```

Use instead:
```python
import joblib
model = joblib.load("model.joblib")
result = model.predict([[0.1, 0.2]])
```

## Not flagged
Asserts in a training notebook (they check the data the model is trained on), asserts inside
functions (a helper's own contract), and prints of the answer (the answer the script returns).
Not fixed: `lint --fix` leaves the check in the notebook. `convert` takes it out of `run()` and,
when it reads only run()'s answer and the sample request, writes it into `test_score.py` in the
tests' names (one that reads the answer's values runs on the trained model, when the training
notebook is converted with it); `--explain` says where each went, or why it was only dropped.
"""

from __future__ import annotations

import ast

from nb2prod.rules._base import Context, Found, Rule
from nb2prod.rules._scoring import scoring


def check(r: Rule, node: ast.Assert, ctx: Context) -> Found:
    if ctx.exploring and ctx.is_statement(node) and scoring(ctx):
        yield ctx.whole(r, "assert checks the sample's answer: move it into a test", fixable=False)


RULE = Rule("NB110", "sample-assert", "assert on a scoring notebook's sample left from exploration",
            "warning", False, (ast.Assert,), check, __doc__)
