"""Refuse what a public, read-only database never needs, and keep any one client from stalling or
exhausting the server: one ASGI wrapper, outermost (serving/plugin.py). Limits: ``LIMITS`` in
serving/settings.py, which says why each is what it is.

Refused before Datasette sees the request: any method but GET and HEAD (Datasette 0.65 answers a
POST to a read-only canned query with a 500); over-long paths, Host headers and query strings,
too many parameters (Datasette parses the query string again on each read of ``request.args``);
the ``arraycontains`` filters (GHSA-w3hf-fcg5-p4cc: defence in depth, no column here is an array);
SQL naming ``database_list`` (it prints the served file's path); a ``_sort`` by no column of the
table (Datasette answers a 500). Bounded: arbitrary SQL (not a canned query's or a dashboard's)
runs one at a time under a short time limit; streamed CSV downloads have few slots, one per
client; every response goes out in pieces and is abandoned when its client stalls
(serving/responses.py).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import weakref
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, unquote_plus

from datasette.database import QueryInterrupted
from datasette.utils import tilde_decode

from emg_evidence.serving.responses import GuardedResponse
from emg_evidence.serving.settings import LIMITS

REFUSED_FILTERS = ("arraycontains", "arraynotcontains")
ALLOWED_METHODS = ("GET", "HEAD")
#: Parameters that carry SQL: a whole query on a database's page, a WHERE clause on a table's.
SQL_KEYS = ("sql", "_where")
#: datasette-dashboards drops a ``[[ ... ]]`` clause whose parameter is empty.
OPTIONAL_CLAUSE = re.compile(r"\[\[.*?\]\]")
RETRY_AFTER = (b"retry-after", b"5")
#: A table's (or a query's) own page: /<database>/<table>, any format.
TABLE_PATH = re.compile(r"^/(?P<database>[^/]+)/(?P<table>[^/]+?)(?:\.(?P<format>\w+))?$")
QUERY_CSV_PATH = re.compile(r"^/(?P<database>[^/]+?)(?:/(?P<query>[^/]+?))?\.csv$")

_PER_LOOP: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = weakref.WeakKeyDictionary()


def per_loop(name: str, make: Callable[[], Any]) -> Any:
    """The running event loop's object called ``name`` (each test runs its own loop)."""
    found = _PER_LOOP.setdefault(asyncio.get_running_loop(), {})
    if name not in found:
        found[name] = make()
    return found[name]


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
        # Datasette turns the filter form's _filter_op into the same parameter by a redirect.
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
    """SQL the metadata defines: canned queries, dashboard charts and filters (which the
    dashboards' JavaScript fetches as ``/<db>.json?sql=``)."""
    found = set()
    for name in datasette.databases:
        found |= {q["sql"].strip() for q in (await datasette.get_canned_queries(name, None)).values()}
    for dashboard in (datasette.plugin_config("datasette-dashboards") or {}).values():
        if isinstance(dashboard, dict):
            for part in [
                *(dashboard.get("charts") or {}).values(),
                *(dashboard.get("filters") or {}).values(),
            ]:
                if isinstance(part, dict) and isinstance(part.get("query"), str):
                    found |= _variants(part["query"])
    return found


def _arbitrary_sql(known: set[str], args: dict[str, list[str]]) -> bool:
    """Whether the request runs SQL its sender wrote: a WHERE clause, or a query the metadata lacks."""
    if any(v.strip() for v in args.get("_where", [])):
        return True
    queries = {v.strip() for v in args.get("sql", []) if v.strip()}
    return bool(queries) and not queries <= known


def _with_time_limit(raw: bytes, ms: int) -> bytes:
    """The query string with any ``_timelimit`` replaced by ours."""
    kept = [
        p
        for p in raw.split(b"&")
        if p and unquote_plus(p.split(b"=", 1)[0].decode("latin-1")) != "_timelimit"
    ]
    return b"&".join([*kept, f"_timelimit={ms}".encode("ascii")])


