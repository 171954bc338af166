"""user.getRecentTracks pages → PlayRecords (plain and extended=1 shapes, single-object quirk)."""

from __future__ import annotations

from dataclasses import dataclass

from core.net import Transient
from core.sources.records import PlayRecord


@dataclass
class RecentPage:
    plays: list[PlayRecord]
    page: int
    total_pages: int
    total: int
    user: str


def _text(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("#text", value.get("name"))
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def parse_recent(body: dict) -> RecentPage:
    """Parse one page; raises Transient on a body that is not a recenttracks page."""
    rt = body.get("recenttracks")
    if not isinstance(rt, dict):
        raise Transient("Last.fm sent a page without recent tracks")
    attr = rt.get("@attr") or {}
    tracks = rt.get("track", [])
    if isinstance(tracks, dict):
        tracks = [tracks]
    elif not isinstance(tracks, list):
        tracks = []
    plays: list[PlayRecord] = []
    for n, t in enumerate(tracks, 1):
        if not isinstance(t, dict):
            continue
        if str((t.get("@attr") or {}).get("nowplaying", "")).lower() == "true":
            continue
        date = t.get("date")
        uts = date.get("uts") if isinstance(date, dict) else None
        artist, name = _text(t.get("artist")), _text(t.get("name"))
        if uts is None or not artist or not name:
            continue
        artist_obj = t.get("artist") if isinstance(t.get("artist"), dict) else {}
        album_obj = t.get("album") if isinstance(t.get("album"), dict) else {}
        plays.append(
            PlayRecord(
                artist=artist,
                track=name,
                played_at=int(uts),
                album=_text(t.get("album")),
                artist_mbid=(artist_obj.get("mbid") or None),
                album_mbid=(album_obj.get("mbid") or None),
                track_mbid=(t.get("mbid") or None),
                line=n,
            )
        )
    try:
        page = int(attr.get("page", 1) or 1)
        total_pages = int(attr.get("totalPages", 0) or 0)
        total = int(attr.get("total", 0) or 0)
    except (TypeError, ValueError) as exc:
        raise Transient("Last.fm sent unreadable page numbers") from exc
    return RecentPage(plays, page, total_pages, total, str(attr.get("user", "")))
