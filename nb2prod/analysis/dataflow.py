"""Which names each statement defines, uses and updates, on plain `ast` (pyflakes-like).

A method call, subscript or attribute assignment on a name counts as a use *and* an update
of that name: `df.dropna(inplace=True)` or `model.fit(X, y)` changes `df`/`model` for every
later statement. Methods known not to mutate their receiver (`predict`, `head`, `copy`, ...)
are only uses.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, List, Optional, Set, Tuple

# What IPython puts in every notebook's namespace and a script does not have (`exit` and `quit` it has).
IPYTHON_NAMES = frozenset(
    {"display", "get_ipython", "In", "Out", "_", "__", "___", "_i", "_ii", "_iii", "_oh", "_ih", "_dh"})
BUILTINS = frozenset(dir(builtins)) | IPYTHON_NAMES | {
    "__name__", "__file__", "__doc__", "__builtins__", "__spec__", "__loader__", "__package__", "exit", "quit",
}

# Methods that return a new value and leave their receiver as it was.
PURE_METHODS = frozenset(
    """predict predict_proba predict_log_proba decision_function score transform inverse_transform
    get_params get_feature_names_out copy head tail describe info sample value_counts nunique unique
    isnull isna notnull notna sum mean median std var min max count corr cov abs round cumsum
    astype tolist to_numpy to_list to_dict to_frame reshape ravel flatten argmax argmin argsort
    groupby agg aggregate apply map filter query merge join concat drop dropna fillna replace rename
    reset_index set_index sort_values sort_index loc iloc at iat get keys values items
    format split strip lower upper startswith endswith encode decode dumps loads read
    any all dot mul add sub div pow mode quantile rank diff pct_change shift rolling resample
    pivot pivot_table melt stack unstack explode dropna_columns select_dtypes memory_usage
    squeeze clip nlargest nsmallest idxmax idxmin duplicated drop_duplicates isin between
    where mask corrwith to_string to_json to_markdown""".split()
)


@dataclass(frozen=True)
class Flow:
    """Names a statement binds (defs), reads from before it (uses) and changes in place (updates)."""

    defs: FrozenSet[str]
    uses: FrozenSet[str]
    updates: FrozenSet[str]
    use_sites: Tuple[Tuple[str, int, int], ...] = ()  # (name, line, col), first site of each use
    deferred: FrozenSet[str] = frozenset()  # free names read inside function/class bodies
    star_import: bool = False
    guarded: FrozenSet[str] = frozenset()  # uses first read in a `try` body that catches NameError
    deletes: FrozenSet[str] = frozenset()  # names a top-level `del x` unbinds

    @property
    def writes(self) -> FrozenSet[str]:
        return self.defs | self.updates


def flow(node: ast.AST, lazy_annotations: bool = False) -> Flow:
    """The Flow of one top-level statement; with `lazy_annotations` (`from __future__ import
    annotations`), names in annotations are read later, like a function body's (deferred)."""
    v = _Visitor(lazy_annotations)
    v.visit(node)
    return Flow(
        defs=frozenset(v.defs),
        uses=frozenset(v.uses),
        updates=frozenset(v.updates),
        use_sites=tuple(v.sites),
        deferred=frozenset(v.deferred),
        star_import=v.star,
        guarded=frozenset(v.guarded),
        deletes=frozenset(t.id for t in node.targets if t.__class__ is ast.Name) if node.__class__ is ast.Delete
        else frozenset(),
    )


_FIELDS: Dict[type, Tuple[str, ...]] = {}


def child_fields(kind: type) -> Tuple[str, ...]:
    """A node type's fields that can hold nodes: less `ctx` (a leaf no check looks at) and the `_LEAVES`."""
    fields = _FIELDS.get(kind)
    if fields is None:
        leaves = ("ctx", "type_comment") + _LEAVES.get(kind.__name__, ())
        fields = _FIELDS[kind] = tuple(name for name in kind._fields if name not in leaves)
    return fields


