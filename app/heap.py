"""Keeping the cyclic garbage collector off the GUI thread's back.

A full (generation 2) collection walks every tracked object of the process — Qt wrappers, SQLAlchemy,
numpy, the loaded pages — while holding the GIL, so whichever thread triggers it, the GUI thread waits.
bench_gui_stall measured such passes at 114–142 ms with the 75k-play account open: they were the
only GUI stalls over 100 ms on a quiet machine. Objects alive once the library has opened live as
long as the app, so they are moved out of the collector's reach (``gc.freeze``); later collections walk
only what was created since. Reference counting still frees everything as usual.
"""

from __future__ import annotations

import gc


def freeze_long_lived() -> None:
    """Exempt every object alive now from future cyclic collections (called once the app settled)."""
    gc.freeze()


def thaw() -> None:
    """Give the frozen objects back to the collector (on shutdown, so a closed app's cycles can go)."""
    gc.unfreeze()
