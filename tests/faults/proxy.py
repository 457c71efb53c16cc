"""A TCP proxy that a test puts between the shop and a real service, to inject network faults.

`FaultProxy(port)` listens on 127.0.0.1:<ephemeral> and forwards every connection to
127.0.0.1:<port>. It runs on its own thread and event loop, so it keeps forwarding whatever the
test's loop (or a subprocess) is doing, and every control is a plain call:

- `refuse()` stops listening and cuts every open connection (the service "stopped": new connections
  are refused); `accept()` listens again on the same port.
- `drop_all()` cuts every open connection (a restart, a firewall reset).
- `pause()` holds all traffic in both directions (a partition; connections stay open);
  `resume()` lets it flow again.
- `cut_on(pattern, mode)` arms a one-shot trigger on the client's bytes (e.g. b"INSERT INTO orders"):
  `"before"` cuts the connection without forwarding them; `"hold"` holds them and pauses that
  connection until `Trigger.kill()` cuts it (or `Trigger.release()` lets it go on); `"lose_reply"`
  forwards them, swallows the server's answer and then cuts the connection (the server acted, the
  client never hears of it).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

T = TypeVar("T")
CutMode = Literal["before", "hold", "lose_reply"]


@dataclass
class Trigger:
    pattern: bytes
    mode: CutMode
    fired: threading.Event = field(default_factory=threading.Event)
    hits: int = 0
    _proxy: FaultProxy | None = None
    _link: _Link | None = None

    def wait(self, timeout: float = 30) -> None:
        """Block until the pattern went by (raise after `timeout` seconds)."""
        if not self.fired.wait(timeout):
            raise AssertionError(f"the proxy never saw {self.pattern!r}")

    async def fired_async(self, timeout: float = 30) -> None:
        await asyncio.to_thread(self.wait, timeout)

    def kill(self) -> None:
        """Cut the held connection (mode "hold")."""
        assert self._proxy is not None, "the trigger has no proxy"
        assert self._link is not None, "the trigger has not fired"
        link = self._link
        self._proxy._call(lambda: link.abort())

    def release(self) -> None:
        """Forward the held bytes and let the connection go on (mode "hold")."""
        assert self._proxy is not None, "the trigger has no proxy"
        assert self._link is not None, "the trigger has not fired"
        link = self._link
        self._proxy._call(lambda: link.release())


class _Link:
    """One proxied connection: the client's side and the server's side."""

    def __init__(self, proxy: FaultProxy, client: asyncio.StreamWriter, server: asyncio.StreamWriter) -> None:
        self.proxy = proxy
        self.client = client
        self.server = server
        self.flowing = asyncio.Event()  # this link's own pause (a held trigger)
        self.flowing.set()
        self.held: bytes | None = None
        self.swallow_reply = False
        self.closed = False

    async def abort(self) -> None:
        if self.closed:
            return
        self.closed = True
        for writer in (self.client, self.server):
            _reset(writer)
        self.flowing.set()

    async def release(self) -> None:
        if self.held is not None and not self.closed:
            self.server.write(self.held)
            self.held = None
        self.flowing.set()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close abruptly (RST, as when a process dies or a firewall resets), not with a polite FIN."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError):
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class FaultProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.accepted = 0  # connections accepted so far
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._links: set[_Link] = set()
        self._flowing: asyncio.Event | None = None
        self._triggers: list[Trigger] = []

    # --- life -------------------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._setup)
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        with contextlib.suppress(Exception):
            self.refuse()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def open_connections(self) -> int:
        return self._call(lambda: self._count())

    # --- faults -----------------------------------------------------------------------------------

    def refuse(self) -> None:
        """The service is down: nothing listens on the port, every open connection is cut."""
        self._call(self._refuse)

    def accept(self) -> None:
        """The service is back: listen again on the same port."""
        self._call(self._listen)

    def drop_all(self) -> int:
        """Cut every open connection; returns how many."""
        return self._call(self._drop_all)

    def pause(self) -> None:
        self._call(self._pause)

    def resume(self) -> None:
        self._call(self._resume)

    def cut_on(self, pattern: bytes, mode: CutMode = "before") -> Trigger:
        trigger = Trigger(pattern, mode, _proxy=self)
        self._triggers.append(trigger)
        return trigger

    # --- the loop's side --------------------------------------------------------------------------

    def _call(self, action: Callable[[], Awaitable[T]]) -> T:
        async def run() -> T:
            return await action()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    async def _count(self) -> int:
        return len(self._links)

    async def _setup(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        await self._listen()

    async def _listen(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _refuse(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        await self._drop_all()

    async def _drop_all(self) -> int:
        links = list(self._links)
        for link in links:
            await link.abort()
        self._links.clear()
        return len(links)

    async def _pause(self) -> None:
        assert self._flowing is not None
        self._flowing.clear()

    async def _resume(self) -> None:
        assert self._flowing is not None
        self._flowing.set()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(client_writer)
            return
        link = _Link(self, client_writer, server_writer)
        self._links.add(link)
        try:
            await asyncio.gather(
                self._pump(link, client_reader, server_writer, upstream=True),
                self._pump(link, server_reader, client_writer, upstream=False),
            )
        finally:
            self._links.discard(link)
            await link.abort()

    async def _pump(
        self, link: _Link, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, upstream: bool
    ) -> None:
        assert self._flowing is not None
        with contextlib.suppress(OSError, ConnectionError, asyncio.IncompleteReadError):
            while not link.closed:
                data = await reader.read(65536)
                if not data:
                    break
                await self._flowing.wait()
                await link.flowing.wait()
                if link.closed:
                    break
                if upstream:
                    trigger = self._match(data)
                    if trigger is not None:
                        trigger.hits += 1
                        trigger._link = link
                        if trigger.mode == "before":
                            trigger.fired.set()
                            await link.abort()
                            break
                        if trigger.mode == "hold":
                            link.held = data
                            link.flowing.clear()
                            trigger.fired.set()
                            continue
                        link.swallow_reply = True  # lose_reply: forward, then eat the answer
                elif link.swallow_reply:
                    for each in self._triggers:
                        if each._link is link and each.mode == "lose_reply":
                            each.fired.set()
                    await link.abort()
                    break
                writer.write(data)
                await writer.drain()
        # One side ended: end the other side too (politely when nobody asked for a fault).
        if not link.closed:
            with contextlib.suppress(OSError):
                writer.close()

    def _match(self, data: bytes) -> Trigger | None:
        for trigger in self._triggers:
            if trigger.hits == 0 and trigger.pattern in data:
                return trigger
        return None
