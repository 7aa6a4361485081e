"""Operations several migrations share. Not schema: a migration still spells out its own SQL."""

import re

from alembic import op


def rebuild_sqlite_table(
    table: str, replace: list[tuple[str, str]], columns: list[str], constraints: list[str]
) -> None:
    """SQLite's table rebuild (ALTER TABLE cannot change a CHECK), done by hand.

    Alembic's batch mode would do it too, but it lists the copied constraints in set order, so
    two builds gave two CREATE TABLE texts and two content hashes. Here the new table's SQL is
    the old one with the named CHECKs replaced and the new columns and constraints appended.
    """
    connection = op.get_bind()
    create = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar_one()
    indexes = [
        row[0]
        for row in connection.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL"
            " ORDER BY name",
            (table,),
        )
    ]
    old_columns = [row[1] for row in connection.exec_driver_sql(f'PRAGMA table_info("{table}")')]
    sql = create
    for old, new in replace:
        if old not in sql:
            raise RuntimeError(f"{table}: expected {old!r} in its CREATE TABLE")
        sql = sql.replace(old, new)
    head, sep, tail = sql.partition("\n\tCONSTRAINT ")
    sql = head + "".join(f"\n\t{c}, " for c in columns) + sep + tail
    body, _, end = sql.rpartition("\n)")
    sql = body + "".join(f", \n\tCONSTRAINT {c}" for c in constraints) + "\n)" + end
    sql = re.sub(rf'^CREATE TABLE (IF NOT EXISTS )?"?{table}"?', f'CREATE TABLE "_new_{table}"', sql)
    op.execute(sql)
    names = ", ".join(f'"{c}"' for c in old_columns)
    op.execute(f'INSERT INTO "_new_{table}" ({names}) SELECT {names} FROM "{table}"')
    op.execute(f'DROP TABLE "{table}"')
    op.execute(f'ALTER TABLE "_new_{table}" RENAME TO "{table}"')
    for index in indexes:
        op.execute(index)
