"""Album art from the Cover Art Archive (https://musicbrainz.org/doc/Cover_Art_Archive/API) by release MBID.

``GET /release/{mbid}/front-250`` answers 307 to the image on archive.org (followed); 404 means the
release has no front image (or does not exist).  Images are saved under
``core.paths.cache_dir()/art/{mbid}-{size}.{ext}`` and recorded in ``artwork``.  Albums without a
release MBID are "missing" until the IDs provider finds one (it then clears that status).
Last.fm images are never used (docs/architecture.md §5).
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import httpx
from sqlalchemy import Connection

from core import paths
from core.features.providers.base import BaseProvider, Item, Outcome, outcome_from_error
from core.features.providers.rows import save_artwork
from core.jobs import CancelToken
from core.net import (
    USER_AGENT,
    HttpClient,
    RateLimited,
    ServiceError,
    Transient,
    default_classify,
    shared_limiter,
)

DEFAULT_ROOT = "https://coverartarchive.org/"
DEFAULT_RPS = 1.0  # no published limit; archive.org serves the files, stay polite
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_MAGIC = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png", b"GIF8": ".gif", b"RIFF": ".webp"}


def classify(resp: httpx.Response):
    if resp.status_code == 503:
        retry = resp.headers.get("Retry-After", "")
        return RateLimited(
            "Cover Art Archive is busy (HTTP 503)", float(retry) if retry.isdigit() else 5.0, 503
        )
    return default_classify(resp)


def image_extension(data: bytes) -> str | None:
    for magic, ext in _MAGIC.items():
        if data.startswith(magic):
            return ext
    return None


class CoverArt(BaseProvider):
    name = "coverartarchive"
    modality = "art"
    item_kind = "album"
    service = "coverartarchive"
    depends_on = ("ids",)  # release MBIDs come from the IDs provider: run after it in the same run

    def __init__(
        self,
        root: str = DEFAULT_ROOT,
        *,
        size: str = "250",
        per_second: float = DEFAULT_RPS,
        timeout: float = 30.0,
        attempts: int = 3,
        backoff_s: float = 2.0,
        user_agent: str = USER_AGENT,
        folder: Path | None = None,
    ):
        if size not in ("250", "500", "1200", ""):
            raise ValueError("size must be 250, 500, 1200 or '' (original)")
        self.size = size
        self.per_second = per_second
        self.folder = folder
        self.http = HttpClient(
            root if root.endswith("/") else root + "/",
            per_second=per_second,
            timeout=timeout,
            attempts=attempts,
            backoff_s=backoff_s,
            user_agent=user_agent,
            classify=classify,
            headers={"Accept": "image/*"},
        )
        self.http.limiter = shared_limiter("coverartarchive", per_second)

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def close(self) -> None:
        self.http.close()

    def _folder(self) -> Path:
        folder = self.folder or paths.cache_dir() / "art"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome:
        if not item.mbid:
            return Outcome.missing("no release MBID for this album yet")
        if not _UUID.match(item.mbid):
            return Outcome.error(f"not a valid release MBID: {item.mbid!r}", retry=False)
        suffix = f"-{self.size}" if self.size else ""
        try:
            resp: httpx.Response = self.http.request(
                "GET", f"release/{item.mbid.lower()}/front{suffix}", cancel=cancel
            )
        except ServiceError as exc:
            out = outcome_from_error(exc, "Cover Art Archive")
            if out.kind == "missing":
                return Outcome.missing("Cover Art Archive has no front image for this release")
            return out
        ext = image_extension(resp.content)
        if not resp.headers.get("content-type", "").startswith("image/") or ext is None:
            return outcome_from_error(Transient("the answer is not an image"), "Cover Art Archive")
        return Outcome.ok({"bytes": resp.content, "ext": ext, "url": str(resp.url)}, source=self.name)

    def save(self, conn: Connection, item: Item, outcome: Outcome, now: int) -> None:
        if outcome.kind != "ok":
            return
        d = outcome.data
        target = self._folder() / f"{item.mbid.lower()}-{self.size or 'full'}{d['ext']}"
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".art-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(d["bytes"])
        os.replace(tmp, target)
        save_artwork(conn, item.id, path=str(target), source_url=d["url"], now=now)
