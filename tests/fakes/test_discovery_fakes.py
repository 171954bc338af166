"""The discovery fakes speak the recorded formats: same keys and value types as the recorded Last.fm
bodies (../shared/fixtures/api/lastfm-api-docs-community/json_examples), the documented ListenBrainz
shapes, MusicBrainz artist search."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from testpaths import API_FIXTURES

from .discovery_world import DiscoveryWorld
from .lastfm_server import FakeLastfm
from .listenbrainz_server import FakeListenBrainz
from .musicbrainz_server import FakeMusicBrainz, artists_from_world

EXAMPLES = API_FIXTURES / "lastfm-api-docs-community" / "json_examples"


def recorded(name: str):
    """A recorded body; the ``.invalid.txt`` ones are cut short with "... and N more": drop that line."""
    path = EXAMPLES / name
    if not path.exists():
        pytest.skip(f"recorded bodies not found at {EXAMPLES}")
    text = re.sub(r",\s*\.\.\. and \d+ more", "", path.read_text(encoding="utf-8"))
    return json.loads(text)


def shape(value):
    """Keys and scalar types, recursively (first element of lists)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def world() -> DiscoveryWorld:
    w = DiscoveryWorld()
    w.add_artist("Metallica", ["One", "Fade to Black"], similar=["Megadeth", "Slayer"], tags=["metal"])
    w.add_artist("Megadeth", ["Symphony of Destruction"], similar=["Metallica"], tags=["metal"])
    w.add_artist("Slayer", ["Raining Blood"], tags=["metal"])
    w.set_similar_tracks(
        "Metallica", "One", [("Megadeth", "Symphony of Destruction", 1.0), ("Slayer", "Raining Blood", 0.5)]
    )
    return w


def call(fm: FakeLastfm, **params):
    r = httpx.get(fm.url, params={"api_key": fm.api_key, "format": "json", **params})
    return r.status_code, r.json()


@pytest.mark.parametrize(
    ("method", "params", "example", "outer", "inner"),
    [
        (
            "artist.getSimilar",
            {"artist": "Metallica"},
            "artist.getSimilar.0.invalid.txt",
            "similarartists",
            "artist",
        ),
        ("artist.getTopTracks", {"artist": "Metallica"}, "artist.getTopTracks.0.json", "toptracks", "track"),
        (
            "track.getSimilar",
            {"artist": "Metallica", "track": "One"},
            "track.getSimilar.0.invalid.txt",
            "similartracks",
            "track",
        ),
        ("tag.getTopTracks", {"tag": "metal"}, "tag.getTopTracks.0.invalid.txt", "tracks", "track"),
    ],
)
def test_lastfm_discovery_bodies_have_the_recorded_shape(method, params, example, outer, inner):
    want = recorded(example)
    with FakeLastfm(world=world()) as fm:
        status, body = call(fm, method=method, **params)
    assert status == 200
    got_item, want_item = body[outer][inner][0], want[outer][inner][0]
    assert shape(got_item) == shape(want_item) or _same_but_images(shape(got_item), shape(want_item))
    assert set(body[outer]["@attr"]) == set(want[outer]["@attr"])


def _same_but_images(a: dict, b: dict) -> bool:
    return {k: v for k, v in a.items() if k != "image"} == {k: v for k, v in b.items() if k != "image"}


def test_lastfm_unknowns_answer_like_the_recordings():
    with FakeLastfm(world=world()) as fm:
        status, body = call(fm, method="artist.getSimilar", artist="Nobody At All")
        assert status == 200 and body == recorded("artist.getSimilar.1.json")
        assert call(fm, method="artist.getTopTracks", artist="Nobody At All")[1] == recorded(
            "artist.getTopTracks.1.json"
        )
        _, empty = call(fm, method="track.getSimilar", artist="Metallica", track="Fake Song")
        assert shape(empty) == shape(recorded("track.getSimilar.1.json"))
        _, none = call(fm, method="track.getSimilar", artist="Fake Artist", track="Fake Song")
        assert none["error"] == 6 and none["message"] == "Track not found"
        _, tag = call(fm, method="tag.getTopTracks", tag="thistagdoesntexist")
        assert tag == recorded("tag.getTopTracks.1.json")
    with FakeLastfm(world=world(), similar_tracks_empty="lfm", discovery_error_status=400) as fm:
        assert call(fm, method="track.getSimilar", artist="Metallica", track="Fake Song") == (200, {})
        assert call(fm, method="artist.getSimilar", artist="Nobody")[0] == 400
        xml = httpx.get(
            fm.url,
            params={"api_key": fm.api_key, "method": "track.getSimilar", "artist": "Metallica", "track": "x"},
        )
        assert '<lfm status="ok">' in xml.text


