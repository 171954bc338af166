"""Suggestions: the last session, like/dismiss stored and used, new-to-you apart, explore control, links,
send-to-Spotify only when connected."""

from __future__ import annotations

import httpx
from fakes.spotify_server import CLIENT_ID, FakeSpotify
from PySide6.QtGui import QGuiApplication

from app.pages import suggestions_api
from core.jobs import run_job
from core.store.paging import feedback
from core.store.queries import account_by_name
from models import api
from tests.app.conftest import drain, wait_loaded
from tests.app.fake_models import FakeModels


def test_fake_models_follow_the_interface():
    """The stand-in below is the real interface (a changed signature in models.api fails here)."""
    assert api.interface_mismatches(FakeModels()) == []


def open_page(make_app, url, qtbot, account="dudu"):
    app = make_app(url, account=account)
    app.window.show_page("suggestions")
    page = app.window.pages["suggestions"]
    wait_loaded(qtbot, page)
    return app, page


def test_last_session_and_the_models_own_words_when_it_has_nothing(make_app, store_url, qtbot, monkeypatch):
    monkeypatch.setattr(suggestions_api, "api", FakeModels(error="nothing to suggest from yet"))
    app, page = open_page(make_app, store_url, qtbot)
    assert page.state.plays and not page.state.in_progress
    assert "after your last session" in page.header.subtitle.text()
    assert page.message.isVisible() and "nothing to suggest from yet" in page.message.text()
    assert not page.spotify_button.isVisible()


def test_suggestions_feedback_is_stored_and_used(make_app, store_url, qtbot, monkeypatch):
    monkeypatch.setattr(suggestions_api, "api", FakeModels())
    app, page = open_page(make_app, store_url, qtbot)
    state = page.state
    assert state.familiar and state.new
    assert all(s.reason for s in state.familiar + state.new)
    assert all(s.new_to_user for s in state.new) and not any(s.new_to_user for s in state.familiar)
    first = page.shown[0]
    # dismiss: stored, gone now, excluded next time
    page.set_feedback(first, "dismiss")
    drain(app)
    acc = account_by_name(app.ctx.store.engine, "dudu")
    assert first.track_id in feedback(app.ctx.store.engine, acc.id)["dismiss"]
    assert first.track_id not in [s.track_id for s in page.shown]
    page.reload()
    wait_loaded(qtbot, page)
    assert first.track_id not in [s.track_id for s in page.state.familiar + page.state.new]
    # like: stored, and the liked track rises in Up next (now and after a reload)
    up_next = [s.track_id for s in page.shown if not s.new_to_user]
    target = next(s for s in page.state.familiar if s.track_id == up_next[-1])
    page.set_feedback(target, "like")
    drain(app)
    assert target.track_id in feedback(app.ctx.store.engine, acc.id)["like"]
    assert [s.track_id for s in page.shown].index(target.track_id) < len(up_next) - 1
    page.reload()
    wait_loaded(qtbot, page)
    liked = next(s for s in page.state.familiar if s.track_id == target.track_id)
    assert liked.liked and [s.track_id for s in page.shown].index(target.track_id) < len(up_next) - 1


def test_up_next_and_new_to_you_follow_the_rules_and_the_control(make_app, store_url, qtbot, monkeypatch):
    monkeypatch.setattr(suggestions_api, "api", FakeModels())
    app, page = open_page(make_app, store_url, qtbot)
    artist_of = page.state.pool.artist_of
    new_at = {}
    for value in (0, 25, 50, 75, 100):
        page.explore.setValue(value)
        page._explore_changed()
        main, new = suggestions_api.arrange(page.state, value / 100, 0.0, page._rules())
        assert [s.track_id for s in page.shown] == [s.track_id for s in main + new]
        assert len(main) == 10 and new, "New to you stays visible whatever the control says"
        assert not {s.track_id for s in main} & {s.track_id for s in new}
        per_artist = {}
        for s in main:
            per_artist[artist_of[s.track_id]] = per_artist.get(artist_of[s.track_id], 0) + 1
        assert max(per_artist.values()) <= 3
        new_at[value] = sum(s.new_to_user for s in main)
    assert list(new_at.values()) == sorted(new_at.values()) and new_at[0] == 0 and new_at[100] == 10
    assert new_at[50] < new_at[75] < new_at[100], "each step to the right brings new tracks in"
    # in the middle the served list is the models' own ranking under the rules
    page.explore.setValue(50)
    page._explore_changed()
    neutral = page.state.pool.serve(rules=page._rules())
    assert [s.track_id for s in page.shown[:10]] == [r.track_id for r in neutral.main]
    page.copy_link(page.shown[0])
    assert QGuiApplication.clipboard().text().startswith("https://www.last.fm/music/")


def test_send_to_spotify_when_connected(make_app, store_url, qtbot, monkeypatch):
    monkeypatch.setattr(suggestions_api, "api", FakeModels())
    with FakeSpotify(catalogue=[]) as fake:
        from core.sources.spotify import auth

        run_job(
            auth.login(
                CLIENT_ID,
                open_browser=lambda u: httpx.get(u, follow_redirects=True, timeout=10),
                accounts_root=fake.accounts_root,
                api_root=fake.api_root,
            )
        )
        app, page = open_page(make_app, store_url, qtbot)
        app.ctx.update_settings(
            spotify_client_id=CLIENT_ID,
            spotify_accounts_root=fake.accounts_root,
            spotify_api_root=fake.api_root,
        )
        qtbot.waitUntil(
            lambda: page.spotify_button.isVisible() and page.spotify_button.isEnabled(), timeout=5000
        )
        fake.catalogue.extend((s.artist, s.track) for s in page.shown[:5])
        handle = page.send_to_spotify()
        with qtbot.waitSignal(handle.done, timeout=20000):
            pass
        assert handle.state == "ok", handle.error
        assert handle.result.added == 5 and len(handle.result.missing) == len(page.shown) - 5
        playlist = fake.playlists[handle.result.playlist_id]
        assert len(playlist["items"]) == 5 and playlist["name"].startswith("Segue")


