"""Inline notifications: a readable sentence, an optional Retry, a close button — never a traceback.

``BannerArea`` stacks a few banners at the top of the window; a repeated message replaces the older
copy instead of piling up. Info and success banners fade out by themselves; errors stay until closed
or retried.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

ICONS = {"info": "ℹ", "success": "✓", "warning": "!", "error": "⚠"}
AUTO_HIDE_MS = {"info": 6000, "success": 5000}


class Banner(QFrame):
    closed = Signal()

    def __init__(
        self,
        message: str,
        kind: str = "info",
        retry: Callable[[], Any] | None = None,
        action_text: str = "Retry",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.kind = kind if kind in ICONS else "info"
        self.message = message
        self.retry = retry
        self.setProperty("banner", self.kind)
        self.setAccessibleName(f"{self.kind} message")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 6, 6, 6)
        lay.setSpacing(10)
        icon = QLabel(ICONS[self.kind])
        icon.setStyleSheet("font-weight: 700;")
        self.text = QLabel(message)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.text, 1)
        self.retry_button: QPushButton | None = None
        if retry is not None:
            self.retry_button = QPushButton(action_text)
            self.retry_button.clicked.connect(self._retry)
            lay.addWidget(self.retry_button, 0, Qt.AlignmentFlag.AlignVCenter)
        close = QToolButton()
        close.setText("✕")
        close.setProperty("flat", True)
        close.setToolTip("Dismiss")
        close.setAccessibleName("Dismiss message")
        close.clicked.connect(self.dismiss)
        lay.addWidget(close, 0, Qt.AlignmentFlag.AlignVCenter)
        if self.kind in AUTO_HIDE_MS:
            QTimer.singleShot(AUTO_HIDE_MS[self.kind], self.dismiss)

    def _retry(self) -> None:
        callback = self.retry
        self.dismiss()
        if callback is not None:
            callback()

    def dismiss(self) -> None:
        if self.isVisible() or self.parent() is not None:
            self.hide()
            self.closed.emit()
            self.deleteLater()


class BannerArea(QWidget):
    """A vertical stack of banners (newest first, at most ``limit``)."""

    def __init__(self, parent: QWidget | None = None, limit: int = 3):
        super().__init__(parent)
        self.limit = limit
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(6)
        self.banners: list[Banner] = []
        self.hide()

    def show_message(
        self,
        message: str,
        kind: str = "info",
        retry: Callable[[], Any] | None = None,
        action_text: str = "Retry",
    ) -> Banner:
        for old in list(self.banners):
            if old.message == message:
                old.dismiss()
        banner = Banner(message, kind, retry, action_text, self)
        banner.closed.connect(lambda b=banner: self._forget(b))
        self.banners.insert(0, banner)
        self._lay.insertWidget(0, banner)
        while len(self.banners) > self.limit:
            self.banners[-1].dismiss()
        self.show()
        return banner

    def _forget(self, banner: Banner) -> None:
        if banner in self.banners:
            self.banners.remove(banner)
        if not self.banners:
            self.hide()

    def messages(self) -> list[tuple[str, str]]:
        return [(b.kind, b.message) for b in self.banners]
