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
- Downloads have slots, given out by serving/plugins/harden.py before the request gets here:
  ``LIMITS.csv_downloads_at_once`` in all, ``LIMITS.downloads_per_client`` for one client;
  another gets 429 and may retry. A download whose client disconnects stops reading; one whose
  client stops reading is abandoned after ``LIMITS.stall_timeout_s`` (harden.py cuts the
  response off), which frees its slot.
- Each text cell goes out through analysis/csv_cells.py: a cell a spreadsheet would run as a
  formula (``=...``, ``+...``, ``-...``, ``@...``) gets a leading ``'``; numbers are untouched.
  A BLOB cell (no table holds one) is written as its hex digits.
- The bytes are those of Python's csv module (excel dialect) writing the rows, made faster
  (bench/csv_export.py; tests/test_fast_csv.py checks that they are the same): NULLs become
  '' in SQL, each distinct text arrives already written as its cell (``CellText``, the
  connection's text_factory), so a record is one ``",".join`` of ``str`` over the row.
- The connection has the limits of every connection of the server (harden.limit_connection,
  through the prepare_connection hook): no cell longer than ``LIMITS.max_cell_bytes``.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sqlite3
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils import derive_named_parameters
from datasette.utils.asgi import Response

from emg_evidence.analysis.csv_cells import safe_row, written_cell
from emg_evidence.serving.settings import LIMITS

#: Rows read and sent at a time: big enough that per-chunk overhead vanishes, small enough
#: (a few hundred kB of CSV) that memory stays flat.
CHUNK_ROWS = 5000
#: ... and at most about this many bytes of CSV: the csv module writes a chunk, and str.encode
#: and re scan it, holding the GIL throughout, so a chunk of 5,000 rows of 20 kB (100 MB) held
#: the event loop for a quarter of a second at a time and took 200 MB per download (two chunks
#: in memory). The first chunk is FIRST_CHUNK_ROWS rows; each next one is sized from the rows
#: seen so far.
CHUNK_BYTES = 256 * 1024
FIRST_CHUNK_ROWS = 16
#: Concurrent downloads (harden.py holds the slots); each holds one worker thread while it reads.
MAX_STREAMS = LIMITS.csv_downloads_at_once
#: ``?_limit=``: a whole number of at most 12 ASCII digits (str.isdigit() also takes '²').
LIMIT = re.compile(r"[0-9]{1,12}")
#: A download keeps the written cell of at most this many distinct texts of at most this many
#: bytes (15 MB at the very most, 74 kB for meta_extract of evidence.db): labels, citations and
#: locators repeat row after row, free text rarely does and is written each time it comes.
CACHED_TEXTS = 16384
CACHED_TEXT_BYTES = 256
#: SQLite renames a repeated column name of a subquery ``name:1``, ``name:2``...
RENAMED = re.compile(r".+:[0-9]+")

#: The threads that read: one per download slot, apart from Datasette's SQL threads.
_readers = ThreadPoolExecutor(max_workers=MAX_STREAMS, thread_name_prefix="fast_csv")


class CellText(dict[bytes, str]):
    """The connection's text_factory: each TEXT value as the CSV cell it is written as.

    Python's sqlite3 calls it with the value's UTF-8 bytes instead of decoding them; a dict
    hit costs about what the decoding did, so the quoting and the formula rule (written_cell) run
    once per distinct text, not once per cell. Bytes that are not UTF-8 are written with
    U+FFFD rather than breaking the download."""

    def __init__(self, columns: int) -> None:
        super().__init__()
        if columns == 1:
            # The csv module writes a record of one empty cell as "" (an empty line is no record).
            self[b""] = '""'

    def __missing__(self, raw: bytes) -> str:
        cell = written_cell(raw.decode("utf-8", "replace"))
        if len(raw) <= CACHED_TEXT_BYTES and len(self) < CACHED_TEXTS:
            self[raw] = cell
        return cell


def csv_query(connection: sqlite3.Connection, sql: str, params: list[Any] | dict[str, Any],
              limit: int | None = None) -> tuple[list[str], sqlite3.Cursor]:  # fmt: skip
    """Run ``sql`` on ``connection`` for :func:`csv_records`: its column names and a cursor
    whose rows hold only ``str`` cells ready to write, ``int`` and ``float``.

    The query is wrapped so that SQLite turns NULL into '' and a BLOB into hex; its own
    ORDER BY still orders the rows (a subquery's order is kept when the outer query has none).
    It sets the connection's text_factory."""
    sql = sql.rstrip().removesuffix(";")  # the newline below ends a trailing -- comment
    probe = connection.execute(f"SELECT * FROM (\n{sql}\n) LIMIT 0", params)
    names = [d[0] for d in probe.description]
    if any(RENAMED.fullmatch(name) for name in names):
        # Only a repeated name reads differently through a subquery; the query's own cursor
        # gives it as the query names it, at the cost of starting the query once more.
        names = [d[0] for d in connection.execute(sql, params).description]
    columns = ", ".join(f"c{i}" for i in range(len(names)))
    # x'' is the least BLOB: every number and text sorts below it, and NULL is not below it.
    cells = ", ".join(
        f"CASE WHEN c{i} < x'' THEN c{i} WHEN c{i} IS NULL THEN '' ELSE hex(c{i}) END"
        for i in range(len(names))
    )
    wrapped = f"WITH q({columns}) AS (\n{sql}\n) SELECT {cells} FROM q"
    if limit is not None:
        wrapped += f" LIMIT {int(limit)}"
    connection.text_factory = CellText(len(names)).__getitem__
    return names, connection.execute(wrapped, params)


def csv_records(rows: list[tuple[Any, ...]]) -> bytes:
    """Rows from a :func:`csv_query` cursor as CSV records (UTF-8, CRLF, as the csv module)."""
    join = ",".join
    return "".join([join(map(str, row)) + "\r\n" for row in rows]).encode("utf-8")


def csv_header(names: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(safe_row(names))
    return out.getvalue().encode("utf-8")


class CsvStream:
    """An ASGI response that sends what ``chunks`` produces, one body message per chunk."""

    def __init__(self, connection: sqlite3.Connection, sql: str, params: list[Any] | dict[str, Any],
                 limit: int | None, filename: str, receive: Any):  # fmt: skip
        self.connection, self.sql, self.params, self.limit = connection, sql, params, limit
        self.filename, self.receive = filename, receive
        self.rows_per_chunk = FIRST_CHUNK_ROWS

    async def asgi_send(self, send: Any) -> None:
        disconnected = asyncio.Event()

        async def watch() -> None:
            # The client going away is the only message a streaming response receives.
            while (await self.receive())["type"] != "http.disconnect":
                pass
            disconnected.set()

        watcher = asyncio.ensure_future(watch())
        reading: Future | None = None
        try:
            reading = _readers.submit(self._execute)
            try:
                names, cursor = await asyncio.wrap_future(reading)
            except sqlite3.Error as e:
                # Before the first byte: a plain 400 with SQLite's message, not a 500.
                await Response.text(f"the query failed: {e}", status=400).asgi_send(send)
                return
            await send({
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    [b"content-type", b"text/csv; charset=utf-8"],
                    [b"content-disposition",
                     f'attachment; filename="{self.filename}"'.encode()],
                ],
            })  # fmt: skip
            await send({"type": "http.response.body", "body": csv_header(names), "more_body": True})
            # Read the next chunk while this one is being sent: at most two chunks in memory.
            reading = _readers.submit(self._chunk, cursor)
            while True:
                try:
                    body = await asyncio.wrap_future(reading)
                except sqlite3.Error:
                    # Mid-stream (a value over the length limit): stop without completing the
                    # response, so the client sees a broken download rather than a short one.
                    reading = None
                    return
                if not body or disconnected.is_set():
                    break
                reading = _readers.submit(self._chunk, cursor)
                await send({"type": "http.response.body", "body": body, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            watcher.cancel()
            # Abandoned (stalled, disconnected) while a chunk is being read: stop that read and
            # close the connection once the reading thread lets go of it.
            if reading is not None and not reading.done():
                self.connection.interrupt()
                reading.add_done_callback(lambda _: self.connection.close())
            else:
                self.connection.close()

    def _execute(self) -> tuple[list[str], sqlite3.Cursor]:
        return csv_query(self.connection, self.sql, self.params, self.limit)

    def _chunk(self, cursor: sqlite3.Cursor) -> bytes:
        rows = cursor.fetchmany(self.rows_per_chunk)
        if not rows:
            return b""
        body = csv_records(rows)
        self.rows_per_chunk = max(1, min(CHUNK_ROWS, CHUNK_BYTES * len(rows) // max(len(body), 1)))
        return body


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
            if not LIMIT.fullmatch(value):
                return Response.text("_limit: must be a whole number (0 to 999999999999)", status=400)
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

    mode = "ro&immutable=1" if not db.is_mutable else "ro"
    # check_same_thread=False: the worker threads take turns, never two at once.
    connection = sqlite3.connect(f"file:{db.path}?mode={mode}", uri=True,
                                 check_same_thread=False)  # fmt: skip
    try:
        # The SQL functions plugins register (the effect sizes the meta queries call) and the
        # limits of harden.py; rows stay tuples (harden's budgeted sqlite3.Row factory is for
        # Datasette's capped results: a download streams every row).
        pm.hook.prepare_connection(conn=connection, database=database, datasette=datasette)
        connection.row_factory = None
    except BaseException:
        connection.close()
        raise
    return CsvStream(connection, sql, params, limit, f"{table}.csv", receive)


@hookimpl
def register_routes():
    return [(r"^/-/csv/(?P<database>[^/]+)/(?P<table>[^/]+)\.csv$", stream_csv)]
