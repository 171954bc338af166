"""Reading history files as text: encoding, delimiter, quoting and the CSV reader.

Encoding policy: UTF-8 (with or without BOM) is expected. UTF-16 with a BOM (Excel's "Unicode text")
is accepted. If the first MiB is not valid UTF-8 the file is read as cp1252 (Windows Western, the
usual culprit), unless that gives control characters (or cp1252 cannot decode it) — then the file is
not plausibly text and ``ImportFailure`` names the line of the first byte that is not UTF-8. A file
that starts as UTF-8 and breaks later is treated as damaged: ``ImportFailure`` with the exact line
(found by a rescan on that slow path). Judging on the first MiB keeps a 1M-row import to one pass.

Quoting policy: comma/semicolon/pipe files use standard CSV quoting. TAB files are read unquoted
(``"`` is an ordinary character: Last.fm-1K and pandas-written TSVs contain titles like
``"Fame" Jon Savage's ...``), unless every field of the first line is wrapped in quotes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from core.sources.importers.base import Source, failure

DELIMITERS = (",", "\t", ";", "|")
_CHUNK = 1 << 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)

csv.field_size_limit(1 << 24)


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


@contextmanager
def open_csv(src: Source, delimiter: str | None = None, quoting: int | None = None) -> Iterator:
    """A streaming ``csv.reader`` over the whole file; delimiter and quoting guessed from the head.

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
        yield reader_for(fh, delim, quoting)


def field_count_failure(src: Source, line: int, expected: int, found: int) -> Exception:
    return failure(src, f"expected {expected} fields, found {found} (a stray delimiter or quote?)", line=line)
