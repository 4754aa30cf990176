"""Facts the generated tests need, resolved once from the kept code: the estimator, what the
notebook predicts on, the files it saves (and which hold plain data), and the files it reads."""

from __future__ import annotations

import ast
import re
from typing import Dict, List, Optional, Sequence, Tuple

from nb2prod.analysis.walk import walk
from nb2prod.convert import sections as sec
from nb2prod.convert.hyper import Hyper, assigned_name, is_constant, literal_value
from nb2prod.frozen import frozen
from nb2prod.model import Statement

_LITERALS = (ast.List, ast.Dict, ast.Tuple, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp, ast.Constant)
_READ_CALLS = frozenset({"open", "load", "loadtxt", "genfromtxt", "imread", "read"})
_PATH_KEYWORDS = ("filepath_or_buffer", "path", "path_or_buf", "io", "fname", "file", "filename", "filepath")
_FILE_KEYWORDS = ("filename", "file", "path", "fname", "f", "filepath")


@frozen
class ScriptFacts:
    estimator: Optional[Tuple[str, str]]  # (model variable, constructor expression)
    predict_input: Optional[str]  # the expression the notebook predicts on
    saved: Tuple[Tuple[str, str], ...]  # (saving call, file expression)
    plain_saves: Tuple[str, ...]  # file expressions the notebook saves plain data to
    read_files: Tuple[str, ...]  # relative paths the kept code reads


def script_facts(statements: Sequence[Statement], kept: Sequence[Statement], module: Sequence[Statement],
               hypers: Sequence[Hyper]) -> ScriptFacts:
    """All the facts at once (`kept`: every statement the script keeps, in notebook order)."""
    saves = save_calls(kept)
    saved = tuple((ast.unparse(call.func), target) for call, target in saves)
    return ScriptFacts(estimator(statements, kept), predict_input(statements, kept), saved,
                     plain_saves(statements, saves), read_files(kept, module, hypers, saved))


def estimator(statements: Sequence[Statement], kept: Sequence[Statement]) -> Optional[Tuple[str, str]]:
    """The last fitted variable that a constructor call assigns: (name, constructor)."""
    fitted = []
    for s in kept:
        for sub in walk(s.node):
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute) and sub.func.attr == "fit":
                name = sub.func.value.id if isinstance(sub.func.value, ast.Name) else None
                if name:
                    fitted.append(name)
    for name in reversed(fitted):
        for s in statements:
            if assigned_name(s) == name and isinstance(s.node.value, ast.Call):
                func = s.node.value.func
                if isinstance(func, (ast.Name, ast.Attribute)):
                    return name, ast.unparse(func)
    return None


def predict_input(statements: Sequence[Statement], kept: Sequence[Statement]) -> Optional[str]:
    """What the notebook predicts on: `m.predict(X)`, else the X of `m.score(X, y)`; in kept code
    first, else in code dropped for having no effect (`labels = m.predict(X)` nothing read)."""
    for method, arity, where in (("predict", 1, kept), ("score", 2, kept), ("predict", 1, statements)):
        for s in where:
            for sub in walk(s.node):
                if (isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute)
                        and sub.func.attr == method and len(sub.args) == arity):
                    return ast.unparse(sub.args[0])
    return None


def save_calls(kept: Sequence[Statement]) -> List[Tuple[ast.Call, str]]:
    """Every save call of the kept code with the file it writes."""
    found = []
    for s in kept:
        nodes = walk(s.node)
        opened = _opened_files(nodes)
        for sub in nodes:
            if isinstance(sub, ast.Call) and sec.call_name(sub.func) in sec.SAVE_CALLS:
                target = _file_argument(sub, opened)
                if target is not None:
                    found.append((sub, target))
    return found


def plain_saves(statements: Sequence[Statement], saves: Sequence[Tuple[ast.Call, str]]) -> Tuple[str, ...]:
    """Files whose saved object is a literal list, dict, tuple or set (a column list, not a model)."""
    plain = {assigned_name(s) for s in statements if assigned_name(s) and isinstance(s.node.value, _LITERALS)}
    return tuple(target for call, target in saves if call.args and (
        isinstance(call.args[0], _LITERALS) or isinstance(call.args[0], ast.Name) and call.args[0].id in plain))


def read_files(kept: Sequence[Statement], module: Sequence[Statement], hypers: Sequence[Hyper],
               saved: Sequence[Tuple[str, str]]) -> Tuple[str, ...]:
    """Relative paths the kept code reads, literally or through a constant or option: a test that
    runs main() in an empty folder brings them along."""
    values = _known_values(module, hypers)
    written = {literal_value_of(target, values) for _, target in saved}
    found: List[str] = []
    for s in kept:
        for sub in walk(s.node):
            node = _read_argument(sub) if isinstance(sub, ast.Call) else None
            path = _path_value(node, values) if node is not None else None
            if isinstance(path, str) and _relative_file(path) and path not in written and path not in found:
                found.append(path)
    return tuple(found)


