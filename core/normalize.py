"""Name keys for matching: NFKC, casefold, whitespace and suffix rules. Names are stored as given.

"Song - Remastered 2011", "Song (2011 Remaster)", "Song (feat. X)" and "song" share one key, so the
same recording scrobbled by different clients or exported by different services is one track.
Live, acoustic and remix versions keep their suffix: they are different recordings.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACE = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")  # zero-width characters some exports carry
_REMASTER = re.compile(
    r"""\s*(?:
        [-–—]\s*(?:\d{4}\s+)?(?:digital(?:ly)?\s+)?remaster(?:ed)?(?:\s+\d{4})?(?:\s+version)?\s*$
      | [(\[]\s*(?:\d{4}\s+)?(?:digital(?:ly)?\s+)?remaster(?:ed)?(?:\s+\d{4})?(?:\s+version)?\s*[)\]]
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_FEAT = re.compile(r"\s*[(\[]\s*(?:feat\.?|ft\.?|featuring|with)\s[^)\]]*[)\]]", re.IGNORECASE)
_FEAT_TAIL = re.compile(r"\s+(?:feat\.?|ft\.?|featuring)\s.*$", re.IGNORECASE)
_ARTIST_FEAT = re.compile(r"\s+(?:feat\.?|ft\.?|featuring)\s.*$", re.IGNORECASE)


@lru_cache(maxsize=1 << 18)
def basic_key(name: str) -> str:
    """NFKC + casefold + collapsed whitespace."""
    if name.isascii():  # the common case: NFKC and zero-width characters cannot apply
        return " ".join(name.lower().split())
    return _SPACE.sub(" ", _INVISIBLE.sub("", unicodedata.normalize("NFKC", name)).casefold()).strip()


@lru_cache(maxsize=1 << 18)
def artist_key(name: str) -> str:
    key = basic_key(name)
    stripped = _ARTIST_FEAT.sub("", key).strip()
    return stripped or key


@lru_cache(maxsize=1 << 18)
def track_key(name: str) -> str:
    key = basic_key(name)
    if (
        "(" not in key
        and "[" not in key
        and "-" not in key
        and "–" not in key
        and "—" not in key
        and " f" not in key
    ):  # no suffix any rule could strip
        return key
    stripped = _FEAT.sub("", key)
    stripped = _FEAT_TAIL.sub("", stripped)
    stripped = _REMASTER.sub("", stripped).strip()
    return stripped or key


album_key = track_key  # same suffix rules ("Album (Remastered)" is the album)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters (C0, DEL, C1) shown as ``\\xNN``, for printing names and file
    names that came from files: an ESC or CSI in a title can then never drive the terminal."""
    if text.isprintable():
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
