"""User settings, declared once: each a typed field with its default, range, label and help text.

``Settings`` is the table. Every field is declared with :func:`setting`, whose metadata (a
:class:`Spec`) says how it is shown and checked: its label and help, numeric range, choices, the
Settings-page section it belongs to (``SECTIONS``; ``None``: not on that page — set elsewhere in
the app, or only in settings.json). ``app/pages/settings.py`` builds its form from this table, and
every reader uses the attribute (``settings.lift``), never a default of its own.

The file is ``settings.json`` in the home folder, written atomically. Loading checks every value
(``coerce``: cast to the field's type, clamped to its range; a value that cannot be read falls back
to the default) and migrates files from before this table, whose keys lived in a free-form
``"extra"`` dict. Keys this version does not know are kept and written back, not lost.
"""

from __future__ import annotations

import json
import os
import tempfile
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from core import paths

LEGACY_EXTRA = "extra"  # the free-form dict older versions kept their other settings in


@dataclass(frozen=True)
class Spec:
    """How a setting is shown and checked (the metadata of its field)."""

    label: str
    help: str = ""
    section: str | None = None  # a key of SECTIONS; None: not on the Settings page
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    suffix: str = ""
    special: str = ""  # shown instead of the minimum (e.g. 0 → "only when I ask")
    placeholder: str = ""
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for a choice or a list of choices
    kind: str = ""  # "folder" | "database_url" | "" (by type)


# Settings-page sections in order: key → (title, note, column)
SECTIONS: dict[str, tuple[str, str, str]] = {
    "look": ("Look and listening", "", "left"),
    "background": ("Background work", "", "left"),
    "suggestions": ("Suggestions", "", "left"),
    "storage": (
        "Where your data lives",
        "Everything stays on this computer. To move the data folder, start Segue with "
        "--home FOLDER (or set SEGUE_HOME).",
        "left",
    ),
    "lastfm": (
        "Last.fm",
        "Your own API account (free): last.fm/api/account/create. The secret is "
        "kept in the system keyring, never in the settings file.",
        "right",
    ),
    "spotify": (
        "Spotify",
        "Optional: for links and playlist export only. Create an app at "
        "developer.spotify.com with the redirect URI http://127.0.0.1/callback.",
        "right",
    ),
    "features": (
        "Feature sources",
        "What the models may learn from besides your plays. Lyrics stay on this computer.",
        "right",
    ),
}

LYRICS_PROVIDERS = (
    ("lrclib", "LRCLIB (online, no key)"),
    ("local", "Local .lrc files and embedded tags"),
    ("genius", "Genius (needs your token; may be blocked)"),
)


