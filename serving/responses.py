"""The client side of one response (serving/harden.py wraps every response in a GuardedResponse):
sent in pieces, abandoned when the client stalls or goes away, CSV cells made safe for
spreadsheets, a failed query's CSV made a 400, redirects kept on this site."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from typing import Any

from emg_evidence.analysis.csv_cells import may_hold_a_formula, safe_row
from emg_evidence.serving.settings import LIMITS

#: Characters browsers drop from a URL wherever they are.
URL_IGNORED = re.compile(rb"[\t\n\r]")
#: Two or more slashes or backslashes: how a URL that names another host begins.
OTHER_HOST = re.compile(rb"^[/\\]{2,}")


def safe_location(value: bytes) -> bytes:
    """A redirect's target that stays on this site: ``/\\evil.example`` (which browsers read as
    ``//evil.example``, another host) becomes ``/evil.example``."""
    bare = URL_IGNORED.sub(b"", value.lstrip())
    return OTHER_HOST.sub(b"/", bare) if OTHER_HOST.match(bare) else value


class CsvCells:
    """Datasette's CSV body (the csv module's excel dialect), record by record, each cell through
    csv_cells.safe_row; a record with nothing to change passes byte for byte."""

    def __init__(self) -> None:
        self.pending = b""

    def feed(self, data: bytes, final: bool = False) -> bytes:
        if not self.pending and data.endswith(b"\n") and b'"' not in data and not may_hold_a_formula(data):
            return data  # whole unquoted records (Datasette writes one per message): the common case
        buf, out, start, i, odd = self.pending + data, [], 0, 0, False
        while (newline := buf.find(b"\n", i)) >= 0:  # a record ends at a newline outside quotes
            odd ^= bool(buf.count(b'"', i, newline) & 1)
            i = newline + 1
            if not odd:
                out.append(self._record(buf[start:i]))
                start = i
        self.pending = buf[start:]
        if final and self.pending:
            out.append(self._record(self.pending))
            self.pending = b""
        return b"".join(out)

    @staticmethod
    def _record(record: bytes) -> bytes:
        if not may_hold_a_formula(record):
            return record
        text = record.decode("utf-8", "surrogateescape")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        safe = [safe_row(row) for row in rows]
        if safe == rows:
            return record
        ending = "\r\n" if text.endswith("\r\n") else "\n" if text.endswith("\n") else ""
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows(safe)
        return (out.getvalue()[:-2] + ending).encode("utf-8", "surrogateescape")


class GuardedResponse:
    """The client side of one response: ``send`` for the app, cut off when the client stalls.

    ``explain``, for a query's CSV: a coroutine function saying why the query failed; the response
    start is then held until the first piece of body shows whether it did."""

    def __init__(self, send: Any, csv_cells: bool, explain: Any = None) -> None:
        self._send, self.wants_csv, self.explain = send, csv_cells, explain
        self.csv: CsvCells | None = None
        self.held: dict | None = None
        self.failed = self.stalled = False
        self.loop = asyncio.get_running_loop()
        self.sending_since: float | None = None
        self.task = asyncio.current_task()
        self.timer = self.loop.call_later(LIMITS.stall_timeout_s, self._check)

    def _check(self) -> None:
        since, limit = self.sending_since, LIMITS.stall_timeout_s
        if since is not None and self.loop.time() - since >= limit:
            return self.abandon()
        wait = limit if since is None else since + limit - self.loop.time()
        self.timer = self.loop.call_later(max(wait, 0.05), self._check)

    def abandon(self) -> None:
        if not self.stalled:
            self.stalled = True
            if self.task is not None:
                self.task.cancel()

    async def watch(self, receive: Any) -> None:
        """Abandon the response when its client disconnects: uvicorn lets a response go on sending
        to a closed connection, so ``_stream=on`` rendered a whole table for nobody, holding its
        download slot."""
        while (await receive())["type"] != "http.disconnect":
            pass
        self.abandon()

    def close(self) -> None:
        self.timer.cancel()

    async def _timed(self, message: dict) -> None:
        if self.stalled:
            raise asyncio.CancelledError
        self.sending_since = self.loop.time()
        try:
            await self._send(message)
        finally:
            self.sending_since = None

    async def send(self, message: dict) -> None:
        if self.failed:
            return  # the rest of a failed query's CSV: the 400 has gone out instead
        if message["type"] == "http.response.start":
            headers = [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers") or []]
            headers = [(k, safe_location(v) if k == b"location" else v) for k, v in headers]
            content_type = next((v for k, v in headers if k == b"content-type"), b"")
            if (
                self.wants_csv
                and message.get("status") == 200
                and content_type.startswith((b"text/csv", b"text/plain"))
            ):
                self.csv = CsvCells()
                headers = [(k, v) for k, v in headers if k != b"content-length"]
            message = {**message, "headers": headers}
            if self.explain is not None and message.get("status") in (200, 500):
                self.held = message
            else:
                await self._timed(message)
            return
        if message["type"] != "http.response.body":
            return await self._timed(message)
        if self.held is not None:
            held, self.held = self.held, None
            # Datasette 0.65 writes a failed query's CSV as one empty line with status 200, or
            # answers one cut off by its time limit with a 500.
            if held["status"] == 500 or message.get("body", b"") in (b"", b"\r\n", b"\n"):
                self.failed = True
                body = f"the query failed: {await self.explain()}".encode()
                await self._timed({"type": "http.response.start", "status": 400, "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode())]})  # fmt: skip
                return await self._timed({"type": "http.response.body", "body": body})
            await self._timed(held)
        body, more, piece = message.get("body", b""), message.get("more_body", False), LIMITS.send_piece_bytes
        if self.csv is not None:
            body = self.csv.feed(body, final=not more)
        for start in range(0, len(body) - piece, piece):
            await self._timed(
                {"type": "http.response.body", "body": body[start : start + piece], "more_body": True}
            )
            # To a fast reader each write completes at once: let other requests have the loop.
            await asyncio.sleep(0)
        last = body[(max(len(body) - 1, 0) // piece) * piece :]
        await self._timed({"type": "http.response.body", "body": last, "more_body": more})
