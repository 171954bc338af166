"""Insights (opt-in, local, not a diagnosis): listening-pattern indicators per week against the
listener's own usual, optional self-checks (K10, HUMS), and the "lift" control for suggestions
(``settings.lift``, read by the Suggestions page through ``models.steering``).

Off by default. Until the user turns it on for the account, the page shows only what would be
computed, that it stays on this computer, that it is not a diagnosis and how to delete it — and
computes nothing. Once on, "Turn off and delete" is always in the header. Every read and write
(consent, indicators, answers) runs through ``ctx.run``, off the GUI thread.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QSlider,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.pages.base import Page
from app.widgets.common import PageHeader, Segmented, button, card, label, notice, page_scroll
from app.widgets.insights_card import ACTION_LABELS, IndicatorCard
from app.widgets.insights_selfcheck import AnswersList, QuestionnaireForm, describe
from core.insights import consent, questionnaires
from core.insights.summary import AUDIO_ACTIONS, cards, headline, load_view

CARD_ORDER = (
    ("repetition", "Repetition", "share"),
    ("diversity", "Variety", "bits"),
    ("late_night_share", "Late-night listening", "share"),
    ("session_minutes", "Session length", "min"),
    ("mood", "Mood profile from tags", "share"),
    ("audio", "Valence and energy", "level"),
)


def consent_html(text: str = consent.CONSENT_TEXT) -> str:
    """The consent text as simple HTML: paragraphs, and the indented "- " lines as a list."""
    out: list[str] = []
    items: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            items.append(f"<li>{html.escape(stripped[2:])}</li>")
            continue
        if items:
            out.append("<ul style='margin-top:2px; margin-bottom:6px'>" + "".join(items) + "</ul>")
            items = []
        if stripped:
            out.append(f"<p style='margin:4px 0'>{html.escape(stripped)}</p>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    return "".join(out)


class InsightsPage(Page):
    key = "insights"
    title = "Insights"

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._gen = 0
        self._on = False
        self.view: dict | None = None
        self.header = PageHeader("Insights")
        self.range = Segmented([("6m", "6 months"), ("1y", "1 year"), ("all", "All")], "1y")
        self.range.setToolTip("Weeks shown in the charts")
        self.turn_off_button = button(
            "Turn off and delete",
            danger=True,
            tip="Withdraw consent: deletes your consent and every saved answer",
        )
        self.header.add(self.range)
        self.header.add(self.turn_off_button)
        self.outer.addWidget(self.header)

        self.confirm = self._build_confirm()
        self.outer.addWidget(self.confirm)
        self.message = notice("")
        self.message.hide()
        self.outer.addWidget(self.message)
        self.stack = QStackedWidget()
        self.off_panel = self._build_off()
        self.on_panel = self._build_on()
        self.stack.addWidget(self.off_panel)
        self.stack.addWidget(self.on_panel)
        self.outer.addWidget(self.stack, 1)
        self.outer.addStretch(0)  # with nothing to show yet the header stays on top
        self._show_mode(None)

        self.turn_off_button.clicked.connect(lambda: self.confirm.show())
        self.range.changed.connect(lambda _k: self._show_cards())
        self.tabs.currentChanged.connect(lambda i: self.range.setVisible(i == 0 and self._on))

    # -- layout -----------------------------------------------------------------------------
    def _build_confirm(self) -> QFrame:
        box = QFrame()
        box.setProperty("banner", "warning")
        lay = QHBoxLayout(box)
        lay.setContentsMargins(12, 8, 8, 8)
        self.confirm_text = label(
            "Turning insights off deletes your consent and every saved self-check "
            "answer for this account, on this computer. Your listening history stays.",
            wrap=True,
        )
        self.confirm_yes = button("Turn off and delete", danger=True)
        self.confirm_no = button("Keep insights on")
        lay.addWidget(self.confirm_text, 1)
        lay.addWidget(self.confirm_no)
        lay.addWidget(self.confirm_yes)
        self.confirm_yes.clicked.connect(self.turn_off)
        self.confirm_no.clicked.connect(box.hide)
        box.hide()
        return box

    def _build_off(self) -> QWidget:
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 4, 6, 4)
        box = card()
        box.setMaximumWidth(820)
        bl = QVBoxLayout(box)
        bl.setContentsMargins(22, 16, 22, 18)
        bl.setSpacing(8)
        bl.addWidget(label("Insights are off", "section"))
        self.consent_label = label(consent_html(), wrap=True)
        self.consent_label.setTextFormat(Qt.TextFormat.RichText)
        self.consent_label.setAccessibleName("What insights compute")
        bl.addWidget(self.consent_label)
        row = QHBoxLayout()
        self.turn_on_button = button(
            "Turn on insights", accent=True, tip="Records your consent for this account on this computer"
        )
        self.turn_on_button.clicked.connect(self.turn_on)
        row.addWidget(self.turn_on_button)
        row.addWidget(label("Nothing is computed until you turn this on.", "muted"), 1)
        bl.addLayout(row)
        lay.addWidget(box)
        lay.addStretch(1)
        return page_scroll(body)

    def _build_on(self) -> QWidget:
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_patterns(), "Listening patterns")
        self.tabs.addTab(self._build_selfchecks(), "Self-checks")
        self.tabs.addTab(self._build_controls(), "Suggestion controls")
        return self.tabs

    def _build_controls(self) -> QWidget:
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 10, 6, 10)
        box = card()
        box.setMaximumWidth(820)
        bl = QVBoxLayout(box)
        bl.setContentsMargins(16, 12, 16, 14)
        bl.setSpacing(8)
        bl.addWidget(label("Steer your suggestions", "section"))
        bl.addWidget(
            label(
                "Suggestions change only through the controls you set here and on the Suggestions "
                "page — never because of what insights show.",
                wrap=True,
            )
        )
        row = QHBoxLayout()
        row.addWidget(label("Lift: favour brighter, more energetic tracks"), 1)
        row.addWidget(label("Off", "muted"))
        self.lift = QSlider(Qt.Orientation.Horizontal)
        self.lift.setRange(0, 100)
        self.lift.setFixedWidth(200)
        self.lift.setAccessibleName("Lift: favour higher valence and energy")
        self.lift.setValue(int(round(self.ctx.settings.lift * 100)))
        row.addWidget(self.lift)
        row.addWidget(label("Strong", "muted"))
        self.lift_value = label("", "muted")
        self.lift_value.setMinimumWidth(40)
        row.addWidget(self.lift_value)
        bl.addLayout(row)
        self.lift_missing = notice("")
        self.lift_missing.hide()
        bl.addWidget(self.lift_missing)
        self.lift_actions = QWidget()
        al = QHBoxLayout(self.lift_actions)
        al.setContentsMargins(0, 0, 0, 0)
        for key in AUDIO_ACTIONS:
            text, tip = ACTION_LABELS[key]
            b = button(text, tip=tip)
            b.clicked.connect(lambda _c=False, k=key: self.do_action(k))
            al.addWidget(b)
        al.addStretch(1)
        self.lift_actions.hide()
        bl.addWidget(self.lift_actions)
        bl.addWidget(
            label(
                "Uses valence and energy where audio features are known (the track's own, else its "
                "artist's). Tracks without them stay where the model put them: unknown never counts as "
                "low. The familiar ↔ explore slider is on the Suggestions page.",
                "small",
                wrap=True,
            )
        )
        lay.addWidget(box)
        lay.addStretch(1)
        self._lift_timer = QTimer(self, singleShot=True, interval=250)
        self._lift_timer.timeout.connect(self._lift_changed)
        self.lift.valueChanged.connect(lambda _v: (self._show_lift(), self._lift_timer.start()))
        self._show_lift()
        return page_scroll(body)

    def _show_lift(self) -> None:
        v = self.lift.value()
        self.lift_value.setText("off" if v == 0 else f"{v}%")

    def _lift_changed(self) -> None:
        value = self.lift.value() / 100
        if self.ctx.settings.lift != value:
            self.ctx.update_settings(lift=value)

    def _build_patterns(self) -> QWidget:
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 10, 6, 10)
        lay.setSpacing(12)
        top = card()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(16, 10, 16, 10)
        tl.setSpacing(2)
        self.headline = label("", wrap=True)
        self.headline.setStyleSheet("font-size: 11pt; font-weight: 600;")
        tl.addWidget(self.headline)
        tl.addWidget(
            label(
                "Compared with your own usual (the median of your previous 12 busy weeks). "
                "Computed on this computer; not a diagnosis — listening changes for many reasons.",
                "small",
                wrap=True,
            )
        )
        lay.addWidget(top)
        self.card_grid = QGridLayout()
        self.card_grid.setSpacing(12)
        self.cards: dict[str, IndicatorCard] = {}
        for key, title, unit in CARD_ORDER:
            c = IndicatorCard(key, title, unit)
            c.actionRequested.connect(self.do_action)
            self.cards[key] = c
        self._columns = 0
        self._arrange_cards(2)
        lay.addLayout(self.card_grid)
        lay.addStretch(1)
        return page_scroll(body)

    def _build_selfchecks(self) -> QWidget:
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 10, 6, 10)
        lay.setSpacing(12)
        intro = card()
        il = QVBoxLayout(intro)
        il.setContentsMargins(16, 12, 16, 12)
        il.setSpacing(6)
        il.addWidget(label("Optional self-checks", "section"))
        il.addWidget(
            label(
                "Two short questionnaires used in music and well-being research. Fill one in when you "
                "like; the answers are kept on this computer with the date, so you can look back. "
                "A score is not a diagnosis.",
                wrap=True,
            )
        )
        row = QHBoxLayout()
        self.start_k10 = button("How you have been feeling (K10, 10 questions)")
        self.start_hums = button("How music works for you (HUMS, 13 questions)")
        self.start_k10.clicked.connect(lambda: self.start_form("k10"))
        self.start_hums.clicked.connect(lambda: self.start_form("hums"))
        row.addWidget(self.start_k10)
        row.addWidget(self.start_hums)
        row.addStretch(1)
        il.addLayout(row)
        lay.addWidget(intro)
        self.form_holder = QVBoxLayout()
        lay.addLayout(self.form_holder)
        self.form: QuestionnaireForm | None = None
        self.result_box = QFrame()
        self.result_box.setProperty("banner", "info")
        rl = QVBoxLayout(self.result_box)
        rl.setContentsMargins(14, 10, 14, 10)
        self.result = label("", wrap=True)
        self.result.setTextFormat(Qt.TextFormat.RichText)
        self.result.setAccessibleName("Your result")
        rl.addWidget(self.result)
        self.result_box.hide()
        lay.addWidget(self.result_box)
        saved = card()
        sl = QVBoxLayout(saved)
        sl.setContentsMargins(16, 12, 16, 12)
        sl.addWidget(label("Saved answers", "section"))
        self.answers = AnswersList()
        self.answers.deleteOne.connect(self.delete_answer)
        self.answers.deleteAll.connect(lambda: self.delete_answer(None))
        sl.addWidget(self.answers)
        lay.addWidget(saved)
        support = card()
        spl = QVBoxLayout(support)
        spl.setContentsMargins(16, 10, 16, 12)
        spl.setSpacing(2)
        spl.addWidget(label("Support", "section"))
        self.support = label(questionnaires.SUPPORT_NOTE, wrap=True)
        self.support.setAccessibleName("Where to find support")
        spl.addWidget(self.support)
        lay.addWidget(support)
        lay.addStretch(1)
        return page_scroll(body)

    TWO_COLUMNS_PX = 1100  # narrower: the cards stack in one column instead of scrolling sideways

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange_cards(2 if self.width() >= self.TWO_COLUMNS_PX else 1)

    def _arrange_cards(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for c in self.cards.values():
            self.card_grid.removeWidget(c)
        for i, c in enumerate(self.cards.values()):
            self.card_grid.addWidget(c, i // columns, i % columns)
        for col in range(2):
            self.card_grid.setColumnStretch(col, 1 if col < columns else 0)

    # -- state ------------------------------------------------------------------------------
    def _show_mode(self, on: bool | None) -> None:
        """None: nothing known yet (no account / loading); False: off; True: on."""
        self._on = bool(on)
        self.stack.setVisible(on is not None)
        self.stack.setCurrentWidget(self.on_panel if on else self.off_panel)
        self.turn_off_button.setVisible(bool(on))
        self.range.setVisible(bool(on) and self.tabs.currentIndex() == 0)
        if not on:
            self.confirm.hide()

    def reload(self) -> None:
        self._gen += 1
        acc = self.ctx.account
        if acc is None or self.ctx.store is None:
            self.header.set_subtitle("")
            self.message.setText(self.ctx.no_history_html("insights need a few weeks of plays."))
            self.message.show()
            self._show_mode(None)
            return
        self.message.hide()
        gen, store = self._gen, self.ctx.store
        tz = self.ctx.settings.timezone or None
        gap_s = self.ctx.settings.session_gap_minutes * 60
        self.header.set_subtitle(f"{acc.name} · stays on this computer · not a diagnosis · loading…")
        h = self.ctx.run("Computing insights", lambda _t: load_view(store, acc.id, tz, gap_s))
        h.finished.connect(lambda view: self._loaded(gen, acc, view))
        self.track(h)

    def _loaded(self, gen: int, acc, view: dict) -> None:
        if gen != self._gen:
            return
        self.view = view
        self.header.set_subtitle(f"{acc.name} · stays on this computer · not a diagnosis")
        self._show_mode(bool(view["consent"]))
        if not view["consent"]:
            return
        self._show_cards()
        self.answers.set_rows(view.get("answers", []))

    def _show_cards(self) -> None:
        if not self.view or not self.view.get("consent"):
            return
        weeks = self.view["weeks"]
        self.headline.setText(headline(weeks))
        for c in cards(weeks, self.range.current()):
            self.cards[c.key].show_card(c)
        self._show_lift_data(weeks)

    def _show_lift_data(self, weeks: list[dict]) -> None:
        """Lift re-ranks by valence and energy: say so when no play has them (it then does nothing)."""
        covered = sum((w.get("audio_coverage") or 0) * w["plays"] for w in weeks)
        self.lift_actions.setVisible(covered < 1)
        if covered >= 1:
            self.lift_missing.hide()
            return
        self.lift_missing.setText(
            "None of your plays has audio features yet, so lift has nothing to go on and leaves your "
            "suggestions as they are. Set your music folder or import a feature table to use it."
        )
        self.lift_missing.show()

    # -- actions ----------------------------------------------------------------------------
    def do_action(self, key: str) -> None:
        """Carry out what an empty card offers (``core.insights.summary`` *_ACTIONS)."""
        acc = self.ctx.account
        if acc is None or self.ctx.store is None:
            return
        if key == "music_folder":
            window = self.window()
            if hasattr(window, "show_page"):
                window.show_page("settings")
            return
        if key == "fetch_tags":
            self._core_job("features", "Fetching tags and other features", "tags")
            return
        kind = {"import_tags": "tags", "import_audio": "audio"}.get(key)
        if kind is None:
            return
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self, f"Import a {kind} table", "", "Tables (*.csv *.tsv *.txt *.json *.jsonl);;All files (*)"
        )
        if path:
            self.import_table(path, kind)

    def import_table(self, path: str, kind: str):
        """Import a feature table for the chosen account (the ``features_import`` job, in the queue the
        schedule's feature work uses), then recompute the cards."""
        name = path.replace("\\", "/").rsplit("/", 1)[-1]
        return self._core_job("features_import", f"Importing {kind} from {name}", kind, path=path, kind=kind)

    def _core_job(self, job: str, title: str, what: str = "features", **params):
        acc = self.ctx.account
        if acc is None or self.ctx.store is None:
            return None
        return self.ctx.start(
            job, title, account=acc.name, on_result=lambda _r: self._imported(what), **params
        )

    def _imported(self, what: str) -> None:
        self.ctx.notify(f"Done: {what} are in. The insights are recomputed.", "success")
        self._stale = True
        self.activated()

    def _write(self, title: str, fn, done) -> None:
        acc, store = self.ctx.account, self.ctx.store
        if acc is None or store is None:
            return
        h = self.ctx.run(title, lambda _t: fn(store, acc.id))
        h.finished.connect(done)
        self.track(h)

    def turn_on(self) -> None:
        self.turn_on_button.setEnabled(False)

        def done(_r) -> None:
            self.turn_on_button.setEnabled(True)
            self.reload()

        self._write("Turning insights on", consent.enable, done)

    def turn_off(self) -> None:
        self.confirm.hide()

        def done(n: int) -> None:
            self.ctx.notify(
                f"Insights are off. Deleted your consent and {n} saved answer{'s' * (n != 1)}.", "success"
            )
            self.close_form()
            self.result_box.hide()
            self.reload()

        self._write("Turning insights off", consent.disable, done)

    def start_form(self, key: str) -> None:
        self.close_form()
        self.result_box.hide()
        self.form = QuestionnaireForm(questionnaires.INSTRUMENTS[key])
        self.form.submitted.connect(self.save_answers)
        self.form.cancelled.connect(self.close_form)
        self.form_holder.addWidget(self.form)

    def close_form(self) -> None:
        if self.form is not None:
            self.form.hide()
            self.form.deleteLater()
            self.form = None

    def save_answers(self, key: str, answers: list) -> None:
        def done(result: dict) -> None:
            self.close_form()
            row = {"instrument": key, **result}
            self.result.setText(
                f"<b>Saved on this computer.</b> {html.escape(describe(row))}.<br>"
                "A snapshot of how things have been lately, not a diagnosis."
            )
            self.result_box.show()
            self._refresh_answers()

        self._write(
            "Saving your answers",
            lambda store, acc: questionnaires.save(store, acc, key, list(answers)),
            done,
        )

    def delete_answer(self, answer_id: int | None) -> None:
        def done(_n: int) -> None:
            self.result_box.hide()
            self._refresh_answers()

        self._write(
            "Deleting answers", lambda store, acc: questionnaires.delete_answers(store, acc, answer_id), done
        )

    def _refresh_answers(self) -> None:
        self._write("Loading saved answers", questionnaires.history, self.answers.set_rows)
