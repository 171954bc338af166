"""Album covers for lists: the Cover Art Archive images the ``art`` feature provider saved, loaded and
scaled off the GUI thread, kept in a small in-memory cache.

``ArtCache.request(engine, album_ids)`` looks the files up in the ``artwork`` table and decodes them
in a job (``QImage`` is safe outside the GUI thread); ``ready`` fires on the GUI thread when new covers
are in, and ``pixmap(album_id)`` answers from the cache (None: no cover, or not loaded yet).
"""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage, QPixmap

SIZE = 44  # decoded size in pixels (rows draw it at 22 px; 2× for high-DPI screens)
LIMIT = 400


def load_covers(engine, album_ids: list[int], size: int = SIZE) -> dict[int, QImage | None]:
    """{album id: scaled image or None (no cover / unreadable file)} — runs in a job."""
    from pathlib import Path

    from sqlalchemy import select

    from core.store.schema import Artwork

    paths: dict[int, str] = {}
    with engine.connect() as conn:
        for i in range(0, len(album_ids), 500):
            part = album_ids[i : i + 500]
            stmt = select(Artwork.album_id, Artwork.path).where(Artwork.album_id.in_(part))
            paths.update({a: p for a, p in conn.execute(stmt) if p})
    out: dict[int, QImage | None] = {}
    for album_id in album_ids:
        path = paths.get(album_id)
        image = QImage(path) if path and Path(path).is_file() else QImage()
        out[album_id] = (
            None
            if image.isNull()
            else image.scaled(
                size,
                size,
                Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                Qt.TransformationMode.SmoothTransformation,
            )
        )
    return out


class ArtCache(QObject):
    ready = Signal()

    def __init__(self, jobs, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs = jobs
        self._pixmaps: OrderedDict[int, QPixmap | None] = OrderedDict()
        self._asked: set[int] = set()

    def pixmap(self, album_id: int | None) -> QPixmap | None:
        if album_id is None:
            return None
        return self._pixmaps.get(int(album_id))

    def request(self, engine, album_ids) -> None:
        wanted = [int(a) for a in album_ids if a is not None and int(a) not in self._asked]
        if not wanted or engine is None:
            return
        self._asked.update(wanted)
        handle = self.jobs.call("Loading album covers", load_covers, engine, wanted)
        handle.finished.connect(self._loaded)

    def _loaded(self, images: dict) -> None:
        for album_id, image in images.items():
            self._pixmaps[album_id] = QPixmap.fromImage(image) if image is not None else None
        while len(self._pixmaps) > LIMIT:
            old, _ = self._pixmaps.popitem(last=False)
            self._asked.discard(old)
        if any(v is not None for v in images.values()):
            self.ready.emit()