class ClientSlots:
    """Download slots: at most ``total`` held, ``per_client`` by one peer; taken at once or not at all."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total, self.per_client = total, per_client
        self.held: dict[str, int] = {}

    def take(self, client: str) -> str | None:
        mine = self.held.get(client, 0)
        if mine >= self.per_client:
            return f"you already have {mine} running"
        if sum(self.held.values()) >= self.total:
            return "too many at once"
        self.held[client] = mine + 1
        return None

    def release(self, client: str) -> None:
        self.held[client] -= 1
        if not self.held[client]:
            del self.held[client]


async def acquire(slots: asyncio.Semaphore, wait_s: float) -> bool:
    """Take one of ``slots`` within ``wait_s`` seconds; False if none came free."""
    try:
        await asyncio.wait_for(slots.acquire(), wait_s)
    except TimeoutError:
        return False
    return True


async def bad_sort(datasette: Any, scope: dict, args: dict[str, list[str]]) -> str | None:
    """Why ``_sort`` / ``_sort_desc`` cannot sort this table page, or None."""
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
    """Why the query of a failed CSV request failed: Datasette's CSV gives no message, so the query
    runs again, under the same time limit, for it."""
    match = QUERY_CSV_PATH.match(unquote(scope["path"]))
    database = tilde_decode(match["database"]) if match else ""
    db = datasette.databases.get(database)
    if db is None:
        return f"no database {database!r}"
    if match and match["query"] is not None:
        query = await datasette.get_canned_query(database, tilde_decode(match["query"]), None)
        sql = query["sql"] if query else None
    else:
        sql = (args.get("sql") or [""])[0]
    if not sql:
        return "no SQL"
    limit = args.get("_timelimit", [""])[0]
    params = {k: v[0] for k, v in args.items() if not k.startswith("_") and k != "sql"}
    try:
        await db.execute(sql, params, custom_time_limit=int(limit) if limit.isdigit() else None)
    except QueryInterrupted:
        return "it took too long (the time limit ends it)"
    except Exception as e:  # noqa: BLE001 - the message is the point
        return str(e)
    return "unknown error"


def wrap(datasette: Any, app: Any) -> Any:
    known: set[str] | None = None

    async def harden(scope, receive, send):
        nonlocal known
        if scope["type"] != "http":
            return await app(scope, receive, send)
        refused = refusal(scope)
        if refused is not None:
            return await _send_error(send, *refused)
        raw = scope.get("query_string") or b""
        args = parse_qs(raw.decode("latin-1"), keep_blank_values=True)
        why = await bad_sort(datasette, scope, args)
        if why is not None:
            return await _send_error(send, 400, why)
        if known is None:
            known = await known_sql(datasette)  # the metadata does not change while served
        path = scope["path"]
        csv_out = not path.startswith("/-/") and (path.endswith(".csv") or args.get("_format") == ["csv"])
        slots = downloads = None
        peer = str(scope["client"][0]) if scope.get("client") else ""
        if _arbitrary_sql(known, args):
            slots = per_loop("arbitrary-sql", lambda: asyncio.Semaphore(LIMITS.arbitrary_sql_at_once))
            if not await acquire(slots, LIMITS.arbitrary_sql_wait_s):
                return await _send_error(send, 429, "too many arbitrary SQL queries at once; retry shortly",
                                         [RETRY_AFTER])  # fmt: skip
            scope = {**scope, "query_string": _with_time_limit(raw, LIMITS.arbitrary_sql_time_limit_ms)}
            args = {**args, "_timelimit": [str(LIMITS.arbitrary_sql_time_limit_ms)]}
        elif csv_out and any(args.get("_stream", [])):  # Datasette streams for any non-empty _stream
            downloads = per_loop(
                "downloads", lambda: ClientSlots(LIMITS.downloads_at_once, LIMITS.downloads_per_client)
            )
            why = downloads.take(peer)
            if why is not None:
                return await _send_error(send, 429, f"downloads: {why}; retry shortly", [RETRY_AFTER])
        explain = None
        if csv_out and QUERY_CSV_PATH.match(unquote(path)):
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
            # Ours: the client stalled or went away; returning unfinished closes the connection.
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
