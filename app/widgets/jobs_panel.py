"""Sidebar list of long jobs in flight (those that report progress), each with a bar and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QVBoxLayout, QWidget

from app.jobs import JobHandle, QtJobs
from app.widgets.common import format_progress


class _Row(QWidget):
    def __init__(self, handle: JobHandle, parent: QWidget | None = None):
        super().__init__(parent)
        self.handle = handle
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(3)
        top = QHBoxLayout()
        top.setSpacing(4)
        self.text = QLabel(handle.name)
        self.text.setProperty("role", "small")
        self.text.setWordWrap(True)
        top.addWidget(self.text, 1)
        self.stop = QToolButton()
        self.stop.setText("✕")
        self.stop.setProperty("flat", True)
        self.stop.setToolTip(f"Cancel: {handle.name}")
        self.stop.setAccessibleName(f"Cancel {handle.name}")
        self.stop.clicked.connect(self._cancel)
        top.addWidget(self.stop)
        lay.addLayout(top)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setRange(0, 0)
        lay.addWidget(self.bar)

    def update_progress(self, p) -> None:
        self.text.setText(f"{self.handle.name}\n{format_progress(p)}")
        self.text.setToolTip(self.text.text())
        if p.fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(p.fraction * 1000))

    def _cancel(self) -> None:
        self.handle.cancel()
        self.stop.setEnabled(False)
        self.text.setText(f"{self.handle.name}\nstopping…")


class JobsPanel(QWidget):
    def __init__(self, runner: QtJobs, parent: QWidget | None = None):
        """Shows jobs of ``runner`` and of any other source passed to :meth:`watch`."""
        super().__init__(parent)
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(4)
        self.rows: dict[int, _Row] = {}
        self.watch(runner)
        self.hide()

    def watch(self, source) -> None:
        """Follow jobs announced by ``source.jobStarted`` (``app.jobs.QtJobs``)."""
        source.jobStarted.connect(self._started)

    def _started(self, handle: JobHandle) -> None:
        # bound methods (not lambdas): Qt drops the connections when this panel is destroyed
        handle.progress.connect(self._on_progress)
        handle.done.connect(self._on_done)

    def _on_progress(self, p) -> None:
        self._progress(self.sender(), p)

    def _on_done(self) -> None:
        self._ended(self.sender())

    def _progress(self, handle: JobHandle, p) -> None:
        row = self.rows.get(id(handle))
        if row is None:
            row = _Row(handle, self)
            self.rows[id(handle)] = row
            self._lay.addWidget(row)
            self.show()
        row.update_progress(p)

    def _ended(self, handle: JobHandle) -> None:
        row = self.rows.pop(id(handle), None)
        if row is not None:
            row.deleteLater()
        if not self.rows:
            self.hide()
