"""`@frozen` builds every record exactly as `dataclass(frozen=True)` would, only faster."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from dataclasses import field
from pathlib import Path
from typing import List, Optional, Tuple

import pytest

import nb2prod
from nb2prod.frozen import frozen

PACKAGE = Path(nb2prod.__file__).parent


def _records() -> List[type]:
    """Every frozen dataclass nb2prod defines, from importing each of its modules."""
    found = []
    for info in pkgutil.walk_packages([str(PACKAGE)], "nb2prod."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (isinstance(value, type) and value.__module__ == module.__name__ and dataclasses.is_dataclass(value)
                    and value.__dataclass_params__.frozen):
                found.append(value)
    return found


def _stdlib_twin(cls: type) -> type:
    """The class `dataclass(frozen=True)` makes from the same fields and options, without a docstring
    when `cls` has the one dataclasses writes (so that the twin writes its own)."""
    params = cls.__dataclass_params__
    fields = [(f.name, f.type, field(default=f.default, default_factory=f.default_factory, init=f.init, repr=f.repr,
                                     hash=f.hash, compare=f.compare, metadata=f.metadata))
              for f in dataclasses.fields(cls)]
    written = cls.__doc__.startswith(cls.__name__ + "(")
    return dataclasses.make_dataclass(cls.__name__, fields, frozen=True, eq=params.eq, order=params.order,
                                      unsafe_hash=params.unsafe_hash,
                                      namespace=None if written else {"__doc__": cls.__doc__})


RECORDS = _records()


def test_the_records_are_found():
    names = {c.__name__ for c in RECORDS}
    assert len(RECORDS) >= 80 and {"Cell", "Statement", "Finding", "Flow", "Plan"} <= names


def test_every_frozen_dataclass_of_nb2prod_is_made_with_frozen():
    """One way to make a record, so that every one gets the cheaper __init__."""
    spelled = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
               if "dataclass(frozen" in p.read_text(encoding="utf-8") and p.name != "frozen.py"]
    assert spelled == []
    assert all(c.__init__.__code__.co_filename == "<string>" and "__SET" in c.__init__.__code__.co_names
               for c in RECORDS)


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_each_record_is_what_dataclasses_would_make(cls):
    twin = _stdlib_twin(cls)
    assert _parameters(cls) == _parameters(twin)
    assert cls.__doc__ == twin.__doc__
    assert cls.__init__.__annotations__ == twin.__init__.__annotations__
    required = {name: object() for name, p in inspect.signature(cls).parameters.items() if p.default is p.empty}
    made, expected = cls(**required), twin(**required)
    assert vars(made) == vars(expected)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, dataclasses.fields(cls)[0].name, 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(made, dataclasses.fields(cls)[0].name)
    assert repr(made).replace(cls.__qualname__, cls.__name__, 1) == repr(expected)
    again, other = cls(**required), twin(**required)
    assert (made == again, made != again, made == object()) == (expected == other, expected != other,
                                                                 expected == object())
    assert _outcome(lambda: hash(made) == hash(again)) == _outcome(lambda: hash(expected) == hash(other))
    assert repr(cls.__dataclass_params__) == repr(twin.__dataclass_params__)
    assert {n for n in _METHODS if n in vars(cls)} == {n for n in _METHODS if n in vars(twin)}
    assert cls.__match_args__ == twin.__match_args__


def _outcome(call):
    """What `call()` returns, or the type and message of what it raises."""
    try:
        return "returned", call()
    except Exception as exc:  # noqa: BLE001 - compared, not handled
        return "raised", type(exc), str(exc)


_METHODS = ("__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__", "__init__")


def _parameters(cls: type) -> list:
    """__init__'s parameters: name, kind, annotation, default (a default factory's stand-in by its repr)."""
    return [(p.name, p.kind, p.annotation, repr(p.default) if repr(p.default) == "<factory>" else p.default)
            for p in inspect.signature(cls).parameters.values()]


@frozen
class _Sample:
    name: str
    count: int = 3
    items: List[int] = field(default_factory=list)
    seen: Tuple[str, ...] = field(default=(), init=False)
    notes: List[str] = field(default_factory=lambda: ["made"], init=False)
    self: Optional[str] = None  # dataclasses allows a field named `self`


@dataclasses.dataclass(frozen=True)
class _StdlibSample:
    name: str
    count: int = 3
    items: List[int] = field(default_factory=list)
    seen: Tuple[str, ...] = field(default=(), init=False)
    notes: List[str] = field(default_factory=lambda: ["made"], init=False)
    self: Optional[str] = None


@pytest.mark.parametrize("args, kwargs", [(("a",), {}), (("a", 5), {}), (("a",), {"items": [1]}),
                                          ((), {"name": "b", "self": "me", "count": 0})])
def test_defaults_factories_and_keywords_match(args, kwargs):
    made, expected = _Sample(*args, **kwargs), _StdlibSample(*args, **kwargs)
    assert _parameters(_Sample) == _parameters(_StdlibSample)
    assert vars(made) == vars(expected)
    assert repr(made).replace("_Sample", "_StdlibSample") == repr(expected)


def test_each_instance_gets_its_own_factory_value():
    one, two = _Sample("a"), _Sample("a")
    assert one.items == [] and one.items is not two.items and one.notes is not two.notes
    given = [1]
    assert _Sample("a", items=given).items is given


def test_the_record_stays_frozen_comparable_and_replaceable():
    made = _Sample("a", 1)
    for change in (lambda: setattr(made, "count", 2), lambda: delattr(made, "name")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            change()
    assert made == _Sample("a", 1) and made != _Sample("a", 2)
    assert dataclasses.replace(made, count=2) == _Sample("a", 2)
    assert hash(_Line("x", 1)) == hash(_Line("x", 1))


@frozen(eq=False)
class _Identity:
    value: int


@frozen
class _Line:
    text: str
    number: int


def test_options_reach_dataclasses():
    assert _Identity(1) != _Identity(1)
    assert _Line("x", 1) == _Line("x", 1)


@pytest.mark.parametrize("call", [lambda c: c(), lambda c: c("a", unknown=1), lambda c: c("a", 1, [], None, 5)])
def test_wrong_arguments_fail_as_dataclasses_fail(call):
    messages = []
    for cls in (_Sample, _StdlibSample):
        with pytest.raises(TypeError) as caught:
            call(cls)
        messages.append(str(caught.value).replace("_StdlibSample", "_Sample"))
    assert messages[0] == messages[1]


def test_what_it_cannot_copy_is_refused():
    with pytest.raises(TypeError, match="__post_init__"):

        @frozen
        class _Checked:
            value: int

            def __post_init__(self):
                pass


class _SelfUnequal:
    """`x == x` is False, as for NaN: a tuple comparison still finds the same object equal."""

    def __eq__(self, other):
        return False

    __hash__ = object.__hash__


def test_comparison_hash_and_repr_are_what_dataclasses_gives():
    odd = _SelfUnequal()
    for args in [("a", 1), ("a", odd), (odd, 1)]:
        ours, theirs = _Line(*args), _StdlibLine(*args)
        assert (ours == _Line(*args)) == (theirs == _StdlibLine(*args))
        assert (ours == _Line("b", 2)) == (theirs == _StdlibLine("b", 2))
        assert (hash(ours) == hash(_Line(*args))) == (hash(theirs) == hash(_StdlibLine(*args)))
    assert hash(_Line("x", 1)) == hash(_StdlibLine("x", 1))  # both hash the tuple of the fields
    assert _Line("x", 1).__eq__(("x", 1)) is NotImplemented
    assert _Line.__eq__.__qualname__ == "_Line.__eq__" and _Line.__repr__.__module__ == __name__


def test_a_record_inside_itself_is_shown_as_dots():
    ours, theirs = _Sample("a"), _StdlibSample("a")
    ours.items.append(ours)
    theirs.items.append(theirs)
    assert repr(ours).replace("_Sample", "_StdlibSample") == repr(theirs)
    assert repr(ours) == "_Sample(name='a', count=3, items=[...], seen=(), notes=['made'], self=None)"


def test_a_subclass_may_set_attributes_that_are_not_fields():
    class Ours(_Line):
        pass

    class Theirs(_StdlibLine):
        pass

    for cls in (Ours, Theirs):
        made = cls("x", 1)
        made.extra = 2
        del made.extra
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'text'"):
            made.text = "y"
        with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'number'"):
            del made.number


def test_records_that_inherit_or_define_their_own_methods_are_made_by_dataclasses():
    @frozen
    class Shown:
        value: int

        def __repr__(self):
            return "shown"

    @frozen
    class More(_Line):
        extra: int = 0

    assert repr(Shown(1)) == "shown" and Shown(1) == Shown(1) and hash(Shown(1)) == hash(Shown(1))
    assert More("x", 1, 2) == More("x", 1, 2) != More("x", 1, 3)
    assert repr(More("x", 1)).endswith(".More(text='x', number=1, extra=0)")
    with pytest.raises(dataclasses.FrozenInstanceError):
        More("x", 1).extra = 1


@dataclasses.dataclass(frozen=True)
class _StdlibLine:
    text: str
    number: int