def setting(default: Any, label: str, **spec: Any) -> Any:
    """A settings field: ``default`` plus its :class:`Spec` (mutable defaults are copied per instance)."""
    meta = {"spec": Spec(label, **spec)}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Settings:
    # -- on the Settings page ---------------------------------------------------------------------
    theme: str = setting(
        "system",
        "Theme",
        section="look",
        choices=(("system", "System"), ("light", "Light"), ("dark", "Dark")),
    )
    session_gap_minutes: int = setting(
        120,
        "Session gap",
        section="look",
        minimum=5,
        maximum=24 * 60,
        step=15,
        suffix=" min",
        help="A pause longer than this starts a new session",
    )
    timezone: str = setting(
        "",
        "Time zone",
        section="look",
        placeholder="this computer's time zone",
        help="IANA name such as Europe/Berlin; empty uses this computer's zone",
    )
    sync_interval_minutes: int = setting(
        60,
        "Sync Last.fm every",
        section="background",
        minimum=0,
        maximum=7 * 24 * 60,
        step=15,
        suffix=" min",
        special="only when I ask",
    )
    train_automatically: bool = setting(
        True,
        "Train by itself",
        section="background",
        help="Train the default model when an import or a sync adds plays, or when an account with "
        "history has none yet (off: only when you press Train)",
    )
    retrain_after_plays: int = setting(
        500,
        "Retrain after",
        section="background",
        minimum=0,
        maximum=100000,
        step=100,
        suffix=" new plays",
        special="never by itself",
    )
    fine_tune_below_percent: int = setting(
        20,
        "Fine-tune below",
        section="background",
        minimum=0,
        maximum=100,
        step=5,
        suffix="% new plays",
        special="always from scratch",
        help="A retrain of a neural model starts from the saved one and learns the recent plays when "
        "the plays since it are under this share of the history (much faster); otherwise, or at 0, "
        "it trains from scratch",
    )
    suggest_max_per_artist: int = setting(
        3,
        "At most per artist",
        section="suggestions",
        minimum=1,
        maximum=10,
        suffix=" in any 10 in a row",
        help="How many tracks of one artist Up next and New to you may hold in any ten places in a row",
    )
    suggest_session_replays: str = setting(
        "auto",
        "Tracks from this session",
        section="suggestions",
        choices=(
            ("auto", "As often as I do"),
            ("never", "Never"),
            ("allow", "Always"),
        ),
        help="Whether Up next may suggest tracks you already played in the current session; "
        "'as often as I do' measures how often you replay on your own history",
    )
    database_url: str = setting(
        "",
        "Database URL",
        section="storage",
        kind="database_url",
        placeholder="the SQLite file in the data folder",
        help="A SQLAlchemy URL, e.g. postgresql+psycopg://user@host/segue; takes effect "
        "after a restart. --db and SEGUE_DB override it.",
    )
    lastfm_api_key: str = setting("", "API key", section="lastfm", placeholder="API key")
    spotify_client_id: str = setting("", "Client ID", section="spotify", placeholder="client ID")
    spotify_redirect_port: int = setting(
        0, "Redirect port", section="spotify", minimum=0, maximum=65535, special="any free port"
    )
    lyrics_providers: list[str] = setting(
        ["lrclib", "local"], "Lyrics", section="features", choices=LYRICS_PROVIDERS
    )
    music_folder: str = setting(
        "",
        "Music folder",
        section="features",
        kind="folder",
        placeholder="not set: no audio analysis",
        help="Your own audio files, analysed locally for tempo, loudness, key and "
        "more (several: separated by the path separator)",
    )
    embedding_model: str = setting(
        "", "Text model", section="features", placeholder="packaged all-MiniLM-L6-v2"
    )

    # -- set on other pages -------------------------------------------------------------------------
    explore: float = setting(
        0.5,
        "Familiar ↔ explore",
        minimum=0.0,
        maximum=1.0,
        help="Suggestions page slider: 0 favours tracks you know, 1 tracks new to you",
    )
    lift: float = setting(
        0.0,
        "Lift",
        minimum=0.0,
        maximum=1.0,
        help="Insights page: favour higher valence and energy where known (0: off)",
    )
    last_account: str = setting("", "Last chosen account")
    demo_imported: bool = setting(False, "Demo history imported on the first run")

    # -- settings.json only -------------------------------------------------------------------------
    feature_interval_minutes: int = setting(60, "Fetch features every", minimum=1, suffix=" min")
    embedding_interval_minutes: int = setting(360, "Rebuild embeddings every", minimum=1, suffix=" min")
    embedding_threads: int = setting(
        0,
        "Torch threads for embeddings",
        minimum=0,
        help="0: half the cores (core.features.embeddings.threads)",
    )
    feature_rates: dict[str, float] = setting({}, "Requests per second per service (overrides)")
    feature_max_age_days: dict[str, float] = setting({}, "Refetch features older than (days, per modality)")
    feature_missing_age_days: dict[str, float] = setting(
        {}, "Retry missing features after (days, per modality)"
    )
    lastfm_api_root: str = setting("https://ws.audioscrobbler.com/2.0/", "Last.fm API root")
    lrclib_api_root: str = setting("", "LRCLIB API root (empty: the public one)")
    musicbrainz_api_root: str = setting("", "MusicBrainz API root (empty: the public one)")
    coverart_api_root: str = setting("", "Cover Art Archive root (empty: the public one)")
    genius_api_root: str = setting("", "Genius API root (empty: lyricsgenius' own)")
    genius_web_root: str = setting("", "Genius web root (empty: lyricsgenius' own)")
    spotify_accounts_root: str = setting("", "Spotify accounts root (empty: the public one)")
    spotify_api_root: str = setting("", "Spotify API root (empty: the public one)")
    # the discovery catalogue (core.catalogue): per-source on/off and TTL overrides, the demo account
    catalogue_include_demo: bool = setting(
        False, "Let the bundled demo history feed a real account's catalogue"
    )
    catalogue_sources: dict[str, bool] = setting({}, "Catalogue sources on/off (source name; absent: on)")
    catalogue_ttl_days: dict[str, float] = setting({}, "Catalogue refetch age (days, per source)")
    catalogue_interval_minutes: int = setting(
        720, "Refresh the discovery catalogue every", minimum=1, suffix=" min"
    )
    listenbrainz_api_root: str = setting("https://api.listenbrainz.org/1/", "ListenBrainz API root")
    listenbrainz_labs_root: str = setting(
        "https://labs.api.listenbrainz.org/", "ListenBrainz Labs root (has moved before)"
    )

    # keys of a newer (or older) version this one does not know: written back unchanged
    kept: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def path(cls) -> Path:
        return paths.home() / "settings.json"

    @classmethod
    def load(cls) -> Settings:
        try:
            data = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}  # no file, or a damaged one: defaults rather than a stopped app
        return cls.from_json(data if isinstance(data, dict) else {})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Settings:
        """Settings from a settings.json document (migrating its ``"extra"`` dict; checking every value)."""
        data = dict(data)
        legacy = data.pop(LEGACY_EXTRA, None)
        if isinstance(legacy, dict):
            data = {**legacy, **data}  # a typed key written since wins over the old extra one
        known = {f.name: f for f in _fields()}
        values = {k: coerce(known[k], v) for k, v in data.items() if k in known}
        return cls(**values, kept={k: v for k, v in data.items() if k not in known and k != "kept"})

    def to_json(self) -> dict[str, Any]:
        return {**self.kept, **{f.name: getattr(self, f.name) for f in _fields()}}

    def update(self, **changes: Any) -> None:
        """Set settings by name, each checked like a loaded one; an unknown name is an error."""
        known = {f.name: f for f in _fields()}
        for name, value in changes.items():
            if name not in known:
                raise AttributeError(f"no setting named {name!r}")
            setattr(self, name, coerce(known[name], value))

    def save(self) -> None:
        """Atomic write so a crash never leaves half a settings file."""
        target = self.path()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".settings-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self.to_json(), fh, indent=2, ensure_ascii=False)
        os.replace(tmp, target)


