"""Local store: SQLAlchemy 2.0 models, engine, migrations, ingest and read queries."""

from core.store.engine import Store, StoreError, open_store

__all__ = ["Store", "StoreError", "open_store"]
