"""Refuse what a public, read-only evidence database never needs, and keep any one client from
stalling or exhausting the server. Limits: ``LIMITS`` in serving/settings.py.

Refused before Datasette sees the request (one ASGI wrapper, checks in this order):

- Any method but GET and HEAD (405): nothing here is writable, and Datasette 0.65.5 answers a POST
  to a read-only canned query with a 500 and a traceback in its log.
- A path longer than ``max_path_bytes`` or a query string longer than ``max_query_string_bytes``
  (414), more than ``max_query_parameters`` parameters (400). Datasette 0.65 parses the query
  string again on every read of ``request.args``: one request with 4,000 parameters held the whole
  server for 43 s.
- ``?column__arraycontains=`` and ``?column__arraynotcontains=`` (400): advisory
  GHSA-w3hf-fcg5-p4cc (datasette#2868) was SQL injection through the column name of these
  filters. Datasette 0.65.3 and later (we pin >=0.65.5) quote that name, so this is defence in
  depth: no table here has a JSON-array column. ``?_filter_op=arraycontains`` (the filter form)
  is refused as well, since Datasette turns it into the same parameter by a redirect.
- SQL naming ``database_list`` (400): ``pragma_database_list`` would print the served file's path.

The checks parse the query string as Datasette itself does (``Request.args``), so every key that
Datasette's filters would see is seen here first.

Bounded, for the requests that pass:

- Arbitrary SQL (a ``?sql=`` that is not SQL the metadata defines, i.e. neither a canned query's
  nor a dashboard chart's; or ``?_where=``) runs ``arbitrary_sql_at_once`` at a time; a request
  waits up to ``arbitrary_sql_wait_s`` for its turn, then gets 429. It runs under
  ``arbitrary_sql_time_limit_ms`` (the wrapper sets Datasette's ``_timelimit``), so recursive
  queries from many clients hold at most one of Datasette's SQL threads, briefly, and pages and
  canned queries keep the others.
- Downloads (Datasette's streaming CSV, ``?_stream=on``) have ``downloads_at_once`` slots, of
  which one client (one peer address, as the server sees it) holds at most
  ``downloads_per_client``; a request for a download beyond either gets 429 at once. So one
  client opening downloads it never reads locks nobody else out; many such clients together are
  cut off by the stall timeout below.
- Every response is sent in pieces of at most ``send_piece_bytes`` (serving/responses.py); when a client takes no piece
  for ``stall_timeout_s`` the response is abandoned and the connection closed, so a client that
  opens a download and never reads frees its slot.
- Every SQLite connection (serving/sqlite_limits.py) has SQLITE_LIMIT_LENGTH
  ``max_cell_bytes`` (no string, blob or row longer: ``select zeroblob(200000000)`` took the server
  to 6 GB), SQLITE_LIMIT_COLUMN ``max_columns`` and SQLITE_LIMIT_SQL_LENGTH ``max_sql_bytes``; a
  query returns at most ``max_result_bytes`` of text and blobs in all, else it fails with an
  error (400). SQL functions whose one call can run for seconds or allocate gigabytes before any
  limit applies are refused by an authorizer (``sqlite3.Connection.set_authorizer``, the
  documented SQLite route): ``printf``/``format`` (``printf('%.*c', 2147483647, 'x')`` ran 13.7 s
  against the 0.5 s limit, since one function call cannot be interrupted). No SQL of the site
  calls them.
- Datasette's CSV (``.csv``) goes out with each text cell through analysis/csv_cells.py: a cell
  a spreadsheet would run as a formula gets a leading ``'``.
- Datasette's CSV of a query that fails (``/evidence.csv?sql=...``, a canned query's ``.csv``)
  is a 400 with the error as text, not an empty 200 (or a 500 for one cut off by the time limit).
- ``_sort`` / ``_sort_desc`` naming no column of the table (or an expression) is a 400, not
  Datasette's 500.
- A redirect never leads to another host: a ``Location`` that starts with two slashes or
  backslashes (``/\\evil.example``, which browsers read as ``//evil.example``) keeps one.
- ``/-/databases.json`` (and its HTML page) no longer shows the file's path (serving/routes.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import weakref
from typing import Any
from urllib.parse import parse_qs, unquote, unquote_plus

from datasette.database import QueryInterrupted
from datasette.utils import tilde_decode

from emg_evidence.serving.responses import GuardedResponse
from emg_evidence.serving.settings import LIMITS

REFUSED_FILTERS = ("arraycontains", "arraynotcontains")
ALLOWED_METHODS = ("GET", "HEAD")


def refusal(scope: dict) -> tuple[int, str] | None:
    """Why this request is refused, as (status, message), or None if it may pass."""
    if scope["method"] not in ALLOWED_METHODS:
        return 405, f"{scope['method']} is not allowed: this database is read-only"
    path = scope.get("raw_path") or scope["path"].encode("utf-8")
    if len(path) > LIMITS.max_path_bytes:
        return 414, f"the path is longer than {LIMITS.max_path_bytes} bytes"
    host = next((v for k, v in scope.get("headers") or [] if k == b"host"), b"")
    if len(host) > LIMITS.max_host_bytes:
        return 400, f"the Host header is longer than {LIMITS.max_host_bytes} bytes"
    raw = scope.get("query_string") or b""
    if len(raw) > LIMITS.max_query_string_bytes:
        return 414, f"the query string is longer than {LIMITS.max_query_string_bytes} bytes"
    if raw.count(b"&") >= LIMITS.max_query_parameters:
        return 400, f"more than {LIMITS.max_query_parameters} query parameters"
    for key, values in parse_qs(raw.decode("latin-1"), keep_blank_values=True).items():
        if key.rsplit("__", 1)[-1] in REFUSED_FILTERS:
            return 400, f"the {key.rsplit('__', 1)[-1]} filter is not available here"
        if key.startswith("_filter_op") and any(value.split("__")[0] in REFUSED_FILTERS for value in values):
            return 400, "array filters are not available here"
        if key in SQL_KEYS and any("database_list" in value.lower() for value in values):
            return 400, "pragma_database_list is not available here"
    return None


async def _send_error(send, status: int, message: str, headers: list | None = None) -> None:
    body = json.dumps({"ok": False, "error": message, "status": status}).encode("utf-8")
    head = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
        *(headers or []),
    ]
    if status == 405:
        head.append((b"allow", ", ".join(ALLOWED_METHODS).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


# --- which requests are bounded, and how -----------------------------------------------------

#: Parameters that carry SQL: a whole query on a database's page, a WHERE clause on a table's.
SQL_KEYS = ("sql", "_where")

#: datasette-dashboards drops a ``[[ ... ]]`` clause whose parameter is empty (its own pattern).
OPTIONAL_CLAUSE = re.compile(r"\[\[.*?\]\]")


def _variants(sql: str) -> set[str]:
    """``sql`` as datasette-dashboards may send it: each ``[[ ... ]]`` clause kept or dropped."""
    clauses = OPTIONAL_CLAUSE.findall(sql)[:8]
    out = set()
    for keep in itertools.product((True, False), repeat=len(clauses)):
        text = sql
        for clause, kept in zip(clauses, keep):
            text = text.replace(clause, clause.strip("[]") if kept else "", 1)
        out.add(text.strip())
    return out


async def known_sql(datasette: Any) -> set[str]:
    """SQL the metadata defines: canned queries and dashboard charts and filters (which the
    dashboards' JavaScript fetches as ``/<db>.json?sql=``)."""
    found: set[str] = set()
    for name in datasette.databases:
        for query in (await datasette.get_canned_queries(name, None)).values():
            found.add(query["sql"].strip())
    for dashboard in (datasette.plugin_config("datasette-dashboards") or {}).values():
        if not isinstance(dashboard, dict):
            continue
        parts = [*(dashboard.get("charts") or {}).values(), *(dashboard.get("filters") or {}).values()]
        for part in parts:
            if isinstance(part, dict) and isinstance(part.get("query"), str):
                found |= _variants(part["query"])
    return found


def _arbitrary_sql(known: set[str], args: dict[str, list[str]]) -> bool:
    """Whether the request runs SQL its sender wrote: a WHERE clause, or a query the metadata lacks."""
    if any(v.strip() for v in args.get("_where", [])):
        return True
    queries = {v.strip() for v in args.get("sql", []) if v.strip()}
    return bool(queries) and not queries <= known


def _is_csv(scope: dict, args: dict[str, list[str]]) -> bool:
    path = scope["path"]
    return not path.startswith("/-/") and (path.endswith(".csv") or args.get("_format") == ["csv"])


def _with_time_limit(raw: bytes, ms: int) -> bytes:
    """The query string with any ``_timelimit`` replaced by ours."""
    kept = [
        p
        for p in raw.split(b"&")
        if p and unquote_plus(p.split(b"=", 1)[0].decode("latin-1")) != "_timelimit"
    ]
    return b"&".join([*kept, f"_timelimit={ms}".encode("ascii")])


class ClientSlots:
    """Download slots of one kind: at most ``total`` held, at most ``per_client`` by one peer.
    Taken at once or not at all: a download waits for nothing."""

    _by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, ClientSlots]] = (
        weakref.WeakKeyDictionary()
    )

    @classmethod
    def of(cls, name: str, total: int, per_client: int) -> ClientSlots:
        """The slots called ``name`` of the running event loop (each test makes its own loop)."""
        kinds = cls._by_loop.setdefault(asyncio.get_running_loop(), {})
        if name not in kinds:
            kinds[name] = cls(total, per_client)
        return kinds[name]

    def __init__(self, total: int, per_client: int) -> None:
        self.total, self.per_client = total, per_client
        self.held: dict[str, int] = {}

    def take(self, client: str) -> str | None:
        """Take a slot for ``client``; if there is none, say why."""
        mine = self.held.get(client, 0)
        if mine >= self.per_client:
            return f"you already have {mine} running"
        if sum(self.held.values()) >= self.total:
            return "too many at once"
        self.held[client] = mine + 1
        return None

    def release(self, client: str) -> None:
        left = self.held[client] - 1
        if left:
            self.held[client] = left
        else:
            del self.held[client]