def _fields():
    return [f for f in fields(Settings) if "spec" in f.metadata]


def spec_of(name: str) -> Spec:
    return next(f.metadata["spec"] for f in _fields() if f.name == name)


def on_page(section: str) -> list[str]:
    """The settings shown in ``section`` of the Settings page, in declaration order."""
    return [f.name for f in _fields() if f.metadata["spec"].section == section]


def default_of(f) -> Any:
    return f.default_factory() if f.default is MISSING else f.default


_TYPES = typing.get_type_hints(Settings)


def coerce(f, value: Any) -> Any:
    """``value`` as field ``f``'s type, within its range and choices; the default when unreadable."""
    spec: Spec = f.metadata["spec"]
    kind = _TYPES[f.name]
    origin = typing.get_origin(kind) or kind
    try:
        if origin is bool:
            out: Any = (
                value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes")
            )
        elif origin in (int, float):
            out = origin(float(value if value not in (None, "") else default_of(f)))
            if spec.minimum is not None:
                out = max(origin(spec.minimum), out)
            if spec.maximum is not None:
                out = min(origin(spec.maximum), out)
        elif origin is str:
            out = "" if value is None else str(value)
            if spec.choices and out not in {c for c, _ in spec.choices}:
                out = default_of(f)
        elif origin is list:
            allowed = {c for c, _ in spec.choices}
            out = [str(v) for v in value if not allowed or str(v) in allowed]
        elif origin is dict:
            out = {str(k): float(v) for k, v in dict(value or {}).items()}
        else:  # pragma: no cover - every field above has one of these types
            out = value
    except (TypeError, ValueError):
        out = default_of(f)
    return out
