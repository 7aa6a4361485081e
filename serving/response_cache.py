"""Answer a repeated GET from memory: the database is immutable while it is served.

Kept for a figure (bench/load.py, 16 clients, evidence.db, repeated pages): p95 17.5 ms with this
cache, 2,753 ms without it (Datasette's Python rendering queues under load).

Stored: status-200 answers to GETs without credentials (no Authorization, no ``ds_actor``
cookie) that set no cookie, up to MAX_ENTRY_BYTES each, least recently used out past
MAX_TOTAL_BYTES, counting everything an entry holds, its key included (the Host header: harden.py
bounds it). The key is the scheme, Host, path and query string (Datasette writes absolute links
from the Host). Every cacheable answer carries ``Cache-Control: public`` and ``ETag: "<release>"``
(build_info's content hash), and ``If-None-Match`` with it gets 304; ``Cache-Control: no-cache``
gets a fresh answer (bench/queries.py times queries so). Server pages under ``/-/`` (threads,
actor, permissions...) are never stored; if any database could change, nothing is.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

MAX_ENTRY_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
#: What an entry costs beyond its bytes (tracemalloc: about 600 bytes for a page with 8 headers).
ENTRY_OVERHEAD = 1024
#: Seconds a browser or a CDN may reuse an answer without asking again.
MAX_AGE = 600
#: Pages under /-/ about the database, not about the server or the visitor: these may be stored.
CACHEABLE_SPECIAL = ("/-/static/", "/-/static-plugins/", "/-/dashboards")

#: (status, headers, body)
Entry = tuple[int, list[tuple[bytes, bytes]], bytes]


def entry_size(key: tuple[str, ...], entry: Entry) -> int:
    return sum(map(len, key)) + sum(len(k) + len(v) for k, v in entry[1]) + len(entry[2]) + ENTRY_OVERHEAD


class ResponseCache:
    """A bounded LRU of whole answers, by key; safe to use from several threads."""

    def __init__(self, max_entry: int = MAX_ENTRY_BYTES, max_total: int = MAX_TOTAL_BYTES) -> None:
        self.max_entry, self.max_total = max_entry, max_total
        self.entries: OrderedDict[tuple[str, ...], tuple[Entry, int]] = OrderedDict()
        self.total = 0
        self.lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> Entry | None:
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
            return found and found[0]

    def put(self, key: tuple[str, ...], entry: Entry) -> None:
        size = entry_size(key, entry)
        if size > self.max_entry:
            return
        with self.lock:
            self.total += size - (self.entries.pop(key, (None, 0)))[1]
            self.entries[key] = (entry, size)
            while self.total > self.max_total:
                self.total -= self.entries.popitem(last=False)[1][1]


@lru_cache(maxsize=8)
def release_of(path: str | None) -> str | None:
    """The content hash the build stored in ``path``'s build_info, or None."""
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT value FROM build_info WHERE key = 'content_hash'").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return row[0] if row else None


def _header(scope: dict, name: bytes) -> bytes | None:
    return next((v for k, v in scope.get("headers") or [] if k.lower() == name), None)


def cacheable_request(scope: dict) -> bool:
    path = scope.get("path") or ""
    return (
        scope["type"] == "http"
        and scope["method"] == "GET"
        and (not path.startswith("/-/") or path.startswith(CACHEABLE_SPECIAL))
        and _header(scope, b"authorization") is None
        and b"ds_actor" not in (_header(scope, b"cookie") or b"")
    )


def cache_key(scope: dict) -> tuple[str, ...]:
    raw_path = scope.get("raw_path") or (scope.get("path") or "").encode("utf-8")
    host = _header(scope, b"host") or b""
    query = scope.get("query_string") or b""
    return (
        scope.get("scheme") or "http",
        host.decode("latin-1"),
        raw_path.decode("latin-1"),
        query.decode("latin-1"),
    )


def wrap_app(app: Any, release: str, cache: ResponseCache | None = None) -> Any:
    store = cache if cache is not None else ResponseCache()
    etag = f'"{release}"'.encode("ascii")
    extra = [(b"cache-control", f"public, max-age={MAX_AGE}".encode("ascii")), (b"etag", etag)]

    async def response_cache(scope: dict, receive: Any, send: Any) -> None:
        if not cacheable_request(scope):
            return await app(scope, receive, send)
        key = cache_key(scope)
        fresh = (
            b"no-cache" in (_header(scope, b"cache-control") or b"")
            or _header(scope, b"pragma") == b"no-cache"
        )
        found = None if fresh else store.get(key)
        if found is not None:
            tags = [
                t.strip().removeprefix(b"W/") for t in (_header(scope, b"if-none-match") or b"").split(b",")
            ]
            if etag in tags or b"*" in tags:
                status, headers, body = 304, extra, b""
            else:
                status, headers, body = found[0], [*found[1], (b"x-response-cache", b"hit")], found[2]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            return await send({"type": "http.response.body", "body": body})
        state: dict[str, Any] = {"keep": False, "size": 0, "chunks": []}

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k.lower(), v) for k, v in message.get("headers") or []]
                keep = message["status"] == 200 and b"set-cookie" not in {k for k, _ in headers}
                if keep:
                    headers = [(k, v) for k, v in headers if k not in (b"cache-control", b"etag")] + extra
                    message = {**message, "headers": headers}
                state.update(keep=keep, status=message["status"], headers=headers)
            elif message["type"] == "http.response.body" and state["keep"]:
                body = message.get("body") or b""
                state["size"] += len(body)
                state["chunks"].append(body)
                if state["size"] > store.max_entry:
                    state.update(keep=False, chunks=[])
                elif not message.get("more_body", False):
                    store.put(key, (state["status"], state["headers"], b"".join(state["chunks"])))
            await send(message)

        await app(scope, receive, capture)

    return response_cache


def wrap(datasette: Any, app: Any) -> Any:
    """``app`` with the cache in front, if what ``datasette`` serves cannot change: its release is
    the content hash of each database, combined if there are several."""
    releases: list[str] = []
    for name, db in sorted(datasette.databases.items()):
        if name == "_internal":
            continue
        release = None if db.is_mutable or db.is_memory else release_of(db.path)
        if release is None:
            return app
        releases.append(release)
    if not releases:
        return app
    release = releases[0] if len(releases) == 1 else hashlib.sha256(" ".join(releases).encode()).hexdigest()
    return wrap_app(app, release)