def client_address(scope: dict) -> str:
    """The peer's address (behind a trusted proxy, the one uvicorn's proxy headers give)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


class Slots:
    """At most ``size`` holders; per event loop (each test makes its own loop)."""

    _by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Semaphore]] = (
        weakref.WeakKeyDictionary()
    )

    @classmethod
    def of(cls, name: str, size: int) -> asyncio.Semaphore:
        lanes = cls._by_loop.setdefault(asyncio.get_running_loop(), {})
        if name not in lanes:
            lanes[name] = asyncio.Semaphore(size)
        return lanes[name]


async def _take(slots: asyncio.Semaphore, wait_s: float) -> bool:
    if wait_s <= 0:
        if slots.locked():
            return False
        await slots.acquire()
        return True
    try:
        await asyncio.wait_for(slots.acquire(), wait_s)
    except TimeoutError:
        return False
    return True


RETRY_AFTER = (b"retry-after", b"5")


def _download_slots(args: dict[str, list[str]], csv_out: bool) -> ClientSlots | None:
    """The download slots this request needs, or None if it is no download."""
    if csv_out and any(args.get("_stream", [])):
        # Datasette streams for any non-empty _stream (even _stream=0).
        return ClientSlots.of("downloads", LIMITS.downloads_at_once, LIMITS.downloads_per_client)
    return None


#: A table's (or a query's) own page: /<database>/<table>, any format.
TABLE_PATH = re.compile(r"^/(?P<database>[^/]+)/(?P<table>[^/]+?)(?:\.(?P<format>\w+))?$")
QUERY_CSV_PATH = re.compile(r"^/(?P<database>[^/]+?)(?:/(?P<query>[^/]+?))?\.csv$")


async def bad_sort(datasette: Any, scope: dict, args: dict[str, list[str]]) -> str | None:
    """Why ``_sort`` / ``_sort_desc`` cannot sort this table page, or None. Datasette 0.65 answers
    a sort by an unknown column or an expression with a 500 (and a long traceback in the log)."""
    sorts = [(key, value) for key in ("_sort", "_sort_desc") for value in args.get(key, [])]
    match = TABLE_PATH.match(scope["path"]) if sorts else None
    if match is None:
        return None
    database, table = tilde_decode(match["database"]), tilde_decode(match["table"])
    db = datasette.databases.get(database)
    if db is None or not (await db.table_exists(table) or table in await db.view_names()):
        return None  # not a table: Datasette answers as it does
    sortable = datasette.table_metadata(database, table).get("sortable_columns")
    columns = set(sortable) if sortable is not None else {*await db.table_columns(table), "rowid"}
    for key, value in sorts:
        if value not in columns:
            return f"{key}: {table} has no column {value!r} to sort by"
    return None


async def csv_failure(datasette: Any, scope: dict, args: dict[str, list[str]]) -> str:
    """Why the query of this failed CSV request failed: it is run again, under the same time
    limit, for its error message (the CSV gave none)."""
    match = QUERY_CSV_PATH.match(unquote(scope["path"]))
    if match is None:
        return "unknown error"
    database = tilde_decode(match["database"])
    db = datasette.databases.get(database)
    params = {k: v[0] for k, v in args.items() if not k.startswith("_") and k != "sql"}
    if db is None:
        return f"no database {database!r}"
    if match["query"] is not None:
        query = await datasette.get_canned_query(database, tilde_decode(match["query"]), None)
        sql = query["sql"] if query else None
    else:
        sql = (args.get("sql") or [""])[0]
    if not sql:
        return "no SQL"
    limit = args.get("_timelimit", [""])[0]
    try:
        await db.execute(sql, params, custom_time_limit=int(limit) if limit.isdigit() else None)
    except QueryInterrupted:
        return "it took too long (the time limit ends it)"
    except Exception as e:  # noqa: BLE001 - the message is the point
        return str(e)
    return "unknown error"


def wrap(datasette: Any, app: Any) -> Any:
    """``app`` behind the checks and bounds above (serving/plugin.py puts it outermost)."""
    known: set[str] | None = None

    async def harden(scope, receive, send):
        nonlocal known
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        refused = refusal(scope)
        if refused is not None:
            await _send_error(send, *refused)
            return
        raw = scope.get("query_string") or b""
        args = parse_qs(raw.decode("latin-1"), keep_blank_values=True) if raw else {}
        why = await bad_sort(datasette, scope, args)
        if why is not None:
            await _send_error(send, 400, why)
            return
        if known is None:
            known = await known_sql(datasette)  # the metadata does not change while served
        csv_out = _is_csv(scope, args)
        slots = downloads = None
        if _arbitrary_sql(known, args):
            slots = Slots.of("arbitrary-sql", LIMITS.arbitrary_sql_at_once)
            if not await _take(slots, LIMITS.arbitrary_sql_wait_s):
                await _send_error(send, 429, "too many arbitrary SQL queries at once; retry shortly",
                                  [RETRY_AFTER])  # fmt: skip
                return
            scope = {**scope, "query_string": _with_time_limit(raw, LIMITS.arbitrary_sql_time_limit_ms)}
            args = {**args, "_timelimit": [str(LIMITS.arbitrary_sql_time_limit_ms)]}
        else:
            downloads = _download_slots(args, csv_out)
        peer = client_address(scope)
        if downloads is not None:
            why = downloads.take(peer)
            if why is not None:
                await _send_error(send, 429, f"downloads: {why}; retry shortly", [RETRY_AFTER])
                return
        explain = None
        if csv_out and QUERY_CSV_PATH.match(unquote(scope["path"])):
            failed_scope, failed_args = scope, args

            async def explain() -> str:
                return await csv_failure(datasette, failed_scope, failed_args)

        response = GuardedResponse(send, csv_out, explain)
        watcher = asyncio.ensure_future(response.watch(receive)) if downloads is not None else None
        try:
            await app(scope, receive, response.send)
        except asyncio.CancelledError:
            if not response.stalled:
                raise
            # Ours: the client took nothing for stall_timeout_s, or went away. Returning
            # with the response unfinished makes the server close the connection.
            if response.task is not None:
                response.task.uncancel()
        finally:
            if watcher is not None:
                watcher.cancel()
            response.close()
            if slots is not None:
                slots.release()
            if downloads is not None:
                downloads.release(peer)

    return harden
