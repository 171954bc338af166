"""Self-check widgets: a questionnaire form (K10, HUMS: every item, five labelled choices, saved only
when complete) and the list of saved answers with their dates, each deletable, all deletable."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.widgets.common import button, label

K10_STEM = "In the past 30 days, about how often did you feel…"


def describe(row: dict) -> str:
    """A saved result in neutral words (scores as published; not a diagnosis)."""
    if row["instrument"] == "k10":
        return (
            f"K10: {row['total']} (scale 10–50), in the band usually labelled “{row['band']}” "
            f"(10–15 low, 16–21 moderate, 22–29 high, 30–50 very high)"
        )
    return (
        f"HUMS: healthy use {row['healthy']:.1f}, unhealthy use {row['unhealthy']:.1f} "
        f"(each 1–5; no cut-offs are published)"
    )


class QuestionnaireForm(QFrame):
    """One instrument's items as rows of five radio buttons; ``submitted(key, answers 1-5)``."""

    submitted = Signal(str, list)
    cancelled = Signal()

    def __init__(self, instrument, parent: QWidget | None = None):
        super().__init__(parent)
        self.instrument = instrument
        self.setProperty("card", True)
        self.setObjectName(f"form-{instrument.key}")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 12)
        lay.setSpacing(8)
        lay.addWidget(label(instrument.title, "section"))
        lay.addWidget(label(instrument.intro, wrap=True))
        if instrument.key == "k10":
            stem = label(K10_STEM)
            stem.setStyleSheet("font-weight: 600;")
            lay.addWidget(stem)
        grid = QGridLayout()
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(7)
        for j, option in enumerate(instrument.options):
            head = label(option, "small", wrap=True)
            head.setAlignment(Qt.AlignmentFlag.AlignCenter)
            head.setFixedWidth(92)
            grid.addWidget(head, 0, j + 1, Qt.AlignmentFlag.AlignCenter)
        self.groups: list[QButtonGroup] = []
        for i, item in enumerate(instrument.items):
            text = f"{i + 1}. …{item}" if instrument.key == "k10" else f"{i + 1}. {item}"
            lab = label(text, wrap=True)
            lab.setMinimumWidth(260)
            grid.addWidget(lab, i + 1, 0)
            group = QButtonGroup(self)
            for j, option in enumerate(instrument.options):
                rb = QRadioButton()
                rb.setAccessibleName(f"{item}: {option}")
                rb.setToolTip(option)
                group.addButton(rb, j + 1)
                grid.addWidget(rb, i + 1, j + 1, Qt.AlignmentFlag.AlignCenter)
            group.idClicked.connect(lambda _id: self._update())
            self.groups.append(group)
        grid.setColumnStretch(0, 1)
        lay.addLayout(grid)
        row = QHBoxLayout()
        self.status = label("", "small")
        self.save_button = button(
            "Save on this computer",
            accent=True,
            tip="Stored only in your local Segue database; delete it any time",
        )
        self.cancel_button = button("Cancel")
        row.addWidget(self.status, 1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.save_button)
        lay.addLayout(row)
        self.save_button.clicked.connect(self._submit)
        self.cancel_button.clicked.connect(self.cancelled.emit)
        self._update()

    def answers(self) -> list[int] | None:
        values = [g.checkedId() for g in self.groups]
        return None if any(v < 1 for v in values) else values

    def set_answers(self, answers: list[int]) -> None:
        for g, a in zip(self.groups, answers, strict=True):
            g.button(int(a)).setChecked(True)
        self._update()

    def _update(self) -> None:
        done = sum(g.checkedId() >= 1 for g in self.groups)
        self.status.setText(f"{done} of {len(self.groups)} answered")
        self.save_button.setEnabled(done == len(self.groups))

    def _submit(self) -> None:
        answers = self.answers()
        if answers is not None:
            self.save_button.setEnabled(False)
            self.submitted.emit(self.instrument.key, answers)


class AnswersList(QWidget):
    """Saved results, newest first, each with Delete; ``deleteOne(id)``, ``deleteAll()``."""

    deleteOne = Signal(int)
    deleteAll = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(4)
        self.rows: list[tuple[int, QWidget]] = []
        self.empty = label("No saved answers.", "muted")
        self._lay.addWidget(self.empty)
        self.delete_all = button("Delete all answers", danger=True, tip="Delete every saved self-check now")
        self.delete_all.clicked.connect(self.deleteAll.emit)
        self._lay.addWidget(self.delete_all, 0, Qt.AlignmentFlag.AlignLeft)

    def set_rows(self, rows: list[dict]) -> None:
        for _id, w in self.rows:
            w.deleteLater()
        self.rows = []
        for r in sorted(rows, key=lambda r: -r["taken_at"]):
            w = QWidget()
            hl = QHBoxLayout(w)
            hl.setContentsMargins(0, 0, 0, 0)
            when = datetime.fromtimestamp(r["taken_at"]).strftime("%d %b %Y, %H:%M")
            hl.addWidget(label(when, "muted"))
            hl.addWidget(label(describe(r), wrap=True), 1)
            rm = button("Delete", tip="Delete this saved result")
            rm.clicked.connect(lambda _c=False, i=r["id"]: self.deleteOne.emit(int(i)))
            hl.addWidget(rm)
            self._lay.insertWidget(len(self.rows), w)
            self.rows.append((int(r["id"]), w))
        self.empty.setVisible(not self.rows)
        self.delete_all.setVisible(bool(self.rows))
