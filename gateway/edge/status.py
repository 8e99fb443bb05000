"""The one capture of a response's status line, for the middlewares that report on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.types import Message, Send

from gateway.answering import Answering

RawHeaders = list[tuple[bytes, bytes]]

# What a request that ends before any answer began is counted and logged as (its task
# cancelled, say); a failure before the answer is answered by the edge itself, a 500 too.
NOT_ANSWERED = 500


class ResponseStatus(Answering):
    """A ``send`` that notes the status line on its way out, optionally adding headers to it
    (``headers``, then whatever ``then`` makes of them), and the answer as sent (``Answering``)
    once the first part of its body has gone.

    ``status`` is ``NOT_ANSWERED`` until the app starts its answer; ``started`` tells whether
    it has (a middleware can no longer answer in its place once it has)."""

    def __init__(
        self,
        send: Send,
        *,
        headers: Sequence[tuple[bytes, bytes]] = (),
        then: Callable[[RawHeaders], RawHeaders] | None = None,
    ) -> None:
        super().__init__()
        self._send = send
        self._headers = list(headers)
        self._then = then  # what else writes into the status line's headers
        self.status = NOT_ANSWERED
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.started = True
            if self._headers or self._then is not None:
                headers = [*message.get("headers", []), *self._headers]
                message["headers"] = headers if self._then is None else self._then(headers)
        await self._send(message)
        if not self._done and message["type"] == "http.response.body":
            self.sent()
