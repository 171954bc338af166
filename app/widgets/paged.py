"""A Qt table model over paged queries: rows arrive a page at a time, fetched off the GUI thread.

The view asks ``canFetchMore``/``fetchMore`` when it scrolls near the end; ``fetchMore`` submits the
next page to the job runner and returns at once; rows are inserted when the page arrives. ``reset``
starts over with a new fetcher (a new filter); pages of an older fetcher that arrive late are dropped.

A fetcher is ``fetch(cursor, limit) -> (rows, next_cursor)``; ``next_cursor is None`` means no more.
Columns are ``Column(title, value, align, tooltip)`` with ``value(row) -> str``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from app.jobs import QtJobs

Fetcher = Callable[[Any, int], tuple[list[Any], Any]]
_INDEX = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class Column:
    title: str
    value: Callable[[Any], str]
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft
    tooltip: Callable[[Any], str] | None = None
    foreground: Callable[[Any], Any] | None = None


ROW_ROLE = Qt.ItemDataRole.UserRole + 1


class PagedTableModel(QAbstractTableModel):
    loadingChanged = Signal(bool)
    pageLoaded = Signal(int)  # rows in the model after the page
    failed = Signal(object)  # JobError

    def __init__(self, runner: QtJobs, columns: list[Column], page_size: int = 200, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.columns = columns
        self.page_size = page_size
        self.rows: list[Any] = []
        self._fetch: Fetcher | None = None
        self._cursor: Any = None
        self._exhausted = True
        self._inflight = None
        self._generation = 0

    # -- feeding ----------------------------------------------------------------------------
    def reset(self, fetch: Fetcher | None) -> None:
        """Drop all rows and start paging with ``fetch`` (None: stay empty)."""
        self._generation += 1
        if self._inflight is not None:
            self._inflight.cancel()
            self._inflight = None
            self.loadingChanged.emit(False)
        self.beginResetModel()
        self.rows = []
        self._fetch = fetch
        self._cursor = None
        self._exhausted = fetch is None
        self.endResetModel()
        if fetch is not None:
            self.fetchMore(QModelIndex())

    @property
    def loading(self) -> bool:
        return self._inflight is not None

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    def canFetchMore(self, parent: _INDEX = QModelIndex()) -> bool:  # noqa: N802,B008 - Qt API
        return not parent.isValid() and not self._exhausted and self._inflight is None

    def fetchMore(self, parent: _INDEX = QModelIndex()) -> None:  # noqa: N802,B008 - Qt API
        if parent.isValid() or self._exhausted or self._inflight is not None or self._fetch is None:
            return
        gen, fetch, cursor, size = self._generation, self._fetch, self._cursor, self.page_size
        handle = self.runner.call("Loading rows", fetch, cursor, size)
        self._inflight = handle
        self.loadingChanged.emit(True)
        handle.finished.connect(lambda result, g=gen: self._arrived(g, result))
        handle.failed.connect(lambda err, g=gen: self._failed(g, err))

    def _arrived(self, gen: int, result: tuple[list[Any], Any]) -> None:
        if gen != self._generation:
            return
        self._inflight = None
        rows, nxt = result
        if rows:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        self._cursor = nxt
        self._exhausted = nxt is None
        self.loadingChanged.emit(False)
        self.pageLoaded.emit(len(self.rows))

    def _failed(self, gen: int, err) -> None:
        if gen != self._generation:
            return
        self._inflight = None
        self._exhausted = True
        self.loadingChanged.emit(False)
        self.failed.emit(err)

    def retry(self) -> None:
        """After a failure: continue from where the last page ended."""
        if self._fetch is not None and self._inflight is None:
            self._exhausted = False
            self.fetchMore(QModelIndex())

    # -- Qt model ---------------------------------------------------------------------------
    def rowCount(self, parent: _INDEX = QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _INDEX = QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(self.columns)

    def row(self, i: int) -> Any:
        return self.rows[i]

    def data(self, index: _INDEX, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        row = self.rows[index.row()]
        col = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return col.value(row)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(col.align | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return col.tooltip(row) if col.tooltip else col.value(row)
        if role == Qt.ItemDataRole.ForegroundRole and col.foreground is not None:
            return col.foreground(row)
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section].title
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.TextAlignmentRole:
            return int(self.columns[section].align | Qt.AlignmentFlag.AlignVCenter)
        return None


class ListTableModel(QAbstractTableModel):
    """A plain table model over a Python list already in memory (short lists: tracks of a session)."""

    def __init__(self, columns: list[Column], parent=None):
        super().__init__(parent)
        self.columns = columns
        self.rows: list[Any] = []

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: _INDEX = QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _INDEX = QModelIndex()) -> int:  # noqa: N802,B008
        return 0 if parent.isValid() else len(self.columns)

    data = PagedTableModel.data
    headerData = PagedTableModel.headerData  # noqa: N815
