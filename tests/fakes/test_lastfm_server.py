"""Tests of the fake Last.fm server (offline, fast)."""

from __future__ import annotations

import json
import os
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .lastfm_server import (
    ERROR_MESSAGES,
    ERROR_STATUS,
    FakeLastfm,
    Fault,
    Play,
    lastfm_signature,
    load_sqlite_history,
    plays_from,
)

SQLITE = Path("data/listening/lastfm-exports/spacedlevo__lastfmscrobbles.sqlite")
RT = "user.getRecentTracks"
_CLIENT = httpx.Client(timeout=5)  # shared keep-alive client: saves ~30 ms of TLS-context setup per call


def call(server: FakeLastfm, client: httpx.Client | None = None, **params: Any) -> httpx.Response:
    """GET the API with api_key and format=json unless given."""
    params.setdefault("api_key", server.api_key)
    params.setdefault("format", "json")
    return (client or _CLIENT).get(server.url, params=params)


def tracks_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The track list of a recenttracks body, whether Last.fm sent a list or a single object."""
    value = body["recenttracks"].get("track", [])
    return value if isinstance(value, list) else [value]


def sqlite_path() -> Path:
    """The real 75k-play SQLite history in ../shared (skips the test when absent)."""
    shared = Path(os.environ.get("SEGUE_SHARED", Path(__file__).resolve().parents[3] / "shared"))
    if not (shared / SQLITE).exists():
        pytest.skip("shared SQLite history not found")
    return shared / SQLITE


@pytest.fixture(scope="module")
def big_history() -> list[Play]:
    return load_sqlite_history(sqlite_path())


@pytest.fixture(scope="module")
def big(big_history: list[Play]) -> Iterator[FakeLastfm]:
    with FakeLastfm(users={"spacedlevo": big_history}) as server:
        yield server


@pytest.fixture
def small() -> Iterator[FakeLastfm]:
    plays = [
        Play(f"Artist {i % 3}", f"Track {i}", f"Album {i % 2}", 1_600_000_000 + i * 60) for i in range(10)
    ]
    with FakeLastfm(
        users={"alice": plays, "bob": [("Bob Artist", "Bob Track", "", 1_500_000_000)]}
    ) as server:
        yield server


# ------------------------------------------------------------------------------------ history paging


def test_full_history_pages_every_play_once_newest_first(big: FakeLastfm, big_history: list[Play]) -> None:
    assert len(big_history) == 75_246
    seen: list[tuple[int, str, str, str]] = []
    with httpx.Client(timeout=10) as client:
        first = call(big, client, method=RT, user="spacedlevo", limit=200).json()
        attr = first["recenttracks"]["@attr"]
        assert attr == {
            "perPage": "200",
            "totalPages": "377",
            "page": "1",
            "total": "75246",
            "user": "spacedlevo",
        }
        for page in range(1, 378):
            body = call(big, client, method=RT, user="spacedlevo", limit=200, page=page).json()
            assert body["recenttracks"]["@attr"]["page"] == str(page)
            for t in tracks_of(body):
                seen.append((int(t["date"]["uts"]), t["artist"]["#text"], t["name"], t["album"]["#text"]))
    assert len(seen) == 75_246
    assert [s[0] for s in seen] == sorted((s[0] for s in seen), reverse=True)
    assert Counter(seen) == Counter((p.played_at, p.artist, p.track, p.album) for p in big_history)


def test_loader_and_plays_from() -> None:
    plays = plays_from([("A", "T", "Al", 5), {"artist": "B", "track": "U", "played_at": 6}, Play("C", "V")])
    assert [p.artist for p in plays] == ["A", "B", "C"] and plays[1].album == "" and plays[0].played_at == 5


def test_loader_limit_keeps_most_recent(big_history: list[Play]) -> None:
    recent = load_sqlite_history(sqlite_path(), limit=10)
    assert [p.played_at for p in recent] == [p.played_at for p in big_history[-10:]]


def test_track_shape_matches_recorded_responses(small: FakeLastfm, shared: Path) -> None:
    api = shared / "fixtures" / "api"

    def shape(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: shape(x) for k, x in v.items()}
        if isinstance(v, list):
            return [shape(v[0])] if v else []
        return type(v).__name__

    koito = json.loads((api / "koito-test-assets" / "recenttracks-shoko2-1749776100.json").read_text())[0]
    body = call(small, method=RT, user="alice", limit=3).json()
    assert shape(body["recenttracks"]["track"][0]) == shape(koito["track"][0])
    assert set(body["recenttracks"]["@attr"]) == set(koito["@attr"])
    assert all(isinstance(v, str) for v in body["recenttracks"]["@attr"].values())

    docs = json.loads(
        (api / "lastfm-api-docs-community/json_examples/user.getRecentTracks.1.json").read_text()
    )
    small.set_now_playing(("Artist 0", "Now", "Album 0"), user="alice")
    body = call(small, method=RT, user="alice", limit=1, extended=1).json()
    assert len(body["recenttracks"]["track"]) == 2  # limit 1 + the now-playing row
    assert [shape(t) for t in body["recenttracks"]["track"]] == [
        shape(t) for t in docs["recenttracks"]["track"]
    ]


# ----------------------------------------------------------------------------------- page shapes


def test_single_track_page_is_an_object(small: FakeLastfm) -> None:
    body = call(small, method=RT, user="bob").json()
    assert isinstance(body["recenttracks"]["track"], dict)
    assert body["recenttracks"]["track"]["name"] == "Bob Track"
    assert body["recenttracks"]["@attr"]["total"] == "1"
    body = call(small, method=RT, user="alice", limit=1).json()
    assert isinstance(body["recenttracks"]["track"], dict)
    small.collapse_single = False
    assert isinstance(call(small, method=RT, user="bob").json()["recenttracks"]["track"], list)


def test_empty_history_shapes(small: FakeLastfm) -> None:
    small.add_user("nobody")
    body = call(small, method=RT, user="nobody").json()
    assert body == {
        "recenttracks": {
            "track": [],
            "@attr": {"perPage": "50", "totalPages": "0", "page": "1", "total": "0", "user": "nobody"},
        }
    }
    small.legacy_empty = True
    body = call(small, method=RT, user="nobody").json()
    assert body["recenttracks"]["#text"] == "\n" and body["recenttracks"]["total"] == "0"


def test_from_to_bounds(small: FakeLastfm) -> None:
    base = 1_600_000_000

    def uts(**params: Any) -> list[int]:
        body = call(small, method=RT, user="alice", **params).json()
        return [int(t["date"]["uts"]) for t in tracks_of(body)]

    # from inclusive, to exclusive by default
    assert uts(**{"from": base + 180, "to": base + 360}) == [base + 300, base + 240, base + 180]
    body = call(small, method=RT, user="alice", limit=2, **{"from": base + 180, "to": base + 360}).json()
    assert (
        body["recenttracks"]["@attr"]["total"] == "3" and body["recenttracks"]["@attr"]["totalPages"] == "2"
    )
    assert uts(limit=2, page=2, **{"from": base + 180, "to": base + 360}) == [base + 180]
    assert uts(**{"from": base + 540}) == [base + 540]
    assert uts(to=base + 60) == [base]
    assert uts(**{"from": base + 600}) == []
    small.to_inclusive, small.from_inclusive = True, False
    assert uts(**{"from": base + 180, "to": base + 360}) == [base + 360, base + 300, base + 240]


def test_now_playing_row_on_every_page(small: FakeLastfm) -> None:
    small.set_now_playing(Play("Live Artist", "Live Song", "Live Album"), user="alice")
    for page in (1, 5, 6):
        body = call(small, method=RT, user="alice", limit=2, page=page).json()
        rows = tracks_of(body)
        assert rows[0]["@attr"] == {"nowplaying": "true"} and "date" not in rows[0]
        assert rows[0]["name"] == "Live Song" and rows[0]["artist"]["#text"] == "Live Artist"
        assert all("date" in r and "@attr" not in r for r in rows[1:])
        assert body["recenttracks"]["@attr"]["total"] == "10"
    assert len(tracks_of(call(small, method=RT, user="alice", limit=2).json())) == 3
    assert len(tracks_of(call(small, method=RT, user="alice", limit=2, page=6).json())) == 1  # past the end
    ext = tracks_of(call(small, method=RT, user="alice", extended=1).json())
    assert ext[0]["artist"]["name"] == "Live Artist" and ext[0]["loved"] == "0"
    small.set_now_playing(None, user="alice")
    assert "@attr" not in tracks_of(call(small, method=RT, user="alice").json())[0]


def test_limit_and_page_validation(small: FakeLastfm, big: FakeLastfm) -> None:
    body = call(big, method=RT, user="spacedlevo", limit=1000).json()
    assert body["recenttracks"]["@attr"]["perPage"] == "200" and len(body["recenttracks"]["track"]) == 200
    r = call(small, method=RT, user="alice", page=0)
    assert r.status_code == 400 and r.json() == {
        "error": 6,
        "message": "page param out of bounds (1-1000000)",
    }
    r = call(small, method=RT, user="ghost")
    assert r.status_code == 404 and r.json() == {"error": 6, "message": "User not found"}
    assert call(small, method=RT).json()["error"] == 6
    assert call(small, method=RT, user="ALICE").json()["recenttracks"]["@attr"]["user"] == "alice"


def test_xml_format_and_post(small: FakeLastfm) -> None:
    small.set_now_playing(("Live", "Song", ""), user="alice")
    r = httpx.get(small.url, params={"method": RT, "user": "alice", "api_key": small.api_key, "limit": 2})
    assert r.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(r.content)
    assert root.get("status") == "ok"
    rt = root.find("recenttracks")
    assert rt is not None and rt.get("total") == "10" and rt.get("perPage") == "2"
    rows = rt.findall("track")
    assert rows[0].get("nowplaying") == "true" and rows[0].find("date") is None
    date = rows[1].find("date")
    assert date is not None and date.get("uts") == str(1_600_000_000 + 9 * 60)
    r = httpx.post(
        small.url, data={"method": RT, "user": "alice", "api_key": small.api_key, "format": "json"}
    )
    assert r.json()["recenttracks"]["@attr"]["user"] == "alice"
    r = httpx.get(small.url, params={"method": RT, "user": "alice", "api_key": "bad"})
    err = ET.fromstring(r.content).find("error")
    assert r.status_code == 403 and err is not None and err.get("code") == "10"


# ---------------------------------------------------------------------------------------- faults

ALL_CODES = [2, 3, 4, 6, 8, 9, 10, 11, 13, 14, 15, 16, 17, 26, 29]


@pytest.mark.parametrize("code", ALL_CODES)
def test_error_code_faults(small: FakeLastfm, code: int) -> None:
    fault = small.inject(Fault.error(code), method=RT)
    r = call(small, method=RT, user="alice")
    assert r.status_code == ERROR_STATUS[code]
    assert r.json() == {"error": code, "message": ERROR_MESSAGES[code]}
    assert fault.fired == 1
    assert call(small, method=RT, user="alice").status_code == 200  # fired once


def test_error_with_http_200_and_xml(small: FakeLastfm) -> None:
    small.inject(16, status=200)
    r = call(small, method=RT, user="alice")
    assert r.status_code == 200 and r.json()["error"] == 16
    small.inject(Fault.error(29, headers={"Retry-After": "60"}))
    r = httpx.get(small.url, params={"method": RT, "user": "alice", "api_key": small.api_key})
    assert r.status_code == 429 and r.headers["retry-after"] == "60"
    assert ET.fromstring(r.content).find("error").get("code") == "29"  # type: ignore[union-attr]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_plain_http_errors(small: FakeLastfm, status: int) -> None:
    small.inject(Fault.http(status))
    r = call(small, method=RT, user="alice")
    assert r.status_code == status and r.headers["content-type"].startswith("text/html")
    assert f"<h1>{status} " in r.text
    with pytest.raises(json.JSONDecodeError):
        r.json()


@pytest.mark.parametrize("variant", ["truncated", "empty", "html"])
def test_malformed_bodies(small: FakeLastfm, variant: str) -> None:
    small.inject(Fault.malformed(variant))
    r = call(small, method=RT, user="alice")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(r.content)


def test_incomplete_body(small: FakeLastfm) -> None:
    small.inject(Fault.incomplete())
    with pytest.raises(httpx.RemoteProtocolError):
        call(small, method=RT, user="alice")
    assert call(small, method=RT, user="alice").status_code == 200


def test_slow_response_times_client_out(small: FakeLastfm) -> None:
    small.inject(Fault.slow(1.0))
    t0 = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(small.url, params={"method": RT, "user": "alice", "api_key": small.api_key}, timeout=0.2)
    assert time.monotonic() - t0 < 0.9
    small.inject(Fault.slow(0.2, then=Fault.error(11)))
    r = call(small, method=RT, user="alice")
    assert r.json()["error"] == 11 and r.elapsed.total_seconds() >= 0.2


def test_stop_does_not_wait_for_slow_faults() -> None:
    server = FakeLastfm(users={"u": []}).start()
    server.inject(Fault.slow(30))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(server.url, params={"method": RT, "user": "u", "api_key": server.api_key}, timeout=0.1)
    t0 = time.monotonic()
    server.stop()
    assert time.monotonic() - t0 < 2


@pytest.mark.parametrize("kind", ["reset", "close"])
def test_connection_dropped_without_response(small: FakeLastfm, kind: str) -> None:
    small.inject(Fault.reset() if kind == "reset" else Fault.close())
    with httpx.Client(timeout=5) as client:
        with pytest.raises(httpx.TransportError):
            call(small, client, method=RT, user="alice")
        assert call(small, client, method=RT, user="alice").status_code == 200
    assert [r.outcome for r in small.requests] == [f"fault {kind}", "ok"]


def test_fault_targeting(small: FakeLastfm) -> None:
    f = small.inject(8, method="USER.getrecenttracks", page=2, times=2)
    assert call(small, method=RT, user="alice", limit=2).status_code == 200
    assert call(small, method="user.getInfo", user="alice", page=2).status_code == 200
    assert call(small, method=RT, user="alice", limit=2, page=2).json()["error"] == 8
    assert call(small, method=RT, user="alice", limit=2, page=2).json()["error"] == 8
    assert call(small, method=RT, user="alice", limit=2, page=2).status_code == 200
    assert f.fired == 2 and small.pending_faults == []

    forever = small.inject(Fault.http(503), user="bob", times=None)
    for _ in range(3):
        assert call(small, method=RT, user="bob").status_code == 503
    assert call(small, method=RT, user="alice").status_code == 200
    assert forever.fired == 3
    small.clear_faults()
    assert call(small, method=RT, user="bob").status_code == 200

    small.inject(29, when=lambda p: p.get("to") is None)
    assert call(small, method=RT, user="alice", to=1_700_000_000).status_code == 200
    assert call(small, method=RT, user="alice").status_code == 429


def test_wrong_user_fault(small: FakeLastfm) -> None:
    small.inject(Fault.wrong_user("bob"))
    body = call(small, method=RT, user="alice").json()
    assert body["recenttracks"]["@attr"]["user"] == "bob"


# ------------------------------------------------------------------------------- auth & signatures


def test_signature_matches_documented_examples() -> None:
    params = {"method": "auth.getSession", "api_key": "YOUR_API_KEY", "token": "YOUR_REQUESTED_TOKEN"}
    assert (
        lastfm_signature({**params, "format": "json"}, "YOUR_SECRET").upper()
        == "94539006DE89B3C6B3C030BB1E52B9C4"
    )
    love = {"method": "track.love", "artist": "KITANO REM", "track": "RAINSICK", "api_key": "YOUR_API_KEY"}
    love |= {"sk": "YOUR_SESSION_KEY", "format": "json", "callback": "cb"}
    assert lastfm_signature(love, "YOUR_SECRET").upper() == "800B8884B00C9343D1D425ED271E0F42"


def test_desktop_auth_flow(small: FakeLastfm) -> None:
    token = call(small, method="auth.getToken").json()["token"]
    assert len(token) == 32
    page = httpx.get(small.auth_url(token))
    assert page.status_code == 200 and "<form" in page.text and token in page.text

    params = {"method": "auth.getSession", "token": token, "api_key": small.api_key}
    assert call(small, **params).json()["error"] == 13  # unsigned
    assert call(small, **params, api_sig="0" * 32).json()["error"] == 13  # bad signature
    r = call(small, **small.signed(params))
    assert r.status_code == 403 and r.json() == {"error": 14, "message": ERROR_MESSAGES[14]}

    sk = small.approve_token(token, "alice")
    r = call(small, **small.signed({**params, "format": "json"}))
    assert r.json() == {"session": {"name": "alice", "key": sk, "subscriber": 0}}
    assert small.sessions[sk] == "alice"
    assert call(small, **small.signed(params)).json()["error"] == 15  # token already used

    unknown = {"method": "auth.getSession", "token": "f" * 32}
    assert call(small, **small.signed(unknown)).json()["error"] == 4
    expired = small.issue_token()
    small.approve_token(expired, "alice")
    small.expire_token(expired)
    assert call(small, **small.signed({**unknown, "token": expired})).json()["error"] == 15


def test_auth_page_form_and_auto_approve(fake_lastfm_factory: Any) -> None:
    server = fake_lastfm_factory(users={"carol": []}, auto_approve_user="carol")
    token = server.issue_token()
    assert "authenticated" in httpx.get(server.auth_url(token)).text
    r = call(server, **server.signed({"method": "auth.getSession", "token": token}))
    assert r.json()["session"]["name"] == "carol"
    assert server.web_requests[0].params["token"] == token

    server.auto_approve_user = None
    token2 = server.issue_token()
    r = httpx.post(
        f"{server.root}/api/auth/", data={"api_key": server.api_key, "token": token2, "username": "carol"}
    )
    assert r.status_code == 200
    assert call(server, **server.signed({"method": "auth.getSession", "token": token2})).json()["session"]
    assert httpx.get(server.auth_url("nope")).status_code == 400
    assert server.requests and all(r.method == "auth.getSession" for r in server.requests)


def test_private_profile(small: FakeLastfm) -> None:
    small.set_private("alice")
    r = call(small, method=RT, user="alice")
    assert r.status_code == 403 and r.json() == {
        "error": 17,
        "message": "Login: User required to be logged in",
    }
    assert "playcount" not in call(small, method="user.getInfo", user="alice").json()["user"]

    sk = small.add_session("alice")
    r = call(small, **small.signed({"method": RT, "user": "alice", "sk": sk, "format": "json"}))
    assert r.status_code == 200 and r.json()["recenttracks"]["@attr"]["total"] == "10"
    info = call(small, **small.signed({"method": "user.getInfo", "sk": sk, "format": "json"})).json()
    assert info["user"]["playcount"] == "10"

    other = small.add_session("bob")
    assert call(small, **small.signed({"method": RT, "user": "alice", "sk": other})).json()["error"] == 17
    assert call(small, method=RT, user="alice", sk=sk, api_sig="0" * 32).json()["error"] == 13
    assert call(small, **small.signed({"method": RT, "user": "alice", "sk": "nope"})).json()["error"] == 9
    small.revoke_session(sk, code=4)
    assert call(small, **small.signed({"method": RT, "user": "alice", "sk": sk})).json()["error"] == 4
    small.suspend_api_key()
    assert call(small, method=RT, user="bob").json()["error"] == 26


def test_unknown_method_and_bad_key(small: FakeLastfm) -> None:
    r = call(small, method="artist.getSomeData", artist="x")
    assert r.status_code == 400 and r.json() == {"error": 3, "message": ERROR_MESSAGES[3]}
    r = call(small, method=RT, user="alice", api_key="wrong")
    assert r.status_code == 403 and r.json() == {"error": 10, "message": ERROR_MESSAGES[10]}
    assert httpx.get(f"{small.root}/elsewhere").status_code == 404


# ---------------------------------------------------------------------------------------- mutation


def test_mutating_history(small: FakeLastfm) -> None:
    base = 1_600_000_000
    new_id = small.scrobble("New Artist", "New Song", "New Album", base + 10_000, user="alice")
    rows = tracks_of(call(small, method=RT, user="alice").json())
    assert rows[0]["name"] == "New Song" and len(rows) == 11

    victim = small.find_plays(user="alice", played_at=base + 120)[0]
    assert victim.id is not None
    small.delete_play(victim.id, user="alice")
    body = call(small, method=RT, user="alice").json()
    assert body["recenttracks"]["@attr"]["total"] == "10"
    assert str(base + 120) not in {t["date"]["uts"] for t in tracks_of(body)}

    edited = small.edit_play(new_id, user="alice", track="Renamed Song", artist="Renamed Artist")
    rows = tracks_of(call(small, method=RT, user="alice").json())
    assert (rows[0]["name"], rows[0]["artist"]["#text"], rows[0]["date"]["uts"]) == (
        "Renamed Song",
        "Renamed Artist",
        str(base + 10_000),
    )
    assert edited.played_at == base + 10_000
    small.edit_play(new_id, user="alice", played_at=base - 1)
    assert tracks_of(call(small, method=RT, user="alice").json())[-1]["name"] == "Renamed Song"

    ids = small.add_plays([("Batch", f"S{i}", "", base + 20_000 + i) for i in range(100)], user="alice")
    assert len(ids) == 100
    assert call(small, method=RT, user="alice").json()["recenttracks"]["@attr"]["total"] == "110"
    assert [p.played_at for p in small.history(user="alice")][:2] == [base + 20_099, base + 20_098]


# ------------------------------------------------------------------------------------ tags & bios


def test_tags(fake_lastfm_factory: Any) -> None:
    server = fake_lastfm_factory(
        users={"u": [("AC/DC", "Hells Bells", "Back in Black", 1)]},
        track_tags={("AC/DC", "Hells Bells"): [("hard rock", 100), ("rock", 58)]},
        artist_tags={"Audioslave": ["rock", "alternative rock"], "Solo": ["electronic"]},
    )
    body = call(server, method="track.getTopTags", artist="ac/dc", track="hells bells").json()
    assert body["toptags"]["@attr"] == {"artist": "AC/DC", "track": "Hells Bells"}
    assert body["toptags"]["tag"][0] == {
        "count": 100,
        "name": "hard rock",
        "url": "https://www.last.fm/tag/hard+rock",
    }

    r = call(server, method="track.getTopTags", artist="AC/DC", track="Unknown Song")
    assert r.status_code == 200 and r.json() == {
        "toptags": {"tag": [], "@attr": {"artist": "AC/DC", "track": "Unknown Song"}}
    }
    r = call(server, method="track.getTopTags", artist="Nobody", track="Nothing")
    assert r.status_code == 200 and r.json()["error"] == 6

    body = call(server, method="artist.getTopTags", artist="Audioslave").json()
    assert [t["name"] for t in body["toptags"]["tag"]] == ["rock", "alternative rock"]
    assert body["toptags"]["@attr"] == {"artist": "Audioslave"}
    assert isinstance(call(server, method="artist.getTopTags", artist="Solo").json()["toptags"]["tag"], dict)
    assert call(server, method="artist.getTopTags", artist="AC/DC").json()["toptags"]["tag"] == []
    r = call(server, method="artist.getTopTags", artist="artistthatdoesntexist")
    assert r.status_code == 200
    assert r.json() == {"error": 6, "message": "The artist you supplied could not be found", "links": []}


def test_artist_info(fake_lastfm_factory: Any) -> None:
    bio = "The Weeknd is a singer.\n\nHe released albums."
    server = fake_lastfm_factory(
        users={"u": [("The Weeknd", "Often", "", 1), ("The Weeknd", "Often", "", 2)]},
        artist_info={"The Weeknd": {"bio": bio, "mbid": "c8b0", "tags": ["rnb"], "similar": ["Drake"]}},
    )
    a = call(server, method="artist.getInfo", artist="the weeknd", username="u").json()["artist"]
    link = '<a href="https://www.last.fm/music/The+Weeknd">Read more on Last.fm</a>'
    assert a["bio"]["summary"] == f"The Weeknd is a singer. {link}"
    assert a["bio"]["content"] == (
        f"{bio} {link}. User-contributed text is available under the Creative Commons By-SA License; "
        "additional terms may apply."
    )
    assert a["bio"]["links"]["link"]["href"] == "https://last.fm/music/The+Weeknd/+wiki"
    assert a["stats"] == {"listeners": "1", "playcount": "2", "userplaycount": "2"}
    assert a["tags"]["tag"][0]["name"] == "rnb" and a["similar"]["artist"][0]["name"] == "Drake"
    assert call(server, method="artist.getInfo", mbid="c8b0").json()["artist"]["name"] == "The Weeknd"
    r = call(server, method="artist.getInfo", artist="The Weeknd BUT Fake")
    assert r.status_code == 404
    assert r.json() == {"error": 6, "message": "The artist you supplied could not be found", "links": []}


def test_user_info(small: FakeLastfm) -> None:
    u = call(small, method="user.getInfo", user="alice").json()["user"]
    assert u["playcount"] == "10" and u["artist_count"] == "3" and u["name"] == "alice"
    assert u["registered"] == {"unixtime": str(1_600_000_000 - 86400), "#text": 1_600_000_000 - 86400}


# ---------------------------------------------------------------------------------- instrumentation


def test_request_log_and_rate_limit(fake_lastfm_factory: Any) -> None:
    server = fake_lastfm_factory(users={"u": []}, rate_limit=4)
    with httpx.Client(headers={"User-Agent": "Segue/0.1 (+tests)"}, timeout=5) as client:
        statuses = [call(server, client, method=RT, user="u", to=123).status_code for _ in range(6)]
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]
    log = server.calls("user.getrecenttracks")
    assert len(log) == server.request_count() == 6
    assert {r.user_agent for r in log} == {"Segue/0.1 (+tests)"}
    assert {r.params["to"] for r in log} == {"123"}
    assert log[4].outcome == "error 29 (rate limit)"
    assert server.max_requests_in(1.0) == 6 and server.max_requests_in(1e-9) == 1
    server.clear_log()
    assert server.requests == []


# ------------------------------------------------------------------------------------------ pylast


def test_pylast_web_auth_over_tls(fake_lastfm_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pylast = pytest.importorskip("pylast")
    pytest.importorskip("cryptography")
    server = fake_lastfm_factory(
        users={"dave": [("A", f"T{i}", "", 1_600_000_000 + i) for i in range(5)]},
        private_users=["dave"],
        auto_approve_user="dave",
        tls=True,
    )
    monkeypatch.setattr(pylast, "SSL_CONTEXT", server.client_ssl_context())
    network = pylast.LastFMNetwork(api_key=server.api_key, api_secret=server.api_secret)
    network.ws_server = (f"127.0.0.1:{server.port}", "/2.0/")
    network.homepage = server.root
    generator = pylast.SessionKeyGenerator(network)
    url = generator.get_web_auth_url()
    assert url.startswith(f"{server.root}/api/auth/?api_key=")
    httpx.get(url, verify=server.client_ssl_context())  # the "browser"
    session_key, username = generator.get_web_auth_session_key_username(url)
    assert username == "dave" and server.sessions[session_key] == "dave"

    server.set_now_playing(("A", "Live", ""), user="dave")
    network.session_key = session_key
    played = network.get_user("dave").get_recent_tracks(limit=3)
    assert [p.track.title for p in played] == ["T4", "T3", "T2"]
    assert all("api_sig" in r.params and "format" not in r.params for r in server.requests)


def test_concurrent_requests_faults_and_mutation(small: FakeLastfm) -> None:
    from concurrent.futures import ThreadPoolExecutor

    fault = small.inject(8, method=RT, times=5)

    def fetch(_: int) -> int:
        with httpx.Client(timeout=5) as client:
            r = call(small, client, method=RT, user="alice", limit=5)
            return (
                r.json().get("error", 0)
                if r.status_code != 200
                else int(r.json()["recenttracks"]["@attr"]["total"])
            )

    def scrobble_many() -> None:
        for i in range(50):
            small.scrobble("Live", f"L{i}", played_at=1_700_000_000 + i, user="alice")

    with ThreadPoolExecutor(8) as pool:
        writer = pool.submit(scrobble_many)
        results = list(pool.map(fetch, range(24)))
        writer.result()
    assert results.count(8) == 5 and fault.fired == 5
    assert all(10 <= r <= 60 for r in results if r != 8)
    assert call(small, method=RT, user="alice").json()["recenttracks"]["@attr"]["total"] == "60"
