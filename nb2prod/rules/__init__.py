"""The lint rules: one module per rule, registered here in one explicit tuple sorted by code."""

from __future__ import annotations

from typing import Dict, Tuple

from nb2prod.rules import (
    absolute_path,
    bare_expression,
    cell_magic,
    constant_print,
    dataframe_inspection,
    debugger_call,
    display_call,
    exploratory_loop,
    fitted_attribute_print,
    help_syntax,
    inspection_print,
    line_magic,
    magic_in_block,
    out_of_order_execution,
    plot_call,
    redefined_name,
    sample_assert,
    shell_escape,
    syntax_error,
    training_set_metric,
    undefined_name,
    unused_import,
    use_before_definition,
)
from nb2prod.rules._base import Rule

RULES: Tuple[Rule, ...] = (
    dataframe_inspection.RULE,  # NB101
    inspection_print.RULE,  # NB102
    bare_expression.RULE,  # NB103
    display_call.RULE,  # NB104
    plot_call.RULE,  # NB105
    exploratory_loop.RULE,  # NB106
    fitted_attribute_print.RULE,  # NB107
    constant_print.RULE,  # NB108
    training_set_metric.RULE,  # NB109
    sample_assert.RULE,  # NB110
    line_magic.RULE,  # NB201
    cell_magic.RULE,  # NB202
    shell_escape.RULE,  # NB203
    help_syntax.RULE,  # NB204
    magic_in_block.RULE,  # NB205
    syntax_error.RULE,  # NB300
    undefined_name.RULE,  # NB301
    use_before_definition.RULE,  # NB302
    out_of_order_execution.RULE,  # NB303
    redefined_name.RULE,  # NB304
    debugger_call.RULE,  # NB401
    unused_import.RULE,  # NB402
    absolute_path.RULE,  # NB403
)

BY_CODE: Dict[str, Rule] = {r.code: r for r in RULES}


def find(code_or_name: str) -> Rule:
    """The rule with this code (`NB101`) or name (`dataframe-inspection`), or convert's code for a
    dropped line (`NB901`); KeyError if none."""
    key = code_or_name.strip()
    for r in RULES:
        if r.code == key.upper() or r.name == key.lower():
            return r
    from nb2prod.convert.plan import codes  # lazy: linting never loads the planner

    return codes.find(code_or_name)
