"""Icons from resources/icons (SVG, rendered by Qt's svg plugin)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

from core import paths


def app_icon() -> QIcon:
    path = paths.resource("icons", "segue.svg")
    return QIcon(str(path)) if path.exists() else QIcon()
