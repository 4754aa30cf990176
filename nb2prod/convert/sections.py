"""Cut a notebook into sections at markdown headings and give each a role.

Roles come from the heading's meaning (a small vocabulary of stems, not exact titles), an
explicit override (`nb2prod:section=ROLE` cell tag or `# nb2prod: section=ROLE` comment), or,
for sections without a telling heading, from what the code does.
"""

from __future__ import annotations

import ast
import re
from typing import Dict, List, Optional, Sequence, Tuple

from nb2prod.analysis.walk import call_name, walk  # call_name: also sections' own, for its importers
from nb2prod.frozen import frozen
from nb2prod.model import ROLES, Notebook, ParsedCell, Statement

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
_OVERRIDE = re.compile(r"#\s*nb2prod:\s*section\s*=\s*([a-z_]+)")

# Stems per role. A heading's role is the one whose stem starts earliest in it ("Scoring on holdout"
# is evaluation, "Holdout split" is splitting), the longer stem on a tie ("train/test split"), the
# family listed first after that. Weak stems ("data", "model") count only when no strong one appears:
# "Model evaluation" evaluates, "Data split" splits, "Data" alone loads.
_SETUP_STEMS = ("setup", "set up", "set-up", "imports", "librar", "configur", "environment", "dependenc")
_TRAINING_WORDS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("save", ("save", "persist", "export", "dump", "serializ", "serialis", "store model", "write model",
              "register", "speicher", "guardar", "sauvegard", "enregistr")),
    ("split", ("split", "partition", "holdout", "hold-out", "hold out", "train/test", "train-test", "train test",
               "aufteil", "dividir", "divisi", "découp", "decoup", "séparation", "separaci")),
    ("evaluate", ("evaluat", "validat", "metric", "assess", "performance", "accuracy", "test the model", "scor",
                  "predict", "on the test", "on test", "evalua", "évalua", "bewert", "auswert")),
    ("train", ("train", "fit", "final model", "build model", "build the model", "learn", "entrena", "entraîn")),
    ("prepare", ("prepar", "preprocess", "pre-process", "clean", "feature", "transform", "engineer", "encod",
                 "prépar", "vorbereit", "merkmal", "caracter")),
    ("load", ("load", "read", "ingest", "fetch", "import", "get ", "download", "dataset", "einlesen", " laden",
              "cargar", "chargement", "lectura")),
    ("setup", _SETUP_STEMS),
)
_TRAINING_WEAK: Tuple[Tuple[str, Tuple[str, ...]], ...] = (("train", ("model",)), ("load", ("data",)))
_SCORING_WORDS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("load_model", ("load model", "load the model", "model load", "loading model", "loading the model", "init")),
    ("score", ("score", "scoring", "predict", "inferenc", "serve", "serving")),
    ("prepare", ("prepar", "preprocess", "pre-process", "input", "parse", "request", "payload", "sample")),
    ("setup", _SETUP_STEMS),
)
_SCORING_WEAK: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("load_model", ("model",)), ("score", ("run",)), ("prepare", ("data",)),
)


@frozen
class Section:
    """Consecutive code of a notebook under one heading, with its role."""

    title: str
    level: int
    role: str
    statements: Tuple[Statement, ...]
    markdown: str = ""  # the heading cell's prose, for the function's docstring


def split_sections(nb: Notebook, cells: Sequence[ParsedCell], kind: str, settings=None) -> Tuple[Section, ...]:
    """Sections in notebook order; code before the first real heading is `setup`."""
    by_cell: Dict[int, ParsedCell] = {pc.cell.index: pc for pc in cells}
    title = title_heading(nb)
    levels = settings.levels if settings is not None else None
    configured = settings.roles if settings is not None else ()
    raw: List[dict] = [{"title": "", "level": 0, "role": "setup", "stmts": [], "md": "", "forced": True}]
    for cell in nb.cells:
        if cell.kind == "markdown":
            heading = _last_heading(cell.source, levels)
            if heading and not (title and (cell.index, heading[0]) == title[:2]):
                role = next((r for text, r in configured if text in heading[1].lower()), None)
                raw.append({"title": heading[1], "level": heading[0], "role": role, "stmts": [], "md": cell.source,
                            "forced": role is not None})
            continue
        pc = by_cell.get(cell.index)
        if pc is None:
            continue
        forced = _override(cell.tags, pc.cell.source)
        if forced:
            raw.append({"title": forced, "level": 0, "role": forced, "stmts": [], "md": "", "forced": True})
        raw[-1]["stmts"].extend(pc.statements)
    sections = []
    roles, from_code = [], []
    parents: List[Tuple[int, str]] = []  # (level, role) of the headings above, outermost first
    for item in raw:
        role = item["role"] or classify_heading(item["title"], kind)
        from_code.append(role == "other" or role is None)
        while parents and item["level"] and parents[-1][0] >= item["level"]:
            parents.pop()
        if from_code[-1] and parents and item["level"] and not code_roles(item["stmts"], kind):
            role = parents[-1][1]  # "### Hyperparameters" under "## Training": the code says nothing else
            from_code[-1] = False
        elif from_code[-1]:
            role = classify_code(item["stmts"], kind)
        elif not item["forced"] and _only_weak(item["title"], kind):
            role = _code_over_weak(role, item["stmts"], kind)
        if item["level"]:
            parents.append((item["level"], role))
        roles.append((role, item["stmts"]))
    for item, (role, _) in zip(raw, _data_source(roles, kind, from_code)):
        sections.append(Section(item["title"], item["level"], role, tuple(item["stmts"]), item["md"]))
    if len(sections) == 1:
        return _by_code(sections[0], kind)
    return tuple(s for s in sections if s.statements or s.role == "setup")


