"""Inline notifications: a readable sentence, an optional Retry, a close button — never a traceback.

``BannerArea`` stacks a few banners at the top of the window; a repeated message replaces the older
copy instead of piling up. Info and success banners fade out by themselves; errors, and any banner
that offers an action (the first-run welcome), stay until closed or acted on.

``OverlayHost`` floats the banners *over* the page's bottom edge instead of above the page: a banner
appearing or going never moves the page, so a click always lands on what was under the mouse, and
the page's title and controls at the top stay in sight.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsDropShadowEffect,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

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
        if self.kind in AUTO_HIDE_MS and retry is None:  # an offered action waits for the user
            QTimer.singleShot(AUTO_HIDE_MS[self.kind], self, self.dismiss)
        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(18)
        shadow.setOffset(0, 3)
        shadow.setColor(QColor(0, 0, 0, 70))
        self.setGraphicsEffect(shadow)

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
    """A vertical stack of banners (newest first, at most ``limit``); ``changed`` when one comes or goes."""

    changed = Signal()

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
        self.raise_()
        self.changed.emit()
        return banner

    def _forget(self, banner: Banner) -> None:
        if banner in self.banners:
            self.banners.remove(banner)
        if not self.banners:
            self.hide()
        self.changed.emit()

    def messages(self) -> list[tuple[str, str]]:
        return [(b.kind, b.message) for b in self.banners]


class OverlayHost(QWidget):
    """``content`` fills the host; ``banners`` float over its bottom edge (inset by ``margin``), sized
    to their text, and never take layout space from the content."""

    def __init__(
        self, content: QWidget, banners: BannerArea, margin: int = 20, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.content, self.banners, self.margin = content, banners, margin
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(content)
        banners.setParent(self)
        banners.changed.connect(self.place)
        self._watch = _Watcher(self.place, self)
        banners.installEventFilter(self._watch)

    def place(self) -> None:
        if not self.banners.banners:
            return
        width = max(200, self.width() - 2 * self.margin)
        lay = self.banners.layout()
        height = lay.totalHeightForWidth(width) if lay.hasHeightForWidth() else lay.totalSizeHint().height()
        height = max(1, min(height, self.height() - 2 * self.margin))
        self.banners.setGeometry(self.margin, self.height() - height - self.margin, width, height)
        self.banners.raise_()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.place()


class _Watcher(QObject):
    """Re-place the banners whenever their layout asks for another size (a banner shown or hidden)."""

    def __init__(self, callback, parent: QObject):
        super().__init__(parent)
        self.callback = callback

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Show):
            QTimer.singleShot(0, self, self.callback)  # with a context: dropped if the host is gone
        return False
