"""Turning what the user picked (a file, a folder, a .zip, a pipe) into importable ``Source``s.

A folder is walked recursively in name order (hidden files and ``__MACOSX`` skipped); a .zip
(recognised by its magic bytes, wherever it sits) is read member by member through ``zipfile``
streams, never extracted to disk; a zip inside a zip is not opened. Each member is judged by the
caller's ``judge`` (the registry's sniffers): members no format claims — ``Userdata.json``,
``ReadMeFirst.pdf``, a ListenBrainz ``user.json`` — are reported in ``Scan.ignored`` with a reason
rather than failing the import. A single file given directly is always returned, so that an
unrecognised file fails loudly instead of being skipped.

Hostile input, and the limits that keep any of it to bounded memory and time:

- nothing but regular files is ever opened inside a folder (a named pipe would block the open until
  someone writes to it; devices and sockets are not files): they are ignored with the reason;
- a pipe given directly (``/dev/stdin``, ``<(cat file)``) is read once, without blocking on an open
  with no writer, into a private temporary file (at most ``MAX_PIPE_BYTES``), and imported from there
  — the formats read their input more than once (sniffing, encoding, parsing);
- a zip is opened once per scan, not once per member (reopening parses the whole central directory
  each time: quadratic in the member count); it may hold at most ``MAX_MEMBERS`` entries, counted from
  its end record before the directory is parsed; each member is streamed through ``LimitedStream``:
  at most ``MAX_MEMBER_BYTES`` uncompressed, and past ``RATIO_GRACE_BYTES`` no more than ``MAX_RATIO``
  times the compressed bytes consumed so far (real exports compress 2–11×; a "zip bomb" 150–1000×),
  whatever the header claims — so a bomb is refused after its first few MiB, not after a GiB;
- a member whose name leaves the archive's folder (``../x``, ``/etc/x``) is refused and reported.
"""

from __future__ import annotations

import io
import os
import select
import shutil
import stat
import tempfile
import weakref
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from core.sources.importers.base import Source, as_source
from core.sources.records import ImportFailure

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_JUNK_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}
MAX_MEMBERS = 5_000
MAX_MEMBER_BYTES = 1 << 30
MAX_RATIO = 40
RATIO_GRACE_BYTES = 8 << 20
MAX_PIPE_BYTES = 2 << 30
PIPE_WAIT_S = 60.0
"""How long a pipe may stay silent before its first byte (a writer that never writes)."""
_COPY_CHUNK = 1 << 20


@dataclass(frozen=True)
class Ignored:
    name: str
    reason: str


@dataclass
class Scan:
    """What a path holds: members to import, members ignored (with why), members refused outright.

    A scan may hold an open zip archive or a temporary copy of a pipe for its sources to read from:
    ``close()`` (or ``with``) releases them once the import is done.
    """

    sources: list[Source] = field(default_factory=list)
    ignored: list[Ignored] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)
    detected: dict = field(default_factory=dict)
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def extend(self, other: Scan) -> None:
        self.sources += other.sources
        self.ignored += other.ignored
        self.failures += other.failures
        self.detected.update(other.detected)
        self._closers += other._closers

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    def __enter__(self) -> Scan:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


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