def test_listenbrainz_fake_shapes_token_and_rate_headers():
    w = world()
    mbid = w.artist("Metallica").mbid
    with FakeListenBrainz(w, require_token=True) as lb:
        r = httpx.get(f"{lb.url}popularity/top-recordings-for-artist/{mbid}")
        assert r.status_code == 401 and set(r.json()) == {"code", "error"}
        for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset-In", "X-RateLimit-Reset"):
            assert h in r.headers
        recs = httpx.get(
            f"{lb.url}popularity/top-recordings-for-artist/{mbid}",
            headers={"Authorization": "Token lb-test-token"},
        ).json()
        assert {
            "artist_mbids",
            "artist_name",
            "recording_mbid",
            "recording_name",
            "total_listen_count",
            "total_user_count",
        } <= set(recs[0])
        assert httpx.get(f"{lb.url}popularity/top-recordings-for-artist/not-a-uuid").status_code == 400
        radio = httpx.get(
            f"{lb.url}lb-radio/artist/{mbid}",
            params={
                "mode": "easy",
                "max_similar_artists": 2,
                "max_recordings_per_artist": 2,
                "pop_begin": 0,
                "pop_end": 100,
            },
        ).json()
        assert mbid in radio and set(radio[mbid][0]) == {
            "recording_mbid",
            "similar_artist_mbid",
            "similar_artist_name",
            "total_listen_count",
        }
        assert httpx.get(f"{lb.url}lb-radio/artist/{mbid}", params={"mode": "easy"}).status_code == 400
        rec = radio[mbid][0]["recording_mbid"]
        meta = httpx.post(
            f"{lb.url}metadata/recording/", json={"recording_mbids": [rec], "inc": "artist"}
        ).json()
        assert meta[rec]["recording"]["name"] == "One" and meta[rec]["artist"]["name"] == "Metallica"
        sim = httpx.get(
            f"{lb.labs_url}similar-artists/json", params={"artist_mbids": mbid, "algorithm": "x"}
        ).json()
        assert [s["name"] for s in sim] == ["Megadeth", "Slayer"] and sim[0]["score"] > sim[1]["score"]
    with FakeListenBrainz(w, rate_limit=2, rate_window=1.0) as lb:
        codes = [
            httpx.get(f"{lb.url}popularity/top-recordings-for-artist/{mbid}").status_code for _ in range(3)
        ]
        assert codes == [200, 200, 429]


def test_musicbrainz_artist_search():
    w = world()
    with FakeMusicBrainz(artists=artists_from_world(w)) as mb:
        r = httpx.get(
            f"{mb.url}artist",
            params={"query": 'artist:"metallica"', "fmt": "json"},
            headers={"User-Agent": "Segue/test"},
        )
        body = r.json()
        assert body["artists"][0]["name"] == "Metallica" and body["artists"][0]["score"] == 100
        assert body["artists"][0]["id"] == w.artist("Metallica").mbid


def test_a_world_from_real_histories_has_co_listened_similar_artists(shared):
    lastfm = shared / "data" / "listening" / "lastfm-exports"
    w = DiscoveryWorld.from_files([lastfm / "aleex-cs__aleex_cs.csv"])
    assert len(w.artists) > 100
    roy = w.artist("Roy Harper")
    assert roy is not None and roy.tracks and roy.similar and roy.similar[0][1] == 1.0
    assert roy.mbid == "8fc0c1d2-9be0-464f-98ee-ae7ae5b0086b"  # the export's own MBID
    assert any(w.similar_tracks.values())
