"""Blob store on FastDFS through py3Fdfs (`fdfs_client`), the production image store.

py3Fdfs is a blocking client with sharp edges (PITFALLS.md, "py3Fdfs"). This adapter keeps
them away from the shop:

- Every call runs in a worker thread and is bounded by `asyncio.wait_for(timeout)`. When the
  time is up, the sockets the call opened are shut down and closed, so the worker stops too
  and no late answer is left waiting on a pooled connection. py3Fdfs uses one timeout for
  connecting and reading; ours connect within half the budget (so a black-holed tracker
  leaves time for the next) and read with a longer one, a mere backstop: the budget decides.
  Were they equal, the socket could time out first and the call be retried in earnest.
- py3Fdfs' receive loop spins at full CPU, for ever, on a peer that closed mid-reply: our
  sockets raise at end of stream instead.
- Connections are made by our own pool class: one connect attempt, nothing printed, no
  `sys.exit()` (py3Fdfs' own pool prints, retries ten times, then raises SystemExit).
  Whatever escapes anyway, BaseException included, becomes `StorageUnavailable` inside the
  worker, so it never reaches the event loop.
- py3Fdfs keeps a single port for all its trackers, so there is one py3Fdfs client per
  tracker; trackers are tried in turn, starting from the last one that answered.
- Clients are built lazily, per process: one built before a fork is never used after it.
- A pooled tracker connection found dead (the tracker restarted) throws the client away, and
  the call is retried once on a fresh one. Storage connections are never pooled (py3Fdfs
  opens one per call), so a failure at the storage is not retried: an upload could be
  stored twice, a delete could report a missing file.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import re
import socket
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from fdfs_client.client import Fdfs_client
from fdfs_client.connection import Connection, ConnectionPool
from fdfs_client.exceptions import DataError
from fdfs_client.storage_client import Storage_client
from fdfs_client.tracker_client import Tracker_client

from jiadian.domain.errors import DomainError, NotFound, StorageUnavailable

logger = logging.getLogger(__name__)

T = TypeVar("T")

_GROUP_NAME_MAX: Final = 16  # FDFS_GROUP_NAME_MAX_LEN
_EXTENSION_MAX: Final = 6  # FDFS_FILE_EXT_NAME_MAX_LEN; py3Fdfs silently truncates longer ones
# py3Fdfs reports an error status only inside a message: "Error: 2 No such file or directory".
_STATUS_IN_MESSAGE: Final = re.compile(r"Error: (\d+)")


# "group1/M00/00/00/wKgAAmQ....png": group, store path, two directory levels, file name.
_FILE_ID: Final = re.compile(r"^[A-Za-z0-9_]{1,16}/M[0-9A-Fa-f]{2}/[0-9A-Fa-f]{2}/[0-9A-Fa-f]{2}/[^/\x00]+$")


def is_file_id(file_id: str) -> bool:
    """Whether `file_id` has the shape of a FastDFS file id (it may still be missing)."""
    return bool(_FILE_ID.match(file_id))


def parse_tracker(address: str) -> tuple[str, int]:
    """`"host:port"` (as in settings) -> `("host", port)`."""
    host, sep, port = address.strip().rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"FastDFS tracker must be host:port, got {address!r}")
    return host.strip("[]"), int(port)


class FastDfsBlobStore:
    """`BlobStore` on FastDFS: file ids are FastDFS ids ("group1/M00/00/00/xxx.png")."""

    def __init__(self, trackers: Sequence[tuple[str, int]], base_url: str, timeout: float = 10.0) -> None:
        if not trackers:
            raise ValueError("FastDFS needs at least one tracker")
        if timeout <= 0:
            raise ValueError("FastDFS timeout must be positive")
        self._trackers: tuple[tuple[str, int], ...] = tuple((host, int(port)) for host, port in trackers)
        self._base_url = base_url.rstrip("/")
        self._timeout = float(timeout)
        self._connect_timeout = self._timeout / 2
        self._read_timeout = self._timeout + 1.0  # never reached before wait_for cuts the call off
        self._pid = -1  # no client yet: built on first use, in the process that uses it
        self._lock = threading.Lock()
        self._clients: list[tuple[int, Any] | None] = []
        self._preferred = 0  # index of the tracker that answered last

    # --- the port -------------------------------------------------------------------------

    async def save(self, data: bytes, extension: str) -> str:
        ext = _checked_extension(extension)
        payload = bytes(data)

        def upload(client: Any) -> str:
            tracker = Tracker_client(client.tracker_pool)
            server = _ask_tracker(tracker.tracker_query_storage_stor_without_group)
            answer = self._on_storage(
                server, lambda store: store.storage_upload_by_buffer(tracker, server, payload, ext)
            )
            file_id: bytes = answer["Remote file_id"]
            return file_id.decode()

        return await self._call("save", upload)

    async def open(self, file_id: str) -> bytes:
        group, name = _split(file_id)

        def download(client: Any) -> bytes:
            tracker = Tracker_client(client.tracker_pool)
            server = _ask_tracker(lambda: tracker.tracker_query_storage_fetch(group, name))
            answer = self._on_storage(
                server, lambda store: store.storage_download_to_buffer(tracker, server, None, 0, 0, name)
            )
            return bytes(answer["Content"])

        return await self._call("open", download, missing=file_id)

    async def delete(self, file_id: str) -> None:
        group, name = _split(file_id)

        def remove(client: Any) -> None:
            tracker = Tracker_client(client.tracker_pool)
            server = _ask_tracker(lambda: tracker.tracker_query_storage_update(group, name))
            self._on_storage(server, lambda store: store.storage_delete_file(tracker, server, name))

        await self._call("delete", remove, missing=file_id)

    def url(self, file_id: str) -> str:
        return f"{self._base_url}/{file_id}"

    async def ping(self) -> None:
        """A tracker answers and names a storage server that would take an upload."""

        def ask(client: Any) -> None:
            _ask_tracker(Tracker_client(client.tracker_pool).tracker_query_storage_stor_without_group)

        await self._call("ping", ask)

    # --- the event-loop side ----------------------------------------------------------------

    async def _call(self, operation: str, work: Callable[[Any], T], missing: str | None = None) -> T:
        self._check_process()
        call = _Call()
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self._work, call, operation, work, missing), self._timeout
            )
        except DomainError:
            raise
        except TimeoutError as exc:
            call.abort()
            logger.warning("FastDFS %s: no answer within %.1f s", operation, self._timeout)
            raise StorageUnavailable(operation=operation, reason="timeout") from exc
        except asyncio.CancelledError:
            call.abort()
            raise
        except Exception as exc:  # the worker lets nothing else out; this is for the executor itself
            call.abort()
            raise StorageUnavailable(operation=operation) from exc

    def _check_process(self) -> None:
        """Forget every client (and the lock) inherited through a fork."""
        pid = os.getpid()
        if pid != self._pid:
            self._pid = pid
            self._lock = threading.Lock()
            self._clients = [None] * len(self._trackers)

    # --- the worker-thread side ---------------------------------------------------------------

    def _work(self, call: _Call, operation: str, work: Callable[[Any], T], missing: str | None) -> T:
        """Run `work` against the trackers; nothing but a DomainError leaves this function."""
        _local.call = call
        try:
            return self._attempts(call, work)
        except _Refused as exc:
            if exc.status == errno.ENOENT and missing is not None and exc.at_storage:
                raise NotFound("file", missing) from None
            logger.warning("FastDFS %s refused: %s", operation, exc.cause)
            raise StorageUnavailable(operation=operation, status=exc.status) from exc.cause
        except _Aborted:
            raise StorageUnavailable(operation=operation, reason="timeout") from None
        except _TrackersLost as exc:
            logger.warning("FastDFS %s: no tracker answered: %r", operation, exc.cause)
            raise StorageUnavailable(operation=operation, reason="trackers") from exc.cause
        except BaseException as exc:  # SystemExit, struct.error, socket errors, py3Fdfs errors...
            if not call.aborted:  # else the event-loop side has reported the timeout already
                logger.warning("FastDFS %s failed: %r", operation, exc)
            raise StorageUnavailable(operation=operation) from exc
        finally:
            _local.call = None
            call.finish()

    def _attempts(self, call: _Call, work: Callable[[Any], T]) -> T:
        count = len(self._trackers)
        first = self._preferred
        retried = False
        cause: BaseException | None = None
        for index in ((first + step) % count for step in range(count)):
            while True:
                call.check()
                client = self._client(index)
                try:
                    result = work(client)
                except _TrackerLost as exc:
                    self._drop(index, client)
                    cause = exc.cause
                    if exc.reused and not retried:
                        retried = True  # a dead pooled connection: once more on a new client
                        continue
                    break  # this tracker is down: the next one
                self._preferred = index
                return result
        raise _TrackersLost(cause)

    def _client(self, index: int) -> Any:
        pid = os.getpid()
        with self._lock:
            held = self._clients[index]
            if held is None or held[0] != pid:
                host, port = self._trackers[index]
                held = (pid, Fdfs_client(self._pool_conf((host,), port, "Tracker Pool"), poolclass=_Pool))
                self._clients[index] = held
            return held[1]

    def _pool_conf(self, hosts: tuple[str | bytes, ...], port: int, name: str) -> dict[str, Any]:
        """py3Fdfs' `get_tracker_conf()` dict, plus our read timeout (for `_Pool`)."""
        return {
            "host_tuple": hosts,
            "port": port,
            "timeout": self._connect_timeout,
            "read_timeout": self._read_timeout,
            "name": name,
        }

    def _drop(self, index: int, client: Any) -> None:
        with self._lock:
            held = self._clients[index]
            if held is not None and held[1] is client:
                self._clients[index] = None

    def _on_storage(self, server: Any, action: Callable[[Any], T]) -> T:
        store = Storage_client(server.ip_addr, server.port, self._timeout)
        store.pool = _Pool(**self._pool_conf((server.ip_addr,), server.port, "Storage Pool"))
        try:
            return action(store)
        except DataError as exc:
            raise _Refused(exc, at_storage=True) from exc
        finally:
            store.pool.destroy()


