"""Editors built from the settings table (``core.settings``): one per field, chosen by type and spec.

``editor(name, value, save)`` returns an :class:`Editor` whose ``widget`` goes into a form row
labelled ``spec.label``; it calls ``save(name, value)`` when editing finishes (a text field: on
leaving it; a number: on leaving the box; a choice: at once). The page adds what is not a plain
setting (secrets, buttons) around these rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.widgets.common import Segmented, button
from core import paths
from core.settings import Settings, spec_of

Save = Callable[[str, Any], None]


class Editor:
    """A field's widget with ``set`` (show a value without saving it)."""

    def __init__(self, widget: QWidget, set_value: Callable[[Any], None], live: bool):
        self.widget = widget
        self.set = set_value
        self.live = live  # False for text: a refresh must not overwrite what the user is typing


def editor(name: str, value: Any, save: Save) -> Editor:
    spec = spec_of(name)
    if spec.choices and isinstance(value, list):
        return _checks(name, value, save)
    if spec.choices:
        seg = Segmented(list(spec.choices), value)
        seg.setAccessibleName(spec.label)
        seg.changed.connect(lambda v: save(name, v))
        return Editor(seg, lambda v: seg.set_current(v, emit=False), True)
    if isinstance(value, bool):
        return _check(name, value, save)
    if isinstance(value, int):
        return _spin(name, value, save)
    return _text(name, value, save)


def _check(name: str, value: bool, save: Save) -> Editor:
    """A checkbox whose sentence wraps: the row's label names the setting, the sentence says what it
    does (a QCheckBox's own text never wraps, so a long one widened the whole page)."""
    spec = spec_of(name)
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    box = QCheckBox()
    box.setAccessibleName(spec.label)
    box.setChecked(value)
    box.toggled.connect(lambda on: save(name, bool(on)))
    lay.addWidget(box, 0, Qt.AlignmentFlag.AlignTop)
    if spec.help:
        words = QLabel(spec.help)
        words.setWordWrap(True)
        words.mousePressEvent = lambda _e: box.toggle()  # type: ignore[method-assign]
        lay.addWidget(words, 1)
    else:
        lay.addStretch(1)
    row.box = box  # type: ignore[attr-defined]

    def show(v: bool) -> None:
        box.blockSignals(True)
        box.setChecked(bool(v))
        box.blockSignals(False)

    return Editor(row, show, True)


def _spin(name: str, value: int, save: Save) -> Editor:
    spec = spec_of(name)
    box = QSpinBox()
    box.setRange(int(spec.minimum or 0), int(spec.maximum if spec.maximum is not None else 1_000_000))
    if spec.step:
        box.setSingleStep(int(spec.step))
    if spec.suffix:
        box.setSuffix(spec.suffix)
    if spec.special:
        box.setSpecialValueText(spec.special)
    if spec.help:
        box.setToolTip(spec.help)
    box.setAccessibleName(spec.label)
    box.setValue(value)
    box.editingFinished.connect(lambda: save(name, box.value()))
    return Editor(box, box.setValue, True)


def _text(name: str, value: str, save: Save) -> Editor:
    spec = spec_of(name)
    edit = QLineEdit(value)
    edit.setPlaceholderText(spec.placeholder)
    edit.setAccessibleName(spec.label)
    if spec.help:
        edit.setToolTip(spec.help)
    edit.editingFinished.connect(lambda: save(name, edit.text().strip()))
    if spec.kind != "folder":
        return Editor(edit, edit.setText, False)
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    pick = button("Choose…")
    lay.addWidget(pick)

    def choose() -> None:
        path = QFileDialog.getExistingDirectory(row, spec.label, edit.text() or str(paths.home()))
        if path:
            edit.setText(path)
            save(name, path)

    pick.clicked.connect(choose)
    row.edit = edit  # type: ignore[attr-defined]
    return Editor(row, edit.setText, False)


def _checks(name: str, value: list[str], save: Save) -> Editor:
    spec = spec_of(name)
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    boxes: dict[str, QCheckBox] = {}
    for key, text in spec.choices:
        cb = QCheckBox(text)
        cb.setChecked(key in value)
        cb.toggled.connect(lambda _on: save(name, [k for k, c in boxes.items() if c.isChecked()]))
        boxes[key] = cb
        lay.addWidget(cb)
    box.checks = boxes  # type: ignore[attr-defined]

    def show(v: list[str]) -> None:
        for key, cb in boxes.items():
            cb.blockSignals(True)
            cb.setChecked(key in v)
            cb.blockSignals(False)

    return Editor(box, show, True)


def refresh(editors: dict[str, Editor], settings: Settings) -> None:
    """Show changed values of live editors (numbers, choices) after the settings changed elsewhere."""
    for name, ed in editors.items():
        if ed.live:
            ed.set(getattr(settings, name))
