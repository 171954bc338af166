"""Mood lexicon: Last.fm-style tags → moods. Documented, deliberately small and explicit.

Built from the mood tags most used on Last.fm (as in the social-tag mood studies of Hu & Downie,
Laurier et al.) and the tags in HetRec 2011 / the edelgrace tag table. A tag counts for a mood when its
normalised text equals an entry or contains it as a whole word. ``sad`` is the mood the research
relates to distress; the others give the rest of the profile.
"""

from __future__ import annotations

import re
from functools import lru_cache

MOODS: dict[str, tuple[str, ...]] = {
    "sad": (
        "sad",
        "melancholic",
        "melancholy",
        "melancholia",
        "depressing",
        "depressive",
        "sorrow",
        "heartbreak",
        "heartbroken",
        "broken heart",
        "lonely",
        "loneliness",
        "grief",
        "tearjerker",
        "crying",
        "sad songs",
        "bittersweet",
        "gloomy",
        "mournful",
        "despair",
        "suicidal",
    ),
    "dark": ("dark", "darkwave", "haunting", "ominous", "bleak", "doom", "sinister"),
    "calm": (
        "calm",
        "chill",
        "chillout",
        "relax",
        "relaxing",
        "mellow",
        "peaceful",
        "soothing",
        "ambient",
        "dreamy",
        "soft",
        "quiet",
        "sleep",
        "lullaby",
        "downtempo",
    ),
    "happy": (
        "happy",
        "feel good",
        "feelgood",
        "uplifting",
        "cheerful",
        "joyful",
        "fun",
        "sunny",
        "summer",
        "positive",
        "optimistic",
        "party",
        "good mood",
    ),
    "energetic": (
        "energetic",
        "energy",
        "upbeat",
        "powerful",
        "intense",
        "workout",
        "driving",
        "fast",
        "dance",
        "danceable",
        "hype",
    ),
    "angry": ("angry", "aggressive", "rage", "hate", "furious", "brutal"),
    "romantic": ("romantic", "love", "love songs", "sensual", "sexy", "passionate", "tender"),
    "nostalgic": ("nostalgic", "nostalgia", "memories", "wistful"),
}

_PATTERNS = {
    mood: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")
    for mood, words in MOODS.items()
}


@lru_cache(maxsize=65536)
def moods_of(tag: str) -> tuple[str, ...]:
    """The moods a tag expresses (possibly none)."""
    t = re.sub(r"[\s_\-]+", " ", tag.casefold()).strip()
    return tuple(m for m, pat in _PATTERNS.items() if pat.search(t))