def _ask_tracker(query: Callable[[], T]) -> T:
    """Run a tracker query, sorting its failures into "answered no" and "lost"."""
    try:
        return query()
    except _Aborted:
        raise
    except DataError as exc:
        raise _Refused(exc, at_storage=False) from exc
    except BaseException as exc:
        raise _TrackerLost(exc, reused=_current().reused) from exc


def _split(file_id: str) -> tuple[bytes, bytes]:
    """A file id as py3Fdfs wants it (bytes), split into group and remote name."""
    raw = file_id.encode()
    group, sep, name = raw.partition(b"/")
    if not sep or not group or not name or len(group) > _GROUP_NAME_MAX or b"\x00" in raw:
        raise NotFound("file", file_id)
    return group, name


def _checked_extension(extension: str) -> str:
    ext = extension.removeprefix(".")
    if len(ext) > _EXTENSION_MAX or not (ext.isascii() and (ext.isalnum() or not ext)):
        raise ValueError(f"FastDFS file extension must be at most 6 letters or digits, got {extension!r}")
    return ext


# --- cutting a call off --------------------------------------------------------------------------


class _Aborted(Exception):
    """The event-loop side gave up on this call."""


class _TrackerLost(Exception):
    """A tracker gave no usable answer (down, dead connection, garbage)."""

    def __init__(self, cause: BaseException, *, reused: bool) -> None:
        super().__init__(repr(cause))
        self.cause = cause
        self.reused = reused


