"""A TCP proxy in front of PostgreSQL that a test can cut, stall and restore.

It stands in for a database outage without touching the shared server: the app connects
through it, and the test decides when the "database" goes away and comes back. It runs its
own event loop in a thread, as a separate server would: the app's start-up hook, which
Litestar's test client runs while blocking the test's loop, can reach it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")

State = Literal["up", "down", "stalled"]


class OutageProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target``.

    - ``down()``: stops listening and drops every open connection, as a stopped server
      does (new connections are refused at once).
    - ``stall()``: keeps accepting but forwards nothing, as a dead network does (only
      timeouts end the wait).
    - ``up()``: forwards again, on the same port.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.state: State = "up"
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flowing = asyncio.Event()  # set unless stalled
        self._flowing.set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="outage-proxy", daemon=True)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    def open(self) -> None:
        self._thread.start()
        self._run(self._start())

    def up(self) -> None:
        self._run(self._up())

    def down(self) -> None:
        self._run(self._down())

    def stall(self) -> None:
        self._run(self._stall())

    def close(self) -> None:
        self._run(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _up(self) -> None:
        if self._server is None:
            await self._start()
        self.state = "up"
        self._flowing.set()

    async def _down(self) -> None:
        self.state = "down"
        self._flowing.set()  # held bytes are dropped with their connections
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        self._drop_connections()

    async def _stall(self) -> None:
        self.state = "stalled"
        self._flowing.clear()
        if self._server is None:
            await self._start()

    async def _close(self) -> None:
        await self._down()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _drop_connections(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._writers.add(client_writer)
        if self.state != "up":
            return  # stalled: hold the connection open, answer nothing
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self._writers.add(server_writer)
        for reader, writer in ((client_reader, server_writer), (server_reader, client_writer)):
            task = asyncio.create_task(self._pipe(reader, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                await self._flowing.wait()  # stalled: hold the bytes, the peer waits as on a dead link
                if self.state == "down":
                    break
                writer.write(data)
                await writer.drain()
        writer.transport.abort()
