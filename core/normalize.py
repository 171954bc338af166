"""Name keys for matching: NFKC, casefold, punctuation, whitespace and suffix rules. Names are stored
as given.

"Song - Remastered 2011", "Song (2011 Remaster)", "Song (feat. X)" and "song" share one key, so the
same recording scrobbled by different clients or exported by different services is one track.
Live, acoustic and remix versions keep their suffix: they are different recordings. Typographic
variants meet too: "The Wailin’ Jennys" (U+2019) and "The Wailin' Jennys", “quotes” and "quotes",
en/em dashes and hyphens, non-breaking and other Unicode spaces. NUL characters are dropped (they
cannot be stored in PostgreSQL text and are never meant).

Keys are bounded: past ``KEY_CHARS`` characters a key is its first ``KEY_CHARS`` plus a hash of the
whole (``bounded``), so a 10,000-character name still fits a database index (PostgreSQL refuses index
rows over ~2.7 kB) while two long names differing only at the end stay two keys.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

KEY_CHARS = 200
_SPACE = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\x00]")  # zero-width characters some exports carry
_PUNCT = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u02b9\u00b4\uff07", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\uff02", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    }
)
"""Apostrophe, quote and dash variants → their ASCII form, for keys only."""
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
    """NFKC + casefold + ASCII apostrophes, quotes and dashes + collapsed whitespace, without NULs."""
    if name.isascii():  # the common case: NFKC, typographic punctuation, zero-width cannot apply
        return " ".join(name.replace("\x00", "").lower().split())
    folded = unicodedata.normalize("NFKC", name).translate(_PUNCT)
    return _SPACE.sub(" ", _INVISIBLE.sub("", folded).casefold()).strip()


def bounded(key: str) -> str:
    """``key`` itself, or its first ``KEY_CHARS`` characters and a hash of it all when longer."""
    if len(key) <= KEY_CHARS:
        return key
    digest = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
    return f"{key[:KEY_CHARS]}#{digest}"


@lru_cache(maxsize=1 << 18)
def artist_key(name: str) -> str:
    key = basic_key(name)
    stripped = _ARTIST_FEAT.sub("", key).strip()
    return bounded(stripped or key)


@lru_cache(maxsize=1 << 18)
def track_key(name: str) -> str:
    key = basic_key(name)
    if "(" not in key and "[" not in key and "-" not in key and " f" not in key:
        return bounded(key)  # no suffix any rule could strip
    stripped = _FEAT.sub("", key)
    stripped = _FEAT_TAIL.sub("", stripped)
    stripped = _REMASTER.sub("", stripped).strip()
    return bounded(stripped or key)


album_key = track_key  # same suffix rules ("Album (Remastered)" is the album)

_VERSION_WORDS = (
    r"(?:bonus|deluxe|version|edit|mix|remix|live|acoustic|demo|mono|stereo|explicit|clean|instrumental"
    r"|backing|karaoke|take|session|rough|single|radio|extended|original|alternate|outtake|unplugged"
    r"|reprise|intro|outro|bootleg|rehearsal|re-?recorded|anniversary|expanded|edition|track"
    r"|official|video|audio|lyrics?|visuali[sz]er|hd|hq|slowed|reverb|sped|nightcore)"
)
_VERSION = re.compile(
    rf"""\s*(?:[(\[][^)\]]*\b{_VERSION_WORDS}\b[^)\]]*[)\]]   # (Bonus Track), [Official Video]
         | \s-\s[^-]*\b{_VERSION_WORDS}\b[^-]*)\s*$        # - Live at Wembley, - Radio Edit""",
    re.VERBOSE,
)


def _trailing_symbols(key: str) -> str:
    """Without trailing symbol characters: the explicit-content mark "🅴" some services append, "★"."""
    end = len(key)
    while end and (key[end - 1].isspace() or unicodedata.category(key[end - 1]) in ("So", "Sk")):
        end -= 1
    return key[:end] if end else key


@lru_cache(maxsize=1 << 18)
def song_key(track: str, artist: str) -> str:
    """The song behind a track name, for telling a version of a known song from new music: the
    ``track_key`` without an "ARTIST | " / "ARTIST - " prefix (video uploads) and without version
    qualifiers ("(Bonus Track)", "(Live)", "- Radio Edit", "(Intro / Outro Rough Mix)", "[Official
    Video]", a trailing "🅴"). Coarser than ``track_key`` on purpose: the store keeps those versions apart as
    recordings, but "Kids (Bonus Track)" is not new to someone who plays "Kids"."""
    key = track_key(track)
    who = artist_key(artist)
    for sep in (" | ", " - ", ": "):
        if who and key.startswith(who + sep) and len(key) > len(who) + len(sep):
            key = key[len(who) + len(sep) :]
            break
    for _ in range(3):  # "Song (Live) [Remastered]": one qualifier at a time, from the end
        stripped = _VERSION.sub("", _trailing_symbols(key)).strip()
        if not stripped or stripped == key:
            break
        key = stripped
    return key


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters (C0, DEL, C1) shown as ``\\xNN``, for printing names and file
    names that came from files: an ESC or CSI in a title can then never drive the terminal."""
    if text.isprintable():
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
