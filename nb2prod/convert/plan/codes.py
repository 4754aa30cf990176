'''The codes convert gives the lines it leaves out beyond the lint rules' own (NB901–NB905).

`nb2prod rule NB901` prints a code's documentation, as it does a lint rule's.
'''

from __future__ import annotations

from typing import Dict, Tuple

from nb2prod.frozen import frozen


@frozen
class ConvertCode:
    """A reason convert drops a line: stable code, kebab-case name, one-line summary, documentation."""

    code: str
    name: str
    summary: str
    doc: str
    severity: str = "convert"  # shown where a lint rule shows error/warning
    fixable: bool = False

    @property
    def drop(self) -> Tuple[str, str]:
        """(code, reason) as a Decision records it."""
        return self.code, self.summary


NO_EFFECT = ConvertCode("NB901", "no-effect-on-outputs", "no effect on outputs", """
## What it does
Leaves out a statement nothing the script produces depends on: no saved file, no reported
metric and no returned value reads what it computes, and it calls nothing for its effect.

## Why is this bad?
A production script runs every line on every run. A line whose result nobody reads costs time
and hides the code that matters.

## Example
```python
df = pd.read_csv("data.csv")
unused = df.mean()
model.fit(df[["a"]], df["y"])
```

Use instead:
```python
df = pd.read_csv("data.csv")
model.fit(df[["a"]], df["y"])
```
""")

BECOMES_PARAMETER = ConvertCode("NB902", "becomes-parameter", "becomes a parameter", """
## What it does
Marks a literal the script takes as a parameter instead: a tunable constant becomes a keyword
parameter of its step and a command-line option; a scoring notebook's sample input and
`request_headers` become `run()`'s parameters.

## Why is this bad?
A value written into the code can only be changed by editing the code; a parameter can be set
by whoever runs the script.

## Example
```python
n_estimators = 300
model = RandomForestClassifier(n_estimators=n_estimators)
```

Use instead:
```python
def train_model(X, y, n_estimators=300):
    model = RandomForestClassifier(n_estimators=n_estimators)
```
""")

REPLACED = ConvertCode("NB903", "replaced-by-generated-code", "replaced by generated code", """
## What it does
Accounts for a statement the generated code does for it: a bare expression or `display(...)`
that only shows what the model's evaluation computed (`holdout` after `holdout =
score_model(clf, X_valid, y_valid)`). In train.py the evaluation step returns those metrics and
`main()` prints them, one `name: value` line each, and writes them to `--metrics-path`.

## Why is this bad?
Nothing is wrong with it in the notebook, where it is how the metrics are seen. A script shows
nothing it does not print: the metric report does that, and writes the values where a pipeline
step can read them.

## Example
```python
scores = {"auc": roc_auc_score(y_test, proba)}
scores
```

Use instead: nothing; train.py's `main()` reports `auc: 0.97` and writes `metrics.json`.
""")

COMMENT_ONLY = ConvertCode("NB904", "comment-with-no-statement", "comment with no statement", """
## What it does
Accounts for a comment line that belongs to no statement (for example a cell holding only
comments): `--explain` reports it, and it does not reach the generated code.

## Why is this bad?
A comment with no code next to it describes nothing in the script.

## Example
```python
# try a bigger model next time
```

Use instead: put the note in a markdown cell, where it becomes prose of the step.
""")

USES_DROPPED = ConvertCode("NB905", "uses-dropped-definition", "uses a name only dropped code defines", """
## What it does
Leaves out a statement that reads a name only a dropped plot or a notebook-only line defines
(`ax` from `fig, ax = plt.subplots()`, `out` from `%%capture out`), and what reads it in turn.

## Why is this bad?
Plots and magics do not reach the script, so what they define does not exist there; kept code
that read it would fail with a NameError.

## Example
```python
fig, ax = plt.subplots()
ax.set_title("scores")
```

Use instead: nothing; both lines are exploration. Save the figure (`fig.savefig(...)`) to keep it.
""")

CODES: Tuple[ConvertCode, ...] = (NO_EFFECT, BECOMES_PARAMETER, REPLACED, COMMENT_ONLY, USES_DROPPED)
BY_CODE: Dict[str, ConvertCode] = {c.code: c for c in CODES}


def find(code_or_name: str) -> ConvertCode:
    """The convert code with this code (`NB901`) or name (`no-effect-on-outputs`); KeyError if none."""
    key = code_or_name.strip()
    for c in CODES:
        if c.code == key.upper() or c.name == key.lower():
            return c
    raise KeyError(code_or_name)
