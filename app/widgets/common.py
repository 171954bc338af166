"""Small building blocks shared by pages: labels by role, stat cards, segmented toggles, a job row."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.jobs import Progress


def label(text: str = "", role: str | None = None, wrap: bool = False) -> QLabel:
    lab = QLabel(text)
    if role:
        lab.setProperty("role", role)
    lab.setWordWrap(wrap)
    return lab


def notice(text: str) -> QLabel:
    """A dashed box explaining why something is empty or not available yet."""
    lab = label(text, "notice", wrap=True)
    lab.setTextFormat(Qt.TextFormat.RichText)
    lab.setOpenExternalLinks(True)
    lab.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    return lab


def button(text: str, accent: bool = False, danger: bool = False, tip: str = "") -> QPushButton:
    b = QPushButton(text)
    if accent:
        b.setProperty("accent", True)
    if danger:
        b.setProperty("danger", True)
    if tip:
        b.setToolTip(tip)
    b.setAccessibleName(text.replace("&", "").replace("…", ""))
    return b


def card(parent: QWidget | None = None) -> QFrame:
    f = QFrame(parent)
    f.setProperty("card", True)
    return f


def page_scroll(body: QWidget) -> QScrollArea:
    """A page's frameless, resizable scroll area around ``body`` (styled as ``scrollBody``)."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    body.setObjectName("scrollBody")
    scroll.setWidget(body)
    return scroll


class _Reflow(QObject):
    def __init__(self, layout: QBoxLayout, watched: QWidget, min_width: int):
        super().__init__(watched)
        self.layout, self.min_width = layout, min_width
        watched.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Resize:
            wide = obj.width() >= self.min_width
            direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
            if self.layout.direction() != direction:
                self.layout.setDirection(direction)
        return False


def reflow_columns(layout: QBoxLayout, watched: QWidget, min_width: int) -> None:
    """Side-by-side columns while ``watched`` is at least ``min_width`` wide, stacked below each other
    when it is narrower — a page reflows instead of scrolling sideways."""
    _Reflow(layout, watched, min_width)


