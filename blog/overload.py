"""Overload answered, not queued: each worker serves as many requests at once as it has database
connections, and a request that cannot start within ``app.queue_timeout`` is refused.

Under more clients than a worker can serve, requests used to queue without bound (for a
pooled connection, behind whichever request got there first): under 1,000 clients a reply
took up to 6.5 s, and one that waited past ``pool_timeout`` was still answered 503 after
five seconds. Now the requests beyond the worker's connections wait their turn here, in
arrival order, before anything is done for them (no token is checked, no session opened,
no statement sent); one still waiting after ``queue_timeout`` is answered at once with a 503
and ``Retry-After``, and costs the database nothing. A request that starts gets a connection
without waiting, since no more requests run than the pool holds.
"""

from __future__ import annotations

import asyncio
from collections import deque
from http import HTTPStatus

from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Receive, Scope, Send

NEVER_REFUSED = "never_refused"
"""A handler's ``opt`` key: served at once whatever the load (``/metrics``, ``/healthcheck``)."""
BUSY_DETAIL = "The server is busy; try again shortly."
RETRY_AFTER_SECONDS = 1


class Turns:
    """At most ``limit`` holders at once; the others wait in arrival order, each at most ``timeout`` s.

    A turn given back goes straight to the longest waiter: a request that arrives meanwhile
    cannot take it first, so none waits longer than the ones after it.
    """

    def __init__(self, limit: int, timeout: float) -> None:
        self.free = limit
        self.timeout = timeout if timeout > 0 else None
        self.waiting: deque[asyncio.Future[None]] = deque()

    async def take(self) -> bool:
        """Wait for a turn: ``True`` once it is this caller's, ``False`` if ``timeout`` passed first."""
        if self.free and not self.waiting:
            self.free -= 1
            return True
        turn = asyncio.get_running_loop().create_future()
        self.waiting.append(turn)
        try:
            async with asyncio.timeout(self.timeout):
                await turn
        except (TimeoutError, asyncio.CancelledError) as stopped:
            if turn.done() and not turn.cancelled():  # the turn came as the wait ended
                if isinstance(stopped, TimeoutError):
                    return True
                self.give_back()
            elif turn in self.waiting:
                self.waiting.remove(turn)
            if isinstance(stopped, asyncio.CancelledError):
                raise
            return False
        return True

    def give_back(self) -> None:
        """End a turn: the next waiter's, or a free one."""
        while self.waiting:
            turn = self.waiting.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self.free += 1


class Admission:
    """Serves a request when it has a turn; 503 with ``Retry-After`` if none comes in time.

    Called by the outermost middleware (``blog.request_context``) rather than being a
    middleware of its own: a layer of Litestar middleware costs a read ~2% of its throughput.
    """

    def __init__(self, limit: int, timeout: float) -> None:
        self.limit = limit
        self.timeout = timeout
        self._turns: dict[asyncio.AbstractEventLoop, Turns] = {}

    def _turns_here(self) -> Turns:
        # Futures belong to one event loop; an app served by one server has one.
        loop = asyncio.get_running_loop()
        if (turns := self._turns.get(loop)) is None:
            self._turns.clear()
            turns = self._turns[loop] = Turns(self.limit, self.timeout)
        return turns

    async def serve(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        """``next_app`` once the request has a turn (at once for a handler marked ``NEVER_REFUSED``)."""
        if scope["route_handler"].opt.get(NEVER_REFUSED, False):
            await next_app(scope, receive, send)
            return
        turns = self._turns_here()
        if not await turns.take():
            raise HTTPException(
                status_code=HTTPStatus.SERVICE_UNAVAILABLE,
                detail=BUSY_DETAIL,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        try:
            await next_app(scope, receive, send)
        finally:
            turns.give_back()
