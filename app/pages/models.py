"""Models: which recommenders exist and are trained (when, on how many plays), their evaluation on the
user's own held-out listening (the harness of docs/architecture.md §8), and train / evaluate with progress and
cancel. Training and evaluation are ``models`` jobs run through the job adapter, one queue per model.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import fmt
from app.pages.base import Page
from app.pages.models_api import ModelsApi
from app.pages.models_words import sentence, status_words, training_words
from app.widgets.common import EmptyState, JobRow, PageHeader, button, card, label, notice
from app.widgets.paged import Column, ListTableModel


def _metric(key: str):
    def value(r: dict) -> str:
        v = r.get(key)
        return "–" if v is None else f"{v:.3f}"

    return value


MODEL_COLUMNS = [
    Column(
        "Model",
        lambda r: r["name"] + ("  ★" if r["name"] == "default" else ""),
        tooltip=lambda r: r.get("description") or r["name"],
    ),
    Column("Kind", lambda r: r.get("family") or ""),
    Column(
        "Trained",
        lambda r: fmt.ago(r["trained_at"]) if r.get("trained_at") else "not yet",
        tooltip=lambda r: fmt.date_time(r["trained_at"]) if r.get("trained_at") else "never trained",
    ),
    Column(
        "Learned from",
        lambda r: f"{r['plays_at_train']:,} plays" if r.get("plays_at_train") else "",
        Qt.AlignmentFlag.AlignRight,
        tooltip=lambda r: r.get("plays_note") or "",
    ),
    Column("Status", lambda r: r.get("status") or ""),
    Column("About", lambda r: r.get("description") or "", tooltip=lambda r: r.get("description") or ""),
]

EVAL_COLUMNS = [
    Column("Model", lambda r: r["model"]),
    Column("HR@10", _metric("hr@10"), Qt.AlignmentFlag.AlignRight),
    Column("NDCG@10", _metric("ndcg@10"), Qt.AlignmentFlag.AlignRight),
    Column("MRR@20", _metric("mrr@20"), Qt.AlignmentFlag.AlignRight),
    Column(
        "Repeat",
        _metric("hr@10_repeat"),
        Qt.AlignmentFlag.AlignRight,
        tooltip=lambda r: "HR@10 on plays of tracks you had heard before",
    ),
    Column(
        "New",
        _metric("hr@10_explore"),
        Qt.AlignmentFlag.AlignRight,
        tooltip=lambda r: "HR@10 on plays of tracks new to you (ID-only models score 0 here)",
    ),
    Column(
        "Cover@20",
        _metric("coverage@20"),
        Qt.AlignmentFlag.AlignRight,
        tooltip=lambda r: "share of all tracks that appear in its top-20 lists",
    ),
    Column(
        "Train s",
        lambda r: f"{r['train_seconds']:.1f}" if r.get("train_seconds") is not None else "–",
        Qt.AlignmentFlag.AlignRight,
    ),
    Column("Seeds", lambda r: str(r.get("seeds", "")), Qt.AlignmentFlag.AlignRight),
]


def _table(model: ListTableModel, name: str) -> QTableView:
    t = QTableView()
    t.setAccessibleName(name)
    t.setModel(model)
    t.verticalHeader().hide()
    t.verticalHeader().setDefaultSectionSize(27)
    t.setShowGrid(False)
    t.setAlternatingRowColors(True)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    t.setWordWrap(False)
    hh = t.horizontalHeader()
    hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    hh.setStretchLastSection(True)
    return t


class ModelsPage(Page):
    key = "models"
    title = "Models"

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.api = ModelsApi()
        self._training_status: dict[str, str] = {}  # model -> what its Status cell says while it trains
        self._ended: dict[str, str] = {}  # model -> "cancelled" / "failed" for a training that ended here
        self.header = PageHeader(
            "Models", "Recommenders trained on this computer, measured on your own listening"
        )
        self.outer.addWidget(self.header)
        self.unavailable = notice("")
        self.unavailable.hide()
        self.outer.addWidget(self.unavailable)

        top = card()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(16, 12, 16, 14)
        tl.setSpacing(8)
        tl.addWidget(label("Models", "section"))
        self.models_model = ListTableModel(MODEL_COLUMNS)
        self.models_table = _table(self.models_model, "Models and when they were trained")
        about = next(i for i, c in enumerate(MODEL_COLUMNS) if c.title == "About")
        # the description takes what is left (whole in its tooltip): the table never scrolls sideways
        self.models_table.horizontalHeader().setSectionResizeMode(about, QHeaderView.ResizeMode.Stretch)
        self.models_table.horizontalHeader().setMinimumSectionSize(48)
        self.models_table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.models_empty = EmptyState(
            self.models_table, self.models_model, "No recommender models are installed in this build."
        )
        tl.addWidget(self.models_empty, 1)
        row = QHBoxLayout()
        self.train_button = button("Train", accent=True, tip="Train the selected model on all your plays")
        self.train_button.clicked.connect(self.train_selected)
        row.addWidget(self.train_button)
        row.addStretch(1)
        tl.addLayout(row)
        self.train_row = JobRow()
        tl.addWidget(self.train_row)
        self.outer.addWidget(top, 1)

        bottom = card()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(16, 12, 16, 14)
        bl.setSpacing(8)
        head = QHBoxLayout()
        head.addWidget(label("Evaluation on your held-out listening", "section", wrap=True), 1)
        self.eval_set = QComboBox()
        self.eval_set.setAccessibleName("Models to evaluate")
        self.eval_set.addItem("default vs. baselines", "compare")
        self.eval_set.addItem("selected model", "selected")
        self.eval_set.addItem("every model (slow)", "all")
        self.eval_button = button(
            "Evaluate",
            tip="Replay the last 10% of your plays and score each model's next-track ranking (docs/architecture.md §8)",
        )
        self.eval_button.clicked.connect(self.evaluate)
        head.addWidget(self.eval_set)
        head.addWidget(self.eval_button)
        bl.addLayout(head)
        self.eval_note = label(
            "Each model sees every play before a target and ranks all tracks; the last 10% of "
            "your plays are the targets. ‘new’ are tracks you had never played.",
            "small",
            wrap=True,
        )
        bl.addWidget(self.eval_note)
        self.verdict = label("", wrap=True)
        self.verdict.setAccessibleName("What the evaluation says")
        self.verdict.setStyleSheet("font-weight: 600;")
        self.verdict.hide()
        bl.addWidget(self.verdict)
        self.eval_model = ListTableModel(EVAL_COLUMNS)
        self.eval_table = _table(self.eval_model, "Evaluation results")
        self.eval_empty = EmptyState(
            self.eval_table,
            self.eval_model,
            "No evaluation yet. Choose which models and press Evaluate: each is trained "
            "on the first 90% of your plays and scored on the rest.",
        )
        bl.addWidget(self.eval_empty, 1)
        self.eval_row = JobRow()
        bl.addWidget(self.eval_row)
        self.outer.addWidget(bottom, 1)
        self.models_table.selectionModel().currentChanged.connect(lambda *_a: self._update_buttons())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        kind = next(i for i, c in enumerate(MODEL_COLUMNS) if c.title == "Kind")
        self.models_table.setColumnHidden(kind, self.width() < 760)  # a narrow window: names first

        # -- loading ----------------------------------------------------------------------------

    def reload(self) -> None:
        acc = self.ctx.account
        if acc is None or self.ctx.store is None:
            self.models_model.set_rows([])
            self.eval_model.set_rows([])
            self._update_buttons()
            return
        engine, api = self.ctx.store.engine, self.api
        h = self.ctx.run("Loading models", lambda _t: api.overview(engine, acc.id), on_result=self._loaded)
        self.track(h)

    def _loaded(self, result) -> None:
        rows, evals = result
        missing = self.api.missing()
        self.unavailable.setVisible(bool(missing))
        self.unavailable.setText(
            "Not available yet in this build: " + "; ".join(missing) + ". The table shows "
            "what the store already records."
            if missing
            else ""
        )
        selected = self.selected()
        acc = self.ctx.account
        for r in rows:
            n = r.get("plays_at_train")
            if n and acc is not None:
                r["plays_note"] = (
                    f"Learned from {n:,} plays: every play up to its training, with repeated scrobbles of "
                    f"one play counted once. {acc.name} has {acc.plays:,} plays now"
                    + (" (newer plays count from the next retraining)." if acc.plays > n else ".")
                )
            if acc is not None and self.ctx.jobs.busy(f"train:{acc.name}:{r['name']}"):
                r["status"] = self._training_status.get(r["name"], "training…")
            elif r["name"] in self._ended and r.get("status") in ("", "running", None):
                r["status"] = self._ended[r["name"]]  # cancelled or failed here, before a run row said so
        self.models_model.set_rows(rows)
        self._show_evals(evals)
        names = [r["name"] for r in rows]
        want = (
            selected["name"]
            if selected
            else ("default" if "default" in names else (names[0] if names else None))
        )
        if want in names:
            self.models_table.setCurrentIndex(self.models_model.index(names.index(want), 0))
        self._update_buttons()

    def selected(self) -> dict | None:
        i = self.models_table.currentIndex()
        return (
            self.models_model.rows[i.row()] if i.isValid() and i.row() < len(self.models_model.rows) else None
        )

    def _update_buttons(self) -> None:
        sel = self.selected()
        has_acc = self.ctx.account is not None
        acc = self.ctx.account
        training = (
            sel is not None and acc is not None and self.ctx.jobs.busy(f"train:{acc.name}:{sel['name']}")
        )
        self.train_button.setEnabled(has_acc and sel is not None and not training)
        self.train_button.setText("Retrain" if sel and sel.get("trained_at") else "Train")
        self.eval_button.setEnabled(has_acc and not self.ctx.jobs.busy("evaluate"))

    # -- actions ----------------------------------------------------------------------------
    def train_selected(self):
        sel, acc = self.selected(), self.ctx.account
        if sel is None or acc is None:
            return None
        name = sel["name"]
        # the train job runs isolated: torch and gensim never hold the GUI thread up
        handle = self.ctx.start(
            "train",
            f"Training {name}",
            account=acc.name,
            model=name,
            gap_s=self.ctx.settings.session_gap_minutes * 60,
            on_result=lambda _r: self._trained(name),
        )
        self.train_row.track(handle, f"Training {name} on {acc.name}", training_words)
        self._set_status(name, "training…")
        handle.progress.connect(lambda p: self._set_status(name, status_words(p)))
        self._ended.pop(name, None)
        handle.cancelled.connect(lambda: self._end(name, "cancelled"))
        handle.failed.connect(lambda _e: self._end(name, "failed"))
        handle.done.connect(self._update_buttons)
        handle.done.connect(lambda: self._training_status.pop(name, None))
        handle.cancelled.connect(self._refresh_soon)
        self._update_buttons()
        return handle

    def _end(self, name: str, text: str) -> None:
        self._ended[name] = text
        self._set_status(name, text)

    def _set_status(self, name: str, text: str) -> None:
        """Show a running or just-ended training in the table at once (no reload needed)."""
        self._training_status[name] = text
        for i, r in enumerate(self.models_model.rows):
            if r["name"] == name:
                r["status"] = text
                col = next(c for c, column in enumerate(MODEL_COLUMNS) if column.title == "Status")
                idx = self.models_model.index(i, col)
                self.models_model.dataChanged.emit(idx, idx)
                self.models_table.horizontalHeader().resizeSections(QHeaderView.ResizeMode.ResizeToContents)

    def _refresh_soon(self) -> None:
        """After a cancel the run's row is written by the job as it stops: read it back."""
        self._stale = True
        if self.isVisible():
            self.activated()

    def _trained(self, name: str) -> None:
        self.ctx.notify(f"Model {name} is trained.", "success")
        self._stale = True
        self.activated()
        self.ctx.dataChanged.emit(-2)  # suggestions pick up the new model

    def evaluate(self):
        acc = self.ctx.account
        if acc is None:
            return None
        choice = self.eval_set.currentData()
        sel = self.selected()
        names = self.api.eval_models(choice, sel["name"] if sel else None)
        store, api = self.ctx.store, self.api
        handle = self.ctx.run(
            "Evaluating models",
            lambda token: api.evaluate(store, acc, names, token),
            resource="evaluate",
            on_result=self._evaluated,
        )
        self.eval_row.track(handle, f"Evaluating {', '.join(names)}", training_words)
        handle.done.connect(self._update_buttons)
        self._update_buttons()
        return handle

    def _show_evals(self, rows: list[dict]) -> None:
        self.eval_model.set_rows(rows)
        text = sentence(rows)
        self.verdict.setText(text)
        self.verdict.setVisible(bool(text))

    def _evaluated(self, rows: list[dict]) -> None:
        if rows:
            merged = {r["model"]: r for r in self.eval_model.rows}
            merged.update({r["model"]: r for r in rows})
            self._show_evals(sorted(merged.values(), key=lambda r: -(r.get("ndcg@10") or 0)))
        self.ctx.notify("Evaluation finished.", "success")
        self._stale = True
