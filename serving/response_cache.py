"""Answer a repeated GET from memory: the database is immutable while it is served.

`evidence serve` opens evidence.db immutable (``-i``) and nothing here is writable, so a page or
a ``.json`` answer for one URL is the same until the next release: the first request renders it
and later ones get the stored bytes (about a millisecond instead of 30-100 ms of Python, which
under load was seconds of queueing: bench/load.py). Every cacheable answer also tells a browser
or a CDN that it may keep it: ``Cache-Control: public, max-age=...`` and ``ETag: "<release>"``
(the content hash the build stored in build_info), and a request whose ``If-None-Match`` names
the release gets ``304 Not Modified``.

What is stored: answers with status 200 to GET requests without credentials (no Authorization
header, no ``ds_actor`` cookie) that set no cookie, up to MAX_ENTRY_BYTES each, least recently
used first out once they add up to MAX_TOTAL_BYTES. An entry's size counts everything it holds:
its key (the Host header included: 2,000 requests with 15 kB Host headers once added 24 MB while
0.7 MB was counted), headers and body, and a fixed overhead per entry; harden.py refuses a Host
header longer than a host name can be. A request with ``Cache-Control: no-cache``
is answered afresh (bench/queries.py times the queries so), and the new answer is stored. The key is the scheme, the Host header and
the full path with its query string (Datasette writes absolute links from the Host). A streamed
answer (``?_stream=on``) passes through untouched and is kept only if it stays small. The debugging
pages under ``/-/`` (threads, actor, permissions, messages...) are never stored.

The release is the content hash of the served database (of each, combined, if there are several);
if any database is mutable, or none has a release (no build_info), nothing is cached. An answer
from the cache carries ``X-Response-Cache: hit``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from functools import lru_cache
from typing import Any

#: Largest answer kept, and most kept in all (bytes of keys, headers and bodies, plus ENTRY_OVERHEAD).
MAX_ENTRY_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
#: What an entry costs beyond its bytes: its tuples, the dict slot, the list of headers (measured
#: with tracemalloc: about 600 bytes for a page with 8 headers).
ENTRY_OVERHEAD = 1024
#: How long a browser or a CDN may reuse an answer without asking again (seconds). A new
#: release changes the ETag; a CDN asking again after this long then gets the new answer.
MAX_AGE = 600
#: Pages under /-/ that may be stored: static files, dashboards. Other /-/ pages are about the
#: server or the visitor (threads, actor, permissions, messages), not the database.
CACHEABLE_SPECIAL = ("/-/static/", "/-/static-plugins/", "/-/dashboards")

#: (status, headers, body)
Entry = tuple[int, list[tuple[bytes, bytes]], bytes]


class ResponseCache:
    """A bounded LRU of whole answers, by key; safe to use from several threads."""

    def __init__(self, max_entry: int = MAX_ENTRY_BYTES, max_total: int = MAX_TOTAL_BYTES) -> None:
        self.max_entry, self.max_total = max_entry, max_total
        self.entries: OrderedDict[tuple[str, ...], tuple[Entry, int]] = OrderedDict()
        self.total = 0
        self.hits = self.misses = 0
        self.lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> Entry | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                self.misses += 1
                return None
            self.entries.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: tuple[str, ...], entry: Entry) -> None:
        size = entry_size(key, entry)
        if size > self.max_entry:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.total -= old[1]
            self.entries[key] = (entry, size)
            self.total += size
            while self.total > self.max_total and self.entries:
                _, (_, dropped) = self.entries.popitem(last=False)
                self.total -= dropped


def entry_size(key: tuple[str, ...], entry: Entry) -> int:
    """Bytes an entry holds: key, headers and body, and ENTRY_OVERHEAD."""
    return sum(map(len, key)) + sum(len(k) + len(v) for k, v in entry[1]) + len(entry[2]) + ENTRY_OVERHEAD


@lru_cache(maxsize=8)
def release_of(path: str | None) -> str | None:
    """The content hash the build stored in ``path``'s build_info, or None."""
    if path is None:
        return None
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
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value
    return None