class PageHeader(QWidget):
    """Title, a muted subtitle and room for controls on the right."""

    def __init__(self, title: str, subtitle: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(10)
        left = QVBoxLayout()
        left.setSpacing(0)
        self.title = label(title, "title")
        self.subtitle = label(subtitle, "subtitle", wrap=True)  # wraps in a narrow window, never clipped
        self.subtitle.setVisible(bool(subtitle))
        left.addWidget(self.title)
        left.addWidget(self.subtitle)
        lay.addLayout(left, 1)
        self.controls = QHBoxLayout()
        self.controls.setSpacing(8)
        lay.addLayout(self.controls)

    def set_subtitle(self, text: str) -> None:
        self.subtitle.setText(text)
        self.subtitle.setVisible(bool(text))

    def add(self, widget: QWidget) -> QWidget:
        self.controls.addWidget(widget, 0, Qt.AlignmentFlag.AlignVCenter)
        return widget


class StatCard(QFrame):
    """A number with a caption and an optional note ("longest streak", "12 days", "2021-05-01 …")."""

    def __init__(self, caption: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setProperty("card", True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(14, 10, 14, 10)
        lay.setSpacing(1)
        self.caption = label(caption, "cardLabel")
        self.value = label("–", "cardValue")
        self.note = label("", "cardNote")
        lay.addWidget(self.caption)
        lay.addWidget(self.value)
        lay.addWidget(self.note)

    def set(self, value: str, note: str = "") -> None:
        self.value.setText(value)
        self.note.setText(note)
        self.setToolTip(f"{self.caption.text()}: {value} {note}".strip())


class Segmented(QWidget):
    """Mutually exclusive toggle buttons; ``changed(key)`` when the choice changes."""

    changed = Signal(str)

    def __init__(
        self, options: list[tuple[str, str]], current: str | None = None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, QToolButton] = {}
        for i, (key, text) in enumerate(options):
            b = QToolButton()
            b.setText(text)
            b.setCheckable(True)
            b.setProperty("segment", True)
            b.setProperty("segmentFirst", i == 0)
            b.setProperty("segmentLast", i == len(options) - 1)
            b.setAccessibleName(text)
            self.group.addButton(b)
            self.buttons[key] = b
            lay.addWidget(b)
            b.toggled.connect(lambda on, k=key: on and self.changed.emit(k))
        self.set_current(current or options[0][0], emit=False)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Reserve each button's width for its checked look: the theme draws the chosen segment in a
        heavier weight, and Qt sizes a button for its plain font, so a long chosen label was clipped."""
        super().showEvent(event)
        for b in self.buttons.values():
            b.ensurePolished()
            bold = QFont(b.font())
            bold.setWeight(QFont.Weight.DemiBold)
            extra = QFontMetrics(bold).horizontalAdvance(b.text()) - b.fontMetrics().horizontalAdvance(
                b.text()
            )
            b.setMinimumWidth(b.sizeHint().width() + max(0, extra))

    def current(self) -> str:
        for key, b in self.buttons.items():
            if b.isChecked():
                return key
        return next(iter(self.buttons))

    def set_current(self, key: str, emit: bool = True) -> None:
        b = self.buttons.get(key)
        if b is None:
            return
        if not emit:
            b.blockSignals(True)
            b.setChecked(True)
            b.blockSignals(False)
        else:
            b.setChecked(True)


def format_progress(p: Progress | None) -> str:
    if p is None:
        return ""
    if p.fraction is not None:
        return f"{p.message} — {p.fraction:.0%}" if p.message else f"{p.fraction:.0%}"
    return p.message


class JobRow(QWidget):
    """Progress of one running job with a Cancel button; hides itself when the job ends."""

    def __init__(self, parent: QWidget | None = None, cancel_text: str = "Cancel"):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        top = QHBoxLayout()
        self.text = label("", "muted")
        self.text.setWordWrap(True)
        self.cancel_button = QPushButton(cancel_text)
        self.cancel_button.setAccessibleName("Cancel the running job")
        top.addWidget(self.text, 1)
        top.addWidget(self.cancel_button)
        lay.addLayout(top)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        lay.addWidget(self.bar)
        self.handle = None
        self.cancel_button.clicked.connect(self._cancel)
        self.hide()

    def track(self, handle, title: str, describe=None) -> None:
        """Follow ``handle``; ``describe(progress) -> str`` may put its messages in plainer words."""
        self.handle = handle
        self.title = title
        self.describe = describe or format_progress
        self.text.setText(f"{title}…")
        self.bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.show()
        handle.progress.connect(self._progress)
        handle.done.connect(self._done)

    def _progress(self, p: Progress) -> None:
        self.text.setText(f"{self.title}: {self.describe(p)}")
        if p.fraction is None:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(int(p.fraction * 1000))

    def _cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.cancel_button.setEnabled(False)
            self.text.setText(f"{self.title}: stopping…")

    def _done(self) -> None:
        self.handle = None
        self.hide()


class EmptyState(QWidget):
    """A list/table that shows a sentence instead of an empty grid while its model has no rows."""

    def __init__(self, view: QWidget, model, text: str, parent: QWidget | None = None):
        super().__init__(parent)
        from PySide6.QtWidgets import QStackedLayout

        self.view, self.model = view, model
        self.stack = QStackedLayout(self)
        self.stack.setContentsMargins(0, 0, 0, 0)
        self.empty = notice(text)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(view)
        self.stack.addWidget(self.empty)
        for sig in (model.modelReset, model.rowsInserted, model.rowsRemoved):
            sig.connect(self._update)
        self._update()

    def set_text(self, text: str) -> None:
        self.empty.setText(text)

    def _update(self, *_args) -> None:
        self.stack.setCurrentWidget(self.view if self.model.rowCount() else self.empty)
