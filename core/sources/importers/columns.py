"""Working out which column of an arbitrary CSV/TSV holds what (``generic-csv``).

Order of evidence: ``--map`` first, then header names, then content (for headerless files, or fields
the header does not name). Content rules, applied to the rows in the file's first 64 KiB:

- timestamp: a column whose values are ≥ 90 % timestamps of one kind; ranked Unix number > text with
  seconds > text with minutes > date only (so ``timestamp`` beats ``datetime``, ``uts`` beats
  ``utc_time``). Unnamed numeric columns only count when the values are plausible dates
  (1973..2100, in s or ms), which rules out a leading pandas index column.
- artist / album / track among the remaining text columns: listeners repeat artists more than albums
  and albums more than tracks, so distinct counts must be clearly ordered (each ≤ 90 % of the next)
  over ≥ 20 rows. Anything less clear-cut raises ``LayoutError`` asking for ``--map``.
- MusicBrainz IDs in a headerless file: each UUID column is matched to the name column it is
  one-to-one with (a track MBID maps to one track name and back); unclear ones are left out.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass, field

from core.sources.importers.base import FIELDS
from core.sources.importers.text import guess_delimiter, head_lines, quoting_for, reader_for
from core.sources.importers.timeparse import kind_of, parse_number

_NAMES: dict[str, tuple[str, ...]] = {
    "artist": (
        "artist",
        "artistname",
        "mastermetadataalbumartistname",
        "trackartist",
        "performer",
        "artists",
    ),
    "track": (
        "track",
        "trackname",
        "title",
        "song",
        "songname",
        "songtitle",
        "tracktitle",
        "mastermetadatatrackname",
        "recordingname",
    ),
    "album": ("album", "albumname", "mastermetadataalbumalbumname", "release", "releasename", "albumtitle"),
    "timestamp": (
        "uts",
        "timestamp",
        "ts",
        "playedat",
        "listenedat",
        "scrobbledat",
        "utctime",
        "datetime",
        "date",
        "endtime",
        "time",
        "unixtimestamp",
        "dateuts",
        "starttime",
    ),
    "ms_played": ("msplayed", "playedms"),
    "duration_ms": ("durationms", "tracklengthms"),
    "artist_mbid": ("artistmbid", "musicbrainzartistid"),
    "album_mbid": ("albummbid", "releasembid", "musicbrainzalbumid"),
    "track_mbid": ("trackmbid", "recordingmbid", "musicbrainztrackid"),
}
END_TIME_NAMES = {"ts", "endtime"}
"""Spotify's names for the *end* of a play: with an ``ms_played`` column, the start is derived."""
SPOTIFY_HINTS = ("mastermetadata", "spotifytrackuri")
_KIND_RANK = {"number": 4, "iso": 3, "lastfm": 3, "iso_minute": 2, "date": 1}
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
MIN_ROWS = 20
MAP_HINT = "pass --map col=field (col is a 0-based column index or a header name)"


class LayoutError(ValueError):
    """The columns cannot be worked out; the message says what to pass."""


@dataclass
class Layout:
    delimiter: str
    quoting: int
    has_header: bool
    names: list[str]
    columns: dict[str, int] = field(default_factory=dict)
    time_kind: str = "number"
    minute_only: bool = False
    end_time: bool = False
    spotify: bool = False
    by_header: bool = False

    @property
    def ncols(self) -> int:
        return len(self.names)

    def label(self, index: int) -> str:
        """How failures name a column: its header, else ``column N`` (0-based, as in ``--map``)."""
        name = self.names[index].strip() if self.has_header else ""
        return name or f"column {index}"


def norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lstrip("\ufeff").lower())


def _by_name(header: list[str]) -> dict[str, list[int]]:
    """Candidate columns per field, best name first."""
    found: dict[str, list[tuple[int, int]]] = {}
    normed = [norm(h) for h in header]
    for fld, names in _NAMES.items():
        for i, n in enumerate(normed):
            if n in names:
                found.setdefault(fld, []).append((names.index(n), i))
    return {fld: [i for _, i in sorted(c)] for fld, c in found.items()}


