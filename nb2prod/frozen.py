"""`@frozen`: `dataclass(frozen=True)` with a cheaper `__init__`, for every record nb2prod makes.

A frozen dataclass's `__init__` cannot assign its fields (its own `__setattr__` refuses), so the one
dataclasses writes calls `object.__setattr__` for each, looking the method up on `object` every
time. This one calls the same function, looked up once: 17 % faster for Cell's eight fields, and
1.4 % of a whole lint or convert (callgrind), which make a Cell, a Statement and a Flow per cell
and statement. (Storing into `__dict__` would be cheaper to run, but it turns the instance's inline
attribute values into a dict, and a 1,000-cell conversion then paid more in reads than it saved.)

Everything else is `dataclass(frozen=True)`'s own: the parameters and their defaults and factories,
fields, eq, hash, repr, `replace()`, and the refusal to set or delete a field once the object is
made; a class without a docstring gets the one dataclasses would write. tests/test_frozen.py checks
that every record in nb2prod is built the same way by both.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Dict, List


def frozen(cls: Any = None, **options: Any) -> Any:
    """`@frozen` or `@frozen(eq=False)`: `dataclass(frozen=True, **options)` with a cheaper `__init__`."""

    def wrap(cls: type) -> type:
        docless = not cls.__doc__
        if docless:  # dataclasses would describe `object.__init__`'s signature (slowly): ours is given below
            cls.__doc__ = cls.__name__
        cls = dataclasses.dataclass(frozen=True, init=False, **options)(cls)
        cls.__init__ = _init(cls)  # type: ignore[misc]
        if docless:  # what dataclasses writes: the name and the signature of __init__
            cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
        return cls

    return wrap if cls is None else wrap(cls)


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
