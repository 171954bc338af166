"""Loading JSON and JSON-lines history files, with failures that name the file and line.

JSON arrays (Spotify, lastfmstats) are at most a few MB per file and are loaded whole with ``json``:
a truncated file then fails before any record is yielded. JSON lines (ListenBrainz) are streamed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from core.sources.importers.base import Source, failure
from core.sources.importers.text import bom_encoding, open_text
from core.sources.records import ImportFailure

_DECODER = json.JSONDecoder()


def _decode(src: Source, data: bytes) -> str:
    enc = bom_encoding(data) or "utf-8"
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        raise failure(
            src, f"not UTF-8 text (byte offset {exc.start})", line=data.count(b"\n", 0, exc.start) + 1
        ) from None


def _json_failure(src: Source, exc: json.JSONDecodeError, line: int | None = None) -> ImportFailure:
    end = exc.doc.rstrip()
    truncated = exc.pos >= len(end) or (end[:1] in "[{" and end[-1:] not in "]}")
    hint = "; the file ends mid-value (truncated?)" if truncated else ""
    return failure(src, f"invalid JSON: {exc.msg} (column {exc.colno}){hint}", line=line or exc.lineno)


def load(src: Source) -> Any:
    """The whole document; ``ImportFailure`` for empty, non-UTF-8 or invalid JSON."""
    doc = _decode(src, src.read_bytes()).lstrip("\ufeff")
    if not doc.strip():
        raise failure(src, "file is empty")
    try:
        return json.loads(doc)
    except json.JSONDecodeError as exc:
        raise _json_failure(src, exc) from None


def load_array(src: Source, key: str | None = None) -> list[Any]:
    """A top-level JSON array, or the array under ``key`` of a top-level object."""
    data = load(src)
    if key is not None:
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            raise failure(src, f"expected a JSON object with a '{key}' list", line=1)
        return data[key]
    if not isinstance(data, list):
        raise failure(src, "expected a JSON array of plays", line=1)
    return data


def objects(src: Source, items: list[Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(item number, object)`` pairs, 1-based; a non-object item fails the file."""
    for i, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise failure(src, f"item {i} is not a JSON object", line=i)
        yield i, item


def iter_lines(src: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line, object)`` for each non-blank line of a JSON-lines file, streamed."""
    seen = False
    with open_text(src, "utf-8-sig") as fh:
        for line, text in enumerate(fh, 1):
            if not text.strip():
                continue
            seen = True
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                raise _json_failure(src, exc, line) from None
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
    except json.JSONDecodeError:
        return None
    return obj if isinstance(obj, dict) else None
