"""What every history source produces: a stream of plain records, independent of the store.

Importers and the Last.fm sync parse their input into these records; ``core.store.ingest`` is the one
place that turns them into rows. Keeping parsing free of the store lets each format be tested alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from core.normalize import printable


class PlayRecord(NamedTuple):
    """One listening event as read from a source.

    ``played_at`` is the *start* of the play in Unix seconds (UTC). Sources that record the end of a
    play (Spotify exports) subtract ``ms_played``. ``precision_s`` is 60 for minute-resolution sources
    (their timestamps are fuzzier, so cross-source dedupe uses a wider window). ``kind`` is ``"play"``
    for a scrobble-worthy listen and ``"skip"`` for a play that was cut short (Spotify < 30 s): skips
    are stored apart and never counted as plays. ``line`` is the 1-based line/row/item number in the
    input, used in error messages and skip reports.
    """

    artist: str
    track: str
    played_at: int
    album: str | None = None
    ms_played: int | None = None
    duration_ms: int | None = None
    artist_mbid: str | None = None
    album_mbid: str | None = None
    track_mbid: str | None = None
    precision_s: int = 1
    kind: str = "play"
    line: int = 0


class PlayBlock(NamedTuple):
    """Many plays as columns, one sequence per ``PlayRecord`` field, all the same length.

    The bulk path for sources that read whole tables (the SQLite scrobble DB): the ingest works on
    columns anyway, so a block skips building, looping over and transposing one tuple per play, which
    cost about a sixth of a 75k-play import. A block holds plays only; skipped rows travel as
    ``SkippedRow`` beside it. ``records()`` gives the same plays one by one.
    """

    artist: Sequence[str]
    track: Sequence[str]
    played_at: Sequence[int]
    album: Sequence[str | None]
    ms_played: Sequence[int | None]
    duration_ms: Sequence[int | None]
    artist_mbid: Sequence[str | None]
    album_mbid: Sequence[str | None]
    track_mbid: Sequence[str | None]
    precision_s: Sequence[int]
    kind: Sequence[str]
    line: Sequence[int]

    def records(self) -> Iterator[PlayRecord]:
        return (PlayRecord._make(row) for row in zip(*self, strict=True))


class SkippedRow(NamedTuple):
    """A row a source read but deliberately did not turn into a play (podcast, empty name, ...)."""

    reason: str
    line: int = 0
    detail: str = ""


def one_by_one(stream: Iterable[PlayRecord | PlayBlock | SkippedRow]) -> Iterator[PlayRecord | SkippedRow]:
    """``stream`` with every block expanded into its records, for readers that want rows."""
    for item in stream:
        if type(item) is PlayBlock:
            yield from item.records()
        else:
            yield item


class ImportFailure(Exception):
    """The input cannot be imported as a whole: unreadable, truncated, unrecognised or malformed.

    The message names the file and, where known, the line and field. The CLI prints it (no traceback)
    and exits with code 2; the store is left unchanged for that file. It is plain data (path, reason,
    line, field) and pickles by value, so a report made in a job's child process reaches the GUI with
    exactly the text the CLI prints.
    """

    def __init__(self, path: str, message: str, line: int | None = None, field: str | None = None):
        self.path = path
        self.line = line
        self.field = field
        self.reason = message
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """The one line the CLI prints (after ``segue: ``) and the GUI shows."""
        where = printable(self.path)
        if self.line is not None:
            where += f", line {self.line}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.reason}"

    def __reduce__(self):
        return (type(self), (self.path, self.reason, self.line, self.field))


MAX_EXAMPLES = 3


@dataclass
class ImportSummary:
    """Per-file result, serialised by ``segue import --json``.

    ``skipped_lines`` keeps the first 20 line numbers per reason; ``examples`` the first few
    ``"line N: what was wrong"`` texts for reasons that carry a detail (rows that could not be read).
    """

    path: str
    format: str
    read: int = 0
    added: int = 0
    duplicates: int = 0
    skips_stored: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_lines: dict[str, list[int]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    first: int | None = None
    last: int | None = None

    def skip(self, reason: str, line: int = 0, detail: str = "") -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1
        lines = self.skipped_lines.setdefault(reason, [])
        if line and len(lines) < 20:
            lines.append(line)
        if detail and reason == MALFORMED:
            shown = self.examples.setdefault(reason, [])
            if len(shown) < MAX_EXAMPLES:
                shown.append(f"line {line}: {detail}" if line else detail)


MALFORMED = "malformed"
"""The skip reason for a row that could not be parsed (wrong field count, a timestamp that is not one)."""
