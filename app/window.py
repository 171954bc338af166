"""The main window: sidebar (pages, account, running jobs), banners, and the page stack.

Keyboard: Ctrl+1..9 open pages in sidebar order, Ctrl+F focuses the current page's filter,
Ctrl+Q quits. Size, position and the open page are restored from ``window.ini`` in the data folder.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.pages.base import PAGES, Page
from app.widgets.banner import BannerArea, OverlayHost
from app.widgets.common import label
from app.widgets.jobs_panel import JobsPanel
from core import paths

DEFAULT_SIZE = (1280, 820)


def window_settings() -> QSettings:
    """Window state lives beside the user's data (never in the platform registry: tests stay isolated)."""
    return QSettings(str(paths.home() / "window.ini"), QSettings.Format.IniFormat)


class _Pages:
    """``window.pages[key]`` builds the page on first access and puts it in its place in the stack, so
    start-up builds only the page that opens first (page modules import charts, models probes ...)."""

    def __init__(self, window: MainWindow):
        self.window = window
        self.built: dict[str, Page] = {}

    def __getitem__(self, key: str) -> Page:
        page = self.built.get(key)
        if page is None:
            w = self.window
            page = w.specs[key].create(w.ctx)
            slot = w._slots.pop(key)
            index = w.stack.indexOf(slot)
            w.stack.insertWidget(index, page)
            w.stack.removeWidget(slot)
            slot.deleteLater()
            self.built[key] = page
        return page

    def __contains__(self, key: str) -> bool:
        return key in self.window.specs

    def keys(self):
        return list(self.window.order)


