"""The same migrations and ingest on a real PostgreSQL server, started here for the session."""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from emg_evidence import schema
from emg_evidence.ingest.build import alembic_config
from emg_evidence.ingest.postgres import NOT_COPIED, load, publish, read_rows
from emg_evidence.paths import DATA_DIR

PG_BINS = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))


@pytest.fixture(scope="session")
def postgres_url():
    """A throwaway PostgreSQL cluster on a unix socket in a temporary folder; stopped after."""
    if not PG_BINS:
        pytest.fail("PostgreSQL server binaries are missing: run scripts/setup --test")
    bin_dir = PG_BINS[-1].parent
    base = Path(tempfile.mkdtemp(prefix="evidence-pg-"))
    # The server refuses to run as root: run it as the postgres user the Debian package makes.
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(base, "postgres", "postgres")
    data = base / "data"
    subprocess.run([*as_user, bin_dir / "initdb", "-D", data, "-U", "postgres", "--auth=trust",
                    "--encoding=UTF8", "--no-locale"], check=True, capture_output=True)  # fmt: skip
    # No TCP at all: only a socket in the private folder.
    options = f"-c listen_addresses='' -k {base} -p 5432 -c fsync=off"
    subprocess.run([*as_user, bin_dir / "pg_ctl", "-D", data, "-l", base / "server.log", "-w",
                    "-o", options, "start"], check=True, capture_output=True)  # fmt: skip
    try:
        admin = create_engine(f"postgresql+psycopg://postgres@/postgres?host={base}",
                              isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE evidence"))
        admin.dispose()
        yield f"postgresql+psycopg://postgres@/evidence?host={base}"
    finally:
        subprocess.run([*as_user, bin_dir / "pg_ctl", "-D", data, "-m", "fast", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def loaded(postgres_url):
    return load(postgres_url, DATA_DIR)


def sqlite_rows(path: Path, table: str) -> list[tuple]:
    # By the models' column names: a migration may have added a column at the end of the table.
    columns = ", ".join(f"[{c.name}]" for c in schema.Base.metadata.tables[table].columns)
    with sqlite3.connect(path) as connection:
        return sorted(connection.execute(f"SELECT {columns} FROM [{table}]"), key=repr)


def test_migrations_run_on_postgres(postgres_url, loaded):
    names = set(inspect(create_engine(postgres_url)).get_table_names())
    assert {t.name for t in schema.Base.metadata.sorted_tables} <= names
    with create_engine(postgres_url).connect() as connection:
        (version,) = connection.execute(text("SELECT version_num FROM alembic_version")).one()
        views = inspect(connection).get_view_names()
    assert "meta_extract" in views
    assert version == command.ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_both_backends_hold_the_same_rows(postgres_url, loaded, fresh_build):
    pg = read_rows(postgres_url)
    for table in schema.Base.metadata.sorted_tables:
        if table.name in NOT_COPIED:
            continue
        columns = [c.name for c in table.columns]
        in_pg = sorted((tuple(r[c] for c in columns) for r in pg[table.name]), key=repr)
        assert in_pg == sqlite_rows(fresh_build.path, table.name), table.name
        assert loaded[table.name] == fresh_build.counts[table.name], table.name
    assert loaded["measurement"] > 0


def test_meta_extract_view_agrees(postgres_url, loaded, fresh_build):
    with create_engine(postgres_url).connect() as connection:
        result = connection.execute(text("SELECT * FROM meta_extract"))
        columns = list(result.keys())
        in_pg = sorted((tuple(r) for r in result), key=repr)
    with sqlite3.connect(fresh_build.path) as connection:
        cursor = connection.execute("SELECT * FROM meta_extract")
        assert [d[0] for d in cursor.description] == columns
        in_sqlite = sorted(cursor, key=repr)
    assert in_pg == in_sqlite


def test_load_twice_replaces_rather_than_adds(postgres_url, loaded):
    again = load(postgres_url, DATA_DIR)
    assert again == loaded
    with create_engine(postgres_url).connect() as connection:
        (n,) = connection.execute(text("SELECT count(*) FROM measurement")).one()
    assert n == loaded["measurement"]


def test_publish_from_postgres_gives_the_served_file(postgres_url, loaded, fresh_build, tmp_path):
    result = publish(postgres_url, tmp_path / "published.db")
    for table in schema.Base.metadata.sorted_tables:
        assert (
            sqlite_rows(result.path, table.name) == sqlite_rows(fresh_build.path, table.name)
            or table.name == "build_info"
        ), table.name
    with sqlite3.connect(result.path) as connection:
        hits = connection.execute("SELECT count(*) FROM study_fts WHERE study_fts MATCH 'thrust'")
        assert hits.fetchone()[0] > 0


def test_cli_load_and_publish(postgres_url, loaded, fresh_build, tmp_path):
    from click.testing import CliRunner

    from emg_evidence.cli import cli

    runner = CliRunner()
    result = runner.invoke(cli, ["load", "--url", postgres_url])
    assert result.exit_code == 0, result.output
    out = tmp_path / "evidence.db"
    result = runner.invoke(cli, ["publish", "--url", postgres_url, "--db", str(out)])
    assert result.exit_code == 0, result.output
    assert sqlite_rows(out, "measurement") == sqlite_rows(fresh_build.path, "measurement")