def not_a_file(mode: int) -> str | None:
    """Why a stat mode is not something to read as a file (``None`` for a regular file)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe, not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device or terminal, not a file"
    return "not a regular file"


def scan(path: Path | str, judge: Judge) -> Scan:
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise ImportFailure(str(p), "no such file or folder") from None
    except OSError as exc:
        raise ImportFailure(str(p), f"cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(mode):
        return _scan_folder(p, judge)
    if stat.S_ISFIFO(mode):
        return _scan_pipe(p, judge)
    why = not_a_file(mode)
    if why:
        raise ImportFailure(str(p), f"is {why}: pass a history file (or pipe one in: /dev/stdin < file)")
    if is_zip(p):
        return _scan_zip(p, judge, str(p))
    return Scan([as_source(p)])


def _scan_folder(root: Path, judge: Judge) -> Scan:
    out = Scan()
    for child in sorted(root.rglob("*")):
        rel = child.relative_to(root).parts
        if _junk(rel):
            continue
        try:
            mode = child.stat().st_mode
        except OSError as exc:  # a dangling link, a file removed meanwhile: refused, so the run says so
            out.failures.append(ImportFailure(str(child), f"cannot read: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(mode):
            continue
        why = not_a_file(mode)
        if why:  # never opened (opening a named pipe waits for a writer); refused: exit 2 says so
            out.failures.append(ImportFailure(str(child), f"{why}: not read"))
        elif is_zip(child):
            try:
                out.extend(_scan_zip(child, judge, str(child)))
            except ImportFailure as exc:
                out.failures.append(exc)
        else:
            _judge_into(out, as_source(child), judge)
    return out


def _judge_into(out: Scan, src: Source, judge: Judge) -> None:
    reason = judge(src)
    if reason is None:
        out.sources.append(src)
    else:
        out.ignored.append(Ignored(src.name, reason))


# -- pipes -----------------------------------------------------------------------------------------
def _scan_pipe(path: Path, judge: Judge) -> Scan:
    """Copy what arrives through the pipe into a private temporary folder, then scan that copy."""
    copy = _TempCopy(path)
    try:
        _copy_pipe(path, copy.path)
    except BaseException:
        copy.remove()
        raise
    if is_zip(copy.path):
        out = _scan_zip(copy.path, judge, str(path))
    else:
        out = Scan([Source(str(path), copy, member=copy.path.name, path=copy.path, size=copy.size)])
    out._closers.append(copy.remove)
    return out


class _TempCopy:
    """A private temporary file holding what came through a pipe; the opener of its ``Source``, so the
    copy lives as long as anything can still read it (and is removed by ``remove`` or at exit)."""

    def __init__(self, pipe: Path):
        folder = tempfile.mkdtemp(prefix="segue-pipe-")  # mode 0700
        name = pipe.name if pipe.name not in ("", "0", "stdin") else "stdin"
        self.path = Path(folder) / name
        self.remove = weakref.finalize(self, shutil.rmtree, folder, True)

    @property
    def size(self) -> int | None:
        try:
            return self.path.stat().st_size
        except OSError:
            return None

    def __call__(self) -> BinaryIO:
        return open(self.path, "rb")


def _copy_pipe(path: Path, dest: Path) -> None:
    """Copy the pipe's bytes to ``dest``. Opened and read without blocking: with no writer at all, the
    read sees the end at once (a FIFO nobody writes to); with a writer, each wait for more bytes is
    bounded by ``PIPE_WAIT_S``."""
    display = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a blocking open would wait for a writer
    except OSError as exc:
        raise ImportFailure(display, f"cannot read: {exc.strerror or exc}") from None
    total = 0
    try:
        with open(dest, "wb") as out:
            while True:
                try:
                    chunk = os.read(fd, _COPY_CHUNK)
                except BlockingIOError:  # a writer is there, nothing written yet
                    ready, _, _ = select.select([fd], [], [], PIPE_WAIT_S)
                    if not ready:
                        raise ImportFailure(
                            display, f"nothing arrived through this pipe for {PIPE_WAIT_S:.0f} s"
                        ) from None
                    continue
                if not chunk:
                    break
                total += len(chunk)
                if total > MAX_PIPE_BYTES:
                    raise ImportFailure(
                        display, f"more than {MAX_PIPE_BYTES >> 30} GiB arrived: not a listening history"
                    )
                out.write(chunk)
    except OSError as exc:
        raise ImportFailure(display, f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if total == 0:
        raise ImportFailure(display, "nothing was written to this pipe (file is empty)")


# -- zips ------------------------------------------------------------------------------------------
def _entry_count(path: Path) -> int:
    """Entries in the zip's central directory, read from its end record (before parsing the directory)."""
    with open(path, "rb") as fh:
        end = zipfile._EndRecData(fh)  # the stdlib's own reader for the end record (zip64 aware)
    if not end:
        raise zipfile.BadZipFile("File is not a zip file")
    return end[zipfile._ECD_ENTRIES_TOTAL]


def _escapes(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts


def _scan_zip(path: Path, judge: Judge, shown: str) -> Scan:
    try:
        entries = _entry_count(path)
        if entries > MAX_MEMBERS:
            raise ImportFailure(
                shown,
                f"zip archive with {entries:,} members (more than {MAX_MEMBERS:,}): not a listening-history "
                "export; extract the history files and import them",
            )
        zf = zipfile.ZipFile(path)
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ImportFailure(shown, f"not a readable zip archive: {exc}") from None
    out = Scan(_closers=[zf.close])
    for info in sorted(infos, key=lambda i: i.filename):
        display = f"{shown}!{info.filename}"
        if _escapes(info.filename):
            out.failures.append(
                ImportFailure(display, "member name leaves the archive's folder ('..' or absolute): refused")
            )
            continue
        parts = tuple(part for part in info.filename.split("/") if part)
        if not parts or _junk(parts):
            continue
        if parts[-1].lower().endswith(".zip"):
            out.ignored.append(Ignored(display, "zip inside a zip: extract the outer one first"))
            continue
        src = Source(display, _member_opener(zf, info, display), member=parts[-1], size=info.file_size)
        _judge_into(out, src, judge)
    return out


def _member_opener(zf: zipfile.ZipFile, info: zipfile.ZipInfo, display: str) -> Callable[[], BinaryIO]:
    def open_member() -> BinaryIO:
        try:
            raw = zf.open(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, ValueError) as exc:
            raise ImportFailure(display, f"cannot read zip member: {exc}") from None
        return io.BufferedReader(LimitedStream(raw, info.compress_size, display), 1 << 16)

    return open_member


class LimitedStream(io.RawIOBase):
    """A zip member's bytes, refused once they exceed the size or expansion limits (module docstring)."""

    def __init__(self, raw: BinaryIO, compressed: int, display: str):
        self._raw = raw
        self._compressed = max(compressed, 1)
        self._display = display
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self._raw.read(len(buffer))
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise ImportFailure(self._display, f"damaged zip member: {exc}") from None
        n = len(data)
        self.read_bytes += n
        if self.read_bytes > MAX_MEMBER_BYTES:
            raise ImportFailure(
                self._display, f"zip member larger than {MAX_MEMBER_BYTES >> 30} GiB: not a listening history"
            )
        if self.read_bytes > RATIO_GRACE_BYTES and self.read_bytes > MAX_RATIO * self._consumed():
            raise ImportFailure(
                self._display,
                f"zip member expands more than {MAX_RATIO}× ({self._compressed:,} bytes packed): "
                "a zip bomb, not an export",
            )
        buffer[:n] = data
        return n

    def _consumed(self) -> int:
        """Compressed bytes read so far (zipfile keeps what is left; the whole member if it does not)."""
        left = getattr(self._raw, "_compress_left", None)
        return max(self._compressed - left, 1) if isinstance(left, int) else self._compressed

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()
