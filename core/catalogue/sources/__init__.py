"""Catalogue sources (one module per source) and how they are configured and built.

=================================  =======  ==================================================  ==========
source                             level    answer for one seed                                 rate
=================================  =======  ==================================================  ==========
``local.accounts``                 track    another local account's tracks by plays             local
``local.tables``                   track    an imported open feature table's tracks             local
=================================  =======  ==================================================  ==========

Sources run in this order (a later source may read what an earlier one stored this run). API roots,
rates, TTLs and which sources are on come from :class:`CatalogueConfig` (settings, environment), so
tests and benchmarks point them at local fakes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.catalogue.seeds import SeedPolicy
from core.catalogue.sources.base import DAY, BaseSource, CatalogueSource, Entry, Want

__all__ = [
    "SOURCES",
    "BaseSource",
    "CatalogueConfig",
    "CatalogueSource",
    "Entry",
    "Want",
    "build_sources",
]

#: Every source, in run order.
SOURCES: tuple[str, ...] = ("local.accounts", "local.tables")

DEFAULT_TTL_DAYS: dict[str, float] = {
    "local.accounts": 7,
    "local.tables": 30,
}


@dataclass
class CatalogueConfig:
    enabled: dict[str, bool] = field(default_factory=dict)  # source → on/off (absent: on)
    include_demo: bool = False
    tables: list[tuple[str, str]] = field(default_factory=list)  # extra (path, kind) tables to follow
    ttl_days: dict[str, float] = field(default_factory=dict)
    seeds: SeedPolicy = field(default_factory=SeedPolicy)

    @classmethod
    def from_settings(cls, settings=None, account: str | None = None) -> CatalogueConfig:
        from core.settings import Settings

        settings = settings or Settings.load()
        return cls(include_demo=bool(getattr(settings, "catalogue_include_demo", False)))

    def ttl_s(self, source: str) -> int:
        return int(float(self.ttl_days.get(source, DEFAULT_TTL_DAYS.get(source, 30))) * DAY)

    def is_on(self, source: str) -> bool:
        return bool(self.enabled.get(source, True))


def build_sources(
    config: CatalogueConfig, store, names: list[str] | tuple[str, ...] | None = None
) -> tuple[list[CatalogueSource], dict[str, str]]:
    """Sources for ``names`` (default: every enabled one) in run order, plus {source: why skipped}."""
    wanted = list(names) if names else [s for s in SOURCES if config.is_on(s)]
    unknown = sorted(set(wanted) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown catalogue source {', '.join(unknown)} (choose from {', '.join(SOURCES)})")
    sources: list[CatalogueSource] = []
    skipped: dict[str, str] = {}
    for name in SOURCES:
        if name not in wanted:
            continue
        if name == "local.accounts":
            from core.catalogue.sources.local_accounts import LocalAccounts

            src = LocalAccounts(store.engine, include_demo=config.include_demo)
        elif name == "local.tables":
            from core.catalogue.sources.local_tables import LocalTables

            src = LocalTables(store, tables=config.tables)
        src.ttl_s = config.ttl_s(name)
        sources.append(src)
    return sources, skipped
