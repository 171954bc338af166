"""Readable failures: one sentence per exception, never a traceback.

An isolated job's exception reaches the parent rebuilt by value (``core.jobs.wire``): the same
class with the same message and fields, so it reads here exactly as if the job had run in-process.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class JobError:
    """A failure as the user should read it: ``message``; ``retryable`` when trying again may help."""

    message: str
    retryable: bool = True
    kind: str = "error"
    detail: str = ""


def describe_error(exc: BaseException) -> JobError:
    """One readable sentence for an exception raised by core, models or the network."""
    from core.net import AuthRequired, Fatal, Offline, RateLimited, ServiceError, Transient
    from core.sources.records import ImportFailure
    from core.store.engine import StoreError
    from models.api import ModelError

    text = str(exc).strip() or type(exc).__name__
    if isinstance(exc, ServiceError):
        if isinstance(exc, Offline):
            return JobError(f"No connection: {text}. Check your network and try again.", True, "offline")
        if isinstance(exc, RateLimited):
            return JobError(
                f"The service asked us to slow down ({text}). Try again in a few minutes.", True, "rate"
            )
        if isinstance(exc, AuthRequired):
            return JobError(f"Please sign in again: {text}.", False, "auth")
        if isinstance(exc, Fatal):
            return JobError(f"The service refused the request: {text}.", False)
        if isinstance(exc, Transient):
            return JobError(f"The service is having trouble: {text}. Try again later.", True)
        return JobError(text, exc.retry)
    if isinstance(exc, ImportFailure):
        return JobError(f"Could not import {text}", False, "import")
    if isinstance(exc, ModelError):
        return JobError(text, False, "model")
    if isinstance(exc, StoreError):
        return JobError(f"Database problem: {text}", True, "store")
    if isinstance(exc, FileNotFoundError):
        return JobError(f"File not found: {exc.filename or text}", False)
    if isinstance(exc, PermissionError):
        return JobError(f"Permission denied: {exc.filename or text}", False)
    if isinstance(exc, OSError):
        return JobError(f"Could not read or write {exc.filename or 'a file'}: {exc.strerror or text}", True)
    if isinstance(exc, TimeoutError):
        return JobError(f"Timed out: {text}", True, "offline")
    return JobError(
        f"Something went wrong: {text} (details are in the log file)", True, detail=type(exc).__name__
    )
