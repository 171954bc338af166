"""Alembic environment: runs on the engine handed over by core.store.engine.migrate()."""

from alembic import context

from core.store.schema import Base

target_metadata = Base.metadata
engine = context.config.attributes.get("engine")

if engine is None:  # `alembic` command line: use SEGUE_DB or the default store
    from core import paths
    from core.store.engine import create_store_engine

    engine = create_store_engine(paths.default_db_url())

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
