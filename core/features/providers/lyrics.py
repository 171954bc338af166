"""The lyrics provider: a chain of sources tried in order (default: LRCLIB, the user's local files, then
Genius when the user gave a token); the first that finds lyrics wins.

When none finds any, the verdict is the most cautious one: if a network source was offline the
item stays pending (offline); if one failed transiently it is a retryable error; only when every
source answered "not there" is the track missing.  A source that cannot work this run (Genius token
rejected, Cloudflare wall) is skipped for the remaining items; a Cloudflare block still makes those
items retryable errors, a rejected token does not (the user has to fix it; see the run summary).

Stored text is plain (LRC timestamps stripped); an instrumental track is ``ok`` with empty text and
the status reason ``instrumental``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from sqlalchemy import Connection

from core.features.providers.base import BaseProvider, Item, Outcome
from core.features.providers.rows import save_lyrics
from core.jobs import CancelToken


class LyricsSource(Protocol):
    name: str
    network: bool
    per_second: float

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome: ...

    def close(self) -> None: ...


def combine(results: list[Outcome]) -> Outcome:
    """The chain's verdict when no source found lyrics (see the module docstring)."""

    def join(outs: list[Outcome]) -> str:
        return "; ".join(o.reason for o in outs if o.reason)[:500]

    offline = [o for o in results if o.kind == "offline"]
    transient = [o for o in results if o.kind == "error" and o.retry]
    definite = [o for o in results if o.kind == "error" and not o.retry and not o.stop]
    if offline:
        return Outcome.offline(join(offline))
    if transient:
        return Outcome.error(join(transient), retry=True)
    if definite:
        return Outcome.error(join(definite), retry=False)
    missing = [o for o in results if o.kind == "missing"]
    return Outcome.missing(join(missing) or "no lyrics source available")


class LyricsProvider(BaseProvider):
    name = "lyrics"
    modality = "lyrics"
    item_kind = "track"
    service = "lyrics"

    def __init__(self, sources: list[LyricsSource]):
        self.sources = list(sources)
        self.per_second = max((s.per_second for s in self.sources), default=0.0)
        self.disabled: dict[str, Outcome] = {}

    @property
    def requests_made(self) -> int:
        return sum(int(getattr(s, "requests_made", 0)) for s in self.sources)

    def close(self) -> None:
        for s in self.sources:
            s.close()

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome:
        results: list[Outcome] = []
        for src in self.sources:
            if src.name in self.disabled:
                results.append(self.disabled[src.name])
                continue
            out = src.fetch(item, cancel)
            if out.kind == "ok":
                return out
            if out.stop:
                self.disabled[src.name] = replace(out, reason=f"{out.reason} (not asked again this run)")
            results.append(out)
        return combine(results)

    def save(self, conn: Connection, item: Item, outcome: Outcome, now: int) -> None:
        if outcome.kind != "ok":
            return
        save_lyrics(
            conn,
            item.id,
            outcome.data.get("text", ""),
            synced=False,
            provider=outcome.source or self.name,
            now=now,
        )
