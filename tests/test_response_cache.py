"""The response cache (serving/response_cache.py): the database is immutable while served, so a
repeated answer may come from memory; it may not change an answer, keep a visitor's cookie, cache
what describes the server rather than the database, or hold more than its bound, keys included.
"""

import asyncio
import re

from emg_evidence.serving.response_cache import (
    ENTRY_OVERHEAD,
    ResponseCache,
    cache_key,
    cacheable_request,
    entry_size,
    wrap_app,
)


async def test_a_repeated_get_is_served_from_memory_with_cdn_headers(ds, fresh_build):
    path = "/evidence/study.json?_shape=array"
    first = await ds.client.get(path)
    second = await ds.client.get(path)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert "x-response-cache" not in first.headers
    assert second.headers["x-response-cache"] == "hit"
    fresh = await ds.client.get(path, headers={"cache-control": "no-cache"})
    assert "x-response-cache" not in fresh.headers and fresh.content == first.content
    for response in (first, second, fresh):
        assert response.headers["etag"] == f'"{fresh_build.content_hash}"'
        assert response.headers["cache-control"].startswith("public, max-age=")


async def test_if_none_match_with_the_release_gets_304(ds, fresh_build):
    await ds.client.get("/evidence")
    again = await ds.client.get("/evidence", headers={"if-none-match": f'"{fresh_build.content_hash}"'})
    assert again.status_code == 304 and again.content == b""
    other = await ds.client.get("/evidence", headers={"if-none-match": '"an-old-release"'})
    assert other.status_code == 200 and other.content


def same(text: str) -> str:
    """A page without what differs from one rendering to the next: the time its queries took."""
    return re.sub(r"Queries took [\d.]+ ?ms|\"query_ms\": [\d.e-]+", "", text)


async def test_pages_are_the_same_with_and_without_the_cache(ds, make_datasette):
    # The schema cache and the response cache answer what Datasette itself answers.
    for path in ("/", "/evidence", "/evidence/study", "/evidence/measurement.json?_size=5"):
        cold = await make_datasette().client.get(path)
        warm = [await ds.client.get(path) for _ in range(2)]
        assert cold.status_code == 200, path
        assert {same(r.text) for r in warm} == {same(cold.text)}, path


async def test_server_pages_and_errors_are_not_cached(ds):
    for path in ("/-/versions.json", "/-/threads.json", "/-/actor.json"):
        await ds.client.get(path)
        again = await ds.client.get(path)
        assert "x-response-cache" not in again.headers and "etag" not in again.headers, path
    await ds.client.get("/evidence/no_such_table")
    missing = await ds.client.get("/evidence/no_such_table")
    assert missing.status_code == 404 and "x-response-cache" not in missing.headers


def scope(path="/", method="GET", query=b"", headers=(), host=b"localhost"):
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query,
            "scheme": "http", "headers": [(b"host", host), *headers]}  # fmt: skip


def test_what_may_be_cached():
    assert cacheable_request(scope("/evidence/study"))
    assert cacheable_request(scope("/-/static/app.css"))
    assert not cacheable_request(scope("/evidence/study", method="HEAD"))
    assert not cacheable_request(scope("/evidence/study", method="POST"))
    assert not cacheable_request(scope("/-/threads"))
    assert not cacheable_request(scope("/", headers=[(b"authorization", b"Bearer x")]))
    assert not cacheable_request(scope("/", headers=[(b"cookie", b"ds_actor=abc")]))
    # The key is the full URL: the query string and the host are part of it.
    assert cache_key(scope("/t", query=b"a=1")) != cache_key(scope("/t", query=b"a=2"))
    assert cache_key(scope("/t")) != cache_key(scope("/t", host=b"other"))


def run_app(app, request_scope):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(request_scope, receive, send))
    return sent


def test_answers_that_set_a_cookie_or_grow_too_large_are_not_stored():
    calls = []

    def app_with(headers, chunks):
        async def app(s, receive, send):
            calls.append(s["path"])
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            for i, chunk in enumerate(chunks):
                await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})

        return app

    cache = ResponseCache(max_entry=100, max_total=1000)
    cookie = wrap_app(app_with([(b"set-cookie", b"a=b")], [b"x"]), "r1", cache)
    run_app(cookie, scope("/a"))
    run_app(cookie, scope("/a"))
    assert calls == ["/a", "/a"] and not cache.entries
    # A stream is passed on chunk by chunk, and dropped from the cache once over the limit.
    calls.clear()
    big = wrap_app(app_with([], [b"x" * 60, b"y" * 60]), "r1", cache)
    sent = run_app(big, scope("/big"))
    assert b"".join(m.get("body", b"") for m in sent) == b"x" * 60 + b"y" * 60
    assert not cache.entries


def test_the_cache_is_bounded_least_recently_used_out():
    cache = ResponseCache(max_entry=2000, max_total=5000)
    for i in range(10):
        cache.put(("k", str(i)), (200, [], b"z" * 100))
        cache.get(("k", "0"))  # kept in use
    assert cache.total <= 5000
    assert ("k", "0") in cache.entries and ("k", "1") not in cache.entries


def test_what_an_entry_holds_is_counted_its_key_included():
    """A key with a 15 kB Host header counts as 15 kB (it was not counted at all: 2,000 such
    requests added 24 MB while 0.7 MB was counted)."""
    host = "h" * 15_000
    key = ("http", host, "/evidence", "")
    entry = (200, [(b"content-type", b"text/html")], b"x" * 100)
    assert (
        entry_size(key, entry)
        == len(host) + 4 + len("/evidence") + len("content-type") + len("text/html") + 100 + ENTRY_OVERHEAD
    )
    cache = ResponseCache(max_entry=100_000, max_total=50_000)
    for i in range(20):
        cache.put(("http", host, f"/p{i}", ""), entry)
    assert cache.total <= 50_000 and len(cache.entries) == 50_000 // entry_size(key, entry)


async def test_a_host_header_longer_than_a_host_name_is_refused(ds):
    response = await ds.client.get("/evidence", headers={"host": "h" * 15_000})
    assert response.status_code == 400
    assert "Host header" in response.json()["error"]


async def test_database_page_shows_exact_counts(ds, db_rows):
    page = (await ds.client.get("/evidence")).text
    (n,) = db_rows("select count(*) from measurement")[0]
    assert f"{n:,}" in page or str(n) in page