class MainWindow(QMainWindow):
    pageChanged = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Segue")
        self.setMinimumSize(900, 600)
        self.pages = _Pages(self)  # key -> Page, built the first time it is asked for
        self.order: list[str] = []

        root = QWidget()
        root.setObjectName("pageHost")
        outer = QHBoxLayout(root)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self._build_sidebar())

        self.banners = BannerArea()
        self.stack = QStackedWidget()
        self.stack.setObjectName("pages")
        # banners float over the page: showing or closing one never moves what is under the mouse
        outer.addWidget(OverlayHost(self.stack, self.banners), 1)
        self.setCentralWidget(root)

        self.specs = {}
        self._slots: dict[str, QWidget] = {}
        for spec in PAGES:
            self.specs[spec.key] = spec
            self.order.append(spec.key)
            slot = QWidget()  # stands in until the page is first shown: pages are built on demand
            self._slots[spec.key] = slot
            self.stack.addWidget(slot)
            item = QListWidgetItem(f"{spec.icon}   {spec.title}" if spec.icon else spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.key)
            item.setToolTip(f"{spec.title} (Ctrl+{len(self.order)})" if len(self.order) <= 9 else spec.title)
            self.nav.addItem(item)
        self.nav.currentRowChanged.connect(self._nav_changed)

        for i in range(min(9, len(self.order))):
            sc = QShortcut(QKeySequence(f"Ctrl+{i + 1}"), self)
            sc.activated.connect(lambda i=i: self.show_page(self.order[i]))
        QShortcut(QKeySequence.StandardKey.Find, self).activated.connect(self.focus_filter)
        QShortcut(QKeySequence("Ctrl+Q"), self).activated.connect(self.close)

        QApplication.instance().focusChanged.connect(self._focus_changed)
        ctx.notified.connect(self._notify)
        ctx.accountsChanged.connect(self._accounts_changed)
        ctx.accountChanged.connect(self._account_changed)

    # -- sidebar ----------------------------------------------------------------------------
    def _build_sidebar(self) -> QFrame:
        side = QFrame()
        side.setObjectName("sidebar")
        side.setFixedWidth(232)
        lay = QVBoxLayout(side)
        lay.setContentsMargins(14, 18, 14, 14)
        lay.setSpacing(6)
        word = label("Segue")
        word.setObjectName("wordmark")
        lay.addWidget(word)
        tag = label("your listening, locally")
        tag.setObjectName("tagline")
        lay.addWidget(tag)
        lay.addWidget(label("Account", "small"))
        self.account_box = QComboBox()
        self.account_box.setAccessibleName("Account")
        self.account_box.setToolTip("Whose listening the pages show")
        self.account_box.setPlaceholderText("No account yet")
        self.account_box.activated.connect(self._account_picked)
        lay.addWidget(self.account_box)
        self.account_info = label("", "small")
        self.account_info.setContentsMargins(4, 0, 0, 0)
        lay.addWidget(self.account_info)
        lay.addSpacing(8)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setAccessibleName("Pages")
        self.nav.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.nav.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay.addWidget(self.nav, 1)
        self.jobs_panel = JobsPanel(self.ctx.jobs)
        lay.addWidget(self.jobs_panel)
        return side

    def _accounts_changed(self, accounts: list) -> None:
        self.account_box.blockSignals(True)
        self.account_box.clear()
        for a in accounts:
            self.account_box.addItem(a.name, a.name)
            self.account_box.setItemData(
                self.account_box.count() - 1, f"{a.name}: {a.plays:,} plays", Qt.ItemDataRole.ToolTipRole
            )
        self._account_changed(self.ctx.account)
        self.account_box.blockSignals(False)

    def _account_changed(self, account) -> None:
        if account is None:
            self.account_box.setCurrentIndex(-1)
            self.account_info.setText("")
            return
        span = ""
        if account.first and account.last:
            from app import fmt

            span = f"\n{fmt.day(account.first)} – {fmt.day(account.last)}"
        self.account_info.setText(f"{account.plays:,} plays{span}")
        i = self.account_box.findData(account.name)
        if i >= 0 and i != self.account_box.currentIndex():
            self.account_box.setCurrentIndex(i)

    def _account_picked(self, index: int) -> None:
        name = self.account_box.itemData(index)
        if name:
            self.ctx.set_account(name)

    # -- pages ------------------------------------------------------------------------------
    @property
    def current_key(self) -> str:
        w = self.stack.currentWidget()
        return next((k for k, p in self.pages.built.items() if p is w), "")

    def show_page(self, key: str) -> None:
        if key in self.order:
            row = self.order.index(key)
            if self.nav.currentRow() == row:
                if self.current_key != key:  # highlighted before it was built (see restore_state)
                    self._nav_changed(row)
            else:
                self.nav.setCurrentRow(row)

    def _nav_changed(self, row: int) -> None:
        if row < 0:
            return
        key = self.order[row]
        page = self.pages[key]
        self.stack.setCurrentWidget(page)
        page.activated()
        focus = QApplication.focusWidget()
        if focus is None or not focus.isVisible():
            self.nav.setFocus(Qt.FocusReason.OtherFocusReason)  # keep keyboard focus in the window
        self.pageChanged.emit(key)

    def _focus_changed(self, _old, new) -> None:
        """A widget that loses focus by being disabled or hidden leaves none behind: keep it in the window so
        the keyboard (shortcuts, Tab) keeps working."""
        if new is None and self.isVisible():
            QTimer.singleShot(0, self._refocus)

    def _refocus(self) -> None:
        import shiboken6

        if not shiboken6.isValid(self):  # the window went away before the queued call ran
            return
        if QApplication.focusWidget() is None and self.isVisible():
            self.nav.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_filter(self) -> None:
        page = self.stack.currentWidget()
        if isinstance(page, Page):
            page.focus_filter()

    def _notify(self, message: str, kind: str, retry, action: str) -> None:
        self.banners.show_message(message, kind, retry, action)

    # -- state ------------------------------------------------------------------------------
    def restore_state(self, default_page: str = "suggestions") -> None:
        s = window_settings()
        size, pos = s.value("size"), s.value("pos")
        # size and position are restored separately: restoreGeometry() clamps to the screen it finds,
        # which shrinks the window on small or virtual screens
        self.resize(size if isinstance(size, QSize) and size.isValid() else QSize(*DEFAULT_SIZE))
        if isinstance(pos, QPoint) and QGuiApplication.screenAt(pos) is not None:
            self.move(pos)
        if str(s.value("maximized", "false")).lower() == "true":
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        page = s.value("page", default_page)
        self._first_page = page if page in self.order else default_page
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(self.order.index(self._first_page))  # highlighted at once ...
        self.nav.blockSignals(False)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        first = getattr(self, "_first_page", None)
        if first is not None:  # ... but built only once the window has painted: start-up shows a window fast
            self._first_page = None
            QTimer.singleShot(
                0, lambda: self._nav_changed(self.order.index(first)) if not self.current_key else None
            )

    def save_state(self) -> None:
        s = window_settings()
        maximized = self.isMaximized()
        s.setValue("maximized", maximized)
        if not maximized:
            s.setValue("size", self.size())
            s.setValue("pos", self.pos())
        s.setValue("page", self.current_key)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self.save_state()
        self.ctx.jobs.cancel_all()
        super().closeEvent(event)
