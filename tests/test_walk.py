"""analysis/walk: ast.walk's order less expression contexts, and a walk remembered for one stage."""

from __future__ import annotations

import ast

from nb2prod.analysis import walk as walking
from nb2prod.analysis.walk import remembered, walk

CODE = "for i in range(3):\n    x = [f(i) for _ in y]\nprint(x.a[0], *z, k=lambda q: q + 1)\n"


def test_walk_is_ast_walk_without_the_expression_contexts():
    tree = ast.parse(CODE)
    assert walk(tree) == [n for n in ast.walk(tree) if not isinstance(n, ast.expr_context)]


def test_a_remembered_walk_is_the_same_list_inside_and_a_new_one_outside():
    tree = ast.parse(CODE)
    outside = walk(tree)
    assert walk(tree) is not outside and walk(tree) == outside
    with remembered():
        first = walk(tree)
        with remembered():  # nested: the same memo
            assert walk(tree) is first
        assert walk(tree) is first and first == outside
        other = ast.parse(CODE)  # the same code, another tree: walked on its own
        assert walk(other) is not first and walk(other)[0] is other
    assert walking._remembered is None and walk(tree) is not first
