"""The one split every model is measured with (docs/architecture.md §8).

On an account's collapsed, time-sorted sequence of ``n`` plays:

- **test**: the last 10% of plays (at least one when ``n >= 2``) are targets. For each target the
  model sees every earlier play — the training span plus the test plays before it — and is never
  retrained inside the test span. It is fitted on the training span ``[0, test_start)`` only.
- **validation**: the same rule applied to the training span: its last 10% are validation targets
  and a model tuning itself fits on the plays before them. Tuning never looks at the test span.
- **repeat / explore**: a target is a *repeat* when its track was played anywhere before it
  (training span or earlier in the test span), else *explore* (new to the listener).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TEST_FRACTION = 0.10
VALIDATION_FRACTION = 0.10


@dataclass(frozen=True)
class Split:
    """Targets are positions ``start .. n-1``; the model is fitted on ``[0, start)``."""

    n: int
    start: int

    @property
    def n_targets(self) -> int:
        return self.n - self.start

    @property
    def positions(self) -> np.ndarray:
        return np.arange(self.start, self.n, dtype=np.int64)


def holdout(n: int, fraction: float = TEST_FRACTION) -> Split:
    """The last ``fraction`` of ``n`` plays as targets (≥ 1 target and ≥ 1 earlier play when n ≥ 2)."""
    if n < 2:
        return Split(n, n)
    k = max(1, int(round(n * fraction)))
    return Split(n, max(1, n - k))


def test_split(n: int) -> Split:
    return holdout(n, TEST_FRACTION)


def validation_split(n_train: int, fraction: float = VALIDATION_FRACTION) -> Split:
    """Validation targets from the end of the training span ``[0, n_train)`` (a model that learns
    its blend from them may ask for a larger ``fraction``; it is still the end of the training span)."""
    return holdout(n_train, fraction)


def repeat_mask(items: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """For each position p: whether ``items[p]`` occurs in ``items[:p]``."""
    first = {}
    for i, it in enumerate(items.tolist()):
        first.setdefault(it, i)
    return np.fromiter((first[int(items[p])] < p for p in positions), dtype=bool, count=len(positions))
