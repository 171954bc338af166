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
    rows = page.shown
    first = rows[0]
    # dismiss: stored, gone now, excluded next time
    page.set_feedback(first, "dismiss")
    drain(app)
    acc = account_by_name(app.ctx.store.engine, "dudu")
    assert first.track_id in feedback(app.ctx.store.engine, acc.id)["dismiss"]
    assert first.track_id not in [s.track_id for s in page.shown]
    page.reload()
    wait_loaded(qtbot, page)
    assert first.track_id not in [s.track_id for s in page.state.familiar + page.state.new]
    # like: stored and passed on as a boost
    target = page.state.familiar[3]
    page.set_feedback(target, "like")
    drain(app)
    assert target.track_id in feedback(app.ctx.store.engine, acc.id)["like"]
    before = target.score
    page.reload()
    wait_loaded(qtbot, page)
    liked = next(s for s in page.state.familiar if s.track_id == target.track_id)
    assert liked.liked and liked.score > before


def test_familiar_explore_control_and_links(make_app, store_url, qtbot, monkeypatch):
    monkeypatch.setattr(suggestions_api, "api", FakeModels())
    app, page = open_page(make_app, store_url, qtbot)
    new_at = {}
    for value in (0, 50, 100):
        page.explore.setValue(value)
        page._explore_changed()
        new_at[value] = sum(s.new_to_user for s in page.shown)
        # "new to you" stays apart from familiar tracks whatever the control says
        kinds = [s.new_to_user for s in page.shown]
        assert kinds == sorted(kinds)
    assert new_at[0] <= new_at[50] <= new_at[100] and new_at[100] > new_at[0]
    # in the middle the model's own order stands: nothing changes unless the user moves the control
    page.explore.setValue(50)
    page._explore_changed()
    assert [s.track_id for s in page.shown] == [s.track_id for s in page.state.candidates[: len(page.shown)]]
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
            extra={"spotify_accounts_root": fake.accounts_root, "spotify_api_root": fake.api_root},
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


def test_train_now_then_real_suggestions_from_default(make_app, store_url, qtbot):
    """With the real engine: no model yet -> the page offers training (a child process) -> suggestions."""
    app, page = open_page(make_app, store_url, qtbot, account="felhag")
    assert page.state.needs_training and page.train_button.isVisible()
    handle = page.train_default()
    with qtbot.waitSignal(handle.done, timeout=120000):
        pass
    assert handle.state == "ok", handle.error
    qtbot.waitUntil(
        lambda: page.state is not None and not page.state.needs_training and not page.loading, timeout=60000
    )
    assert page.shown and all(s.reason for s in page.shown)
    assert not any(s.track_id in {p.track_id for p in page.state.plays[-1:]} for s in page.shown)


def test_lift_set_on_the_insights_page_rearranges_at_once(make_app, store_url, qtbot, monkeypatch):
    monkeypatch.setattr(suggestions_api, "api", FakeModels())
    app, page = open_page(make_app, store_url, qtbot)
    assert page._shown_lift == 0.0
    app.ctx.update_settings(extra={**app.ctx.settings.extra, "lift": 1.0})
    assert page._shown_lift == 1.0
