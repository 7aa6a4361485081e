"""Stream a table, view or canned query as CSV in constant memory: ``/-/csv/<database>/<name>.csv``.

Datasette 0.65's own ``?_stream=on`` pages through the table with keyset queries and renders
every row through its table view, which is about 25 times slower than ``sqlite3 -csv`` on the
million-row meta_extract (bench/csv_export.py). This route runs one query on a read-only sqlite3
connection in a worker thread and sends the rows in chunks as they are read, so the server's
memory does not grow with the number of rows.

- ``?column=value`` keeps rows where that column equals the value (columns of the table only;
  values are bound as SQL parameters), e.g. ``/-/csv/evidence/meta_extract.csv?comparable_mvc=1``.
- For a canned query, ``?param=value`` sets its parameters, as on its page, and every row is
  sent (the page stops at the row cap): ``/-/csv/evidence/meta_contrasts.csv?ri=0.7``.
- ``?_limit=N`` stops after N rows.
- Datasette's view-instance, view-database and view-table permissions apply.
- At most ``MAX_STREAMS`` downloads run at once; another gets 429 and may retry. A download
  whose client disconnects stops reading.
"""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from typing import Any
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils import derive_named_parameters
from datasette.utils.asgi import Response

#: Rows read and sent at a time: big enough that per-chunk overhead vanishes, small enough
#: (a few hundred kB of CSV) that memory stays flat.
CHUNK_ROWS = 5000
#: Concurrent downloads; each holds one worker thread while it reads.
MAX_STREAMS = 2

_slots: asyncio.Semaphore | None = None


def _semaphore() -> asyncio.Semaphore:
    global _slots
    if _slots is None:
        _slots = asyncio.Semaphore(MAX_STREAMS)
    return _slots


class CsvStream:
    """An ASGI response that sends what ``chunks`` produces, one body message per chunk."""

    def __init__(self, connection: sqlite3.Connection, sql: str,
                 params: list[Any] | dict[str, Any], filename: str, receive: Any,
                 slots: asyncio.Semaphore):  # fmt: skip
        self.connection, self.sql, self.params = connection, sql, params
        self.filename, self.receive, self.slots = filename, receive, slots

    async def asgi_send(self, send: Any) -> None:
        disconnected = asyncio.Event()

        async def watch() -> None:
            # The client going away is the only message a streaming response receives.
            while (await self.receive())["type"] != "http.disconnect":
                pass
            disconnected.set()

        watcher = asyncio.ensure_future(watch())
        loop = asyncio.get_running_loop()
        try:
            cursor = await loop.run_in_executor(None, self._execute)
            await send({
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    [b"content-type", b"text/csv; charset=utf-8"],
                    [b"content-disposition",
                     f'attachment; filename="{self.filename}"'.encode()],
                ],
            })  # fmt: skip
            header = self._csv([[d[0] for d in cursor.description]])
            await send({"type": "http.response.body", "body": header, "more_body": True})
            # Read the next chunk while this one is being sent: at most two chunks in memory.
            pending = loop.run_in_executor(None, self._chunk, cursor)
            while True:
                body = await pending
                if not body or disconnected.is_set():
                    break
                pending = loop.run_in_executor(None, self._chunk, cursor)
                await send({"type": "http.response.body", "body": body, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            watcher.cancel()
            self.connection.close()
            self.slots.release()

    def _execute(self) -> sqlite3.Cursor:
        return self.connection.execute(self.sql, self.params)

    def _chunk(self, cursor: sqlite3.Cursor) -> bytes:
        rows = cursor.fetchmany(CHUNK_ROWS)
        return self._csv(rows) if rows else b""

    @staticmethod
    def _csv(rows: list[Any]) -> bytes:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        return buffer.getvalue().encode("utf-8")


async def stream_csv(datasette: Any, request: Any, receive: Any) -> Any:
    database = request.url_vars["database"]
    table = request.url_vars["table"]
    db = datasette.databases.get(database)
    if db is None or db.path is None:
        return Response.text(f"no database {database!r}", status=404)
    await datasette.ensure_permissions(
        request.actor,
        [("view-table", (database, table)), ("view-database", database), "view-instance"],
    )
    arguments = parse_qsl(request.query_string, keep_blank_values=True)
    limit = None
    for key, value in arguments:
        if key == "_limit":
            if not value.isdigit():
                return Response.text("_limit: must be a whole number", status=400)
            limit = int(value)
    arguments = [(k, v) for k, v in arguments if k != "_limit"]

    params: list[Any] | dict[str, Any]
    if await db.table_exists(table) or table in await db.view_names():
        columns = await db.table_columns(table)
        where, params = [], []
        for key, value in arguments:
            if key not in columns:
                return Response.text(f"{key}: not a column of {table}", status=400)
            where.append(f"[{key}] = ?")
            # Bound as text: each column's type affinity converts it, as in Datasette's filters
            # (meta_extract's computed columns have one since migration 0007).
            params.append(value)
        sql = f"SELECT * FROM [{table}]"
        if where:
            sql += " WHERE " + " AND ".join(where)
    else:
        query = await datasette.get_canned_query(database, table, request.actor)
        if query is None or query.get("write"):
            return Response.text(f"no table, view or canned query {table!r} in {database!r}",
                                 status=404)  # fmt: skip
        await datasette.ensure_permissions(request.actor, [("view-query", (database, table))])
        # As Datasette runs a canned query: its declared parameters (or those its SQL names),
        # '' for one not given, nothing else.
        names = query.get("params") or await derive_named_parameters(db, query["sql"])
        params = {name: "" for name in names}
        for key, value in arguments:
            if key not in params:
                return Response.text(f"{key}: not a parameter of {table}", status=400)
            params[key] = value
        sql = query["sql"]
    if limit is not None:
        sql = f"SELECT * FROM ({sql}) LIMIT {limit}"

    slots = _semaphore()
    if slots.locked():
        return Response.text("too many CSV downloads at once; retry shortly", status=429,
                             headers={"Retry-After": "5"})  # fmt: skip
    await slots.acquire()
    try:
        mode = "ro&immutable=1" if not db.is_mutable else "ro"
        # check_same_thread=False: the worker threads take turns, never two at once.
        connection = sqlite3.connect(f"file:{db.path}?mode={mode}", uri=True,
                                     check_same_thread=False)  # fmt: skip
        # The SQL functions plugins register (the effect sizes the meta queries call).
        pm.hook.prepare_connection(conn=connection, database=database, datasette=datasette)
    except BaseException:
        slots.release()
        raise
    return CsvStream(connection, sql, params, f"{table}.csv", receive, slots)


@hookimpl
def register_routes():
    return [(r"^/-/csv/(?P<database>[^/]+)/(?P<table>[^/]+)\.csv$", stream_csv)]
