"""Suggestions: the session in progress (or the last one) and what could come next, each with its
reason; like / dismiss (stored as feedback and used), "new to you" kept apart from familiar tracks, a
familiar ↔ explore control, copy / open links, and send-to-Spotify when Spotify is connected."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import fmt
from app.pages.base import Page
from app.pages.suggestions_api import Suggestion, SuggestionsState, arrange, load
from app.widgets.common import JobRow, PageHeader, button, card, label, notice
from core.distkeys import spotify_client_id
from models.api import CATALOGUE, DISCOVERY_MODEL, Rules, rules_of


def _tool(text: str, tip: str, checkable: bool = False) -> QToolButton:
    b = QToolButton()
    b.setText(text)
    b.setToolTip(tip)
    b.setAccessibleName(tip)
    b.setProperty("flat", True)
    b.setCheckable(checkable)
    return b


class SuggestionRow(QFrame):
    """One suggestion: rank, title and artist, the reason, and its actions."""

    def __init__(self, rank: int, s: Suggestion, page: SuggestionsPage):
        super().__init__()
        self.s = s
        self.setObjectName("suggestion")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 6, 4, 6)
        lay.setSpacing(10)
        num = label(str(rank), "muted")
        num.setFixedWidth(22)
        num.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        lay.addWidget(num)
        text = QVBoxLayout()
        text.setSpacing(1)
        title = label(f"<b>{_esc(s.track)}</b> <span style='opacity:.75'>— {_esc(s.artist)}</span>")
        title.setTextFormat(Qt.TextFormat.RichText)
        title.setWordWrap(True)
        title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        title.setToolTip(f"{s.track} — {s.artist}" + (f" ({s.album})" if s.album else ""))
        reason = label(s.reason, "small", wrap=True)
        reason.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        text.addWidget(title)
        text.addWidget(reason)
        lay.addLayout(text, 1)
        self.like = _tool("♥", "Like: suggest it more", checkable=True)
        self.like.setChecked(s.liked)
        self.dismiss = _tool("✕", "Dismiss: don't suggest it again")
        # compact actions: the text keeps the room at 1024 px wide (tooltips and accessible names say it all)
        self.copy = _tool("Copy", "Copy the Last.fm link")
        self.open = _tool("↗", "Open on Last.fm")
        for b in (self.like, self.dismiss, self.copy, self.open):
            lay.addWidget(b, 0, Qt.AlignmentFlag.AlignVCenter)
        self.like.toggled.connect(lambda on: page.set_feedback(s, "like" if on else None))
        self.dismiss.clicked.connect(lambda: page.set_feedback(s, "dismiss"))
        self.copy.clicked.connect(lambda: page.copy_link(s))
        self.open.clicked.connect(lambda: QDesktopServices.openUrl(QUrl(s.url)))


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SuggestionsPage(Page):
    key = "suggestions"
    title = "Suggestions"

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._gen = 0
        self._shown_lift: float | None = None  # the lift the list was last arranged with
        self.state: SuggestionsState | None = None
        self.spotify_connected = False
        self.header = PageHeader("Suggestions", "")
        self.refresh_button = button("Refresh", tip="Ask the model again (F5)")
        self.refresh_button.setShortcut("F5")
        self.refresh_button.clicked.connect(self.reload)
        self.header.add(self.refresh_button)
        self.outer.addWidget(self.header)

        body = QHBoxLayout()
        body.setSpacing(16)
        # the session
        sess = card()
        sl = QVBoxLayout(sess)
        sl.setContentsMargins(16, 12, 16, 14)
        sl.setSpacing(6)
        self.session_title = label("Last session", "section")
        self.session_sub = label("", "small", wrap=True)
        sl.addWidget(self.session_title)
        sl.addWidget(self.session_sub)
        self.session_list = QVBoxLayout()
        self.session_list.setSpacing(2)
        sl.addLayout(self.session_list)
        sl.addStretch(1)
        body.addWidget(sess, 3)

        # the suggestions
        right = card()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(16, 12, 16, 14)
        rl.setSpacing(8)
        controls = QHBoxLayout()
        controls.addWidget(label("Up next", "section"), 1)
        controls.addWidget(label("Familiar", "muted"))
        self.explore = QSlider(Qt.Orientation.Horizontal)
        self.explore.setRange(0, 100)
        # 50 = as the model ranks them: suggestions change only when the user moves it (docs/architecture.md §10)
        self.explore.setValue(int(ctx.settings.explore * 100))
        self.explore.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.explore.setTickInterval(50)
        self.explore.setFixedWidth(150)
        self.explore.setAccessibleName("Familiar to explore")
        self.explore.setToolTip(
            "Left: more of the tracks you know. Right: more tracks that are new to you. "
            "In the middle: as the model ranks them."
        )
        controls.addWidget(self.explore)
        controls.addWidget(label("Explore", "muted"))
        controls.addSpacing(12)
        self.spotify_button = button(
            "Send to Spotify", tip="Save these suggestions as a private Spotify playlist"
        )
        self.spotify_button.clicked.connect(self.send_to_spotify)
        controls.addWidget(self.spotify_button)
        rl.addLayout(controls)
        self.message = notice("")
        self.message.hide()
        rl.addWidget(self.message)
        self.train_button = button(
            "Train the model now",
            accent=True,
            tip="Train the default recommender on your plays, in the background",
        )
        self.train_button.clicked.connect(self.train_default)
        self.train_button.hide()
        rl.addWidget(self.train_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.train_row = JobRow()
        rl.addWidget(self.train_row)
        self.discovery_row = JobRow()  # the discovery ranker's training, when it runs
        rl.addWidget(self.discovery_row)
        self.status = label("", "small", wrap=True)  # which model answers, on what plays; the rules
        self.status.setTextFormat(Qt.TextFormat.RichText)
        rl.addWidget(self.status)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setProperty("inCard", True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        holder = QWidget()
        holder.setObjectName("cardBody")
        self.list = QVBoxLayout(holder)
        self.list.setContentsMargins(0, 0, 0, 0)
        self.list.setSpacing(2)
        self.list.addStretch(1)
        scroll.setWidget(holder)
        rl.addWidget(scroll, 1)
        self.export_row = JobRow()
        rl.addWidget(self.export_row)
        body.addWidget(right, 8)
        self.outer.addLayout(body, 1)

        self._explore_timer = QTimer(self, singleShot=True, interval=250)
        self._explore_timer.timeout.connect(self._explore_changed)
        self.explore.valueChanged.connect(lambda _v: self._explore_timer.start())
        ctx.settingsChanged.connect(self._settings_changed)
        ctx.jobs.jobStarted.connect(self._job_started)
        self._auto_trained: set[tuple[str, str]] = set()  # (account, model) this page trained by itself
        self._update_spotify_button()

    # -- loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        self._gen += 1
        acc = self.ctx.account
        self._check_spotify()
        if acc is None or self.ctx.store is None:
            self._render_session([], False)
            self._show_message(
                "No listening history yet. Import a file or connect Last.fm under "
                "<b>Accounts &amp; import</b>."
            )
            self._render([], [])
            return
        gen, store = self._gen, self.ctx.store
        gap_s = self.ctx.settings.session_gap_minutes * 60
        self.header.set_subtitle(f"{acc.name} · looking at your listening…")
        h = self.ctx.run("Finding suggestions", lambda token: load(store, acc, gap_s, token))
        h.finished.connect(lambda state: self._loaded(gen, acc, state))
        self.track(h)

    def _loaded(self, gen: int, acc, state: SuggestionsState) -> None:
        if gen != self._gen:
            return
        self.state = state
        self._render_session(state.plays, state.in_progress)
        when = (
            "for the session in progress"
            if state.in_progress
            else (
                f"after your last session, {fmt.date_time(state.plays[0].played_at)}" if state.plays else ""
            )
        )
        self.header.set_subtitle(f"{acc.name} · {when}" if when else acc.name)
        self._show_mix()

    def _show_mix(self) -> None:
        state = self.state
        if state is None:
            return
        training = self._train_handle()
        if state.needs_training and training is None and self._may_train("default"):
            training = self.train_default()  # training follows the data: no model yet, so train one
        if training is not None:
            self._follow(training)
        discovery = self._train_handle(DISCOVERY_MODEL)
        needs_ranker = state.pool is not None and state.pool.discovery_needs_training
        if needs_ranker and discovery is None and self._may_train(DISCOVERY_MODEL):
            discovery = self.train_discovery()  # a catalogue and no ranker for it: train one
        if discovery is not None:
            self._follow(discovery)
        if state.needs_training:
            self._show_message(self._training_text(training, state.message))
        elif state.message:
            self._show_message(state.message)
        else:
            self.message.hide()
        self.train_button.setVisible(state.needs_training and training is None)
        self.status.setText(self._status_text(training))
        lift = self._shown_lift = self.ctx.settings.lift
        main, new = arrange(state, self.explore.value() / 100, lift, self._rules())
        self._render(main, new)

    def _may_train(self, model: str) -> bool:
        """Whether the page trains ``model`` by itself now (once per account and model per session)."""
        key = (self._account_name(), model)
        if not self.ctx.settings.train_automatically or key in self._auto_trained:
            return False
        self._auto_trained.add(key)
        return True

    def _show_message(self, html: str) -> None:
        self.message.setText(html)
        self.message.show()

    def _render_session(self, plays: list, in_progress: bool) -> None:
        while self.session_list.count():
            item = self.session_list.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        self.session_title.setText("Now playing session" if in_progress else "Last session")
        if not plays:
            self.session_sub.setText("No plays yet.")
            return
        minutes = (plays[-1].played_at - plays[0].played_at) / 60
        self.session_sub.setText(
            f"{fmt.date_time(plays[0].played_at)} · {fmt.count(len(plays), 'play')} · "
            f"{fmt.duration(minutes * 60)}"
        )
        shown = plays[-14:]
        if len(plays) > len(shown):
            self.session_list.addWidget(label(f"… {len(plays) - len(shown)} earlier", "small"))
        for p in shown:
            row = QHBoxLayout()
            w = QWidget()
            w.setLayout(row)
            row.setContentsMargins(0, 2, 0, 2)
            t = label(fmt.clock(p.played_at), "small")
            t.setFixedWidth(40)
            row.addWidget(t, 0, Qt.AlignmentFlag.AlignTop)
            name = label(
                f"{_esc(p.track)} <span style='opacity:.65'>— {_esc(p.artist)}</span>"
                + (" <i>(skipped)</i>" if p.skipped else "")
            )
            name.setTextFormat(Qt.TextFormat.RichText)
            name.setWordWrap(True)
            name.setToolTip(f"{p.track} — {p.artist}")
            row.addWidget(name, 1)
            self.session_list.addWidget(w)

    def _render(self, main: list[Suggestion], new: list[Suggestion]) -> None:
        """ "Up next" (the served list) and, apart, "New to you" whenever there are candidates."""
        while self.list.count() > 1:
            item = self.list.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        pos = 0
        rank = 1
        state = self.state
        for title, items in (("", main), ("New to you", new)):  # the card's own title says "Up next"
            if not items:
                if title == "New to you" and main and state is not None and not state.new:
                    note = label(
                        "New to you: nothing to suggest yet — no candidates beyond your own history "
                        "(the discovery catalogue: `segue catalogue refresh`; other listening histories "
                        "on this computer).",
                        "small",
                        wrap=True,
                    )
                    note.setContentsMargins(0, 10, 0, 0)
                    self.list.insertWidget(pos, note)
                    pos += 1
                continue
            if title:
                head = label(title, "section")
                head.setContentsMargins(0, 8 if pos else 0, 0, 2)
                self.list.insertWidget(pos, head)
                pos += 1
            for s in items:
                self.list.insertWidget(pos, SuggestionRow(rank, s, self))
                pos += 1
                rank += 1
        self.shown = main + new
        self._update_spotify_button()

    def _account_name(self) -> str:
        return self.ctx.account.name if self.ctx.account else ""

    def _rules(self) -> Rules:
        return rules_of(self.ctx.settings)

    # -- training: what the model is doing, said truthfully --------------------------------------
    def _train_handle(self, model: str = "default"):
        """The queued or running training of ``model`` for this account (from any origin), if any."""
        name = self._account_name()
        for h in self.ctx.jobs.active():
            params = h.core.params
            if (
                h.core.name == "train"
                and params.get("account") == name
                and params.get("model", "default") == model
            ):
                return h
        return None

    def _job_started(self, handle) -> None:
        if handle.core.name == "train" and handle.core.params.get("account") == self._account_name():
            self._follow(handle)
            if self.state is not None:
                self._show_mix()

    def _follow(self, handle) -> None:
        if handle.core.params.get("model", "default") == DISCOVERY_MODEL:
            if self.discovery_row.handle is not handle:
                self.discovery_row.track(handle, f"Training the discovery ranker for {self._account_name()}")
                handle.done.connect(lambda: self._training_done(handle))
            return
        if self.train_row.handle is handle:
            return
        self.train_row.track(handle, f"Training the default model for {self._account_name()}")
        handle.progress.connect(lambda _p: self._training_progress(handle))
        handle.done.connect(lambda: self._training_done(handle))

    def _training_progress(self, handle) -> None:
        if self.state is not None and self.state.needs_training and self.train_row.handle is handle:
            self._show_message(self._training_text(handle, ""))

    def _training_done(self, handle) -> None:
        if handle.state == "ok":
            self.reload()
        elif self.state is not None:
            self._show_mix()

    def _training_text(self, handle, problem: str) -> str:
        intro = (
            "Suggestions come from the <b>default</b> model, trained on this computer from your own plays."
        )
        if handle is None:
            why = problem or "It has not been trained for this account yet."
            return f"{intro} {why} Train it with the button below (it runs in the background)."
        if handle.state == "queued":
            return f"{intro} Training it is <b>queued</b>: it starts when the jobs ahead of it are done (sidebar)."
        p = handle.last_progress
        done = f" — {p.fraction:.0%}" if p is not None and p.fraction is not None else ""
        return f"{intro} <b>Training it now</b>{done}; suggestions appear here when it is done."

    def _status_text(self, training) -> str:
        """Which model answers, on how many plays, and the rules the list follows."""
        state = self.state
        if state is None or state.pool is None:
            return ""
        meta = state.pool.trained
        parts = []
        if meta.get("plays"):
            when = f" {fmt.date_time(int(meta['trained_at']))}" if meta.get("trained_at") else ""
            plays = fmt.count(int(meta["plays"]), "play")
            parts.append(f"default, trained{when} on {plays}")
        if training is not None:
            p = training.last_progress
            pct = f" {p.fraction:.0%}" if p is not None and p.fraction is not None else ""
            parts.append(
                f"<b>retraining on your newest plays{pct}</b>"
                if training.state == "running"
                else "retraining queued"
            )
        parts.append(self._new_to_you_text())
        rules = self._rules()
        parts.append(f"at most {rules.max_per_artist} per artist")
        slots = rules.session_slots(state.pool.replay_rate)
        rate = f"you replay {state.pool.replay_rate:.0%} of the time"
        parts.append(
            "tracks of this session: "
            + ("none" if slots == 0 else f"up to {slots}")
            + (f" ({rate})" if rules.session_replays == "auto" else "")
        )
        return " · ".join(parts)

    def _new_to_you_text(self) -> str:
        """Where "New to you" comes from, and whether its ranker is being trained."""
        pool = self.state.pool
        if pool.discovery_source == CATALOGUE:
            return "new to you: the discovery ranker over your catalogue"
        handle = self._train_handle(DISCOVERY_MODEL)
        if handle is not None:
            p = handle.last_progress
            pct = f" {p.fraction:.0%}" if p is not None and p.fraction is not None else ""
            doing = f"<b>training{pct}</b>" if handle.state == "running" else "queued"
            return f"new to you: the discovery ranker for your catalogue is {doing}"
        if pool.discovery_needs_training:
            return "new to you: your catalogue has candidates; its discovery ranker is not trained yet"
        return "new to you: other listening histories on this computer (no catalogue yet)"

    def train_discovery(self):
        """Train the discovery ranker on the account's catalogue (the one ``train`` job), then reload."""
        acc = self.ctx.account
        if acc is None or self.ctx.store is None:
            return None
        return self.ctx.start(
            "train",
            f"Training the discovery ranker for {acc.name}",
            account=acc.name,
            model=DISCOVERY_MODEL,
            on_result=lambda _r: self.ctx.notify("New to you now comes from your catalogue.", "success"),
        )

    def train_default(self):
        """Train ``default`` for the account (the job the Models page and the schedule run), then reload."""
        acc = self.ctx.account
        if acc is None or self.ctx.store is None:
            return None
        handle = self.ctx.start(
            "train",
            f"Training the default model for {acc.name}",
            account=acc.name,
            model="default",
            gap_s=self.ctx.settings.session_gap_minutes * 60,
            on_result=lambda _r: self.ctx.notify("The default model is trained.", "success"),
        )
        self._follow(handle)
        self.train_button.hide()
        return handle

    def _settings_changed(self, settings) -> None:
        """Spotify may have been connected; the lift (Insights page) and the list's rules (Settings)
        re-serve the list at once."""
        self._check_spotify()
        if self._shown_lift is not None and self.state is not None:
            self._show_mix()  # lift or the list's rules may have changed: serving again is quick

    # -- actions ----------------------------------------------------------------------------
    def _explore_changed(self) -> None:
        value = self.explore.value() / 100
        self.ctx.update_settings(explore=value)
        self._show_mix()

    def set_feedback(self, s: Suggestion, kind: str | None, then=None) -> None:
        acc, store = self.ctx.account, self.ctx.store
        if acc is None or store is None:
            return
        from core.store.paging import set_feedback

        context = {"reason": s.reason, "new_to_user": s.new_to_user, "score": s.score}
        self.ctx.run(
            "Saving your feedback",
            lambda _t: set_feedback(store.engine, acc.id, s.track_id, kind, context),
            on_result=lambda _r: (self._feedback_saved(s, kind), then and then()),
        )

    def _feedback_saved(self, s: Suggestion, kind: str | None) -> None:
        state = self.state
        if state is None:
            return
        state.feedback(s.track_id, kind)
        s.liked = kind == "like"
        self._show_mix()
        if kind == "dismiss":
            self.ctx.notify(
                f"Dismissed {s.track} — it won't be suggested again.",
                "info",
                retry=lambda: self._undo_dismiss(s),
                action="Undo",
            )

    def _undo_dismiss(self, s: Suggestion) -> None:
        self.set_feedback(s, None, then=self.reload)

    def copy_link(self, s: Suggestion) -> None:
        QGuiApplication.clipboard().setText(s.url)
        self.ctx.notify(f"Copied the link to {s.track}.", "success")

    # -- Spotify ----------------------------------------------------------------------------
    def _check_spotify(self) -> None:
        def job(_t):
            from core.sources.spotify import auth

            return auth.connected()

        def got(connected: bool) -> None:
            self.spotify_connected = bool(connected)
            self._update_spotify_button()

        self.ctx.run("Checking Spotify", job, on_result=got, quiet=True)

    def _update_spotify_button(self) -> None:
        shown = bool(getattr(self, "shown", []))
        self.spotify_button.setVisible(self.spotify_connected)
        self.spotify_button.setEnabled(self.spotify_connected and shown and not self.ctx.jobs.busy("spotify"))

    def send_to_spotify(self):
        tracks = [(s.artist, s.track) for s in getattr(self, "shown", [])]
        if not tracks or not self.spotify_connected:
            return None
        from app.pages.connections import spotify_roots

        client = spotify_client_id(self.ctx.settings.spotify_client_id)
        accounts_root, api_root = spotify_roots(self.ctx.settings)
        name = f"Segue · {date.today():%d %b %Y}"

        def job(token):
            from core.sources.spotify.api import SpotifyApi, export_playlist

            with SpotifyApi(client, api_root=api_root, accounts_root=accounts_root) as api:
                return (yield from export_playlist(api, name, tracks, "Suggestions from Segue", token))

        def done(result) -> None:
            missing = f" ({len(result.missing)} not found on Spotify)" if result.missing else ""
            url = result.url
            self.ctx.notify(
                f"Saved “{name}” to Spotify with {result.added} tracks{missing}.",
                "success",
                retry=(lambda: QDesktopServices.openUrl(QUrl(url))) if url else None,
                action="Open",
            )

        handle = self.ctx.run("Sending to Spotify", job, resource="spotify", on_result=done)
        self.export_row.track(handle, "Sending to Spotify")
        handle.done.connect(self._update_spotify_button)
        self._update_spotify_button()
        return handle