def all_headings(nb: Notebook) -> List[Tuple[int, str]]:
    return [h for c in nb.cells if c.kind == "markdown" for h in headings(c.source)]


def markdown_notes(nb: Notebook, cells: Sequence[ParsedCell]) -> Dict[int, str]:
    """Markdown prose (headings removed) → the index of the first statement that follows it."""
    first_statement = {pc.cell.index: pc.statements[0].index for pc in cells if pc.statements}
    notes: Dict[int, str] = {}
    pending: List[str] = []
    for cell in nb.cells:
        if cell.kind == "markdown":
            prose = _HEADING.sub("", cell.source).strip()
            if prose:
                pending.append(prose)
        elif cell.index in first_statement and pending:
            notes[first_statement[cell.index]] = "\n\n".join(pending)
            pending = []
    return notes


def title_level(nb: Notebook) -> Optional[int]:
    """A lone top-level heading (the notebook's title) does not open a section."""
    levels = [h[0] for h in all_headings(nb)]
    if not levels:
        return None
    top = min(levels)
    return top if levels.count(top) == 1 and len(set(levels)) > 1 else None


def title_heading(nb: Notebook) -> Optional[Tuple[int, int, str]]:
    """The heading that names the notebook rather than opening a section, as (cell index, level, text):
    the lone top-level heading, or else a first heading above all code that heads no code of its own
    (the only heading, or one followed by another heading before any code). None when there is none."""
    top = title_level(nb)
    first: Optional[Tuple[int, int, str]] = None
    for cell in nb.cells:
        if cell.kind == "markdown":
            found = headings(cell.source)
            if top is not None:
                match = [h for h in found if h[0] == top]
                if match:
                    return (cell.index, top, match[0][1])
            elif found and first is None:
                first = (cell.index, found[-1][0], found[-1][1])
            elif found:
                return first  # the next heading came before any code: the first one heads nothing
        elif cell.source.strip() and top is None:
            break
    if top is None and first is not None and len(all_headings(nb)) == 1:
        return first
    return None


def headings(text: str) -> List[Tuple[int, str]]:
    return [(len(m.group(1)), _clean(m.group(2))) for m in _HEADING.finditer(text)]


def _last_heading(text: str, levels=None) -> Optional[Tuple[int, str]]:
    found = [h for h in headings(text) if levels is None or h[0] in levels]
    return found[-1] if found else None


def _clean(title: str) -> str:
    title = re.sub(r"<[^>]+>", "", title)  # anchors such as <a name=...></a>
    title = re.sub(r"[*_`]", "", title)
    return title.strip()


def _override(tags: Sequence[str], source: str) -> Optional[str]:
    for tag in tags:
        if tag.startswith("nb2prod:section="):
            role = tag.split("=", 1)[1].strip()
            if role in ROLES:
                return role
    m = _OVERRIDE.search(source)
    return m.group(1) if m and m.group(1) in ROLES else None


def classify_heading(title: str, kind: str, weak: bool = True) -> str:
    """The role a heading's words suggest, or "other" (weak=False: strong stems only)."""
    text = " " + title.lower().replace("_", " ") + " "
    vocabularies = (_SCORING_WORDS, _SCORING_WEAK) if kind == "scoring" else (_TRAINING_WORDS, _TRAINING_WEAK)
    for vocabulary in vocabularies[: 2 if weak else 1]:
        found = [(text.find(stem), -len(stem), order, role)
                 for order, (role, stems) in enumerate(vocabulary) for stem in stems if stem in text]
        if found:
            return min(found)[3]
    return "other"


