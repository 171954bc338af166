"""Telling podcast shows from artists in Spotify's *basic* history, which has no podcast flag.

Older basic exports mix episodes into ``StreamingHistory*.json`` with the show as ``artistName`` and
the episode as ``trackName``. Within one file, an "artist" is taken for a show when either

- its name contains the word "podcast" ("Inside Brains - Der Podcast von Tim Gabel",
  "Lex Fridman Podcast"), or
- at least half of its titles are numbered like episodes (``#144 GIB MIR PH``, ``Folge 12``,
  ``Episode 3``) **and** at least one of its plays in the file lasted ≥ 20 minutes
  ("Gemischtes Hack"). The length condition keeps songs like ``#1Take, Pt. 2`` as music.

Checked on the jonas-mika export (54,429 items): no music artist has a play ≥ 20 min, and the rules
catch every show seen by eye. Long single tracks (classical movements, DJ mixes) are only affected
if their titles are also numbered like episodes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SHOW_NAME = re.compile(r"\bpodcast\b", re.I)
EPISODE_TITLE = re.compile(r"#\s?\d+\b|(?:folge|episode|ep\.?)\s*\d+", re.I)
LONG_PLAY_MS = 20 * 60_000


def podcast_shows(plays: Iterable[tuple[str, str, int]]) -> set[str]:
    """Names of the shows among ``(artist, title, ms_played)`` plays of one file."""
    count: dict[str, int] = {}
    numbered: dict[str, int] = {}
    longest: dict[str, int] = {}
    for artist, title, ms in plays:
        count[artist] = count.get(artist, 0) + 1
        if EPISODE_TITLE.match(title):
            numbered[artist] = numbered.get(artist, 0) + 1
        if ms > longest.get(artist, -1):
            longest[artist] = ms
    return {
        artist
        for artist, n in count.items()
        if SHOW_NAME.search(artist) or (2 * numbered.get(artist, 0) >= n and longest[artist] >= LONG_PLAY_MS)
    }