def _time_kind(values: list[str], plausible: bool) -> str | None:
    """The kind shared by ≥ 90 % of the non-empty values, or ``None``."""
    vals = [v.strip() for v in values if v.strip()]
    if not vals:
        return None
    kinds = Counter(kind_of(v) for v in vals)
    kind, n = kinds.most_common(1)[0]
    if kind is None or n < 0.9 * len(vals):
        return None
    if kind == "iso" and all(len(v) == 16 for v in vals):
        kind = "iso_minute"
    if kind == "number" and plausible:
        ok = sum(1 for v in vals if _plausible_number(v))
        if ok < 0.9 * len(vals):
            return None
    return kind


def _plausible_number(v: str) -> bool:
    try:
        sec, _ = parse_number(v)
    except ValueError:
        return False
    return sec == 0 or 1e8 <= sec <= 4.2e9


def _column(rows: list[list[str]], i: int) -> list[str]:
    return [r[i] for r in rows if i < len(r)]


def _is_text(values: list[str]) -> bool:
    vals = [v.strip() for v in values if v.strip()]
    if len(vals) < 0.5 * max(len(values), 1):
        return False
    odd = sum(1 for v in vals if _UUID.fullmatch(v) or kind_of(v) is not None)
    return odd < 0.1 * len(vals)


def _is_uuid(values: list[str]) -> bool:
    vals = [v.strip() for v in values if v.strip()]
    return bool(vals) and all(_UUID.fullmatch(v) for v in vals)


def _mapping(mapping: dict[str, str], names: list[str], has_header: bool) -> dict[str, int]:
    out: dict[str, int] = {}
    lowered = {n.strip().lower(): i for i, n in enumerate(names)} if has_header else {}
    for col, fld in mapping.items():
        if fld not in FIELDS:
            raise LayoutError(f"--map: unknown field {fld!r}; fields are {', '.join(FIELDS)}")
        key = col.strip()
        if key.isdigit() and int(key) < len(names):
            idx = int(key)
        elif key.lower() in lowered:
            idx = lowered[key.lower()]
        else:
            shown = (
                ", ".join(n or f"column {i}" for i, n in enumerate(names))
                if has_header
                else f"0..{len(names) - 1}"
            )
            raise LayoutError(f"--map: no column {col!r} (columns: {shown})")
        if fld in out and out[fld] != idx:
            raise LayoutError(f"--map: two columns mapped to {fld!r}")
        out[fld] = idx
    return out


def infer(head: bytes, mapping: dict[str, str] | None = None) -> Layout:
    """The layout of a delimited file from its head; ``LayoutError`` when it cannot be told."""
    lines = head_lines(head, 2000)
    delimiter = guess_delimiter(lines)
    if delimiter is None:
        raise LayoutError("not a delimited text file (no consistent , ; TAB or | separator)")
    quoting = quoting_for(delimiter, lines[0])
    rows = head_rows_or_fail(lines, delimiter, quoting)
    width = Counter(len(r) for r in rows).most_common(1)[0][0]
    first = rows[0]
    named = _by_name(first)
    has_header = sum(len(v) for v in named.values()) >= 2 or (
        bool(named) and not any(kind_of(c) for c in first)
    )
    by_header = has_header
    if not has_header and _unnamed_header(rows, width):
        has_header, named = True, {}
    data = rows[1:] if has_header else rows
    names = ([c.strip() for c in first] + [""] * width)[:width] if has_header else [""] * width
    layout = Layout(delimiter, quoting, has_header, names, by_header=by_header)
    cols = _mapping(mapping, names, has_header) if mapping else {}
    taken = set(cols.values())

    # Header names for fields --map did not set.
    for fld, candidates in named.items() if has_header else ():
        if fld in cols:
            continue
        free = [i for i in candidates if i not in taken]
        if not free:
            continue
        if fld == "timestamp":  # best kind of value first, then the better name
            ranked = [
                (_KIND_RANK.get(_time_kind(_column(data, i), False) or "", 0), -pos, i)
                for pos, i in enumerate(free)
            ]
            best = max(ranked)
            if best[0] == 0:
                continue
            cols[fld] = best[2]
        else:
            cols[fld] = free[0]
        taken.add(cols[fld])

    if "timestamp" not in cols:
        _content_timestamp(data, width, cols, taken)
    if "timestamp" in cols:
        kind = _time_kind(_column(data, cols["timestamp"]), False) or "any"
        layout.time_kind = kind
        vals = [v.strip() for v in _column(data, cols["timestamp"]) if v.strip()]
        layout.minute_only = kind == "iso" and len(vals) >= MIN_ROWS and all(v[17:19] == "00" for v in vals)
    else:
        raise LayoutError(f"cannot tell which column is the timestamp; {MAP_HINT}")
    if "artist" not in cols or "track" not in cols:
        _content_names(data, width, cols, taken)
    if not has_header:
        _content_mbids(data, width, cols, taken)

    normed = [norm(n) for n in names]
    layout.columns = cols
    layout.end_time = normed[cols["timestamp"]] in END_TIME_NAMES and "ms_played" in cols
    layout.spotify = any(n.startswith(SPOTIFY_HINTS) for n in normed)
    return layout


