"""Progress events, cancellation, and the one loop that drives a job generator.

``run_job`` is the only place a ``Progress`` generator is iterated: the CLI, the job runner (its
worker threads) and an isolated job's child process all call it. ``Throttle`` is the only progress
rate limit: a chatty job reports at most once per interval, and the last report always arrives.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

THROTTLE_S = 0.05
"""Default progress interval of runner jobs: 20 reports/s keeps a bar smooth and the GUI's event
loop (and an isolated job's pipe) far from flooded."""


@dataclass(frozen=True)
class Progress:
    done: int
    total: int | None = None
    message: str = ""

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class Cancelled(Exception):
    """Raised inside a job when its token was cancelled; the job has left the store consistent."""


class CancelToken:
    """Thread-safe flag a job polls between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; returns True (early) when cancelled. Use for backoff waits."""
        return self._event.wait(seconds)


JobGen = Generator[Progress, None, Any]


class Throttle:
    """Pass on at most one Progress per ``interval_s``; ``flush`` returns the one held back, if any."""

    def __init__(self, interval_s: float = THROTTLE_S, clock: Callable[[], float] = time.monotonic):
        self.interval_s = interval_s
        self._clock = clock
        self._last = float("-inf")
        self._pending: Progress | None = None

    def offer(self, p: Progress) -> Progress | None:
        """``p`` when it may be reported now, else None (it is kept for ``flush``)."""
        now = self._clock()
        if now - self._last >= self.interval_s:
            self._last, self._pending = now, None
            return p
        self._pending = p
        return None

    def flush(self) -> Progress | None:
        p, self._pending = self._pending, None
        return p


def run_job(
    gen: Generator[Progress, None, T],
    on_progress: Callable[[Progress], None] | None = None,
    *,
    throttle_s: float = 0.0,
    cancel: CancelToken | None = None,
) -> T:
    """Drive a job generator to completion and return its result.

    Each Progress goes to ``on_progress`` (at most one per ``throttle_s``; the last one always).
    With ``cancel``, a cancelled token stops the job at its next yield: the generator is closed (its
    ``finally`` blocks run, open transactions roll back) and ``Cancelled`` is raised.
    """
    throttle = Throttle(throttle_s) if on_progress is not None and throttle_s > 0 else None
    while True:
        try:
            p = next(gen)
        except StopIteration as stop:
            if throttle is not None and (held := throttle.flush()) is not None:
                on_progress(held)  # type: ignore[misc]
            return stop.value
        if cancel is not None and cancel.cancelled:
            gen.close()
            raise Cancelled()
        if on_progress is not None and (throttle is None or throttle.offer(p) is not None):
            on_progress(p)
