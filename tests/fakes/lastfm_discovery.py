"""The Last.fm discovery methods of the fake (``artist.getSimilar``, ``artist.getTopTracks``,
``track.getSimilar``, ``tag.getTopTracks``), answering from a :class:`DiscoveryWorld`.

Bodies follow the recordings in ``../shared/fixtures/api/lastfm-api-docs-community/json_examples``
(artist.getSimilar.0, artist.getTopTracks.0, track.getSimilar.0/.1, tag.getTopTracks.0/.1): the
same keys, the same types (getTopTracks' counts are strings, getSimilar's track counts numbers, match
a string for artists and a number for tracks), ranks in ``@attr.rank``. Unknown artists raise
:class:`Unknown` (the server answers error 6 "The artist you supplied could not be found"); a track
nobody knows by a known artist is the recorded empty ``{"similartracks": {"track": [], ...}}``, or,
with ``empty="lfm"``, the JSON of ``<lfm status="ok"/>`` (an empty document); a track whose artist is
unknown too is error 6 "Track not found". An unknown tag is the recorded empty tag answer.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

try:
    from .discovery_world import DiscoveryWorld, WorldTrack, key
except ImportError:  # run as a script
    from discovery_world import DiscoveryWorld, WorldTrack, key  # type: ignore[no-redef]

ARTIST_NOT_FOUND = "The artist you supplied could not be found"
TRACK_NOT_FOUND = "Track not found"


class Unknown(LookupError):
    """The seed is unknown to the service (error 6 with this message)."""


def _q(text: str) -> str:
    return quote_plus(text, safe="()!*")


def _images(sizes=("small", "medium", "large", "extralarge", "mega", "")) -> list[dict]:
    return [{"#text": "", "size": s} for s in sizes]


def _limit(params: dict, default: int) -> int:
    try:
        return max(1, min(1000, int(params.get("limit") or default)))
    except ValueError:
        return default


def _page(params: dict) -> int:
    try:
        return max(1, int(params.get("page") or 1))
    except ValueError:
        return 1


def _one(items: list, collapse: bool) -> Any:
    return items[0] if collapse and len(items) == 1 else items


def _artist_ref(world: DiscoveryWorld, name: str) -> dict:
    a = world.artist(name)
    return {"name": name, "mbid": a.mbid if a else "", "url": f"https://www.last.fm/music/{_q(name)}"}


def similar_artists(world: DiscoveryWorld, params: dict, collapse: bool = True) -> dict:
    a = world.artist(params.get("artist", ""))
    if a is None:
        raise Unknown(ARTIST_NOT_FOUND)
    out = []
    for other_key, match in a.similar[: _limit(params, 100)]:
        o = world.artists.get(other_key)
        if o is None:
            continue
        out.append(
            {
                "name": o.name,
                "mbid": o.mbid,
                "match": f"{match:g}",
                "url": f"https://www.last.fm/music/{_q(o.name)}",
                "image": _images(),
                "streamable": "0",
            }
        )
    return {"similarartists": {"artist": _one(out, collapse), "@attr": {"artist": a.name}}}


def top_tracks(world: DiscoveryWorld, params: dict, collapse: bool = True) -> dict:
    a = world.artist(params.get("artist", ""))
    if a is None:
        raise Unknown(ARTIST_NOT_FOUND)
    limit, page = _limit(params, 50), _page(params)
    chosen = a.tracks[(page - 1) * limit : page * limit]
    out = [
        {
            "name": t.title,
            "playcount": str(t.plays),
            "listeners": str(t.listeners),
            "mbid": t.mbid,
            "url": f"https://www.last.fm/music/{_q(a.name)}/_/{_q(t.title)}",
            "streamable": "0",
            "artist": _artist_ref(world, a.name),
            "image": _images(("small", "medium", "large", "extralarge")),
            "@attr": {"rank": str((page - 1) * limit + i + 1)},
        }
        for i, t in enumerate(chosen)
    ]
    total = len(a.tracks)
    attr = {
        "artist": a.name,
        "page": str(page),
        "perPage": str(limit),
        "totalPages": str(-(-total // limit)),
        "total": str(total),
    }
    return {"toptracks": {"track": _one(out, collapse), "@attr": attr}}


def _track_json(world: DiscoveryWorld, t: WorldTrack, match: float) -> dict:
    return {
        "name": t.title,
        "playcount": t.plays,
        "mbid": t.mbid,
        "match": int(match) if match == int(match) else match,  # the service writes 1, not 1.0
        "url": f"https://www.last.fm/music/{_q(t.artist)}/_/{_q(t.title)}",
        "streamable": {"#text": "0", "fulltrack": "0"},
        "duration": t.duration_s,
        "artist": _artist_ref(world, t.artist),
        "image": _images(),
    }


def similar_tracks(world: DiscoveryWorld, params: dict, collapse: bool = True, empty: str = "list") -> dict:
    artist, title = params.get("artist", ""), params.get("track", "")
    sims = world.similar_tracks.get((key(artist), key(title)))
    if sims is None:
        if world.artist(artist) is None:
            raise Unknown(TRACK_NOT_FOUND)
        if empty == "lfm":
            return {}
        return {"similartracks": {"track": [], "@attr": {"artist": artist}}}
    out = [_track_json(world, t, m) for t, m in sims[: _limit(params, 100)]]
    return {"similartracks": {"track": _one(out, collapse), "@attr": {"artist": artist}}}


def tag_tracks(world: DiscoveryWorld, params: dict, collapse: bool = True) -> dict:
    tag = params.get("tag", "")
    tracks = world.tag_tracks(tag)
    limit, page = _limit(params, 50), _page(params)
    chosen = tracks[(page - 1) * limit : page * limit]
    out = [
        {
            "name": t.title,
            "duration": str(t.duration_s),
            "mbid": t.mbid,
            "url": f"https://www.last.fm/music/{_q(t.artist)}/_/{_q(t.title)}",
            "streamable": {"#text": "0", "fulltrack": "0"},
            "artist": _artist_ref(world, t.artist),
            "image": _images(("small", "medium", "large", "extralarge")),
            "@attr": {"rank": str((page - 1) * limit + i + 1)},
        }
        for i, t in enumerate(chosen)
    ]
    attr = {
        "tag": tag,
        "page": str(page),
        "perPage": str(limit),
        "totalPages": str(-(-len(tracks) // limit)),
        "total": str(len(tracks)),
    }
    return {"tracks": {"track": _one(out, collapse), "@attr": attr}}
