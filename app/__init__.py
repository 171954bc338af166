"""Segue's PySide6 desktop app — the only package that imports Qt."""

from __future__ import annotations

import sys


def _guard_pyside_none_refcount() -> None:
    """PySide6 6.12.0 on Python < 3.12 drops a reference to ``None`` on every call of a void C++ method
    (it assumes PEP 683's immortal ``None``); after a few thousand calls CPython aborts with
    "none_dealloc". Segue pins 6.11.x; should 6.12.0 be installed anyway, give ``None`` a reference
    count no app session can exhaust, so the window does not crash."""
    if sys.version_info >= (3, 12):
        return
    try:
        from importlib.metadata import version

        broken = version("shiboken6").startswith("6.12.")
    except Exception:  # noqa: BLE001 - no metadata: nothing to guard
        return
    if broken:
        import ctypes

        ctypes.c_ssize_t.from_address(id(None)).value += 1 << 40


_guard_pyside_none_refcount()
