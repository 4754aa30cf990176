"""papermill's parameters: the cell tagged `parameters` (or opening with a `# Parameters` comment)
defines the script's options, and a later such cell (papermill's `injected-parameters`) gives them
new defaults. The later cells' assignments of names defined before leave the code: their values
become the defaults, so no step assigns a parameter twice."""

from __future__ import annotations

import re
from dataclasses import field
from typing import Dict, FrozenSet, Mapping, Sequence

from nb2prod.analysis.dataflow import Flow
from nb2prod.convert.hyper import assigned_name, is_constant, literal_value
from nb2prod.convert.plan.codes import BECOMES_PARAMETER
from nb2prod.convert.plan.types import Drops
from nb2prod.frozen import frozen
from nb2prod.model import ParsedCell

TAGS = frozenset({"parameters", "injected-parameters"})
_COMMENT = re.compile(r"\s*#\s*parameters\s*$", re.IGNORECASE)
_NO_FLOW = Flow(frozenset(), frozenset(), frozenset())


@frozen
class Parameters:
    """The statements defining parameters, their overridden values, and the overriding statements."""

    defining: FrozenSet[int] = frozenset()  # statement indexes: literal assignments of a parameters cell
    values: Dict[int, object] = field(default_factory=dict)  # defining statement → the value injected later
    drops: Drops = field(default_factory=dict)  # the overriding statements, with why they leave the code


NONE = Parameters()


def is_parameters_cell(pc: ParsedCell) -> bool:
    first = pc.cell.source.split("\n", 1)[0]
    return bool(TAGS & set(pc.cell.tags)) or bool(_COMMENT.match(first))


def parameters(cells: Sequence[ParsedCell], flows: Mapping[int, Flow]) -> Parameters:
    """The parameters of the notebook's parameters cells, in order: a name assigned again in a later
    one takes that value; a name written anywhere else is no parameter (its value is the code's)."""
    marked = [s for pc in cells if is_parameters_cell(pc) for s in pc.statements]
    assigns = [s for s in marked if is_constant(s)]
    marked_ids = {s.index for s in assigns}
    elsewhere = {n for i, f in flows.items() if i not in marked_ids for n in f.writes}
    defining: Dict[str, int] = {}
    values: Dict[int, object] = {}
    drops: Drops = {}
    for s in assigns:
        name = assigned_name(s)
        if name in elsewhere:
            continue
        if name not in defining:
            defining[name] = s.index
            continue
        values[defining[name]] = literal_value(s)
        drops[s.index] = (BECOMES_PARAMETER.code,
                          f"the injected value of `{name}` becomes the default of its option")
    return Parameters(frozenset(defining.values()), values, drops)


def without_overrides(flows: Mapping[int, Flow], params: Parameters) -> Dict[int, Flow]:
    """The flows with the overriding statements binding nothing: the parameter has one definition."""
    return {i: _NO_FLOW if i in params.drops else f for i, f in flows.items()}
