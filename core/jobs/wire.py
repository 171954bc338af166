"""What crosses between the runner and an isolated job's child process, and how.

Messages are pickled with one rule added: an exception never travels as its class. Wherever one
appears — raised by the job, or inside its result (``ImportReport.failures``) — it is sent as an
``ErrorValue``: the type's dotted name, its message, its args and its plain attributes (numbers,
strings, lists and dicts of those). The parent rebuilds it without calling ``__init__`` (whose
signature may not match ``args``, the reason pickling ``ImportFailure`` fails), as the same class
when that class belongs to Segue (``core``, ``models``, ``app``) or Python itself, else as a
``RemoteError`` carrying the name. ``str(rebuilt)`` is the child's message, so a failure reads the
same whether the job ran in-process or isolated.
"""

from __future__ import annotations

import builtins
import importlib
import io
import pickle
from dataclasses import dataclass, field
from typing import Any

TRUSTED_PACKAGES = ("core", "models", "app")
_PLAIN = (str, int, float, bool, type(None))


class RemoteError(Exception):
    """An exception from a child process whose class is not rebuilt here; ``type_name`` says what it was."""

    def __init__(self, type_name: str, message: str, fields: dict | None = None):
        super().__init__(message)
        self.type_name = type_name
        self.fields = dict(fields or {})


class JobCrashed(RuntimeError):
    """The isolated job's process ended without reporting (killed, out of memory, a crash in C)."""


@dataclass(frozen=True)
class ErrorValue:
    type_name: str  # "core.sources.records.ImportFailure"
    message: str
    args: tuple = ()
    fields: dict[str, Any] = field(default_factory=dict)


def _plain(value: Any, depth: int = 0) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if depth > 3:
        return False
    if isinstance(value, (list, tuple)):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    return False


def error_value(exc: BaseException) -> ErrorValue:
    cls = type(exc)
    fields = {k: v for k, v in vars(exc).items() if not k.startswith("_") and _plain(v)}
    if isinstance(exc, OSError):  # C-level attributes, not in __dict__
        fields.update(
            {k: getattr(exc, k) for k in ("errno", "strerror", "filename") if _plain(getattr(exc, k))}
        )
    args = tuple(exc.args) if _plain(tuple(exc.args)) else (str(exc),)
    return ErrorValue(f"{cls.__module__}.{cls.__qualname__}", str(exc), args, fields)


def _trusted_class(type_name: str) -> type[BaseException] | None:
    module, _, qualname = type_name.rpartition(".")
    if module != "builtins" and module.partition(".")[0] not in TRUSTED_PACKAGES:
        return None
    try:
        obj: Any = builtins if module == "builtins" else importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return None
    return obj if isinstance(obj, type) and issubclass(obj, BaseException) else None


def rebuild(value: ErrorValue) -> BaseException:
    """The exception ``value`` describes (see the module docstring)."""
    cls = _trusted_class(value.type_name)
    if cls is None:
        return RemoteError(value.type_name, value.message, value.fields)
    try:
        exc = cls.__new__(cls, *value.args)
        exc.args = value.args
        for key, v in value.fields.items():
            if key not in ("errno", "strerror", "filename") or isinstance(exc, OSError):
                setattr(exc, key, v)
    except Exception:  # noqa: BLE001 - a class that refuses to be rebuilt still reports its message
        return RemoteError(value.type_name, value.message, value.fields)
    if str(exc) != value.message:  # e.g. a __str__ that reads state we did not carry
        return RemoteError(value.type_name, value.message, value.fields)
    return exc


def _rebuild_error(type_name: str, message: str, args: tuple, fields: dict) -> BaseException:
    return rebuild(ErrorValue(type_name, message, args, fields))


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any):
        if isinstance(obj, BaseException):
            v = error_value(obj)
            return _rebuild_error, (v.type_name, v.message, v.args, v.fields)
        return NotImplemented


def dumps(obj: Any) -> bytes:
    buf = io.BytesIO()
    _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buf.getvalue()


def loads(data: bytes) -> Any:
    return pickle.loads(data)
