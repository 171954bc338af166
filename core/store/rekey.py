"""Re-keying the catalogue after the matching rules change (``core.normalize``), merging what now meets.

Every artist, album and track key is computed again from its stored name. Rows that now coincide —
artists by key, albums and tracks by (their artist after the artist merge, key) — are merged into the
oldest one (the lowest id: the first spelling seen stays the display name, as on import). Every row
that points at a merged-away id — found from the database's own foreign keys, so tables added later
(the catalogue's) are covered too, plus the (item_kind, item_id) tables — is pointed at the survivor;
where that would duplicate a unique key (the same play under two spellings, lyrics for both), the
survivor's row is kept, else the one of the oldest merged-away row. MBIDs, durations and album links
a survivor lacks are taken from the rows merged into it. Then the merged-away rows go, and the
survivors get their new artist, album and key through a unique placeholder key first, so no
intermediate state can break a unique constraint.

Runs inside the caller's transaction (an Alembic migration), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, inspect, text

from core.normalize import album_key, artist_key, track_key

ITEM_TABLES = ("feature_status", "item_tag", "embedding", "audio_features")
"""Tables that point at artists, albums or tracks through (item_kind, item_id) instead of a foreign key."""
FILL = {"artist": ("mbid",), "album": ("mbid",), "track": ("mbid", "isrc", "duration_ms", "album_id")}
OWN_LINKS = {("album", "artist_id"), ("track", "artist_id"), ("track", "album_id")}
"""The catalogue's links between its own tables: moved with the survivors, not repointed as references."""


@dataclass
class Plan:
    """For one table: merged-away id → survivor, and each survivor's new values where they change."""

    table: str
    losers: dict[int, int] = field(default_factory=dict)
    updates: dict[int, dict[str, object]] = field(default_factory=dict)

    def survivor(self, rid: int | None) -> int | None:
        return None if rid is None else self.losers.get(rid, rid)


def rekey(conn: Connection) -> dict[str, int]:
    """Recompute every name key and merge rows that now share one; returns merged-away rows per table."""
    artists = _plan(conn, "artist", lambda row, _p: (artist_key(row["name"]),), None)
    albums = _plan(
        conn, "album", lambda row, p: (artists.survivor(row["artist_id"]), album_key(row["name"])), artists
    )
    tracks = _plan(
        conn,
        "track",
        lambda row, p: (artists.survivor(row["artist_id"]), track_key(row["name"])),
        artists,
        albums,
    )
    plans = (artists, albums, tracks)
    maps = [p for p in plans if p.losers]
    for p in maps:
        conn.execute(
            text(f"CREATE TEMPORARY TABLE rekey_{p.table} (loser INTEGER PRIMARY KEY, survivor INTEGER)")
        )
        conn.execute(
            text(f"INSERT INTO rekey_{p.table} (loser, survivor) VALUES (:lo, :su)"),
            [{"lo": lo, "su": su} for lo, su in p.losers.items()],
        )
    try:
        _repoint_references(conn, maps)
        for p in reversed(plans):  # tracks, then albums, then artists: nothing points at a row being removed
            if p.losers:
                conn.execute(text(f"DELETE FROM {p.table} WHERE id IN (SELECT loser FROM rekey_{p.table})"))
            _apply(conn, p)
    finally:
        for p in maps:
            conn.execute(text(f"DROP TABLE rekey_{p.table}"))
    return {p.table: len(p.losers) for p in plans}


