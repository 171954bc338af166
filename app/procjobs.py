"""Heavy jobs in a child process, so their Python work never competes with the GUI thread for the GIL.

``in_process(target, *args, **kwargs)`` returns an ordinary job (``job(cancel_token)``) for
``app.jobs.JobRunner``: on a pool thread it starts a *spawned* child that runs the generator function
``target`` ("module:function", called as ``fn(*args, cancel=token, **kwargs)``) and relays its
Progress, result, failure (already turned into a readable ``JobError`` in the child) or cancellation.
Cancelling the token sets an event the child turns into its own ``CancelToken``; the job leaves the
store consistent as every core job does. Results must pickle (the reports are dataclasses).

The targets below open the store themselves from its URL. This module is Qt-free: the child imports it
without starting Qt.
"""

from __future__ import annotations

import importlib
import inspect
import multiprocessing
import threading
import time
from collections.abc import Generator
from typing import Any

from app.errors import RemoteJobError, describe_error
from core.jobs import Cancelled, CancelToken, Progress

THROTTLE_S = 0.05
CANCEL_GRACE_S = (
    3.0  # a cancelled child that has not stopped by then is terminated (its work is transactional)
)


NICE = 10  # background jobs yield the CPU to the window (Unix; elsewhere they run at normal priority)


def _child(conn, cancel_event, target: str, args: tuple, kwargs: dict) -> None:
    import os

    raw_send = conn.send

    def send(message) -> None:
        try:
            raw_send(message)
        except (BrokenPipeError, EOFError, OSError):  # the parent gave up on us (cancelled, closing)
            pass

    conn.send = send  # type: ignore[method-assign]

    if hasattr(os, "nice"):
        try:
            os.nice(NICE)
        except OSError:
            pass
    token = CancelToken()
    threading.Thread(target=lambda: (cancel_event.wait(), token.cancel()), daemon=True).start()
    try:
        module, _, name = target.partition(":")
        fn = getattr(importlib.import_module(module), name)
        out = fn(*args, cancel=token, **kwargs)
        if inspect.isgenerator(out):
            last = 0.0
            pending = None
            while True:
                try:
                    p = next(out)
                except StopIteration as stop:
                    out = stop.value
                    break
                now = time.monotonic()
                if now - last >= THROTTLE_S:
                    conn.send(("progress", p))
                    last, pending = now, None
                else:
                    pending = p
            if pending is not None:
                conn.send(("progress", pending))
        conn.send(("result", out))
    except Cancelled:
        conn.send(("cancelled", None))
    except BaseException as exc:  # noqa: BLE001 - the parent shows it as a sentence
        import logging
        import traceback

        logging.getLogger(__name__).error("job %s failed: %s\n%s", target, exc, traceback.format_exc())
        conn.send(("error", describe_error(exc)))
    finally:
        conn.close()


def in_process(target: str, *args: Any, **kwargs: Any):
    """A job that runs ``target`` in a child process (see the module docstring)."""

    def job(token: CancelToken) -> Generator[Progress, None, Any]:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe(duplex=False)
        cancel = ctx.Event()
        proc = ctx.Process(
            target=_child, args=(child, cancel, target, args, kwargs), daemon=True, name=f"segue-job:{target}"
        )
        proc.start()
        child.close()
        cancelled_at = None
        try:
            while True:
                if token.cancelled:
                    cancel.set()
                    cancelled_at = cancelled_at or time.monotonic()
                    if time.monotonic() - cancelled_at > CANCEL_GRACE_S:  # it did not stop in time: stop it
                        proc.terminate()
                        raise Cancelled()
                if parent.poll(0.1):  # waits without the GIL
                    try:
                        kind, payload = parent.recv()
                    except EOFError:
                        raise RemoteJobError(
                            describe_error(
                                RuntimeError(
                                    f"the job's process ended unexpectedly (exit code {proc.exitcode})"
                                )
                            )
                        ) from None
                    if kind == "progress":
                        yield payload
                    elif kind == "result":
                        return payload
                    elif kind == "cancelled":
                        raise Cancelled()
                    else:
                        raise RemoteJobError(payload)
                elif not proc.is_alive() and not parent.poll(0):
                    raise RemoteJobError(
                        describe_error(
                            RuntimeError(f"the job's process ended unexpectedly (exit code {proc.exitcode})")
                        )
                    )
        finally:
            parent.close()
            proc.join(10)
            if proc.is_alive():
                proc.terminate()

    return job


# -- targets (run in the child) ------------------------------------------------------------------
def _with_store(url: str):
    from core.store import open_store

    return open_store(url)


def import_job(url: str, paths: list[str], account: str, *, account_kind: str = "local", cancel: CancelToken):
    from core.sources.importing import import_files

    store = _with_store(url)
    try:
        return (yield from import_files(store, paths, account, cancel=cancel, account_kind=account_kind))
    finally:
        store.dispose()


def sync_job(url: str, account: str, username: str, *, cancel: CancelToken):
    from core.sources.lastfm.config import load_config, make_api
    from core.sources.lastfm.sync import sync_account

    store = _with_store(url)
    api = make_api(load_config(account))
    try:
        return (yield from sync_account(store, account, username, api, cancel=cancel))
    finally:
        api.close()
        store.dispose()


def train_job(url: str, account: str, model: str, *, gap_s: int | None = None, cancel: CancelToken):
    from models.training import train_model

    store = _with_store(url)
    try:
        params = inspect.signature(train_model).parameters
        kwargs: dict[str, Any] = {"cancel": cancel} if "cancel" in params else {}
        if gap_s is not None and "gap_s" in params:
            kwargs["gap_s"] = gap_s
        out = train_model(store, account, model, **kwargs)
        if inspect.isgenerator(out):
            out = yield from out
        return _plain(out)
    finally:
        store.dispose()


def _plain(value: Any) -> Any:
    """Results cross a process boundary: keep what pickles, summarise what does not."""
    import pickle

    try:
        pickle.dumps(value)
        return value
    except Exception:  # noqa: BLE001
        return repr(value)


def store_url(store) -> str:
    """The URL a child process opens (with its password: the child is this user's own process)."""
    return store.engine.url.render_as_string(hide_password=False)


def features_job(url: str, account: str | None = None, *, cancel: CancelToken):
    from core.features.fetch import fetch_features

    store = _with_store(url)
    try:
        return _plain((yield from fetch_features(store, account, cancel=cancel)))
    finally:
        store.dispose()


def embeddings_job(url: str, account: str | None = None, *, cancel: CancelToken):
    from core.features.embeddings.build import build_embeddings

    store = _with_store(url)
    try:
        return _plain((yield from build_embeddings(store, account=account, cancel=cancel)))
    finally:
        store.dispose()
