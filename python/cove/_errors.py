"""Errors of the cove package: the one place where status codes become exceptions.

Every error raised by Cove is a :class:`cove.Error` carrying ``.code`` (a
:class:`StatusCode`, the absl/gRPC code) and ``.message``. Each code has a
subclass that also derives from the matching Python builtin, so that
``except LookupError`` or ``except TimeoutError`` work as expected::

    try:
        client.describe_collection("missing")
    except cove.NotFoundError as e:      # also a LookupError
        print(e.code, e.message)
"""

from __future__ import annotations

import enum
from typing import Dict, Optional, Type, Union

__all__ = [
    "StatusCode",
    "Error",
    "CancelledError",
    "UnknownError",
    "InvalidArgumentError",
    "DeadlineExceededError",
    "NotFoundError",
    "AlreadyExistsError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "FailedPreconditionError",
    "AbortedError",
    "OutOfRangeError",
    "UnimplementedError",
    "InternalError",
    "UnavailableError",
    "DataLossError",
    "UnauthenticatedError",
    "MilvusException",
]


class StatusCode(enum.IntEnum):
    """Canonical status codes (absl::StatusCode, the same numbers as gRPC)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


def _to_code(code: Union[int, StatusCode]) -> Union[int, StatusCode]:
    try:
        return StatusCode(int(code))
    except ValueError:
        return int(code)


class Error(Exception):
    """Base class of Cove errors: ``Error(code, message)``.

    Attributes:
        code: the :class:`StatusCode` (a plain int for a code Cove does not know).
        message: the message, ``what: detail (expected X, got Y)``.

    Subclasses may also be built with the message alone
    (``NotFoundError("collection 'x' not found")``); the code is then the
    subclass's own.
    """

    #: The code of instances built with a message alone.
    default_code: StatusCode = StatusCode.UNKNOWN

    def __init__(self, *args: object) -> None:
        if len(args) == 2:
            code, message = args
        elif len(args) == 1:
            code, message = self.default_code, args[0]
        elif not args:
            code, message = self.default_code, ""
        else:
            raise TypeError(
                f"{type(self).__name__}() takes (code, message) or (message,), "
                f"got {len(args)} arguments")
        self.code = _to_code(code)  # type: ignore[arg-type]
        self.message = str(message)
        super().__init__(self.code, self.message)

    def __str__(self) -> str:
        name = self.code.name if isinstance(self.code, StatusCode) else str(self.code)
        return f"{name}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


#: pymilvus spells its base exception MilvusException.
MilvusException = Error


class CancelledError(Error):
    """The call was cancelled."""

    default_code = StatusCode.CANCELLED


class UnknownError(Error):
    """An error without a more specific code (from a server)."""

    default_code = StatusCode.UNKNOWN


class InvalidArgumentError(Error, ValueError):
    """Bad input: the message names the field (also a ValueError)."""

    default_code = StatusCode.INVALID_ARGUMENT


class DeadlineExceededError(Error, TimeoutError):
    """The call did not finish before its deadline (also a TimeoutError)."""

    default_code = StatusCode.DEADLINE_EXCEEDED


class NotFoundError(Error, LookupError):
    """A collection, partition, alias, database, ... does not exist (also a LookupError)."""

    default_code = StatusCode.NOT_FOUND


class AlreadyExistsError(Error):
    """The name is taken."""

    default_code = StatusCode.ALREADY_EXISTS


class PermissionDeniedError(Error, PermissionError):
    """The caller lacks a privilege (also a PermissionError)."""

    default_code = StatusCode.PERMISSION_DENIED


class ResourceExhaustedError(Error):
    """A quota or capacity limit is reached."""

    default_code = StatusCode.RESOURCE_EXHAUSTED


class FailedPreconditionError(Error):
    """The state forbids the call (e.g. the collection is not loaded)."""

    default_code = StatusCode.FAILED_PRECONDITION


class AbortedError(Error):
    """A version conflict: re-read and retry."""

    default_code = StatusCode.ABORTED


class OutOfRangeError(Error):
    """A value past the valid range."""

    default_code = StatusCode.OUT_OF_RANGE


class UnimplementedError(Error, NotImplementedError):
    """This backend cannot do it (also a NotImplementedError)."""

    default_code = StatusCode.UNIMPLEMENTED


class InternalError(Error):
    """A bug in Cove or the server."""

    default_code = StatusCode.INTERNAL


class UnavailableError(Error, ConnectionError):
    """The server cannot be reached; retry (also a ConnectionError)."""

    default_code = StatusCode.UNAVAILABLE


class DataLossError(Error):
    """A checksum mismatch or a corrupt file."""

    default_code = StatusCode.DATA_LOSS


class UnauthenticatedError(Error):
    """Missing or wrong credentials."""

    default_code = StatusCode.UNAUTHENTICATED


_BY_CODE: Dict[int, Type[Error]] = {
    cls.default_code: cls
    for cls in (
        CancelledError, UnknownError, InvalidArgumentError, DeadlineExceededError,
        NotFoundError, AlreadyExistsError, PermissionDeniedError,
        ResourceExhaustedError, FailedPreconditionError, AbortedError,
        OutOfRangeError, UnimplementedError, InternalError, UnavailableError,
        DataLossError, UnauthenticatedError,
    )
}


def error_class(code: Union[int, StatusCode]) -> Type[Error]:
    """The exception class of a status code (:class:`Error` for unknown codes)."""
    return _BY_CODE.get(int(code), Error)


def _from_status(code: int, message: str) -> Error:
    """Builds the exception for a non-OK status; called by ``cove._core``."""
    return error_class(code)(_to_code(code), message)


def _raise_for(code: Optional[int], message: str) -> None:
    """Raises the exception of ``code`` unless it is None or OK."""
    if code is None or int(code) == 0:
        return
    raise _from_status(int(code), message)
