"""Alembic: empty → head, every revision up and down, and the migrated schema equals the models."""

from __future__ import annotations

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.store.engine import (
    PAGE_SIZE,
    _alembic_config,
    create_store_engine,
    current_revision,
    head_revision,
    migrate,
)
from core.store.schema import Base


def test_empty_to_head_and_schema_matches_models(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'm.sqlite'}")
    migrate(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == PAGE_SIZE


def test_a_store_made_with_other_pages_keeps_them_and_opens(tmp_path):
    db = tmp_path / "small-pages.sqlite"
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA page_size=4096")
        raw.execute("CREATE TABLE legacy (note TEXT)")
    engine = create_store_engine(f"sqlite:///{db}")
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 4096
    assert current_revision(engine) == head_revision()


def test_every_revision_upgrades_and_downgrades(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path / 'walk.sqlite'}")
    script = ScriptDirectory.from_config(_alembic_config(engine))
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    for rev in revisions:
        migrate(engine, rev)
        assert current_revision(engine) == rev
    from alembic import command

    command.downgrade(_alembic_config(engine), "base")
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == head_revision()


def test_existing_database_is_backed_up_before_migrating(tmp_path):
    db = tmp_path / "old.sqlite"
    with sqlite3.connect(db) as raw:
        raw.execute("CREATE TABLE legacy (note TEXT)")
        raw.execute("INSERT INTO legacy VALUES ('keep me')")
    engine = create_store_engine(f"sqlite:///{db}")
    migrate(engine)
    backups = list(tmp_path.glob("old.sqlite.bak-*"))
    assert len(backups) == 1
    with sqlite3.connect(backups[0]) as raw:
        assert raw.execute("SELECT note FROM legacy").fetchall() == [("keep me",)]
    migrate(engine)  # at head: nothing to do, no second backup
    assert len(list(tmp_path.glob("old.sqlite.bak-*"))) == 1
