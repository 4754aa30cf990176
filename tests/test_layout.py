"""The package's shape: no import cycle, lint never reaches libcst or jinja2, and the size targets."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Set

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "nb2prod"
HEAVY = ("libcst", "jinja2")

# Allow-lists of modules and classes over the issue-12 size targets: empty since the last ones were
# split, so every target is enforced. Anything over a target fails the test, and so does a function
# p90 of 25 lines or more; an entry must not be added.
OVER_400_LINES: Set[str] = set()
OVER_150_LINE_CLASSES: Set[str] = set()


def module_names() -> Dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name, for its __init__.py)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports_of(name: str, path: Path, modules: Dict[str, Path]) -> Dict[str, bool]:
    """The package's modules `name` imports, anywhere in it: module → imported at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: Dict[str, bool] = {}
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        for target in _targets(node, name, path, modules):
            found[target] = found.get(target, False) or id(node) in top
    return found


def _targets(node: ast.AST, name: str, path: Path, modules: Dict[str, Path]) -> List[str]:
    if isinstance(node, ast.Import):
        return [_known(a.name, modules) for a in node.names if _known(a.name, modules)]
    if not isinstance(node, ast.ImportFrom):
        return []
    base = node.module or ""
    if node.level:  # relative: from the importing module's package
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
    out = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]  # a submodule
    if base in modules and len(out) < len(node.names):
        out.append(base)
    return out


def _known(dotted: str, modules: Dict[str, Path]) -> Optional[str]:
    """The deepest package module `import a.b.c` names (it also runs a and a.b, which import nothing here)."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        if ".".join(parts[:n]) in modules:
            return ".".join(parts[:n])
    return None


def import_graph() -> Dict[str, Set[str]]:
    modules = module_names()
    return {name: set(imports_of(name, path, modules)) - {name} for name, path in modules.items()}


def find_cycle(graph: Dict[str, Set[str]]) -> Optional[List[str]]:
    """One import cycle as [a, b, ..., a], or None."""
    state: Dict[str, int] = {}  # 1: on the current path, 2: done
    path: List[str] = []

    def visit(node: str) -> Optional[List[str]]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert graph["nb2prod.check"] >= {"nb2prod.convert.pipeline"}  # the reader sees function-level imports too
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_submodules_named_in_from_imports_are_edges():
    modules = module_names()
    api = imports_of("nb2prod.api", modules["nb2prod.api"], modules)
    assert "nb2prod.convert.pipeline" in api and "nb2prod.lint.batch" in api
    cli = imports_of("nb2prod.cli", modules["nb2prod.cli"], modules)
    assert cli["nb2prod.report.lint"] is True and cli["nb2prod.rules"] is False


def test_lint_never_imports_libcst_or_jinja2():
    """What `nb2prod lint` loads, run for real on the examples (every rule runs, nothing is cached)."""
    probe = ("import sys\nfrom nb2prod.cli import main\n"
             "try:\n    main(['lint', '--no-cache', 'examples'])\nexcept SystemExit:\n    pass\n"
             f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_modules_lint_can_reach_do_not_import_libcst_or_jinja2_at_module_level():
    modules = module_names()
    todo = ["nb2prod.cli", "nb2prod.api", "nb2prod.lint.engine", "nb2prod.lint.files", "nb2prod.lint.fix", "nb2prod.rules"]
    reach = set()
    while todo:
        name = todo.pop()
        if name in reach:
            continue
        reach.add(name)
        todo.extend(m for m, top in imports_of(name, modules[name], modules).items() if top)
    for name in sorted(reach):
        tree = ast.parse(modules[name].read_text(encoding="utf-8"))
        for node in tree.body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            heavy = [n for n in names if n.split(".")[0] in HEAVY]
            assert not heavy, f"{name} imports {heavy[0]} at module level, and lint imports {name}"


def test_size_targets_hold_apart_from_the_listed_modules():
    """benchmarks/sizes.py's findings; only a module not in the allow-lists above fails the test."""
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "sizes.py"), "--violations"], cwd=ROOT,
                          capture_output=True, text=True)
    print(done.stdout)
    assert done.returncode in (0, 1), done.stderr
    lines = [line.split() for line in done.stdout.splitlines() if line.strip()]  # none: one blank line
    modules = {where for kind, where, *_ in lines if kind == "module"}
    classes = {where for kind, where, *_ in lines if kind == "class"}
    fixed = (OVER_400_LINES - modules) | (OVER_150_LINE_CLASSES - classes)
    if fixed:  # not a failure: other modules are being split at the same time
        print(f"within the targets now, remove from the allow-lists: {sorted(fixed)}")
    assert modules <= OVER_400_LINES, f"new modules over 400 lines: {sorted(modules - OVER_400_LINES)}"
    assert classes <= OVER_150_LINE_CLASSES, f"new classes over 150 lines: {sorted(classes - OVER_150_LINE_CLASSES)}"
    assert not [w for w in lines if w[0] == "functions"], "function p90 is 25 lines or more"
