"""What a page is: a view that loads lazily through the context, and how the window finds pages.

Each page module defines a ``Page`` subclass (the view) and usually a small controller that talks to
core through ``ctx.run``. The window builds pages from :data:`PAGES` in order; shortcuts Ctrl+1..9
follow that order. A new page is one line in :data:`PAGES` (or ``register_page(spec, after=key)``).

Loading rule: a page reloads when it becomes visible *and* is stale (account or data changed while it
was hidden), so switching pages never triggers work for pages nobody looks at.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.context import AppContext


class Page(QWidget):
    """Base class: subclasses implement ``reload()`` and may implement ``focus_filter()``."""

    key = ""
    title = ""
    loadingChanged = Signal(bool)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"page-{self.key}")
        self._stale = True
        self._pending = 0
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(28, 22, 28, 22)
        self.outer.setSpacing(14)
        ctx.accountChanged.connect(self._invalidate)
        ctx.dataChanged.connect(self._invalidate)
        ctx.storeReady.connect(self._invalidate)

    # -- lifecycle --------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch what the page shows (through ``self.track(ctx.run(...))``)."""

    def focus_filter(self) -> bool:
        """Put keyboard focus in the page's filter field; False when the page has none."""
        return False

    def activated(self) -> None:
        """The window shows this page."""
        if self._stale and self.ctx.store is not None:
            self._stale = False
            self.reload()

    def _invalidate(self, *_args) -> None:
        self._stale = True
        if self.isVisible():
            self.activated()

    # -- loading bookkeeping (screenshots wait for it; tests too) ---------------------------
    def track(self, handle):
        """Count ``handle`` as a load in flight until it is done; returns it."""
        self._pending += 1
        if self._pending == 1:
            self.loadingChanged.emit(True)
        handle.done.connect(self._load_done)
        return handle

    def _load_done(self) -> None:
        self._pending = max(0, self._pending - 1)
        if self._pending == 0:
            self.loadingChanged.emit(False)

    @property
    def loading(self) -> bool:
        return self._pending > 0 or (self._stale and self.ctx.store is not None)


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    target: str  # "module:Class"
    icon: str = ""

    def create(self, ctx: AppContext) -> Page:
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)(ctx)


PAGES: list[PageSpec] = [
    PageSpec("suggestions", "Suggestions", "app.pages.suggestions:SuggestionsPage", "♫"),
    PageSpec("sessions", "Sessions", "app.pages.sessions:SessionsPage", "◷"),
    PageSpec("stats", "Library & stats", "app.pages.stats:StatsPage", "▦"),
    PageSpec("models", "Models", "app.pages.models:ModelsPage", "◈"),
    PageSpec("insights", "Insights", "app.pages.insights:InsightsPage", "◐"),
    PageSpec("accounts", "Accounts & import", "app.pages.accounts:AccountsPage", "⇅"),
    PageSpec("settings", "Settings", "app.pages.settings:SettingsPage", "⚙"),
]


def register_page(spec: PageSpec, after: str | None = None) -> None:
    """Add (or replace) a page; ``after`` is the key it follows (default: before Settings)."""
    existing = [i for i, p in enumerate(PAGES) if p.key == spec.key]
    if existing:
        PAGES[existing[0]] = spec
        return
    keys = [p.key for p in PAGES]
    if after in keys:
        PAGES.insert(keys.index(after) + 1, spec)
    elif "settings" in keys:
        PAGES.insert(keys.index("settings"), spec)
    else:
        PAGES.append(spec)
