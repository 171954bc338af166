"""Reading JSON and JSON-lines history files, streamed, with failures that name the file and line.

A JSON array (Spotify, lastfmstats, Maloja...) is read item by item (``iter_array``): memory holds
one item and a read-ahead buffer, never the whole document, so a 2 GB file costs what a 2 MB one does.
A file whose items are valid but whose end is missing (truncated) still fails, when the reader gets
there: the import of that file is one transaction and rolls back. JSON lines (ListenBrainz, Pano
Scrobbler) are streamed line by line. Two hostile shapes end in a sentence, not a crash: nesting
deeper than Python's recursion limit, and single items or lines larger than ``MAX_ITEM_CHARS``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TextIO

from core.sources.importers.base import Source, failure
from core.sources.importers.text import MAX_LINE_CHARS, bom_encoding, bounded_lines, open_text
from core.sources.records import ImportFailure

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\r\n]*")
_CHUNK = 1 << 20
MAX_ITEM_CHARS = MAX_LINE_CHARS
"""Largest single array item or JSON line (16 Mi characters); a play is a few hundred."""
_TOO_DEEP = "JSON nested too deeply (beyond Python's recursion limit): not a listening history"


class _Stream:
    """A text stream parsed value by value. What has been parsed is dropped from ``buf``; ``line_base``
    and ``col_base`` (lines before ``buf``, columns before it on its first line) keep the line and
    column numbers of errors true file positions."""

    def __init__(self, src: Source, fh: TextIO):
        self.src = src
        self.fh = fh
        self.buf = ""
        self.pos = 0
        self.line_base = 0
        self.col_base = 0
        self.eof = False

    def fill(self, want: int = _CHUNK) -> bool:
        """Read at least ``want`` more characters (fewer at the end); ``False`` at end of file."""
        if self.eof:
            return False
        cut = self.pos
        if cut:
            newline = self.buf.rfind("\n", 0, cut)
            if newline >= 0:
                self.line_base += self.buf.count("\n", 0, cut)
                self.col_base = cut - newline - 1
            else:
                self.col_base += cut
            self.buf = self.buf[cut:]
            self.pos = 0
        chunk = self.fh.read(max(want, _CHUNK))
        if not chunk:
            self.eof = True
            return False
        if not self.buf and self.line_base == 0 and self.col_base == 0:
            chunk = chunk.lstrip("\ufeff")
        self.buf += chunk
        return True

    def peek(self) -> str:
        """The next non-blank character ("" at the end of the file)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf) or not self.fill():
                return self.buf[self.pos : self.pos + 1]

    def expect(self, chars: str, what: str) -> str:
        c = self.peek()
        if c == "" or c not in chars:
            raise self._syntax(what, self.pos)
        self.pos += 1
        return c

    def value(self) -> Any:
        """The JSON value at the cursor, reading ahead as far as it needs (at most ``MAX_ITEM_CHARS``)."""
        self.peek()
        while True:
            try:
                obj, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                if self._grow():
                    continue
                raise self._json_error() from None
            except RecursionError:
                raise failure(self.src, _TOO_DEEP, line=self.line_at(self.pos)) from None
            if end == len(self.buf) and self._grow():  # a number may go on in the next chunk
                continue
            self.pos = end
            return obj

    def _grow(self) -> bool:
        pending = len(self.buf) - self.pos
        if pending > MAX_ITEM_CHARS:
            raise failure(
                self.src,
                f"one JSON value is larger than {MAX_ITEM_CHARS >> 20} Mi characters: not a listening history",
                line=self.line_at(self.pos),
            )
        return self.fill(pending)  # double what is pending: re-parsing stays linear overall

    def line_at(self, pos: int) -> int:
        return self.line_base + self.buf.count("\n", 0, pos) + 1

    def _json_error(self) -> ImportFailure:
        """The error of the value at the cursor, positioned in the buffer as it is now."""
        try:
            _DECODER.raw_decode(self.buf, self.pos)
        except json.JSONDecodeError as error:
            exc = error
        else:  # pragma: no cover - only called after a failed decode of the same text
            raise AssertionError("no JSON error to report")
        tail = self.buf.rstrip()
        truncated = exc.pos >= len(tail) or tail[-1:] not in "]}"
        hint = "; the file ends mid-value (truncated?)" if truncated else ""
        column = exc.colno + (self.col_base if exc.lineno == 1 else 0)
        return failure(
            self.src, f"invalid JSON: {exc.msg} (column {column}){hint}", line=self.line_base + exc.lineno
        )

    def _syntax(self, what: str, pos: int) -> ImportFailure:
        if pos >= len(self.buf):
            return failure(
                self.src,
                f"invalid JSON: expected {what}; the file ends early (truncated?)",
                line=self.line_at(pos),
            )
        return failure(
            self.src, f"invalid JSON: expected {what}, found {self.buf[pos]!r}", line=self.line_at(pos)
        )