# Fields that hold an identifier, a number or a constant, never a node, by node type name (in
# Python 3.12 `name` of TypeAlias is a node, so no field name is skipped for every type).
_LEAVES = {"Name": ("id",), "Attribute": ("attr",), "arg": ("arg",), "keyword": ("arg",), "Constant": ("value", "kind"),
           "ImportFrom": ("module", "level"), "alias": ("name", "asname"), "FormattedValue": ("conversion",),
           "comprehension": ("is_async",), "Global": ("names",), "Nonlocal": ("names",)}


def walk(node: ast.AST) -> List[ast.AST]:
    """What `ast.walk` yields, in the same breadth-first order, less expression contexts; a list, ~2x faster."""
    out = [node]
    append, fields_of, AST = out.append, _FIELDS, ast.AST
    for current in out:  # grows while it is read: breadth-first
        fields = fields_of.get(current.__class__)
        for name in child_fields(current.__class__) if fields is None else fields:
            value = getattr(current, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        append(item)
            elif value is not None and isinstance(value, AST):
                append(value)
    return out


def root_name(node: ast.AST) -> Optional[str]:
    """`df` for `df`, `df.a.b`, `df["x"][0]`, `df.loc[...]`; None when the root is not a name."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


class _Visitor(ast.NodeVisitor):
    # `ast.NodeVisitor.visit` builds a method name per node and its generic_visit goes through
    # generators; flow() runs on every statement, so dispatch through a per-type table instead.
    _table: Dict[type, object] = {}

    def visit(self, node: ast.AST) -> None:
        (self._table.get(node.__class__) or _method(node.__class__))(self, node)

    def generic_visit(self, node: ast.AST) -> None:
        table, AST = self._table, ast.AST  # dispatch inlined: one Python call per node, not two
        fields = _FIELDS.get(node.__class__)
        for name in child_fields(node.__class__) if fields is None else fields:
            value = getattr(node, name, None)
            if value.__class__ is list:
                for item in value:
                    if isinstance(item, AST):
                        (table.get(item.__class__) or _method(item.__class__))(self, item)
            elif isinstance(value, AST):
                (table.get(value.__class__) or _method(value.__class__))(self, value)

    def visit_Constant(self, node: ast.Constant) -> None:
        return None  # no children; NodeVisitor's version looks for deprecated visit_Num/visit_Str

    def __init__(self, lazy_annotations: bool = False) -> None:
        self.lazy_annotations = lazy_annotations
        self.defs: Set[str] = set()
        self.uses: Set[str] = set()
        self.updates: Set[str] = set()
        self.sites: List[Tuple[str, int, int]] = []
        self.deferred: Set[str] = set()
        self.star = False
        self.scopes: List[Set[str]] = []  # inner scopes: comprehension/lambda-bound names
        self.guard = 0  # inside the body of a `try` whose handler catches NameError
        self.guarded: Set[str] = set()

    # -- binding and reading ------------------------------------------------
    def _use(self, name: str, node: Optional[ast.AST]) -> None:
        """A read of `name` from before the statement; `node` None for a read with no site to report."""
        if name in self.defs or name in self.uses or self.scopes and any(name in s for s in self.scopes):
            return
        self.uses.add(name)
        if node is not None:
            self.sites.append((name, getattr(node, "lineno", 0), getattr(node, "col_offset", 0)))
        if self.guard:
            self.guarded.add(name)

    def _bind(self, name: str) -> None:
        if self.scopes:
            self.scopes[-1].add(name)
        else:
            self.defs.add(name)

    def _update(self, name: Optional[str], node: ast.AST) -> None:
        if name is None:
            return
        self._use(name, node)
        if not (self.scopes and any(name in s for s in self.scopes)):
            self.updates.add(name)

    def visit_Name(self, node: ast.Name) -> None:
        context = node.ctx.__class__
        if context is ast.Load:
            self._use(node.id, node)
        elif context is ast.Store:
            self._bind(node.id)
        else:  # Del
            self._use(node.id, node)
            self._update(node.id, node)

    # -- statements, in evaluation order -------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for target in node.targets:
            self._target(target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self._annotation(node.annotation)
        self._target(node.target)

    def _annotation(self, node: ast.AST) -> None:
        """An annotation reads its names when the definition runs, or later under lazy annotations; a
        string one (`"pd.DataFrame"`) reads them too, though nothing reports them as undefined."""
        if self.lazy_annotations and not isinstance(node, ast.Constant):
            self.deferred.update(n.id for n in walk(node) if n.__class__ is ast.Name and n.id not in BUILTINS)
            return
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            self.visit(node)
            return
        try:
            parsed = ast.parse(node.value.strip(), mode="eval")
        except (SyntaxError, ValueError):
            return  # not an expression: a comment-like annotation
        for sub in walk(parsed):
            if sub.__class__ is ast.Name:
                self._use(sub.id, None)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self._use(node.target.id, node.target)
            self._update(node.target.id, node.target)
        else:
            self._target(node.target)

    def _target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            self.visit(target.value)
            if isinstance(target, ast.Subscript):
                self.visit(target.slice)
            self._update(root_name(target), target)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._target(elt)
        elif isinstance(target, ast.Starred):
            self._target(target.value)
        else:
            self.visit(target)

    def visit_For(self, node) -> None:
        self.visit(node.iter)
        self._target(node.target)
        for stmt in node.body + node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_With(self, node) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._target(item.optional_vars)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncWith = visit_With

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._use(target.id, target)
                self._update(target.id, target)
            else:
                self._target(target)

    def visit_Import(self, node) -> None:
        for alias in node.names:
            if alias.name == "*":
                self.star = True
                continue
            self._bind(alias.asname or alias.name.split(".")[0])

    visit_ImportFrom = visit_Import

    def visit_Global(self, node) -> None:
        return None

    visit_Nonlocal = visit_Global

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        name = node.target.id
        if self.scopes:  # the walrus binds in the enclosing (module) scope
            saved, self.scopes = self.scopes, []
            self._bind(name)
            self.scopes = saved
        else:
            self._bind(name)

    # `match` patterns (Python 3.10+) bind names given as plain strings, not Name nodes
    def visit_MatchAs(self, node) -> None:
        if node.pattern is not None:
            self.visit(node.pattern)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node) -> None:
        self.generic_visit(node)
        if node.rest:
            self._bind(node.rest)

    def visit_Try(self, node) -> None:
        """`try: df` / `except NameError: df = load()` reads `df` only to find out whether it exists."""
        guard = any(_catches_name_error(h.type) for h in node.handlers)
        self.guard += guard
        for stmt in node.body:
            self.visit(stmt)
        self.guard -= guard
        for part in (node.handlers, node.orelse, node.finalbody):
            for stmt in part:
                self.visit(stmt)

    visit_TryStar = visit_Try

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self._bind(node.name)
        for stmt in node.body:
            self.visit(stmt)

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute):
            mutating = func.attr not in PURE_METHODS or any(
                kw.arg == "inplace" and not _is_false(kw.value) for kw in node.keywords
            )
            name = root_name(func.value)
            if mutating and name is not None and isinstance(func.value, ast.Name):
                self._update(name, func)
            elif mutating and name is not None and _is_item_of(func.value):
                self._update(name, func)

    # -- inner scopes ---------------------------------------------------------
    def _comprehension(self, node, elts: Iterable[ast.AST]) -> None:
        first = True
        self.scopes.append(set())
        for gen in node.generators:
            if first:  # the first iterable is evaluated in the enclosing scope
                saved, self.scopes = self.scopes, self.scopes[:-1]
                self.visit(gen.iter)
                self.scopes = saved
                first = False
            else:
                self.visit(gen.iter)
            self._target(gen.target)
            for cond in gen.ifs:
                self.visit(cond)
        for elt in elts:
            self.visit(elt)
        self.scopes.pop()

    def visit_ListComp(self, node) -> None:
        self._comprehension(node, [node.elt])

    visit_SetComp = visit_GeneratorExp = visit_ListComp

    def visit_DictComp(self, node) -> None:
        self._comprehension(node, [node.key, node.value])

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        self.scopes.append(set(_arg_names(node.args)))
        self.visit(node.body)
        self.scopes.pop()

    def visit_FunctionDef(self, node) -> None:
        for deco in node.decorator_list:
            self.visit(deco)
        for default in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
            self.visit(default)
        args = node.args
        for arg in args.posonlyargs + args.args + [args.vararg] + args.kwonlyargs + [args.kwarg]:
            if arg is not None and arg.annotation is not None:
                self._annotation(arg.annotation)
        if node.returns is not None:
            self._annotation(node.returns)
        self._bind(node.name)
        free, declared_global = _body_names(node)
        self.deferred |= free - BUILTINS
        self.defs.update(declared_global)  # `global x` in the body: calling it binds x here

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for deco in node.decorator_list:
            self.visit(deco)
        for base in node.bases + [kw.value for kw in node.keywords]:
            self.visit(base)
        self._bind(node.name)
        self.deferred |= free_names(node) - BUILTINS


def _method(kind: type):
    """The _Visitor method for a node type (`visit_Name`, else generic_visit), remembered in its table."""
    method = _Visitor._table[kind] = getattr(_Visitor, "visit_" + kind.__name__, _Visitor.generic_visit)
    return method


def lazy_annotations(nodes: Iterable[ast.AST]) -> bool:
    """Whether top-level statements include `from __future__ import annotations`."""
    return any(isinstance(n, ast.ImportFrom) and n.module == "__future__" and any(a.name == "annotations" for a in n.names)
               for n in nodes)


_NAME_ERROR_CATCHERS = frozenset({"NameError", "Exception", "BaseException"})


def _catches_name_error(kind: Optional[ast.AST]) -> bool:
    """Whether an `except` clause catches NameError: bare, NameError, Exception, or a tuple holding one."""
    if kind is None:
        return True
    if isinstance(kind, ast.Tuple):
        return any(_catches_name_error(k) for k in kind.elts)
    return isinstance(kind, ast.Name) and kind.id in _NAME_ERROR_CATCHERS


def _is_false(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_item_of(node: ast.AST) -> bool:
    """`data["train"].append(...)` mutates `data`; `df.col.plot()` does not count."""
    return isinstance(node, ast.Subscript)


def _arg_names(args: ast.arguments) -> List[str]:
    names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.vararg:
        names.append(args.vararg.arg)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def free_names(node: ast.AST) -> Set[str]:
    """Names a function or class body reads that it does not bind itself (its globals)."""
    return _body_names(node)[0]


_PATTERN_BINDERS = frozenset({"MatchAs", "MatchStar", "MatchMapping"})


def _body_names(node: ast.AST) -> Tuple[Set[str], Set[str]]:
    """(free_names of a function or class body, the names its `global` statements declare), in one walk."""
    bound: Set[str] = set()
    loads: Set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        bound.update(_arg_names(node.args))
    body = node.body if isinstance(node.body, list) else [node.body]
    declared_global: Set[str] = set()
    for stmt in body:
        for sub in walk(stmt):
            if isinstance(sub, ast.Name):
                (loads if isinstance(sub.ctx, ast.Load) else bound).add(sub.id)
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(sub.name)
                if not isinstance(sub, ast.ClassDef):
                    bound.update(_arg_names(sub.args))
            elif isinstance(sub, ast.Lambda):
                bound.update(_arg_names(sub.args))
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                bound.update(a.asname or a.name.split(".")[0] for a in sub.names)
            elif isinstance(sub, ast.ExceptHandler) and sub.name:
                bound.add(sub.name)
            elif isinstance(sub, ast.Global):
                declared_global.update(sub.names)
            elif sub.__class__.__name__ in _PATTERN_BINDERS:  # `case Point(x=px)`, `case [first, *rest]`
                bound.update(n for n in (getattr(sub, "name", None), getattr(sub, "rest", None)) if n)
            elif isinstance(sub, ast.arg):
                bound.add(sub.arg)
    return (loads - bound) | (loads & declared_global), declared_global


@dataclass
class Undefined:
    """A name read where nothing defines it (or only a later statement does)."""

    name: str
    statement: int  # index into the statement list
    line: int
    col: int
    later: bool  # defined by a later statement: use before definition
    suggestion: Optional[str] = None
    deleted: bool = False  # read after a top-level `del` of it


def undefined_names(flows: List[Flow], extra: FrozenSet[str] = frozenset()) -> List[Undefined]:
    """Names read before anything binds them, in top-to-bottom order (function bodies: anywhere)."""
    everywhere: Set[str] = set(extra)
    for f in flows:
        everywhere |= f.defs
    if any(f.star_import for f in flows):
        return []
    known: Set[str] = set(BUILTINS) | set(extra)
    deleted: Set[str] = set()
    found: List[Undefined] = []
    for i, f in enumerate(flows):
        for name, line, col in f.use_sites:
            if name in deleted and name not in f.guarded:
                found.append(Undefined(name, i, line, col, False, deleted=True))
            elif name not in known and name not in f.guarded:
                found.append(Undefined(name, i, line, col, name in everywhere, suggest(name, known | everywhere)))
        for name in sorted(f.deferred - everywhere - BUILTINS):
            found.append(Undefined(name, i, 0, 0, False, suggest(name, known | everywhere)))
        if f.deletes:
            deleted |= f.deletes & known
            known -= f.deletes
        if deleted:
            deleted -= f.defs
        known |= f.defs
    return found


def suggest(name: str, candidates: Iterable[str]) -> Optional[str]:
    """The closest defined name: a name that starts with it first, then difflib's nearest."""
    import difflib

    pool = sorted(c for c in candidates if c != name and not c.startswith("__") and c not in BUILTINS)
    prefixed = [c for c in pool if c.startswith(name) or name.startswith(c) and len(c) > 2]
    if prefixed:
        return min(prefixed, key=lambda c: (abs(len(c) - len(name)), c))
    close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return close[0] if close else None


def module_globals(code: str, filename: str = "<generated>"):
    """(names the module defines at top level, [(name, (scope name, line)) of every global read]) of
    finished code, from the compiler's own symbol tables; parses, so a SyntaxError comes out as compile's.

    Reads the raw tables: building a symtable.Symbol scans every child scope of its table, which made
    this quadratic in the number of functions. The tests are Symbol's, including its quirk of taking a
    function named `top` for the module (its bound names count as global there)."""
    import _symtable as st  # the compiler's tables, which the symtable module wraps (a builtin: no import cost)

    top, global_scopes = st.symtable(code, filename, "exec"), (st.GLOBAL_IMPLICIT, st.GLOBAL_EXPLICIT)
    tables, defined = [top], set(dir(builtins)) | {"__file__", "__name__", "__doc__", "__spec__"}
    read = []  # in table order
    for table in tables:
        tables.extend(table.children)
        namespaces = {child.name for child in table.children}
        for name, flags in table.symbols.items():
            scope = (flags >> st.SCOPE_OFF) & st.SCOPE_MASK
            if (table is top or scope == st.GLOBAL_EXPLICIT) and (
                    flags & (st.DEF_LOCAL | st.DEF_IMPORT) or name in namespaces):
                defined.add(name)
            if flags & st.USE and (table is top or scope in global_scopes
                                   or table.name == "top" and flags & st.DEF_BOUND):
                read.append((name, (table.name, table.lineno)))
    return defined, read
