"""`@frozen`: `dataclass(frozen=True)` with a cheaper `__init__`, for every record nb2prod makes.

A frozen dataclass's `__init__` cannot assign its fields (its own `__setattr__` refuses), so the one
dataclasses writes calls `object.__setattr__` for each, looking the method up on `object` every
time. This one calls the same function, looked up once: 17 % faster for Cell's eight fields, and
1.4 % of a whole lint or convert (callgrind), which make a Cell, a Statement and a Flow per cell
and statement. (Storing into `__dict__` would be cheaper to run, but it turns the instance's inline
attribute values into a dict, and a 1,000-cell conversion then paid more in reads than it saved.)

Making the class is cheaper too. dataclasses compiles every method it adds from source, one `exec`
each: for a frozen record `__repr__`, `__eq__`, `__hash__`, `__setattr__` and `__delattr__`, about
260 microseconds a class, 22 ms of every process that imports the convert side's 86 records (a
100-cell convert takes 0.3 s). Here dataclasses makes only the fields; those five methods are the
same few lines for every record, written once below and given each class's field names (a closure,
not a compilation). Only `__init__` is still compiled per class: its parameters are the fields.

The behaviour is `dataclass(frozen=True)`'s own: the parameters and their defaults and factories,
fields, eq (tuples of the compared fields, or field by field from Python 3.13, as dataclasses does
there), hash, repr (`...` for a record inside itself), `replace()`, the refusal to set or delete a
field once the object is made, and `__dataclass_params__`; a class without a docstring gets the one
dataclasses would write. A class that inherits from a dataclass, defines one of those methods itself,
or asks for other options than `eq` is made by dataclasses as it is (only `__init__` replaced).
tests/test_frozen.py checks that every record in nb2prod is built the same way by both.
"""

from __future__ import annotations

import _thread
import dataclasses
import inspect
import sys
from operator import attrgetter
from typing import Any, Callable, Dict, List, Sequence

_OWN = ("__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__")
_FIELD_BY_FIELD = sys.version_info >= (3, 13)  # dataclasses' __eq__ from 3.13: `self.a == other.a and ...`


def frozen(cls: Any = None, **options: Any) -> Any:
    """`@frozen` or `@frozen(eq=False)`: `dataclass(frozen=True, **options)`, cheaper to make and to construct."""

    def wrap(cls: type) -> type:
        docless = not cls.__doc__
        if docless:  # dataclasses would describe `object.__init__`'s signature (slowly): ours is given below
            cls.__doc__ = cls.__name__
        if _plain(cls, options):
            eq = options.get("eq", True)
            cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
            _add_methods(cls, eq)
            params = cls.__dataclass_params__  # as dataclass(frozen=True, eq=eq) leaves them
            params.repr, params.eq, params.frozen = True, eq, True
        else:
            cls = dataclasses.dataclass(frozen=True, init=False, **options)(cls)
        cls.__init__ = _init(cls)  # type: ignore[misc]
        cls.__dataclass_params__.init = True
        if docless:  # what dataclasses writes: the name and the signature of __init__
            cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
        return cls

    return wrap if cls is None else wrap(cls)


def _plain(cls: type, options: Dict[str, Any]) -> bool:
    """Whether the methods below are exactly those dataclasses would add to `cls`."""
    return (set(options) <= {"eq"} and not any(name in cls.__dict__ for name in _OWN)
            and not any(dataclasses.is_dataclass(base) for base in cls.__mro__[1:]))


def _add_methods(cls: type, eq: bool) -> None:
    """dataclass(frozen=True, eq=eq)'s `__repr__`, `__eq__`, `__hash__`, `__setattr__` and `__delattr__`."""
    fields = dataclasses.fields(cls)
    methods = [_repr(cls, [f.name for f in fields if f.repr]), *_frozen(cls, tuple(f.name for f in fields))]
    if eq:
        methods.append(_eq([f.name for f in fields if f.compare]))
        methods.append(_hash([f.name for f in fields if (f.compare if f.hash is None else f.hash)]))
    for method in methods:
        method.__qualname__ = f"{cls.__qualname__}.{method.__name__}"
        method.__module__ = cls.__module__
        setattr(cls, method.__name__, method)


