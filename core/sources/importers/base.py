"""The contract every format module follows, and the small types the registry hands around.

A format module is a plain module with:

- ``FORMAT``: the name users pass to ``--format`` (e.g. ``"spotify-extended"``);
- ``DESCRIPTION``: one line for ``segue import --list-formats``;
- ``sniff(path, head) -> float``: confidence 0..1 that the file is in this format. ``path`` is only
  used for its name (a zip member is passed as a ``PurePosixPath``); ``head`` is the first
  ``HEAD_BYTES`` of the file. Sniffers must not read the file themselves.
- ``read(path, options) -> Iterator[PlayRecord | SkippedRow]``: streams the file. ``path`` is a
  ``Path`` on disk or a ``Source`` (a zip member). Malformed input raises ``ImportFailure`` naming the
  file and, where known, the line and field. Records are yielded as they are parsed, so a failure can
  come after some records: the ingest runs one file per transaction and rolls back.

Parsers never filter timestamps (0, before 2000, in the future): they pass them through and the ingest
decides centrally, using ``ImportOptions.now``. A single row that cannot be parsed (wrong field count,
text that is no timestamp, a count that is no number) is not a failure of the file: the format yields
``bad_row(line, what)`` and goes on; the import refuses the file only when such rows are a large share.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from pathlib import Path, PurePath, PurePosixPath
from typing import BinaryIO, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.sources.records import MALFORMED, ImportFailure, PlayBlock, PlayRecord, SkippedRow

Item = PlayRecord | SkippedRow
Stream = Iterator[PlayRecord | PlayBlock | SkippedRow]
"""What a format's ``read`` yields: plays one by one or in column blocks, and the rows it skipped."""

HEAD_BYTES = 64 * 1024
SKIP_THRESHOLD_MS = 30_000
"""Spotify plays shorter than this are stored as skips (``kind="skip"``), never as plays."""

FIELDS = (
    "artist",
    "track",
    "album",
    "timestamp",
    "ms_played",
    "artist_mbid",
    "album_mbid",
    "track_mbid",
    "duration_ms",
)
"""Target fields for ``--map col=field``."""


@dataclass
class ImportOptions:
    """Options shared by all formats.

    ``mapping``: ``{column: field}`` from ``--map col=field``; ``column`` is a header name or a 0-based
    column index (as a string). Only delimited-text files (CSV/TSV) honour it: with a mapping, such a
    file is read by ``generic-csv`` whatever format it sniffs as. Mapped columns override detection;
    fields not mapped are still detected where possible. An unknown field or column fails the file
    (``ImportFailure``) when it is read, like any other problem with that file.

    ``now``: Unix seconds at the start of the import, carried for the ingest's future-timestamp check.

    ``timezone``: zone for *naive* date-time text (``"2025-08-16 11:45:00"``) in CSV files whose
    source does not state one (``generic-csv``, ``lastfm-benjaminbenben``). Default UTC: Last.fm's own
    text dates are UTC. Formats whose timestamps are defined as UTC (Spotify ``endTime``/``ts``,
    Last.fm-1K, Unix seconds) ignore it.
    """

    mapping: dict[str, str] | None = None
    now: int = field(default_factory=lambda: int(time.time()))
    timezone: str | tzinfo | None = None

    def __post_init__(self) -> None:
        self.tz  # noqa: B018 - an unknown zone name is a ValueError here, not mid-import

    @property
    def tz(self) -> tzinfo:
        """The zone for naive times (UTC unless ``timezone`` says otherwise)."""
        if self.timezone is None:
            return UTC
        if isinstance(self.timezone, tzinfo):
            return self.timezone
        try:
            return ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc


@dataclass(frozen=True)
class Source:
    """One importable file: on disk, or a member of a zip read without extracting it.

    ``name`` is what messages show: the file path, or ``archive.zip!folder/member.json``.
    ``member`` is the file's own name inside its container (used for name-based sniffing). ``size`` is
    the uncompressed size in bytes when known (for progress).
    """

    name: str
    opener: Callable[[], BinaryIO]
    member: str = ""
    path: Path | None = None
    size: int | None = None

    def open(self) -> BinaryIO:
        return self.opener()

    def head(self, n: int = HEAD_BYTES) -> bytes:
        with self.open() as fh:
            return fh.read(n)

    def read_bytes(self) -> bytes:
        with self.open() as fh:
            return fh.read()

    @property
    def pure_path(self) -> PurePath:
        """The path sniffers look at for its name and suffix."""
        return self.path if self.path is not None else PurePosixPath(self.member or self.name)


def as_source(path: Path | Source | str) -> Source:
    """Wrap a path on disk as a ``Source`` (a ``Source`` is returned as is)."""
    if isinstance(path, Source):
        return path
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError:
        size = None
    return Source(name=str(p), opener=lambda: open(p, "rb"), member=p.name, path=p, size=size)


def bytes_source(name: str, data: bytes, member: str = "") -> Source:
    """A ``Source`` over bytes already in memory (tests, small zip members)."""
    return Source(name=name, opener=lambda: io.BytesIO(data), member=member or name, size=len(data))


def failure(src: Source, message: str, line: int | None = None, field: str | None = None) -> ImportFailure:
    return ImportFailure(src.name, message, line=line, field=field)


class BadRow(ValueError):
    """One row cannot be read (wrong field count, a timestamp that is not one): the row is skipped and
    named (``bad_row``), the rest of the file imports. Too many of them refuse the file
    (``core.sources.importing``)."""


def bad_row(line: int, message: str, field: str | None = None) -> SkippedRow:
    """The skipped-row record for a row that cannot be read, with what was wrong."""
    return SkippedRow(MALFORMED, line, f"{message} (field '{field}')" if field else message)


class FormatModule(Protocol):
    """What the registry expects of a format module (modules satisfy it structurally)."""

    FORMAT: str
    DESCRIPTION: str

    def sniff(self, path: PurePath, head: bytes) -> float: ...

    def read(self, path: Path | Source, options: ImportOptions) -> Stream: ...


def make_play(
    artist: str,
    track: str,
    played_at: int,
    line: int,
    *,
    album: str | None = None,
    ms_played: int | None = None,
    duration_ms: int | None = None,
    artist_mbid: str | None = None,
    album_mbid: str | None = None,
    track_mbid: str | None = None,
    precision_s: int = 1,
    kind: str = "play",
) -> Item:
    """Build a record from already-stripped text: empty artist/track → ``SkippedRow("empty_name")``,
    empty optional strings → ``None``. Used by the JSON formats; CSV loops inline the same rules."""
    if not artist or not track:
        return SkippedRow("empty_name", line)
    return PlayRecord(
        artist,
        track,
        played_at,
        album or None,
        ms_played,
        duration_ms,
        artist_mbid or None,
        album_mbid or None,
        track_mbid or None,
        precision_s,
        kind,
        line,
    )


def text(value: object) -> str:
    """A JSON value as stripped text (``None`` and non-strings → ``""``; numbers kept)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""
