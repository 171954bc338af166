"""Startup probe for benchmarks: ``SEGUE_STARTUP_PROBE=FILE`` makes ``segue`` write the moment its main
window first paints to FILE (JSON) and quit.

It is the same measurement for every way Segue runs — the venv (``python -m app``), the PyInstaller
folder build, the AppImage — so ``benchmarks/bench_gui_startup.py --exe`` can compare them side by side.
``BENCH_T0`` (epoch seconds, set by the parent just before it starts the process) is the zero.
"""

from __future__ import annotations

import json
import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow


class _FirstPaint(QObject):
    def __init__(self, out: str, t0: float):
        super().__init__()
        self.out, self.t0, self.done = out, t0, False

    def eventFilter(self, obj, ev):  # noqa: N802 - Qt's name
        if not self.done and ev.type() == QEvent.Type.Paint and isinstance(obj, QMainWindow):
            self.done = True
            marks = {
                "first_paint_s": round(time.time() - self.t0, 3),
                "first_paint_cpu_s": round(time.process_time(), 3),
                "frozen": bool(getattr(sys, "frozen", False)),
            }
            with open(self.out, "w", encoding="utf-8") as fh:
                json.dump(marks, fh)
            QTimer.singleShot(0, QApplication.quit)
        return False


def install() -> QObject:
    """Create the QApplication early and watch for the main window's first paint."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    probe = _FirstPaint(os.environ["SEGUE_STARTUP_PROBE"], float(os.environ.get("BENCH_T0", time.time())))
    app.installEventFilter(probe)
    return probe