def _values(names: Sequence[str]) -> Callable[[Any], tuple]:
    """The tuple of an object's attributes `names` (attrgetter gives a bare value for one name)."""
    if len(names) == 1:
        name = names[0]
        return lambda self: (getattr(self, name),)
    return attrgetter(*names) if names else lambda self: ()


def _repr(cls: type, names: Sequence[str]) -> Callable:
    running = set()

    def __repr__(self):
        key = id(self), _thread.get_ident()
        if key in running:
            return "..."
        running.add(key)
        try:
            return (self.__class__.__qualname__ + "("
                    + ", ".join([f"{name}={getattr(self, name)!r}" for name in names]) + ")")
        finally:
            running.discard(key)

    return __repr__


def _frozen(cls: type, names: tuple) -> List[Callable]:
    FrozenInstanceError = dataclasses.FrozenInstanceError

    def __setattr__(self, name, value):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self, name):
        if type(self) is cls or name in names:
            raise FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return [__setattr__, __delattr__]


def _eq(names: Sequence[str]) -> Callable:
    if _FIELD_BY_FIELD:
        def __eq__(self, other):
            if self is other:
                return True
            if other.__class__ is self.__class__:
                equal = True
                for name in names:
                    equal = getattr(self, name) == getattr(other, name)
                    if not equal:
                        break
                return equal
            return NotImplemented

        return __eq__
    values = _values(names)

    def __eq__(self, other):  # noqa: F811 - the one for this Python
        if other.__class__ is self.__class__:
            return values(self) == values(other)
        return NotImplemented

    return __eq__


def _hash(names: Sequence[str]) -> Callable:
    values = _values(names)

    def __hash__(self):
        return hash(values(self))

    return __hash__


class _Factory:
    """The default of a parameter whose field has a default factory (dataclasses' `_HAS_DEFAULT_FACTORY`)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


def _init(cls: type) -> Callable[..., None]:
    """The `__init__` dataclasses would give `cls`, calling `object.__setattr__` found once."""
    if hasattr(cls, "__post_init__") or "__slots__" in cls.__dict__:
        raise TypeError(f"@frozen does not support __post_init__ or __slots__ ({cls.__qualname__})")
    # `__` names, which a field cannot have (a class body mangles them), so that no parameter hides them
    names: Dict[str, Any] = {"__FACTORY": _FACTORY, "__SET": object.__setattr__}
    params: List[str] = []
    body: List[str] = []
    for f in dataclasses.fields(cls):
        factory = f"__factory_{f.name}"
        if f.default_factory is not dataclasses.MISSING:
            names[factory] = f.default_factory
        if not f.init:
            if f.default_factory is not dataclasses.MISSING:
                body.append(f"__SET(__self, {f.name!r}, {factory}())")
            continue  # a plain default stays the class attribute, as dataclasses leaves it
        if f.default_factory is not dataclasses.MISSING:
            params.append(f"{f.name}=__FACTORY")
            body.append(f"__SET(__self, {f.name!r}, {factory}() if {f.name} is __FACTORY else {f.name})")
            continue
        if f.default is not dataclasses.MISSING:
            names[f"__default_{f.name}"] = f.default
            params.append(f"{f.name}=__default_{f.name}")
        else:
            params.append(f.name)
        body.append(f"__SET(__self, {f.name!r}, {f.name})")
    lines = [f"def __init__(__self{''.join(', ' + p for p in params)}):"]
    lines += ["    " + line for line in body]
    exec("\n".join(lines), names)  # field names are identifiers: dataclasses checked them
    init = names["__init__"]
    init.__annotations__ = {**{f.name: f.type for f in dataclasses.fields(cls) if f.init}, "return": None}
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    return init
