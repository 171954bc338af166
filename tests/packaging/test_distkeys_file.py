"""packaging/distkeys.py: the build-time keys file — environment over file, 0600, values never printed."""

from __future__ import annotations

import importlib.util
import json
import stat

import pytest
from testpaths import ROOT

spec = importlib.util.spec_from_file_location("distkeys_build", ROOT / "packaging" / "distkeys.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


def test_keys_from_a_file_and_the_environment(tmp_path, monkeypatch, capsys):
    f = tmp_path / "keys.env"
    f.write_text(
        "# distributor\nSEGUE_DIST_LASTFM_API_KEY=file-key-123456\n"
        "SEGUE_DIST_LASTFM_API_SECRET='file-secret-123456'\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SEGUE_DIST_KEYS", str(f))
    monkeypatch.setenv("SEGUE_DIST_SPOTIFY_CLIENT_ID", "env-client-123456")
    out = tmp_path / "distributor.json"
    assert build.main(["distkeys.py", str(out)]) == 0
    assert json.loads(out.read_text()) == {
        "lastfm_api_key": "file-key-123456",
        "lastfm_api_secret": "file-secret-123456",
        "spotify_client_id": "env-client-123456",
    }
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    printed = capsys.readouterr().out
    assert "123456" not in printed and "lastfm_api_key" in printed


def test_no_keys_writes_nothing(tmp_path, monkeypatch):
    for name in (*build.FIELDS, "SEGUE_DIST_KEYS"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "distributor.json"
    assert build.main(["distkeys.py", str(out)]) == 0
    assert not out.exists()


def test_a_bad_line_names_file_and_line(tmp_path, monkeypatch):
    f = tmp_path / "keys.env"
    f.write_text("LASTFM_KEY=oops\n", encoding="utf-8")
    monkeypatch.setenv("SEGUE_DIST_KEYS", str(f))
    with pytest.raises(SystemExit, match="keys.env:1"):
        build.main(["distkeys.py", str(tmp_path / "out.json")])
