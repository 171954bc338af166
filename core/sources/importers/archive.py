"""Turning what the user picked (a file, a folder, a .zip) into importable ``Source``s.

A folder is walked recursively in name order (hidden files and ``__MACOSX`` skipped); a .zip
(recognised by its magic bytes, wherever it sits) is read member by member through ``zipfile``
streams, never extracted to disk; a zip inside a zip is not opened. Each member is judged by the
caller's ``judge`` (the registry's sniffers): members no format claims — ``Userdata.json``,
``ReadMeFirst.pdf``, a ListenBrainz ``user.json`` — are reported in ``Scan.ignored`` with a reason
rather than failing the import. A single file given directly is always returned, so that an
unrecognised file fails loudly instead of being skipped.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from core.sources.importers.base import Source, as_source
from core.sources.records import ImportFailure

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class Ignored:
    name: str
    reason: str


@dataclass
class Scan:
    sources: list[Source] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)


Judge = Callable[[Source], str | None]
"""Returns why a folder/zip member is not importable, or ``None`` to import it."""


def is_zip(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) in ZIP_MAGIC
    except OSError:
        return False


def _junk(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in parts) or parts[-1].lower() in _JUNK_NAMES


def scan(path: Path | str, judge: Judge) -> Scan:
    p = Path(path)
    if not p.exists():
        raise ImportFailure(str(p), "no such file or folder")
    if p.is_dir():
        out = Scan()
        for child in sorted(p.rglob("*")):
            rel = child.relative_to(p).parts
            if child.is_dir() or _junk(rel):
                continue
            if is_zip(child):
                inner = _scan_zip(child, judge)
                out.sources += inner.sources
                out.ignored += inner.ignored
            else:
                _judge_into(out, as_source(child), judge)
        return out
    if is_zip(p):
        return _scan_zip(p, judge)
    return Scan([as_source(p)])


def _judge_into(out: Scan, src: Source, judge: Judge) -> None:
    reason = judge(src)
    if reason is None:
        out.sources.append(src)
    else:
        out.ignored.append(Ignored(src.name, reason))


def _member_opener(path: Path, name: str, display: str) -> Callable[[], BinaryIO]:
    def open_member() -> BinaryIO:
        try:
            with zipfile.ZipFile(path) as zf:
                # The member stream keeps the archive's file handle alive after the ZipFile closes.
                return zf.open(name)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError) as exc:
            raise ImportFailure(display, f"cannot read zip member: {exc}") from None

    return open_member


def _scan_zip(path: Path, judge: Judge) -> Scan:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailure(str(path), f"not a readable zip archive: {exc}") from None
    out = Scan()
    for info in sorted(infos, key=lambda i: i.filename):
        parts = tuple(part for part in info.filename.split("/") if part)
        if not parts or _junk(parts):
            continue
        display = f"{path}!{info.filename}"
        if parts[-1].lower().endswith(".zip"):
            out.ignored.append(Ignored(display, "zip inside a zip: extract the outer one first"))
            continue
        src = Source(
            display, _member_opener(path, info.filename, display), member=parts[-1], size=info.file_size
        )
        _judge_into(out, src, judge)
    return out
