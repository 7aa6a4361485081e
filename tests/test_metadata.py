"""metadata.yml documents evidence.db: every table, view and column has a description, and every
described table and column exists. Datasette's hidden full-text tables (study_fts and its shadow
tables) are skipped: users never see them."""

import sqlite3

import pytest
import yaml

from emg_evidence.serving.settings import METADATA as METADATA_FILE

METADATA = yaml.safe_load(METADATA_FILE.read_text())
TABLES = METADATA["databases"]["evidence"]["tables"]


def hidden_fts_tables(connection: sqlite3.Connection) -> set[str]:
    """FTS virtual tables and their shadow tables, which Datasette hides."""
    fts = [
        name
        for (name,) in connection.execute(
            "select name from sqlite_master where type = 'table' and sql like '%USING fts%'"
        )
    ]
    suffixes = ("_config", "_data", "_docsize", "_idx", "_content", "_segments", "_segdir", "_stat")
    return set(fts) | {name + suffix for name in fts for suffix in suffixes}


@pytest.fixture(scope="module")
def columns(db) -> dict[str, list[str]]:
    """Every visible table and view of the built database, with its columns."""
    hidden = hidden_fts_tables(db)
    names = [
        name
        for (name,) in db.execute(
            "select name from sqlite_master where type in ('table', 'view') "
            "and name not like 'sqlite_%' order by name"
        )
        if name not in hidden
    ]
    return {name: [row[1] for row in db.execute(f'pragma table_info("{name}")')] for name in names}


def test_database_has_tables(columns):
    # Guards the tests below against passing vacuously on an empty database.
    assert {"study", "measurement", "meta_extract"} <= set(columns)


def test_every_table_is_described(columns):
    undescribed = [t for t in columns if not (TABLES.get(t, {}).get("description") or "").strip()]
    assert not undescribed, f"metadata.yml: tables without a description: {undescribed}"


def test_every_column_is_described(columns):
    undescribed = [
        f"{table}.{column}"
        for table, names in columns.items()
        for column in names
        if not str(TABLES.get(table, {}).get("columns", {}).get(column) or "").strip()
    ]
    assert not undescribed, f"metadata.yml: columns without a description: {undescribed}"


@pytest.mark.parametrize("table", sorted(TABLES))
def test_described_table_and_columns_exist(columns, table):
    assert table in columns, f"metadata.yml describes table {table}, which evidence.db lacks"
    missing = set(TABLES[table].get("columns", {})) - set(columns[table])
    assert not missing, f"metadata.yml describes columns of {table} that do not exist: {sorted(missing)}"


@pytest.mark.parametrize("table", sorted(TABLES))
def test_facets_sort_and_label_columns_exist(columns, table):
    options = TABLES[table]
    named = list(options.get("facets", []))
    named += [options[key] for key in ("sort", "sort_desc", "label_column") if key in options]
    missing = set(named) - set(columns.get(table, []))
    assert not missing, f"metadata.yml: {table} facets/sort/label name missing columns {sorted(missing)}"


def test_instance_is_described():
    for key in ("title", "license", "license_url", "source", "source_url"):
        assert METADATA.get(key), f"metadata.yml lacks {key}"
    assert METADATA.get("description") or METADATA.get("description_html")


@pytest.mark.parametrize("name", sorted(METADATA["databases"]["evidence"].get("queries", {})))
def test_canned_query_is_described(name):
    query = METADATA["databases"]["evidence"]["queries"][name]
    assert query.get("title") and query.get("description"), f"canned query {name} lacks title/description"