class _TrackersLost(Exception):
    def __init__(self, cause: BaseException | None) -> None:
        super().__init__(repr(cause))
        self.cause = cause


class _Refused(Exception):
    """A tracker or storage answered with an error status (an errno)."""

    def __init__(self, cause: BaseException, *, at_storage: bool) -> None:
        super().__init__(str(cause))
        found = _STATUS_IN_MESSAGE.search(str(cause))
        self.status = int(found.group(1)) if found else -1
        self.cause = cause
        self.at_storage = at_storage


def _kill(sock: socket.socket) -> None:
    # shutdown wakes a recv blocked in another thread; close makes the next recv fail (EBADF)
    # instead of returning b"" forever.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class _Call:
    """The sockets one operation opened or borrowed, so that the event loop can cut it off."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._aborted = False
        self.reused = False  # did the latest tracker connection come out of the pool?

    @property
    def aborted(self) -> bool:
        return self._aborted

    def check(self) -> None:
        if self._aborted:
            raise _Aborted

    def track(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._guard:
            if not self._aborted:
                self._sockets.append(sock)
                return
        _kill(sock)
        raise _Aborted

    def abort(self) -> None:
        with self._guard:
            self._aborted = True
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            _kill(sock)

    def finish(self) -> None:
        """The call is over: its pooled connections now belong to others."""
        with self._guard:
            self._sockets = []


class _Local(threading.local):
    call: _Call | None = None


_local = _Local()


def _current() -> _Call:
    return _local.call or _Call()


class _EofRaisingSocket:
    """A socket whose `recv` raises at end of stream instead of returning b"".

    py3Fdfs reads a body with `while left > 0: left -= len(sock.recv(...))`: on a peer that
    hung up mid-reply that loop spins at full CPU for ever. Raising ends it at once.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.raw = sock

    def recv(self, size: int) -> bytes:
        data = self.raw.recv(size)
        if not data and size > 0:
            # one argument only: py3Fdfs formats `"... (%s)" % e.args`
            raise ConnectionResetError("FastDFS server closed the connection")
        return data

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class _Pool(ConnectionPool):  # type: ignore[misc]
    """py3Fdfs' pool made thread-safe, quiet and abortable.

    One connect attempt that raises py3Fdfs' ConnectionError (py3Fdfs' own: ten attempts, a
    print each, then SystemExit); TCP_NODELAY; end of stream raises instead of spinning; every
    connection is reported to the running call; a connection whose socket was closed does not
    go back to the pool.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._guard = threading.Lock()

    def make_conn(self) -> Any:
        conn = Connection(**self.conn_kwargs)
        conn.connect()  # within conn_kwargs["timeout"]
        sock: socket.socket = conn.get_sock()
        _current().track(sock)
        sock.settimeout(self.conn_kwargs.get("read_timeout", conn.timeout))
        # py3Fdfs writes a header, then a body, then reads: without this, Nagle's algorithm and
        # delayed ACKs add ~40 ms to every request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn._sock = _EofRaisingSocket(sock)
        return conn

    def get_connection(self) -> Any:
        call = _current()
        with self._guard:
            conn = self._conns_available.pop() if self._conns_available else None
        if conn is None:
            call.reused = False
            conn = self.make_conn()
        else:
            call.reused = True
            sock = conn.get_sock()
            call.track(sock.raw if isinstance(sock, _EofRaisingSocket) else sock)
        with self._guard:
            self._conns_inuse.add(conn)
        return conn

    def release(self, conn: Any) -> None:
        with self._guard:
            self._conns_inuse.discard(conn)
            sock = conn.get_sock()
            if sock is not None and sock.fileno() != -1:
                self._conns_available.append(conn)

    def destroy(self) -> None:
        with self._guard:
            conns = [*self._conns_inuse, *self._conns_available]
            self._conns_inuse.clear()
            self._conns_available.clear()
        for conn in conns:
            with contextlib.suppress(Exception):  # a socket that will not close is gone anyway
                conn.disconnect()