def test_history_without_a_model_trains_by_itself_and_the_page_says_so(make_app, store_url, qtbot):
    """With the real engine: no model yet -> training starts in the background (the sidebar's job
    runner), the page says queued / training n% -> then real suggestions, with what they come from."""
    app = make_app(store_url, account="felhag", train_automatically=True)
    app.window.show_page("suggestions")
    page = app.window.pages["suggestions"]
    wait_loaded(qtbot, page)
    assert page.state.needs_training
    handle = page._train_handle()
    assert handle is not None and handle.core.name == "train" and not page.train_button.isVisible()
    assert handle in app.ctx.jobs.active(), "the training is the runner's job (shown in the sidebar)"
    text = page.message.text()
    assert ("queued" in text or "Training it now" in text) and "about a minute" not in text
    said = []
    handle.progress.connect(lambda _p: said.append(page.message.text()))
    with qtbot.waitSignal(handle.done, timeout=180000):
        pass
    assert handle.state == "ok", handle.error
    assert any("Training it now" in t and "%" in t for t in said), said[-3:]
    qtbot.waitUntil(
        lambda: page.state is not None and not page.state.needs_training and not page.loading, timeout=60000
    )
    assert page.shown and all(s.reason for s in page.shown)
    assert not any(s.track_id in {p.track_id for p in page.state.plays[-1:]} for s in page.shown)
    assert "default, trained" in page.status.text() and "per artist" in page.status.text()
    assert not page.message.isVisible()


def test_with_training_by_itself_off_the_page_offers_train(make_app, store_url, qtbot, monkeypatch):
    monkeypatch.setattr(suggestions_api, "api", FakeModels(trained=False))
    app, page = open_page(make_app, store_url, qtbot)
    assert page.state.needs_training and page._train_handle() is None
    assert page.train_button.isVisible() and "not been trained" in page.message.text()


def test_lift_set_on_the_insights_page_rearranges_at_once(make_app, store_url, qtbot, monkeypatch):
    monkeypatch.setattr(suggestions_api, "api", FakeModels())
    app, page = open_page(make_app, store_url, qtbot)
    assert page._shown_lift == 0.0
    app.ctx.update_settings(lift=1.0)
    assert page._shown_lift == 1.0


def test_new_to_you_comes_from_the_catalogue_once_its_ranker_trains_by_itself(make_app, store_url, qtbot):
    """With the real engine: ``default`` trained and a catalogue refreshed (offline: the other
    listening histories on this computer) but no discovery ranker -> the page trains it through the
    runner's ``train`` job and says so; then "New to you" is the ranker's, from the catalogue."""
    from core.catalogue.refresh import refresh_catalogue
    from core.store import open_store
    from core.store.schema import Scrobble
    from models.discovery.reasons import DiscoveryEvidence

    store = open_store(store_url)
    try:
        run_job(api.train(store, "felhag"))
        run_job(refresh_catalogue(store, "felhag", sources=["local.accounts"]))
    finally:
        store.dispose()
    app, page = open_page(make_app, store_url, qtbot, account="felhag")  # training by itself: off
    assert page.state.pool.discovery_needs_training and page._train_handle("discovery") is None
    assert "not trained yet" in page.status.text()
    app.ctx.update_settings(train_automatically=True)
    page.reload()
    wait_loaded(qtbot, page)
    handle = page._train_handle("discovery")
    assert handle is not None and handle in app.ctx.jobs.active(), "the runner's train job (sidebar)"
    assert handle.core.params["model"] == "discovery" and "discovery ranker" in page.status.text()
    with qtbot.waitSignal(handle.done, timeout=300000):
        pass
    assert handle.state == "ok", handle.error
    qtbot.waitUntil(
        lambda: (
            not page.loading
            and page.state.pool is not None
            and page.state.pool.discovery_source == "catalogue"
        ),
        timeout=60000,
    )
    pool = page.state.pool
    assert pool.discoveries and all(isinstance(r.evidence, DiscoveryEvidence) for r in pool.discoveries)
    _main, new = suggestions_api.arrange(page.state, page.explore.value() / 100, 0.0, page._rules())
    assert len(new) >= 5 and all(s.new_to_user and s.reason for s in new)
    assert "the discovery ranker over your catalogue" in page.status.text()
    shown = {s.track_id for s in page.shown}
    assert {s.track_id for s in new} <= shown, "the New to you list is on the page"
    heads = [w.text() for w in page.findChildren(type(page.status)) if w.isVisible()]
    assert "New to you" in heads
    with app.ctx.store.engine.connect() as conn:
        me = account_by_name(app.ctx.store.engine, "felhag").id
        played = {
            t
            for (t,) in conn.execute(
                Scrobble.__table__.select()
                .with_only_columns(Scrobble.track_id)
                .where(Scrobble.account_id == me)
            )
        }
    assert not ({s.track_id for s in new} & played)
