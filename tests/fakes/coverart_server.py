"""A fake of the Cover Art Archive (https://musicbrainz.org/doc/Cover_Art_Archive/API) and its archive.org side.

* ``GET /release/{mbid}/front[-250|-500|-1200]`` → ``307 Temporary Redirect`` to
  ``/download/mbid-{mbid}/mbid-{mbid}-{image_id}[_thumb250].jpg`` (archive.org in real life; the same
  fake here), which answers ``200 image/jpeg``.  No such release, or no front image → 404 with a
  plain-text body; an invalid MBID → 400 ``invalid MBID specified``.
* ``GET /release/{mbid}/`` → the JSON image index ``{"images": [...], "release": ...}``.

Images are whatever bytes a test registers (default: a 125-byte 1x1 JPEG).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from .http_fake import FakeService, Reply, Request, json_reply

__all__ = ["FakeCoverArt", "TINY_JPEG"]

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
#: The well-known smallest valid JPEG (1x1, arithmetic coded): SOI, JFIF APP0, DQT, SOF9, DAC, SOS, EOI.
TINY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010101004800480000"
    "ffdb004300030202020202030202020303030304060404040404080606050609080a0a090809090a0c0f0c0a0b0e0b0909"
    "0d110d0e0f101011100a0c12131210130f101010"
    "ffc9000b080001000101011100"
    "ffcc000600101005"
    "ffda0008010100003f00d2cf20"
    "ffd9"
)
_SIZES = {"": "", "-250": "_thumb250", "-500": "_thumb500", "-1200": "_thumb1200"}


class FakeCoverArt(FakeService):
    """``releases`` maps a release MBID to image bytes, or to None for a release without a front image."""

    name = "coverartarchive"
    limited_prefix = "/release/"  # the image downloads are archive.org's, not the CAA's, in real life

    def __init__(
        self,
        releases: Mapping[str, bytes | None] | None = None,
        *,
        rate_limit: float | None = None,
        rate_window: float = 1.0,
        port: int = 0,
    ) -> None:
        super().__init__(rate_limit=rate_limit, rate_window=rate_window, port=port)
        self._releases: dict[str, bytes | None] = dict(releases or {})

    def set_release(self, mbid: str, image: bytes | None = TINY_JPEG) -> None:
        with self._lock:
            self._releases[mbid] = image

    def rate_limited(self, req: Request) -> Reply:
        return Reply(
            503,
            b"Service Temporarily Unavailable: rate limit exceeded\n",
            "text/plain; charset=utf-8",
            {"Retry-After": "1"},
        )

    def default_error(self, status: int, req: Request) -> Reply:
        if status == 404:
            return Reply(404, b"No cover art found for release\n", "text/plain; charset=utf-8")
        return super().default_error(status, req)

    def _image_id(self, mbid: str) -> int:
        return 1000000000 + int(mbid.replace("-", "")[:8], 16) % 1000000000

    def route(self, req: Request) -> Reply:
        m = re.fullmatch(r"/release/([^/]+)/front(-250|-500|-1200)?", req.path)
        if m:
            mbid, size = m.group(1), m.group(2) or ""
            if not re.fullmatch(_UUID, mbid):
                return Reply(400, b"invalid MBID specified\n", "text/plain; charset=utf-8")
            with self._lock:
                known, image = mbid in self._releases, self._releases.get(mbid)
            if not known or image is None:
                return self.default_error(404, req)
            loc = f"{self.root}/download/mbid-{mbid}/mbid-{mbid}-{self._image_id(mbid)}{_SIZES[size]}.jpg"
            return Reply(307, b"See: " + loc.encode() + b"\n", "text/plain; charset=utf-8", {"Location": loc})
        m = re.fullmatch(rf"/download/mbid-({_UUID})/mbid-\1-\d+(_thumb\d+)?\.jpg", req.path)
        if m:
            with self._lock:
                image = self._releases.get(m.group(1))
            if image is None:
                return Reply(404, b"<html><body>Item not found</body></html>", "text/html")
            return Reply(200, image, "image/jpeg", {"Cache-Control": "max-age=31536000"})
        m = re.fullmatch(r"/release/([^/]+)/?", req.path)
        if m:
            mbid = m.group(1)
            if not re.fullmatch(_UUID, mbid):
                return Reply(400, b"invalid MBID specified\n", "text/plain; charset=utf-8")
            with self._lock:
                known, image = mbid in self._releases, self._releases.get(mbid)
            if not known:
                return self.default_error(404, req)
            images = []
            if image is not None:
                iid = self._image_id(mbid)
                base = f"http://coverartarchive.org/release/{mbid}/{iid}"
                images.append(
                    {
                        "approved": True,
                        "back": False,
                        "comment": "",
                        "edit": 12345678,
                        "front": True,
                        "id": iid,
                        "image": f"{base}.jpg",
                        "thumbnails": {
                            "250": f"{base}-250.jpg",
                            "500": f"{base}-500.jpg",
                            "1200": f"{base}-1200.jpg",
                            "large": f"{base}-500.jpg",
                            "small": f"{base}-250.jpg",
                        },
                        "types": ["Front"],
                    }
                )
            return json_reply(200, {"images": images, "release": f"https://musicbrainz.org/release/{mbid}"})
        return self.default_error(404, req)