def _open(src: Source):
    head = src.head(4)
    return open_text(src, bom_encoding(head) or "utf-8-sig")


def iter_array(src: Source, key: str | None = None) -> Iterator[tuple[int, Any]]:
    """``(item number, item)`` of a top-level JSON array, or of the array under ``key`` of a top-level
    object, 1-based, streamed. Empty, truncated or invalid JSON fails the file with its line."""
    with _open(src) as fh:
        stream = _Stream(src, fh)
        first = stream.peek()
        if first == "":
            raise failure(src, "file is empty")
        if key is None:
            if first != "[":
                raise failure(src, "expected a JSON array of plays", line=1)
            yield from _items(stream)
        else:
            if first != "{":
                raise failure(src, f"expected a JSON object with a '{key}' list", line=1)
            yield from _keyed_items(stream, key)
        if stream.peek() != "":
            raise stream._syntax("the end of the file", stream.pos)


def _items(stream: _Stream) -> Iterator[tuple[int, Any]]:
    stream.expect("[", "'['")
    if stream.peek() == "]":
        stream.pos += 1
        return
    n = 0
    while True:
        n += 1
        yield n, stream.value()
        if stream.expect(",]", "',' or ']' after an item") == "]":
            return


def _keyed_items(stream: _Stream, key: str) -> Iterator[tuple[int, Any]]:
    stream.expect("{", "'{'")
    found = False
    if stream.peek() != "}":
        while True:
            if stream.peek() != '"':
                raise stream._syntax("a property name", stream.pos)
            name = stream.value()
            stream.expect(":", "':'")
            if name == key and not found:
                if stream.peek() != "[":
                    raise failure(
                        stream.src,
                        f"expected a JSON object with a '{key}' list",
                        line=stream.line_at(stream.pos),
                    )
                found = True
                yield from _items(stream)
            else:
                stream.value()
            if stream.expect(",}", "',' or '}'") == "}":
                break
    else:
        stream.pos += 1
    if not found:
        raise failure(stream.src, f"expected a JSON object with a '{key}' list", line=1)


def objects(src: Source, items: Iterator[tuple[int, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(item number, object)`` pairs; a non-object item fails the file (the layout is not ours)."""
    for i, item in items:
        if not isinstance(item, dict):
            raise failure(src, f"item {i} is not a JSON object", line=i)
        yield i, item


def iter_lines(src: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, object)`` for each non-blank line of a JSON-lines file, streamed."""
    seen = False
    with open_text(src, "utf-8-sig") as fh:
        for line, text in enumerate(bounded_lines(src, fh), 1):
            if not text.strip():
                continue
            seen = True
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                end = text.rstrip()
                hint = "; the file ends mid-value (truncated?)" if exc.pos >= len(end) else ""
                raise failure(src, f"invalid JSON: {exc.msg} (column {exc.colno}){hint}", line=line) from None
            except RecursionError:
                raise failure(src, _TOO_DEEP, line=line) from None
            if not isinstance(obj, dict):
                raise failure(src, "expected one JSON object per line", line=line)
            yield line, obj
    if not seen:
        raise failure(src, "file is empty")


_FIRST_VALUE = re.compile(r"\s*([\[{])")


def first_object(text: str) -> dict[str, Any] | None:
    """The first complete object in a head of text (array item or JSON-lines line), for sniffing."""
    m = _FIRST_VALUE.match(text)
    if not m:
        return None
    start = m.end() if m.group(1) == "[" else m.start(1)
    brace = text.find("{", start)
    if brace < 0:
        return None
    try:
        obj, _ = _DECODER.raw_decode(text, brace)
    except (json.JSONDecodeError, RecursionError):
        return None
    return obj if isinstance(obj, dict) else None
