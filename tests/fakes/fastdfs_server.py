"""An in-test FastDFS: a tracker and a storage on 127.0.0.1 speaking the real TCP protocol.

Enough of the protocol for py3Fdfs to upload, download and delete unchanged:

- every packet starts with a 10-byte header: body length (8 bytes, big-endian), command (1),
  status (1, an errno; 0 = fine); every answer uses command 100;
- tracker: 101 "query store without group" (and 104 "with group") answer
  group(16) ip(15) port(8) store_path_index(1); 102 "query fetch" and 103 "query update" take
  group(16) + remote name and answer group(16) ip(15) port(8);
- storage: 11 upload takes store_path_index(1) size(8) ext(6) data and answers
  group(16) + remote name; 12 delete takes group(16) + remote name; 14 download takes
  offset(8) length(8) group(16) + remote name and answers the bytes; a missing file is
  status 2 (ENOENT) with an empty body.

Files live in memory. Fault knobs, settable at any time: `tracker_delay` / `storage_delay`
(seconds before each answer), `tracker_close_mid_reply` / `storage_close_mid_reply` (send half
an answer, then hang up), and `stop_tracker()` / `start_tracker()` / `restart_tracker()` (same
port; stopping also drops every open connection, like a killed process).
"""

from __future__ import annotations

import base64
import errno
import os
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Final

import pytest

HEADER: Final = struct.Struct("!QBB")
CMD_RESP: Final = 100
CMD_QUIT: Final = 82
CMD_ACTIVE_TEST: Final = 111
TRACKER_QUERY_STORE_WITHOUT_GROUP_ONE: Final = 101
TRACKER_QUERY_FETCH_ONE: Final = 102
TRACKER_QUERY_UPDATE: Final = 103
TRACKER_QUERY_STORE_WITH_GROUP_ONE: Final = 104
STORAGE_UPLOAD_FILE: Final = 11
STORAGE_DELETE_FILE: Final = 12
STORAGE_DOWNLOAD_FILE: Final = 14

GROUP_LEN: Final = 16
IP_LEN: Final = 15  # IP_ADDRESS_SIZE - 1 on the wire
EXT_LEN: Final = 6
HOST: Final = "127.0.0.1"


class _HangUp(Exception):
    """Close this connection now (a fault was injected, or the peer said QUIT)."""


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size > 0:
        chunk = sock.recv(min(size, 65536))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _field(text: str | bytes, size: int) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return raw[:size].ljust(size, b"\0")


