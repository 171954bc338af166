"""``segue FILE…`` ("Open with", ``Exec=segue %F``): the files are imported into the current account
by the Accounts page's own import, with its summary; commands and options still mean commands."""

from __future__ import annotations

from testpaths import FIXTURES

from app.__main__ import _gui_args
from core.settings import Settings
from core.store.queries import account_by_name
from tests.app.conftest import drain

CUT = FIXTURES / "importers" / "benjaminbenben_from_djivs.csv"  # a real Last.fm export cut, 40 rows


def test_files_open_the_gui_commands_stay_commands(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "stats").mkdir()  # a folder named like a command does not turn `segue stats` into an import
    assert _gui_args([str(CUT)]).files == [str(CUT.resolve())]
    assert _gui_args(["--home", str(tmp_path), str(CUT)]).home == str(tmp_path)
    assert _gui_args([]).files == []
    assert _gui_args(["stats"]) is None
    assert _gui_args(["./stats"]).files == [str(tmp_path / "stats")]
    assert _gui_args([str(tmp_path / "missing.csv")]) is None  # the CLI then says what is wrong
    assert _gui_args(["--version"]) is None


def test_open_with_imports_into_the_current_account(make_app, store_url, qtbot):
    s = Settings.load()
    s.last_account = "felhag"
    s.save()
    app = make_app(store_url, open_files=[str(CUT)])
    page = app.window.pages["accounts"]
    qtbot.waitUntil(lambda: "plays added" in page.import_result.text(), timeout=30000)
    drain(app)
    assert app.window.current_key == "accounts"
    assert "1 file: " in page.import_result.text()
    banners = [m for k, m in app.window.banners.messages() if k == "success"]
    assert any(m.startswith("Imported into felhag") for m in banners), banners
    assert account_by_name(app.ctx.store.engine, "my-history") is None


def test_open_with_and_no_account_yet_makes_my_history(make_app, tmp_path, qtbot):
    app = make_app(f"sqlite:///{tmp_path / 'empty.sqlite'}", open_files=[str(CUT)])
    page = app.window.pages["accounts"]
    qtbot.waitUntil(lambda: "plays added" in page.import_result.text(), timeout=30000)
    drain(app)
    acc = account_by_name(app.ctx.store.engine, "my-history")
    assert acc is not None and acc.plays > 0