def cacheable_request(scope: dict) -> bool:
    if scope["type"] != "http" or scope["method"] != "GET":
        return False
    path = scope.get("path") or ""
    if path.startswith("/-/") and not path.startswith(CACHEABLE_SPECIAL):
        return False
    if _header(scope, b"authorization") is not None:
        return False
    cookie = _header(scope, b"cookie")
    return not (cookie and b"ds_actor" in cookie)


def cache_key(scope: dict) -> tuple[str, ...]:
    raw_path = scope.get("raw_path") or (scope.get("path") or "").encode("utf-8")
    return (
        scope.get("scheme") or "http",
        (_header(scope, b"host") or b"").decode("latin-1"),
        raw_path.decode("latin-1"),
        (scope.get("query_string") or b"").decode("latin-1"),
    )


def _matches(if_none_match: bytes | None, etag: bytes) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")]
    return etag in tags or b"*" in tags


def wrap_app(app: Any, release: str, cache: ResponseCache | None = None) -> Any:
    """``app`` with the cache in front, for the release ``release``."""
    store = cache if cache is not None else ResponseCache()
    etag = f'"{release}"'.encode("ascii")
    extra = [(b"cache-control", f"public, max-age={MAX_AGE}".encode("ascii")), (b"etag", etag)]

    async def not_modified(send: Any) -> None:
        await send({"type": "http.response.start", "status": 304, "headers": extra})
        await send({"type": "http.response.body", "body": b""})

    async def response_cache(scope: dict, receive: Any, send: Any) -> None:
        if not cacheable_request(scope):
            await app(scope, receive, send)
            return
        key = cache_key(scope)
        # A client asking for a fresh answer (Cache-Control: no-cache) gets one; it is stored.
        fresh = (
            b"no-cache" in (_header(scope, b"cache-control") or b"")
            or _header(scope, b"pragma") == b"no-cache"
        )
        found = None if fresh else store.get(key)
        if found is not None:
            if _matches(_header(scope, b"if-none-match"), etag):
                await not_modified(send)
                return
            status, headers, body = found
            headers = [*headers, (b"x-response-cache", b"hit")]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        state: dict[str, Any] = {"keep": False, "size": 0, "chunks": []}

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k.lower(), v) for k, v in message.get("headers") or []]
                names = {k for k, _ in headers}
                keep = message["status"] == 200 and b"set-cookie" not in names
                if keep:
                    headers = [(k, v) for k, v in headers if k not in (b"cache-control", b"etag")] + extra
                    message = {**message, "headers": headers}
                state.update(keep=keep, status=message["status"], headers=headers)
            elif message["type"] == "http.response.body" and state["keep"]:
                body = message.get("body") or b""
                state["size"] += len(body)
                if state["size"] > store.max_entry:
                    state.update(keep=False, chunks=[])
                else:
                    state["chunks"].append(body)
                if not message.get("more_body", False) and state["keep"]:
                    store.put(key, (state["status"], state["headers"], b"".join(state["chunks"])))
            await send(message)

        await app(scope, receive, capture)

    response_cache.cache = store  # type: ignore[attr-defined]
    return response_cache


def served_release(datasette: Any) -> str | None:
    """The release of what ``datasette`` serves, or None if its answers could change."""
    releases = []
    for name, db in sorted(datasette.databases.items()):
        if name == "_internal":
            continue
        if db.is_mutable or db.is_memory:
            return None
        release = release_of(db.path)
        if release is None:
            return None
        releases.append(release)
    if not releases:
        return None
    if len(releases) == 1:
        return releases[0]
    return hashlib.sha256(" ".join(releases).encode("ascii")).hexdigest()


def wrap(datasette: Any, app: Any) -> Any:
    """``app`` with the cache in front, if what ``datasette`` serves cannot change."""
    release = served_release(datasette)
    return app if release is None else wrap_app(app, release)
