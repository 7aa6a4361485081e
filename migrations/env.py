"""Alembic environment: runs migrations on a connection handed over by the caller, or on a URL.

The build passes its own connection through ``config.attributes["connection"]`` (Alembic
cookbook); the ``alembic`` command line uses ``-x url=...``, then ``$EVIDENCE_DATABASE_URL``,
then the committed ``evidence.db``.
"""

import os
from logging.config import fileConfig
from pathlib import Path

from alembic import context
from sqlalchemy import Connection, Engine, create_engine

import emg_evidence.schema as schema
from emg_evidence.analysis import derived

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = schema.Base.metadata


def include_name(name, type_, parent_names):
    # Full-text indexes (sqlite-utils' *_fts tables and their shadow tables) are made by the build
    # after migrations; they are not part of the models, so autogenerate must not see them.
    if type_ == "table" and name is not None and "_fts" in name:
        return False
    # So are the derived tables (analysis/derived.py), refilled from the curated rows by each build.
    if type_ == "table" and name in derived.NAMES:
        return False
    return True


def database_url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    return (
        url
        or os.environ.get("EVIDENCE_DATABASE_URL")
        or f"sqlite:///{Path(__file__).resolve().parent.parent / 'evidence.db'}"
    )


def run_migrations(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table (batch.rst).
        render_as_batch=True,
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # The build hands over a Connection; pytest-alembic hands over an Engine.
    connectable = config.attributes.get("connection", None)
    if isinstance(connectable, Connection):
        run_migrations(connectable)
        return
    engine = connectable if isinstance(connectable, Engine) else create_engine(database_url())
    with engine.connect() as connection:
        run_migrations(connection)
        connection.commit()
    if connectable is None:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
