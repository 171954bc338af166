"""Render resources/icons/segue.svg to the per-platform icons in packaging/icons (run after editing the SVG).

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py

Writes segue-<size>.png (16…512, the Linux hicolor sizes), segue.ico (Windows) and segue.icns (macOS)
with Qt's own image plugins — no extra tools needed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QImageWriter, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SVG = ROOT / "resources" / "icons" / "segue.svg"
OUT = ROOT / "packaging" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render(size: int) -> QImage:
    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    painter = QPainter(img)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    return img


def main() -> int:
    _app = QGuiApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    for size in SIZES:
        render(size).save(str(OUT / f"segue-{size}.png"))
    for fmt, name, size in (("ico", "segue.ico", 256), ("icns", "segue.icns", 512)):
        writer = QImageWriter(str(OUT / name), fmt.encode())
        if not writer.write(render(size)):
            print(f"could not write {name}: {writer.errorString()}", file=sys.stderr)
    print("\n".join(sorted(p.name for p in OUT.iterdir())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