def head_rows_or_fail(lines: list[str], delimiter: str, quoting: int) -> list[list[str]]:
    try:
        rows = [r for r in reader_for(lines, delimiter, quoting) if r]
    except csv.Error as exc:
        raise LayoutError(f"not readable as delimited text: {exc}") from None
    if not rows:
        raise LayoutError("no rows")
    return rows


def _unnamed_header(rows: list[list[str]], width: int) -> bool:
    """A first row of names we do not know (``Künstler,Titel,Zeit``): its cell in the column that
    holds timestamps everywhere else is not a timestamp."""
    first = rows[0]
    if len(first) != width or len(rows) < 3 or any(kind_of(c) or _UUID.fullmatch(c.strip()) for c in first):
        return False
    for i in range(width):
        cell = first[i].strip()
        if cell and kind_of(cell) is None and _time_kind(_column(rows[1:], i), True):
            return True
    return False


def _content_timestamp(data: list[list[str]], width: int, cols: dict[str, int], taken: set[int]) -> None:
    found = []
    for i in range(width):
        if i in taken:
            continue
        kind = _time_kind(_column(data, i), True)
        if kind:
            found.append((_KIND_RANK[kind], i))
    if not found:
        return
    found.sort(reverse=True)
    if len(found) > 1 and found[0][0] == found[1][0]:
        raise LayoutError(f"two columns ({found[0][1]} and {found[1][1]}) look like timestamps; {MAP_HINT}")
    cols["timestamp"] = found[0][1]
    taken.add(found[0][1])


def _content_names(data: list[list[str]], width: int, cols: dict[str, int], taken: set[int]) -> None:
    """Artist, album and track by how often their values repeat (see module docstring)."""
    want = [f for f in ("artist", "album", "track") if f not in cols]
    required = [f for f in want if f != "album"]
    candidates = []
    for i in range(width):
        values = _column(data, i)
        if i in taken or not _is_text(values):
            continue
        distinct = len({v.strip() for v in values if v.strip()})
        if distinct > 1 or len(values) < MIN_ROWS:  # a constant column (a user id) is not a name
            candidates.append((distinct, i))
    candidates.sort()
    unsure = LayoutError(f"cannot tell which column is the artist/track; {MAP_HINT}")
    if len(candidates) == len(required) == 1:
        fields = required
    elif len(candidates) == len(want) >= 2:
        fields = want
    elif len(candidates) == len(required) >= 2:
        fields = required
    else:
        raise unsure
    if len(fields) > 1:
        if len(data) < MIN_ROWS:
            raise unsure
        for (lo, _), (hi, _) in zip(candidates, candidates[1:], strict=False):
            if lo > 0.9 * hi:
                raise unsure
    for fld, (_, i) in zip(fields, candidates, strict=True):
        cols[fld] = i
        taken.add(i)


def _content_mbids(data: list[list[str]], width: int, cols: dict[str, int], taken: set[int]) -> None:
    """Match each UUID column to the name column it is one-to-one with."""
    partners = {"artist": "artist_mbid", "album": "album_mbid", "track": "track_mbid"}
    for u in range(width):
        if u in taken or not _is_uuid(_column(data, u)):
            continue
        scores = []
        for fld, target in partners.items():
            if fld not in cols or target in cols:
                continue
            pairs = {(r[cols[fld]].strip(), r[u].strip()) for r in data if len(r) == width and r[u].strip()}
            if len(pairs) < MIN_ROWS:
                continue
            n_names = len({p[0] for p in pairs})
            n_ids = len({p[1] for p in pairs})
            scores.append((min(n_names, n_ids) / len(pairs), target))
        scores.sort(reverse=True)
        if scores and scores[0][0] >= 0.9 and (len(scores) == 1 or scores[1][0] < 0.8):
            cols[scores[0][1]] = u
            taken.add(u)
