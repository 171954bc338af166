"""Accounts & import, when files are refused: through the page's real import path (a spawned child
process, core.jobs.isolate), the banner says exactly what ``segue import`` says for the same file; a good and
a bad file chosen together store the good one, report both, and refresh the accounts table."""

from __future__ import annotations

import subprocess
import sys

import pytest
from testpaths import cli_env

from core.store.queries import account_by_name
from tests.app.conftest import LISTENING, drain, wait_loaded

ALEEX = LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"
BASIC = LISTENING / "spotify" / "jonas-mika-basic" / "StreamingHistory0.json"


def cli_errors(tmp_path, *paths) -> tuple[int, list[str], str]:
    """Exit code, the ``segue: ...`` lines (without the prefix) and stdout of ``segue import PATHS``."""
    env = cli_env(tmp_path / "cli-home")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "--db",
            f"sqlite:///{tmp_path / 'cli.sqlite'}",
            "import",
            *map(str, paths),
        ]
        + ["--account", "cli"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return out.returncode, [ln.removeprefix("segue: ") for ln in out.stderr.splitlines()], out.stdout


def gui_import(app, qtbot, paths, account: str):
    app.window.show_page("accounts")
    page = app.window.pages["accounts"]
    wait_loaded(qtbot, page)
    before = len(app.window.banners.messages())
    handle = page.import_paths([str(p) for p in paths], account=account)
    with qtbot.waitSignal(handle.done, timeout=60000):
        pass
    drain(app)
    return page, handle, app.window.banners.messages()[before:]


def _no_columns(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("what,when\ngroceries,monday\nlaundry,tuesday\n", encoding="utf-8")
    return path


def _truncated_basic(tmp_path):
    path = tmp_path / "StreamingHistory0.json"
    path.write_bytes(BASIC.read_bytes()[:3000])
    return path


@pytest.mark.parametrize("make_bad", [_no_columns, _truncated_basic], ids=["no-columns", "truncated-json"])
def test_a_refused_file_shows_exactly_the_cli_message(make_app, store_url, tmp_path, qtbot, make_bad):
    bad = make_bad(tmp_path)
    code, cli, _ = cli_errors(tmp_path, bad)
    assert code == 2 and len(cli) == 1 and str(bad) in cli[0]
    app = make_app(store_url, account="felhag")
    page, handle, banners = gui_import(app, qtbot, [bad], account="oops")
    assert handle.state == "ok", handle.error  # the job ran; the file was refused, not the job
    assert [m for k, m in banners if k == "error"] == cli
    assert "Something went wrong" not in " ".join(m for _, m in banners)
    assert "1 file could not be read" in page.import_result.text()
    acc = account_by_name(app.ctx.store.engine, "oops")
    assert acc is None or acc.plays == 0


def test_good_and_bad_files_together(make_app, store_url, tmp_path, qtbot):
    bad = _truncated_basic(tmp_path)
    code, cli, stdout = cli_errors(tmp_path, ALEEX, bad)
    assert code == 2 and len(cli) == 1 and "added 6,00" in stdout  # CLI: the good one imported, both reported
    app = make_app(store_url, account="felhag")
    page, handle, banners = gui_import(app, qtbot, [ALEEX, bad], account="both")
    assert handle.state == "ok", handle.error
    assert [m for k, m in banners if k == "error"] == cli
    assert any(k == "success" and "Imported into both" in m for k, m in banners)
    assert "1 file: " in page.import_result.text() and "1 file could not be read" in page.import_result.text()
    qtbot.waitUntil(lambda: any(r["name"] == "both" for r in page.accounts_model.rows), timeout=10000)
    row = next(r for r in page.accounts_model.rows if r["name"] == "both")
    assert row["plays"] == account_by_name(app.ctx.store.engine, "both").plays > 5900
