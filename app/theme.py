"""Light and dark themes from resources/themes, following the system's colour scheme by default.

A theme file (``light.qss``/``dark.qss``) starts with an ``@palette`` comment block of ``name: #hex``
lines; those tokens fill ``base.qss`` and are also what custom-painted widgets (heatmap, charts,
timeline) read through :func:`color`, so everything changes together. ``ThemeManager.changed`` fires
after a switch so painted widgets can restyle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from core import paths

_PALETTE_RE = re.compile(r"/\*\s*@palette(.*?)\*/", re.S)
_TOKEN_RE = re.compile(r"@([A-Za-z][A-Za-z0-9]*)")
MODES = ("system", "light", "dark")


@dataclass
class Theme:
    name: str
    colors: dict[str, str]
    qss: str

    def color(self, token: str) -> QColor:
        return QColor(self.colors.get(token, "#FF00FF"))


def load_theme(name: str) -> Theme:
    """Parse ``resources/themes/<name>.qss`` and fill ``base.qss`` with its palette."""
    folder = paths.resource("themes")
    text = (folder / f"{name}.qss").read_text(encoding="utf-8")
    m = _PALETTE_RE.search(text)
    colors: dict[str, str] = {}
    if m:
        for line in m.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip():
                colors[key.strip()] = value.strip()
    colors.setdefault("scheme", "dark" if name == "dark" else "light")
    colors.setdefault("icons", paths.resource("icons").as_posix())
    extra = _PALETTE_RE.sub("", text)
    base = (folder / "base.qss").read_text(encoding="utf-8")

    def fill(match: re.Match) -> str:
        return colors.get(match.group(1), match.group(0))

    qss = _TOKEN_RE.sub(fill, base + "\n" + extra)
    return Theme(name, colors, qss)


def system_scheme() -> str:
    """'dark' when the platform says so, else 'light' (Unknown counts as light)."""
    hints = QGuiApplication.styleHints()
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


def _palette(theme: Theme) -> QPalette:
    c = theme.color
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: "window",
        QPalette.ColorRole.WindowText: "text",
        QPalette.ColorRole.Base: "surface",
        QPalette.ColorRole.AlternateBase: "alt",
        QPalette.ColorRole.Text: "text",
        QPalette.ColorRole.Button: "surface",
        QPalette.ColorRole.ButtonText: "text",
        QPalette.ColorRole.Highlight: "accent",
        QPalette.ColorRole.HighlightedText: "onAccent",
        QPalette.ColorRole.ToolTipBase: "surface",
        QPalette.ColorRole.ToolTipText: "text",
        QPalette.ColorRole.PlaceholderText: "muted",
        QPalette.ColorRole.Link: "accent",
        QPalette.ColorRole.Mid: "border",
    }
    for role, token in roles.items():
        pal.setColor(role, c(token))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, c("disabled"))
    return pal


class ThemeManager(QObject):
    """Applies the chosen mode (system | light | dark) and follows the system when asked to."""

    changed = Signal(object)  # Theme

    _instance: ThemeManager | None = None

    def __init__(self, app: QApplication, mode: str = "system"):
        super().__init__(app)
        self.app = app
        self.mode = mode if mode in MODES else "system"
        self.theme: Theme | None = None
        ThemeManager._instance = self
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_changed)
        app.setStyle("Fusion")
        self.apply()

    @classmethod
    def instance(cls) -> ThemeManager | None:
        return cls._instance

    def effective(self) -> str:
        return system_scheme() if self.mode == "system" else self.mode

    def set_mode(self, mode: str) -> None:
        self.mode = mode if mode in MODES else "system"
        self.apply()

    def apply(self) -> None:
        name = self.effective()
        if self.theme is not None and self.theme.name == name:
            return
        self.theme = load_theme(name)
        self.app.setPalette(_palette(self.theme))
        self.app.setStyleSheet(self.theme.qss)
        self.changed.emit(self.theme)

    def _system_changed(self, _scheme) -> None:
        if self.mode == "system":
            self.apply()


_FALLBACK: Theme | None = None


def current() -> Theme:
    """The active theme (the light one when no manager exists, e.g. a widget test)."""
    global _FALLBACK
    mgr = ThemeManager.instance()
    if mgr is not None and mgr.theme is not None:
        return mgr.theme
    if _FALLBACK is None:
        _FALLBACK = load_theme("light")
    return _FALLBACK


def color(token: str) -> QColor:
    return current().color(token)


def on_change(callback) -> None:
    """Call ``callback(theme)`` after every theme switch (no-op without a manager). Pass a bound method
    of a QObject: Qt then drops the connection when that object is destroyed."""
    mgr = ThemeManager.instance()
    if mgr is not None:
        mgr.changed.connect(callback)
