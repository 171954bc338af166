"""Peak resident memory of this process over a block of work.

Method: a daemon thread samples ``psutil.Process().memory_info().rss`` every ``interval`` seconds
(20 ms by default) plus once at entry and once at exit; the peak is the largest sample. This sees
memory released again inside the block (a monotonic ``ru_maxrss`` cannot, and it would carry the
high-water mark of earlier work in the same process), at the cost of missing spikes shorter than the
interval. The runner reports the absolute process peak (interpreter, libraries and data included)
and, separately, the RSS at entry; run each model in its own process (``isolate``) for figures that
do not depend on what ran before.
"""

from __future__ import annotations

import threading

import psutil


class PeakRSS:
    """``with PeakRSS() as m: ...`` then ``m.peak_mb`` and ``m.start_mb``."""

    def __init__(self, interval: float = 0.02):
        self.interval = interval
        self._proc = psutil.Process()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.start_bytes = 0
        self.peak_bytes = 0

    def _sample(self) -> None:
        rss = self._proc.memory_info().rss
        if rss > self.peak_bytes:
            self.peak_bytes = rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakRSS:
        self.start_bytes = self._proc.memory_info().rss
        self.peak_bytes = self.start_bytes
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    @property
    def peak_mb(self) -> float:
        return self.peak_bytes / 2**20

    @property
    def start_mb(self) -> float:
        return self.start_bytes / 2**20
