"""The one exception family for problems a user can fix, each with a Location."""

from __future__ import annotations

from typing import Optional

from nb2prod.model import Location


class Nb2prodError(Exception):
    """A problem the user can fix; printed as one line `location: message`."""

    exit_code = 2

    def __init__(self, message: str, location: Optional[Location] = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message

    def __reduce__(self):  # pickles whole for worker processes, whatever a subclass's __init__ takes
        return _rebuild, (type(self), self.message, self.__dict__)


def _rebuild(cls, message: str, state: dict) -> "Nb2prodError":
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class UnusableInput(Nb2prodError):
    """The input cannot be read as a Python notebook at all (exit 2)."""

    exit_code = 2


class NotPython(UnusableInput):
    """A notebook whose kernel language is not Python: unusable when named, skipped when found in a folder."""


class CodeProblem(Nb2prodError):
    """The notebook's code has an error-level problem (exit 1)."""

    exit_code = 1


class OutputConflict(Nb2prodError):
    """Writing would overwrite a file the user edited (exit 1 unless --force)."""

    exit_code = 1
