"""Refuse requests that a public, read-only evidence database never needs.

- ``?column__arraycontains=`` and ``?column__arraynotcontains=``: advisory GHSA-w3hf-fcg5-p4cc
  (datasette#2868) was SQL injection through the column name of these filters. Datasette 0.65.3
  and later (we pin >=0.65.5) quote that name with ``escape_sqlite``, so this is defence in depth:
  no table here has a JSON-array column, so the filters have no legitimate use, and a 400 costs
  nothing if a future change brings the bug back. ``?_filter_op=arraycontains`` (the filter
  form) is refused as well, since Datasette turns it into the same parameter by a redirect.
- Any method but GET and HEAD: nothing here is writable (no writable canned queries, no login),
  and Datasette 0.65.5 answers a POST to a read-only canned query with a 500 and a traceback in
  its log.

The check parses the query string as Datasette itself does (``Request.args``), so every key that
Datasette's filters would see is seen here first.

Also: Datasette 0.65's default exception handler prints a rich traceback *with every local
variable* for each error it answers, a 400 for bad SQL included, whenever ``rich`` is importable
(it arrives with typer). That is about 100 KB of log and a second or two of CPU per refused query,
so a visitor sending bad SQL in a loop could fill the disk and tie up the server. Unexpected
errors (500) are still logged, by Datasette's plain ``traceback.print_exc()``.
"""

import json
from urllib.parse import parse_qs

import datasette.handle_exception
from datasette import hookimpl

datasette.handle_exception.rich = None

REFUSED_FILTERS = ("arraycontains", "arraynotcontains")
ALLOWED_METHODS = ("GET", "HEAD")


def refusal(scope: dict) -> tuple[int, str] | None:
    """Why this request is refused, as (status, message), or None if it may pass."""
    if scope["method"] not in ALLOWED_METHODS:
        return 405, f"{scope['method']} is not allowed: this database is read-only"
    query = (scope.get("query_string") or b"").decode("latin-1")
    for key, values in parse_qs(query, keep_blank_values=True).items():
        if key.rsplit("__", 1)[-1] in REFUSED_FILTERS:
            return 400, f"the {key.rsplit('__', 1)[-1]} filter is not available here"
        if key.startswith("_filter_op") and any(value.split("__")[0] in REFUSED_FILTERS for value in values):
            return 400, "array filters are not available here"
    return None


async def _send_error(send, status: int, message: str) -> None:
    body = json.dumps({"ok": False, "error": message, "status": status}).encode("utf-8")
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode("ascii")),
    ]
    if status == 405:
        headers.append((b"allow", ", ".join(ALLOWED_METHODS).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def harden(scope, receive, send):
            if scope["type"] == "http":
                refused = refusal(scope)
                if refused is not None:
                    await _send_error(send, *refused)
                    return
            await app(scope, receive, send)

        return harden

    return wrap