def _only_weak(title: str, kind: str) -> bool:
    """The heading's role came from a weak stem alone ("Modell speichern" has only "model")."""
    return classify_heading(title, kind, weak=False) == "other"


def _code_over_weak(role: str, statements: Sequence[Statement], kind: str) -> str:
    """A weak heading word gives way to code that clearly does something else (`joblib.dump`)."""
    found = code_roles(statements, kind)
    return found[0] if found and role not in found else role


# -- roles from what the code does -------------------------------------------------------

SAVE_CALLS = frozenset({"dump", "save", "save_model", "to_pickle", "savez", "save_pretrained"})
LOAD_MODEL_CALLS = frozenset({"load", "load_model", "get_model_path", "from_pretrained"})
FIT_CALLS = frozenset({"fit", "fit_transform", "train", "partial_fit", "backward", "train_on_batch", "fit_generator"})
SPLIT_CALLS = frozenset({"train_test_split", "split", "KFold", "StratifiedKFold"})
PREDICT_CALLS = frozenset({"predict", "predict_proba", "decision_function", "transform"})
READ_PREFIXES = ("read_", "load_", "fetch_", "make_", "open_")


def call_names(node: ast.AST) -> List[str]:
    """The final names of every call in `node`: `joblib.dump(...)` → "dump"."""
    out = []
    for sub in walk(node):  # analysis/walk: ast.walk's order, less expression contexts, ~2x faster
        if isinstance(sub, ast.Call):
            out.append(call_name(sub.func))
    return out


def classify_code(statements: Sequence[Statement], kind: str) -> str:
    if not statements:
        return "other"
    if all(isinstance(s.node, (ast.Import, ast.ImportFrom)) for s in statements):
        return "setup"
    found = code_roles(statements, kind)
    return found[0] if found else "prepare"


def code_roles(statements: Sequence[Statement], kind: str) -> List[str]:
    """Every role the calls in `statements` point to, the telling one first (a save before a fit)."""
    names = [n for s in statements for n in call_names(s.node)]
    if kind == "scoring":
        tests = (("score", lambda n: n in PREDICT_CALLS), ("load_model", lambda n: n in LOAD_MODEL_CALLS))
    else:
        tests = (
            ("save", lambda n: n in SAVE_CALLS),
            ("train", lambda n: n in FIT_CALLS),
            ("split", lambda n: n in SPLIT_CALLS),
            ("evaluate", lambda n: n in PREDICT_CALLS),
            ("evaluate", lambda n: n.endswith(("_score", "_error", "_loss")) or n in ("score", "classification_report")),
            ("load", lambda n: n.startswith(READ_PREFIXES)),
        )
    roles: List[str] = []
    for role, test in tests:
        if role not in roles and any(test(n) for n in names):
            roles.append(role)
    return roles


def _by_code(only: Section, kind: str) -> Tuple[Section, ...]:
    """A notebook without headings: one section per run of cells whose code has the same role."""
    sections: List[Section] = []
    groups: List[Tuple[str, List[Statement]]] = []
    for _cell, stmts in _group_by_cell(only.statements):
        role = classify_code(stmts, kind)
        if role == "setup" and groups and groups[-1][0] != "setup":
            role = "other"
        if role == "other" and groups:
            role = groups[-1][0]
        if groups and groups[-1][0] == role:
            groups[-1][1].extend(stmts)
        else:
            groups.append((role, list(stmts)))
    groups = _data_source(groups, kind, [True] * len(groups))
    for role, stmts in groups:
        sections.append(Section("", 0, role, tuple(stmts)))
    if not sections or sections[0].role != "setup":
        sections.insert(0, Section("", 0, "setup", ()))
    return tuple(sections)


def _data_source(groups: List[Tuple[str, List[Statement]]], kind: str, from_code: List[bool]):
    """A training notebook that loads nothing makes its data: the first section with code, when only
    its code said "prepare" (`pd.DataFrame(rng.normal(...))`), is where the data comes from: load."""
    if kind != "training" or any(role == "load" for role, _ in groups):
        return groups
    for i, (role, stmts) in enumerate(groups):
        if role == "setup" or not stmts:
            continue
        if role == "prepare" and from_code[i]:
            groups = list(groups)
            groups[i] = ("load", stmts)
        break
    return groups


def _group_by_cell(statements: Sequence[Statement]) -> List[Tuple[int, List[Statement]]]:
    out: List[Tuple[int, List[Statement]]] = []
    for s in statements:
        if out and out[-1][0] == s.cell:
            out[-1][1].append(s)
        else:
            out.append((s.cell, [s]))
    return out
