"""Telling podcast shows and audiobooks from artists in Spotify's *basic* history, which has no flag.

Older basic exports mix episodes into ``StreamingHistory*.json`` with the show as ``artistName`` and
the episode as ``trackName`` (newer ones put them in ``StreamingHistory_podcast_*.json``, and the
extended history names them in ``episode_name``/``spotify_episode_uri`` — both handled by the format
modules). Within one file, an "artist" is taken for a show when

- its name contains the word "podcast" ("Lex Fridman Podcast"), or
- at least half of its titles are numbered like episodes (``#144 GIB MIR PH``, ``Folge 12``,
  ``Episode 3``, ``S01 Episode 13: …``, ``S8E11 - …``) **and** one of its plays lasted ≥ 20 minutes
  ("Gemischtes Hack", "Serial"); the length keeps songs like ``#1Take, Pt. 2`` as music, or
- it is long-form speech without numbers ("Huberman Lab"): at least two plays of ≥ 20 minutes, at
  least half of its plays ≥ 10 minutes, and titles that read like sentences (a median of six words or
  more) without the marks of classical music (``Op.``, ``BWV``, ``No. 9``, ``Symphony`` …), which is
  where long tracks with long titles otherwise come from.

An "artist" is taken for an audiobook reading when at least five of its titles, and at least half,
are numbered chapters (``Kapitel 12.3``, ``Chapter 4``): audiobooks in the music catalogue come in
three-minute parts, so their length tells nothing.

Checked on the jonas-mika export (54,429 items): the rules catch the six shows seen by eye and no
music artist. Not caught: a show whose every episode was listened to for under ten minutes and whose
titles carry no number — its plays are indistinguishable from songs in this export.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

SHOW_NAME = re.compile(r"\bpodcast\b", re.I)
EPISODE_TITLE = re.compile(
    r"#\s?\d+\b|(?:folge|episode|ep\.?)\s*\d+|s\d{1,2}\s*(?:e|ep\.?|episode|folge)\s*\d+\b", re.I
)
CHAPTER_TITLE = re.compile(r"(?:kapitel|chapter|chapitre|cap[ií]tulo|capitolo)\s*\d+", re.I)
CLASSICAL = re.compile(
    r"\b(?:op\.|opus|bwv|hob\.|kv\.?|k\.\s?\d|no\.\s?\d|symphon|concert|sonat|suite|movement|mvt|act\s+[ivx\d]+)",
    re.I,
)
LONG_PLAY_MS = 20 * 60_000
LONGISH_MS = 10 * 60_000
SENTENCE_WORDS = 6
MIN_CHAPTERS = 5


@dataclass
class _Stats:
    plays: int = 0
    numbered: int = 0
    chapters: int = 0
    long_plays: int = 0
    longish: int = 0
    longest: int = -1
    classical: int = 0
    words: list[int] = field(default_factory=list)


def podcast_shows(plays: Iterable[tuple[str, str, int]]) -> set[str]:
    """Names of the shows among ``(artist, title, ms_played)`` plays of one file."""
    return {artist for artist, kind in classify_artists(plays).items() if kind == "podcast"}


def classify_artists(plays: Iterable[tuple[str, str, int]]) -> dict[str, str]:
    """``{artist: "podcast" | "audiobook"}`` for the artists of one file that are not music."""
    stats: dict[str, _Stats] = {}
    for artist, title, ms in plays:
        s = stats.get(artist)
        if s is None:
            s = stats[artist] = _Stats()
        s.plays += 1
        if EPISODE_TITLE.match(title):
            s.numbered += 1
        if CHAPTER_TITLE.match(title):
            s.chapters += 1
        if ms >= LONG_PLAY_MS:
            s.long_plays += 1
        if ms >= LONGISH_MS:
            s.longish += 1
            if len(s.words) < 200:
                s.words.append(len(title.split()))
            if CLASSICAL.search(title):
                s.classical += 1
        s.longest = max(s.longest, ms)
    out: dict[str, str] = {}
    for artist, s in stats.items():
        if SHOW_NAME.search(artist) or (2 * s.numbered >= s.plays and s.longest >= LONG_PLAY_MS):
            out[artist] = "podcast"
        elif _long_form_speech(s):
            out[artist] = "podcast"
        elif s.chapters >= MIN_CHAPTERS and 2 * s.chapters >= s.plays:
            out[artist] = "audiobook"
    return out


def _long_form_speech(s: _Stats) -> bool:
    return (
        s.long_plays >= 2
        and 2 * s.longish >= s.plays
        and s.classical == 0
        and statistics.median(s.words) >= SENTENCE_WORDS
    )
