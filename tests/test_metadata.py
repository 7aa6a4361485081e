"""metadata.yml documents evidence.db: every table, view and column has a description, and every
described table and column exists. Datasette's hidden full-text tables (study_fts and its shadow
tables) are skipped: users never see them."""

import sqlite3

import pytest
import yaml

from emg_evidence.paths import DB_PATH, ROOT

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text())
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


def database_columns() -> dict[str, list[str]]:
    """Every visible table and view of evidence.db, with its columns."""
    with sqlite3.connect(DB_PATH) as connection:
        hidden = hidden_fts_tables(connection)
        names = [
            name
            for (name,) in connection.execute(
                "select name from sqlite_master where type in ('table', 'view') "
                "and name not like 'sqlite_%' order by name"
            )
            if name not in hidden
        ]
        return {
            name: [row[1] for row in connection.execute(f'pragma table_info("{name}")')] for name in names
        }


COLUMNS = database_columns()


def test_database_has_tables():
    # Guards the parametrised tests below against passing vacuously on an empty database.
    assert {"study", "measurement", "meta_extract"} <= set(COLUMNS)


@pytest.mark.parametrize("table", sorted(COLUMNS))
def test_table_is_described(table):
    assert table in TABLES, f"metadata.yml: table {table} has no entry"
    assert (TABLES[table].get("description") or "").strip(), f"metadata.yml: {table} lacks a description"


@pytest.mark.parametrize(
    "table, column", [(table, column) for table, columns in sorted(COLUMNS.items()) for column in columns]
)
def test_column_is_described(table, column):
    described = TABLES.get(table, {}).get("columns", {})
    assert str(described.get(column) or "").strip(), (
        f"metadata.yml: column {table}.{column} lacks a description"
    )


@pytest.mark.parametrize("table", sorted(TABLES))
def test_described_table_and_columns_exist(table):
    assert table in COLUMNS, f"metadata.yml describes table {table}, which evidence.db lacks"
    missing = set(TABLES[table].get("columns", {})) - set(COLUMNS[table])
    assert not missing, f"metadata.yml describes columns of {table} that do not exist: {sorted(missing)}"


@pytest.mark.parametrize("table", sorted(TABLES))
def test_facets_sort_and_label_columns_exist(table):
    options = TABLES[table]
    named = list(options.get("facets", []))
    named += [options[key] for key in ("sort", "sort_desc", "label_column") if key in options]
    missing = set(named) - set(COLUMNS.get(table, []))
    assert not missing, f"metadata.yml: {table} facets/sort/label name missing columns {sorted(missing)}"


def test_instance_is_described():
    for key in ("title", "license", "license_url", "source", "source_url"):
        assert METADATA.get(key), f"metadata.yml lacks {key}"
    assert METADATA.get("description") or METADATA.get("description_html")


@pytest.mark.parametrize("name", sorted(METADATA["databases"]["evidence"].get("queries", {})))
def test_canned_query_is_described(name):
    query = METADATA["databases"]["evidence"]["queries"][name]
    assert query.get("title") and query.get("description"), f"canned query {name} lacks title/description"
