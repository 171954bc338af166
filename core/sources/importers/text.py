"""Reading history files as text: encoding, delimiter, quoting and the CSV reader.

Encoding policy: UTF-8 (with or without BOM) is expected. UTF-16 with a BOM (Excel's "Unicode text")
is accepted. If the first MiB is not valid UTF-8 the file is read as cp1252 (Windows Western, the
usual culprit), unless that gives control characters (or cp1252 cannot decode it) — then the file is
not plausibly text and ``ImportFailure`` names the line of the first byte that is not UTF-8. A file
that starts as UTF-8 and breaks later is treated as damaged: ``ImportFailure`` with the exact line
(found by a rescan on that slow path). Judging on the first MiB keeps a 1M-row import to one pass.

Quoting policy: comma/semicolon/pipe files use standard CSV quoting. TAB files are read unquoted
(``"`` is an ordinary character: Last.fm-1K and pandas-written TSVs contain titles like
``"Fame" Jon Savage's ...``), unless every field of the first line is wrapped in quotes. A quote that
opens a field but does not close it right before a delimiter (``"The Thorn Birds" Theme``) is text,
not quoting: such a row is read again line by line with that rule (``lenient_fields``), so the title
keeps its quotes instead of losing them.

Size policy: a physical line longer than ``MAX_LINE_CHARS``, or a quoted field running past it, fails
the file (no history has a 16 Mi-character line; reading on would hold it all in memory).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from core.sources.importers.base import Source, bad_row, failure
from core.sources.records import SkippedRow

DELIMITERS = (",", "\t", ";", "|")
_CHUNK = 1 << 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
MAX_LINE_CHARS = 1 << 24
"""Longest physical line (and quoted field) a text history may have: 16 Mi characters."""

csv.field_size_limit(MAX_LINE_CHARS)


def bom_encoding(head: bytes) -> str | None:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    return None


def looks_binary(head: bytes) -> bool:
    """NUL bytes outside a UTF-16 file mean this is not text."""
    return bom_encoding(head) != "utf-16" and b"\x00" in head


def head_text(head: bytes) -> str:
    """The head as text for sniffing: lenient, and cut after the last complete line."""
    enc = bom_encoding(head) or "utf-8"
    txt = head.decode(enc, errors="replace")
    if txt.startswith("\ufeff"):
        txt = txt[1:]
    cut = txt.rfind("\n")
    if cut > 0 and len(head) >= 1024:
        txt = txt[: cut + 1]
    return txt


def head_lines(head: bytes, limit: int = 200) -> list[str]:
    """Non-blank lines of the head (split on ``\n`` only: names may contain other separators)."""
    lines = [ln.rstrip("\r") for ln in head_text(head).split("\n")[:limit]]
    return [ln for ln in lines if ln.strip()]


def detect_encoding(src: Source) -> str:
    """``utf-8-sig``, ``utf-16`` or ``cp1252`` (see module docstring), judged on the first MiB."""
    with src.open() as fh:
        first = fh.read(_CHUNK)
    enc = bom_encoding(first)
    if enc == "utf-16":
        return enc
    try:
        codecs.getincrementaldecoder("utf-8")().decode(first, final=len(first) < _CHUNK)
    except UnicodeDecodeError as exc:
        return _fallback(src, exc.start, first.count(b"\n", 0, exc.start) + 1)
    return "utf-8-sig"


def first_bad_utf8(src: Source) -> tuple[int, int]:
    """Byte offset and 1-based line of the first byte that is not UTF-8 (slow path, on failure)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = newlines = 0
    with src.open() as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset + exc.start, newlines + chunk.count(b"\n", 0, exc.start) + 1
            offset += len(chunk)
            newlines += chunk.count(b"\n")
    return offset, newlines + 1


def _fallback(src: Source, bad_offset: int, line: int) -> str:
    """cp1252 if the whole file decodes as plausible text, else fail naming the line."""
    with src.open() as fh:
        decoder = codecs.getincrementaldecoder("cp1252")()
        while chunk := fh.read(_CHUNK):
            try:
                txt = decoder.decode(chunk)
            except UnicodeDecodeError:
                break
            if _CONTROL.search(txt):
                break
        else:
            return "cp1252"
    raise failure(
        src, f"not UTF-8 text (invalid byte at offset {bad_offset}) and not plausible cp1252 text", line=line
    )