class _Server:
    """One listening socket served by threads, one per connection; `stop()` drops them all."""

    def __init__(
        self, name: str, handle: Callable[[int, bytes], tuple[int, bytes]], owner: FakeFastDfs
    ) -> None:
        self.name = name
        self._handle = handle
        self._owner = owner
        self.port = 0
        self.accepted = 0  # connections accepted since creation (all starts)
        self._listener: socket.socket | None = None
        self._stopped = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: set[socket.socket] = set()
        self._guard = threading.Lock()

    @property
    def running(self) -> bool:
        return self._listener is not None

    def start(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._stopped = threading.Event()
        self._listener = listener
        self._spawn(self._accept_loop, listener, self._stopped)

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._stopped.set()
        with self._guard:
            conns, self._conns = list(self._conns), set()
            threads, self._threads = self._threads, []
        for conn in conns:
            _close(conn)
        for thread in threads:
            thread.join(timeout=2)
        listener.close()

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, name=f"fake-fastdfs-{self.name}", daemon=True)
        with self._guard:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _accept_loop(self, listener: socket.socket, stopped: threading.Event) -> None:
        while not stopped.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._guard:
                if stopped.is_set():
                    _close(conn)
                    return
                self._conns.add(conn)
                self.accepted += 1
            self._spawn(self._serve, conn, stopped)

    def _serve(self, conn: socket.socket, stopped: threading.Event) -> None:
        try:
            while not stopped.is_set():
                header = _recv_exact(conn, HEADER.size)
                if header is None:
                    return
                length, cmd, _status = HEADER.unpack(header)
                body = _recv_exact(conn, length) if length else b""
                if body is None:
                    return
                if cmd == CMD_QUIT:
                    return
                status, answer = self._handle(cmd, body)
                delay, close_mid_reply = self._owner._faults(self.name)
                if delay and stopped.wait(delay):
                    return
                packet = HEADER.pack(len(answer), CMD_RESP, status) + answer
                if close_mid_reply:
                    conn.sendall(packet[: len(packet) // 2])
                    return
                conn.sendall(packet)
        except OSError:
            return
        finally:
            with self._guard:
                self._conns.discard(conn)
            _close(conn)


def _close(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class FakeFastDfs:
    """A FastDFS tracker and storage (one group) for tests; use as a context manager."""

    def __init__(self, group: str = "group1") -> None:
        self.group = group
        self.files: dict[str, bytes] = {}  # file id ("group1/M00/00/00/x.png") -> content
        self.tracker_delay = 0.0
        self.storage_delay = 0.0
        self.tracker_close_mid_reply = False
        self.storage_close_mid_reply = False
        self.commands: list[tuple[str, int]] = []  # ("tracker" | "storage", command), in order
        self._files_guard = threading.Lock()
        self.tracker = _Server("tracker", self._tracker_answer, self)
        self.storage = _Server("storage", self._storage_answer, self)

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeFastDfs:
        self.storage.start()
        self.tracker.start()
        return self

    def stop(self) -> None:
        self.tracker.stop()
        self.storage.stop()

    def __enter__(self) -> FakeFastDfs:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def stop_tracker(self) -> None:
        self.tracker.stop()

    def start_tracker(self) -> None:
        self.tracker.start()

    def restart_tracker(self) -> None:
        self.tracker.stop()
        self.tracker.start()

    @property
    def tracker_address(self) -> tuple[str, int]:
        return (HOST, self.tracker.port)

    @property
    def storage_address(self) -> tuple[str, int]:
        return (HOST, self.storage.port)

    def clear_faults(self) -> None:
        self.tracker_delay = self.storage_delay = 0.0
        self.tracker_close_mid_reply = self.storage_close_mid_reply = False

    def _faults(self, server: str) -> tuple[float, bool]:
        if server == "tracker":
            return self.tracker_delay, self.tracker_close_mid_reply
        return self.storage_delay, self.storage_close_mid_reply

    # --- the tracker --------------------------------------------------------------------------

    def _tracker_answer(self, cmd: int, body: bytes) -> tuple[int, bytes]:
        self.commands.append(("tracker", cmd))
        where = _field(self.group, GROUP_LEN) + _field(HOST, IP_LEN) + struct.pack("!Q", self.storage.port)
        if cmd in (TRACKER_QUERY_STORE_WITHOUT_GROUP_ONE, TRACKER_QUERY_STORE_WITH_GROUP_ONE):
            if cmd == TRACKER_QUERY_STORE_WITH_GROUP_ONE and _group(body) != self.group:
                return errno.ENOENT, b""
            return 0, where + b"\0"  # store_path_index 0
        if cmd in (TRACKER_QUERY_FETCH_ONE, TRACKER_QUERY_UPDATE):
            if len(body) <= GROUP_LEN or _group(body) != self.group:
                return errno.ENOENT, b""
            return 0, where
        if cmd == CMD_ACTIVE_TEST:
            return 0, b""
        return errno.EINVAL, b""

    # --- the storage --------------------------------------------------------------------------

    def _storage_answer(self, cmd: int, body: bytes) -> tuple[int, bytes]:
        self.commands.append(("storage", cmd))
        if cmd == STORAGE_UPLOAD_FILE:
            return self._upload(body)
        if cmd == STORAGE_DOWNLOAD_FILE:
            offset, length = struct.unpack("!QQ", body[:16])
            content = self._file(body[16:])
            if content is None:
                return errno.ENOENT, b""
            return 0, content[offset : offset + length] if length else content[offset:]
        if cmd == STORAGE_DELETE_FILE:
            file_id = self._file_id(body)
            with self._files_guard:
                if file_id is None or self.files.pop(file_id, None) is None:
                    return errno.ENOENT, b""
            return 0, b""
        if cmd == CMD_ACTIVE_TEST:
            return 0, b""
        return errno.EINVAL, b""

    def _upload(self, body: bytes) -> tuple[int, bytes]:
        head = struct.Struct(f"!BQ{EXT_LEN}s")
        if len(body) < head.size:
            return errno.EINVAL, b""
        _path_index, size, ext_field = head.unpack(body[: head.size])
        data = body[head.size :]
        if len(data) != size:
            return errno.EINVAL, b""
        ext = ext_field.rstrip(b"\0").decode()
        token = base64.urlsafe_b64encode(os.urandom(20)).decode().rstrip("=")
        name = f"M00/00/00/{token}" + (f".{ext}" if ext else "")
        with self._files_guard:
            self.files[f"{self.group}/{name}"] = data
        return 0, _field(self.group, GROUP_LEN) + name.encode()

    def _file_id(self, body: bytes) -> str | None:
        if len(body) <= GROUP_LEN:
            return None
        return f"{_group(body)}/{body[GROUP_LEN:].decode(errors='replace')}"

    def _file(self, body: bytes) -> bytes | None:
        file_id = self._file_id(body)
        with self._files_guard:
            return self.files.get(file_id) if file_id is not None else None


def _group(body: bytes) -> str:
    return body[:GROUP_LEN].rstrip(b"\0").decode(errors="replace")


@contextmanager
def running_fastdfs(group: str = "group1") -> Iterator[FakeFastDfs]:
    """A started fake FastDFS, stopped on exit."""
    with FakeFastDfs(group) as server:
        yield server


@pytest.fixture
def fastdfs_server() -> Iterator[FakeFastDfs]:
    """Pytest fixture: import it into a test module or conftest to use it."""
    with running_fastdfs() as server:
        yield server
