"""lastfmstats.com JSON: ``{"username": ..., "scrobbles": [{track, artist, album, date}]}``.

``date`` is the scrobble time in Unix milliseconds (seconds are accepted too). ``line`` is the
1-based index in ``scrobbles``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath

from core.sources.importers import jsonio
from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row, make_play, text
from core.sources.importers.text import head_text
from core.sources.importers.timeparse import parse_number

FORMAT = "lastfmstats-json"
DESCRIPTION = "lastfmstats.com JSON export: {username, scrobbles: [{track, artist, album, date(ms)}]}"


def sniff(path: PurePath, head: bytes) -> float:
    txt = head_text(head)
    if txt.lstrip().startswith("{") and '"scrobbles"' in txt and '"date"' in txt and '"track"' in txt:
        return 0.95
    return 0.6 if path.name.lower().startswith("lastfmstats") and path.suffix.lower() == ".json" else 0.0


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    for i, item in jsonio.objects(src, jsonio.iter_array(src, "scrobbles")):
        date = item.get("date")
        try:
            if isinstance(date, bool) or not isinstance(date, int | float | str):
                raise ValueError
            played_at, _ = parse_number(str(date).strip())
        except ValueError:
            yield bad_row(i, f"bad date {date!r} (expected Unix milliseconds)", "date")
            continue
        yield make_play(
            text(item.get("artist")), text(item.get("track")), played_at, i, album=text(item.get("album"))
        )