@contextmanager
def open_text(src: Source, encoding: str | None = None) -> Iterator[io.TextIOWrapper]:
    """The whole file as text, with universal newlines left to the csv module (``newline=""``)."""
    enc = encoding or detect_encoding(src)
    raw = src.open()
    try:
        with io.TextIOWrapper(raw, encoding=enc, newline="") as fh:
            yield fh
    except UnicodeDecodeError:
        offset, line = first_bad_utf8(src)
        raise failure(
            src,
            f"not valid UTF-8 (byte offset {offset}); the start of the file was UTF-8, "
            "so this looks like a damaged or concatenated file",
            line=line,
        ) from None
    finally:
        raw.close()


def guess_delimiter(lines: list[str]) -> str | None:
    """The delimiter among ``, TAB ; |`` that splits the sample lines most consistently.

    Each candidate is scored by the share of lines having the modal field count (quote-aware for
    commas), ties broken by more fields. ``None`` when no candidate gives ≥ 2 fields.
    """
    best: tuple[bool, int, float, str] | None = None
    sample = lines[:100]
    if not sample:
        return None
    for delim in DELIMITERS:
        try:
            counts = [len(r) for r in reader_for(sample, delim)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        if mode < 2:
            continue
        share = freq / len(counts)
        score = (share >= 0.9, mode, share, delim)
        if best is None or score[:3] > best[:3]:
            best = score
    return best[3] if best else None


def quoting_for(delimiter: str, first_line: str) -> int:
    if delimiter != "\t":
        return csv.QUOTE_MINIMAL
    fields = first_line.rstrip("\r\n").split("\t")
    if all(len(f) >= 2 and f[0] == '"' and f[-1] == '"' for f in fields):
        return csv.QUOTE_MINIMAL
    return csv.QUOTE_NONE


def reader_for(lines: Iterator[str] | list[str] | io.TextIOBase, delimiter: str, quoting: int | None = None):
    """A ``csv.reader`` with this project's dialect choices."""
    if quoting is None:
        quoting = csv.QUOTE_MINIMAL if delimiter != "\t" else csv.QUOTE_NONE
    return csv.reader(lines, delimiter=delimiter, quoting=quoting, skipinitialspace=False)


def head_rows(head: bytes, delimiter: str, limit: int = 2000) -> list[list[str]]:
    """Parsed rows from the head (the last, possibly cut, line dropped), blank rows removed."""
    lines = head_lines(head, limit)
    quoting = quoting_for(delimiter, lines[0]) if lines else csv.QUOTE_MINIMAL
    try:
        return [r for r in reader_for(lines, delimiter, quoting) if r]
    except csv.Error:
        return []


def _too_long(src: Source, line: int) -> Exception:
    return failure(
        src,
        f"a line longer than {MAX_LINE_CHARS >> 20} Mi characters: not a listening history "
        "(or a file without line breaks)",
        line=line,
    )


def bounded_lines(src: Source, fh: io.TextIOBase, tap: list[str] | None = None) -> Iterator[str]:
    """The lines of ``fh``, each at most ``MAX_LINE_CHARS`` long (longer fails the file). With ``tap``,
    every line is also appended to it (``CsvRows`` keeps the raw text of the row being parsed)."""
    n = 0
    append = tap.append if tap is not None else None
    for line in iter(partial(fh.readline, MAX_LINE_CHARS), ""):
        n += 1
        if len(line) == MAX_LINE_CHARS and line[-1] != "\n":
            raise _too_long(src, n)
        if append is not None:
            append(line)
        yield line


def lenient_fields(line: str, delimiter: str) -> list[str]:
    """One physical line split on ``delimiter`` with forgiving quotes: a field is quoted only if it
    starts with ``"`` and its first lone closing quote stands right before a delimiter or the line end;
    any other field, quotes and all, is text up to the next delimiter."""
    text = line.rstrip("\r\n")
    n = len(text)
    fields: list[str] = []
    i = 0
    while True:
        end = -1
        if i < n and text[i] == '"':
            j = i + 1
            while True:
                k = text.find('"', j)
                if k < 0:
                    break
                if k + 1 < n and text[k + 1] == '"':  # a doubled quote inside a quoted field
                    j = k + 2
                    continue
                if k + 1 == n or text[k + 1] == delimiter:
                    end = k
                break
        if end >= 0:
            fields.append(text[i + 1 : end].replace('""', '"'))
            i = end + 1
        else:
            k = text.find(delimiter, i)
            k = n if k < 0 else k
            fields.append(text[i:k])
            i = k
        if i >= n:
            return fields
        i += 1  # the delimiter
        if i == n:
            fields.append("")
            return fields


class CsvRows:
    """Rows of a delimited file, like ``csv.reader`` (iterate; ``line_num`` is the last physical line
    read), with the size limit and the forgiving quote rule of this module's docstring. Rows the strict
    parser refuses are re-read one physical line each (``lenient_fields``); the formats then skip any
    that still do not have the right number of fields."""

    def __init__(self, src: Source, fh: io.TextIOBase, delimiter: str, quoting: int):
        self.src = src
        self.delimiter = delimiter
        self._raw: list[str] = []
        self._reader = csv.reader(
            bounded_lines(src, fh, self._raw),
            delimiter=delimiter,
            quoting=quoting,
            strict=quoting != csv.QUOTE_NONE,
        )
        self.line_num = 0
        self._rows = self._generate()

    def __iter__(self) -> Iterator[list[str]]:
        return self._rows

    def __next__(self) -> list[str]:
        return next(self._rows)

    def _generate(self) -> Iterator[list[str]]:
        reader, raw = self._reader, self._raw
        clear = raw.clear
        while True:
            clear()
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                start = self.line_num
                if "field larger than field limit" in str(exc):
                    raise failure(
                        self.src,
                        f"a quoted field runs past {MAX_LINE_CHARS >> 20} Mi characters (a quote never closed?)",
                        line=start + 1,
                    ) from None
                for i, text in enumerate(list(raw), 1):
                    self.line_num = start + i
                    yield lenient_fields(text, self.delimiter)
                continue
            self.line_num = reader.line_num
            yield row


@contextmanager
def open_csv(src: Source, delimiter: str | None = None, quoting: int | None = None) -> Iterator[CsvRows]:
    """A streaming ``CsvRows`` reader over the whole file; delimiter and quoting guessed from the head.

    Use ``reader.line_num`` to number rows: the first physical line of a row is the previous row's
    ``line_num`` + 1 (quoted fields may span lines).
    """
    head = src.head()
    if not head.strip():
        raise failure(src, "file is empty")
    lines = head_lines(head)
    delim = delimiter or guess_delimiter(lines) or ","
    if quoting is None:
        quoting = quoting_for(delim, lines[0])
    with open_text(src) as fh:
        yield CsvRows(src, fh, delim, quoting)


def field_count_problem(expected: int, found: int) -> str:
    return f"expected {expected} fields, found {found} (a stray delimiter or quote?)"


class Table:
    """A delimited file whose header row may follow a preamble (comments, export notes): ``names`` are
    the header's lower-cased column names, ``rows`` a ``CsvRows`` over the data after it, and
    ``line(previous)`` numbers a row as in the file."""

    def __init__(self, names: list[str], offset: int, rows: CsvRows):
        self.names = names
        self.offset = offset
        self.rows = rows

    def index(self, *candidates: str) -> int | None:
        """The column of the first of ``candidates`` the header has (lower-case names), or ``None``."""
        for name in candidates:
            if name in self.names:
                return self.names.index(name)
        return None

    def each(self) -> Iterator[tuple[int, list[str] | SkippedRow]]:
        """``(line, row)`` for each data row; a row with another number of fields than the header comes
        as its ``bad_row`` record instead (to be yielded as is); blank rows are left out."""
        width = len(self.names)
        prev = 0
        for row in self.rows:
            line = self.offset + prev + 1
            prev = self.rows.line_num
            if len(row) == width:
                yield line, row
            elif row and (len(row) > 1 or row[0].strip()):
                yield line, bad_row(line, field_count_problem(width, len(row)))


@contextmanager
def open_table(
    src: Source,
    is_header,
    delimiter: str = ",",
    encoding: str | None = None,
    quoting: int = csv.QUOTE_MINIMAL,
    what: str = "header row",
    max_preamble: int = 50,
) -> Iterator[Table]:
    """Open ``src``, skip lines until ``is_header(lower-cased names)`` accepts one (within
    ``max_preamble`` lines, else ``ImportFailure`` saying ``what`` was not found) and read the rest."""
    with open_text(src, encoding) as fh:
        seen = 0
        for raw in bounded_lines(src, fh):
            seen += 1
            try:
                cells = next(reader_for([raw], delimiter, quoting), [])
            except csv.Error:
                cells = []
            names = [c.strip().lstrip("\ufeff").lower() for c in cells]
            if names and is_header(names):
                yield Table(names, seen, CsvRows(src, fh, delimiter, quoting))
                return
            if seen >= max_preamble:
                break
        raise failure(src, f"no {what} in the first {min(seen, max_preamble)} lines")