def notebook_reads(statements: Sequence[Statement], hypers: Sequence[Hyper]) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """What running every statement reads (the notebook as Jupyter runs it, exploration included): the
    relative files its reading calls spell, and those calls whose path only the run knows, as code."""
    values = _known_values(statements, hypers)
    opened = _opened_files([sub for s in statements for sub in walk(s.node)])  # `load(f)`: its open() says it
    found: List[str] = []
    unknown: List[str] = []
    for s in statements:
        for sub in walk(s.node):
            node = _read_argument(sub) if isinstance(sub, ast.Call) else None
            if node is None or isinstance(node, ast.Name) and node.id in opened:
                continue
            path = _path_value(node, values)
            if path is None:
                unknown.append(ast.unparse(sub))
            elif _relative_file(path) and path not in found:
                found.append(path)
    return tuple(found), tuple(unknown)


def _known_values(module: Sequence[Statement], hypers: Sequence[Hyper]) -> Dict[str, object]:
    """Values paths may be spelled with: module constants, options, folder constants built from them."""
    values: Dict[str, object] = {assigned_name(s): literal_value(s) for s in module if is_constant(s)}
    values.update({h.name: h.default for h in hypers if not h.key})
    values.update({f"{h.source_name}[{h.key!r}]": h.default for h in hypers if h.key})
    for s in module:  # `DATA_DIR = Path("data")`: a folder constant later paths are built from
        if isinstance(s.node, ast.Assign) and len(s.node.targets) == 1 and isinstance(s.node.targets[0], ast.Name):
            folder = _path_value(s.node.value, values)
            if folder is not None:
                values.setdefault(s.node.targets[0].id, folder)
    return values


def _opened_files(nodes: Sequence[ast.AST]) -> Dict[str, str]:
    """`with open(PATH, ...) as f:` → {"f": "PATH"}: `pickle.dump(model, f)` inside writes PATH."""
    opened = {}
    for sub in nodes:
        if isinstance(sub, (ast.With, ast.AsyncWith)):
            for item in sub.items:
                call, name = item.context_expr, item.optional_vars
                if (isinstance(call, ast.Call) and call.args and isinstance(name, ast.Name)
                        and sec.call_name(call.func) == "open"):
                    opened[name.id] = ast.unparse(call.args[0])
    return opened


def _file_argument(call: ast.Call, opened: Dict[str, str]) -> Optional[str]:
    """The file a saving call writes: its path argument, seen through `open(path)` and `with open(path) as f`."""
    node = None
    for kw in call.keywords:
        if kw.arg in _FILE_KEYWORDS:
            node = kw.value
    if node is None and len(call.args) >= 2:
        node = call.args[1]
    if node is None and len(call.args) == 1 and isinstance(call.func, ast.Attribute) and call.func.attr in ("save", "save_model"):
        node = call.args[0]
    if node is None:
        return None
    if isinstance(node, ast.Call) and node.args and sec.call_names(node)[0] == "open":
        node = node.args[0]
    text = ast.unparse(node)
    return opened.get(text, text)


def _read_argument(call: ast.Call) -> Optional[ast.AST]:
    """The path a reading call reads (`pd.read_csv(p)`, `open(p)`, `np.loadtxt(p)`), None for other calls
    and for `open(p, "w")`."""
    name = sec.call_name(call.func)
    if not (name in _READ_CALLS or name.startswith(("read_", "load_"))):
        return None
    if name == "open":
        mode = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "mode"), None)
        if isinstance(mode, ast.Constant) and isinstance(mode.value, str) and set(mode.value) & set("wax"):
            return None
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg in _PATH_KEYWORDS), None)


def literal_value_of(expr: str, values: Dict[str, object]) -> object:
    """The value of a literal expression, or of a constant or option named by it; None otherwise."""
    if expr in values:
        return values[expr]
    try:
        return ast.literal_eval(expr)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _path_value(node: ast.AST, values: Dict[str, object]) -> Optional[str]:
    """The path an expression spells with literals and known constants: `"data/x.csv"`, `DATA_DIR /
    "x.csv"`, `Path("data", "x.csv")`, `os.path.join(DATA_DIR, "x.csv")`; None when it needs more."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        parts = [_path_value(node.left, values), _path_value(node.right, values)]
    elif isinstance(node, ast.Call) and sec.call_name(node.func) in ("Path", "PurePath", "join", "joinpath") \
            and not node.keywords:
        head = [node.func.value] if sec.call_name(node.func) == "joinpath" and isinstance(node.func, ast.Attribute) else []
        parts = [_path_value(arg, values) for arg in head + list(node.args)]
        if not parts or (sec.call_name(node.func) == "join" and ast.unparse(node.func) != "os.path.join"):
            return None
    else:
        value = literal_value_of(ast.unparse(node), values)
        return value if isinstance(value, str) else None
    if any(p is None for p in parts):
        return None
    return "/".join(p.rstrip("/") for p in parts if p not in ("", "."))  # type: ignore[union-attr]


def _relative_file(path: str) -> bool:
    """A relative file name such as `data/train.csv`: not absolute, not a URL, not a bare word."""
    return bool(re.fullmatch(r"[\w.-]+(/[\w.-]+)*\.\w+", path)) and not path.startswith(("/", "~"))