def _plan(conn, table: str, group_of, artists: Plan | None, albums: Plan | None = None) -> Plan:
    scope = ("artist_id",) if artists is not None else ()
    cols = ("id", "name", "name_key", *scope, *FILL[table])
    rows = [
        dict(zip(cols, r, strict=True))
        for r in conn.execute(text(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id"))
    ]
    plan = Plan(table)
    first: dict[tuple, dict] = {}
    for row in rows:
        group = group_of(row, plan)
        keep = first.setdefault(group, row)
        if keep is not row:
            plan.losers[row["id"]] = keep["id"]
            for col in FILL[table]:
                if keep[col] is None and row[col] is not None:
                    keep[col] = row[col]
                    plan.updates.setdefault(keep["id"], {})[col] = row[col]
    for group, row in first.items():
        new = {"name_key": group[-1]}
        if artists is not None:
            new["artist_id"] = group[0]
        if albums is not None:
            new["album_id"] = albums.survivor(row["album_id"])
        diff = {col: value for col, value in new.items() if row[col] != value}
        if diff.keys() & {"name_key", "artist_id"}:
            diff["name_key"] = new["name_key"]  # a moving row goes through the placeholder key
        if diff:
            plan.updates.setdefault(row["id"], {}).update(diff)
    return plan


def _apply(conn, plan: Plan) -> None:
    """Give the survivors their new values; keys via a placeholder so none collides on the way."""
    moving = [rid for rid, new in plan.updates.items() if "name_key" in new]
    if moving:
        conn.execute(
            text(f"UPDATE {plan.table} SET name_key = :tmp WHERE id = :id"),
            [{"id": rid, "tmp": f"#rekey#{rid}"} for rid in moving],
        )
    by_columns: dict[tuple[str, ...], list[dict]] = {}
    for rid, new in plan.updates.items():
        by_columns.setdefault(tuple(sorted(new)), []).append({"id": rid, **new})
    for cols, params in by_columns.items():
        assignments = ", ".join(f"{col} = :{col}" for col in cols)
        conn.execute(text(f"UPDATE {plan.table} SET {assignments} WHERE id = :id"), params)


def _repoint_references(conn, maps: list[Plan]) -> None:
    insp = inspect(conn)
    tables = insp.get_table_names()
    for p in maps:
        for other in tables:
            for fk in insp.get_foreign_keys(other):
                if fk["referred_table"] != p.table or fk["referred_columns"] != ["id"]:
                    continue
                (col,) = fk["constrained_columns"]
                if (other, col) not in OWN_LINKS:
                    _repoint(conn, other, col, p.table, _unique_sets(insp, other, col))
        for other in ITEM_TABLES:
            if other in tables:
                _repoint(conn, other, "item_id", p.table, _unique_sets(insp, other, "item_id"), kind=p.table)


def _unique_sets(insp, table: str, col: str) -> list[list[str]]:
    """The other columns of each primary/unique key of ``table`` that includes ``col``."""
    keys = [insp.get_pk_constraint(table).get("constrained_columns") or []]
    keys += [u["column_names"] for u in insp.get_unique_constraints(table)]
    keys += [i["column_names"] for i in insp.get_indexes(table) if i.get("unique")]
    return [[c for c in key if c != col] for key in keys if col in key]


def _repoint(conn, table: str, col: str, entity: str, unique_sets, kind: str | None = None) -> None:
    """Point ``table.col`` from merged-away ids at their survivors, first dropping the rows that would
    duplicate a unique key (the survivor's own row wins, else the oldest merged-away one's)."""
    m = f"rekey_{entity}"
    only_kind = f" AND t.item_kind = '{kind}'" if kind else ""
    same_kind = " AND r.item_kind = t.item_kind" if kind else ""
    target = f"(SELECT survivor FROM {m} m WHERE m.loser = t.{col})"
    for others in unique_sets:
        same = "".join(f" AND r.{c} = t.{c}" for c in others if c != "item_kind") + same_kind
        conn.execute(
            text(
                f"DELETE FROM {table} AS t WHERE t.{col} IN (SELECT loser FROM {m}){only_kind} AND ("
                f"EXISTS (SELECT 1 FROM {table} r WHERE r.{col} = {target}{same}) OR "
                f"EXISTS (SELECT 1 FROM {table} r JOIN {m} m2 ON m2.loser = r.{col} "
                f"WHERE m2.survivor = {target} AND r.{col} < t.{col}{same}))"
            )
        )
    conn.execute(
        text(f"UPDATE {table} AS t SET {col} = {target} WHERE t.{col} IN (SELECT loser FROM {m}){only_kind}")
    )
