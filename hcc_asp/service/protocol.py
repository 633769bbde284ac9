"""uvicorn's HTTP/1.1 protocol with a deadline for a request's headers (slow clients).

uvicorn bounds an idle keep-alive connection, but not a client that connects and then sends its
request line and headers one byte at a time: each byte restarts nothing, and the connection
counts against ``--limit-concurrency`` for as long as it drips, so a few dozen such clients make
every other call a 503 ("slowloris"). Here every request's headers must be complete within
``--header-timeout`` seconds of the connection (or of the first byte of the next request on a
kept-alive connection); otherwise the service answers 408 and closes the connection. The body has
its own bound (``--body-timeout``), kept by the body-reading middleware of the app.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from hcc_asp.service.settings import ServiceSettings

_TIMEOUT_MESSAGE = b"request headers not received in time\n"
_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"connection: close\r\n"
    b"content-length: " + str(len(_TIMEOUT_MESSAGE)).encode("ascii") + b"\r\n\r\n"
) + _TIMEOUT_MESSAGE


@lru_cache(maxsize=1)
def _header_timeout() -> float:
    """The worker's header deadline in seconds (from the settings ``serve`` passed on)."""
    return ServiceSettings.from_environment().header_timeout_seconds


class BoundedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers take too long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Set up as uvicorn does; no header deadline runs yet."""
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(_header_timeout(), self._headers_late)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """A new connection: its first request's headers are due within the deadline."""
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        """Bytes arrived: the deadline ends once the headers are complete."""
        super().data_received(data)
        if self.transport.is_closing():
            self._disarm()
        elif self.conn.their_state is h11.IDLE:
            if data:  # the next request on a kept-alive connection has begun
                self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        """The connection is gone: no deadline to keep."""
        self._disarm()
        super().connection_lost(exc)

    def _headers_late(self) -> None:
        self._header_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.write(_TIMEOUT_RESPONSE)
            self.transport.close()
