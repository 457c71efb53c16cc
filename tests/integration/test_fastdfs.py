"""The FastDFS blob store, through the real py3Fdfs client, against an in-test FastDFS server."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

import pytest
from fdfs_client.connection import ConnectionPool
from fdfs_client.tracker_client import Tracker_client
from tests.fakes.fastdfs_server import FakeFastDfs, running_fastdfs

from jiadian.adapters import fastdfs
from jiadian.adapters.fastdfs import FastDfsBlobStore, parse_tracker
from jiadian.domain.errors import NotFound, StorageUnavailable

TIMEOUT = 1.0
BASE_URL = "http://img.example.test:8888/"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # ~10 KiB, several TCP reads


@pytest.fixture
def server() -> Iterator[FakeFastDfs]:
    with running_fastdfs() as fake:
        yield fake


@pytest.fixture
def store(server: FakeFastDfs) -> FastDfsBlobStore:
    return FastDfsBlobStore([server.tracker_address], BASE_URL, timeout=TIMEOUT)


def dead_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def threads_inside_py3fdfs() -> list[str]:
    """Names of the threads now running py3Fdfs code."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    busy = []
    for ident, frame in sys._current_frames().items():
        stack: FrameType | None = frame
        while stack is not None:
            if "fdfs_client" in stack.f_code.co_filename:
                busy.append(names.get(ident, str(ident)))
                break
            stack = stack.f_back
    return busy


@pytest.mark.asyncio
async def test_save_open_delete_round_trip(store: FastDfsBlobStore, server: FakeFastDfs) -> None:
    file_id = await store.save(PNG, "png")

    assert file_id.startswith("group1/M00/00/00/")
    assert file_id.endswith(".png")
    assert server.files[file_id] == PNG
    assert await store.open(file_id) == PNG

    await store.delete(file_id)

    assert file_id not in server.files
    with pytest.raises(NotFound):
        await store.open(file_id)


@pytest.mark.asyncio
async def test_empty_file_and_no_extension(store: FastDfsBlobStore) -> None:
    file_id = await store.save(b"", "")

    assert "." not in file_id.rsplit("/", 1)[1]
    assert await store.open(file_id) == b""


@pytest.mark.asyncio
async def test_concurrent_saves_share_one_client(store: FastDfsBlobStore, server: FakeFastDfs) -> None:
    blobs = [f"image {n}".encode() for n in range(20)]

    ids = await asyncio.gather(*(store.save(blob, "jpg") for blob in blobs))

    assert len(set(ids)) == 20
    assert [await store.open(file_id) for file_id in ids] == blobs


def test_url_is_base_url_plus_file_id(store: FastDfsBlobStore) -> None:
    assert (
        store.url("group1/M00/00/00/wKgAAmQ.png")
        == "http://img.example.test:8888/group1/M00/00/00/wKgAAmQ.png"
    )


def test_tracker_addresses_from_settings() -> None:
    assert parse_tracker("10.0.0.5:22122") == ("10.0.0.5", 22122)
    with pytest.raises(ValueError):
        parse_tracker("10.0.0.5")


@pytest.mark.asyncio
async def test_extension_longer_than_fastdfs_allows_is_refused(store: FastDfsBlobStore) -> None:
    with pytest.raises(ValueError):
        await store.save(PNG, "toolong")  # py3Fdfs would silently cut it to "toolon"


@pytest.mark.asyncio
async def test_missing_file_is_not_found(store: FastDfsBlobStore) -> None:
    for file_id in ("group1/M00/00/00/nothing-here.png", "not-a-file-id"):
        with pytest.raises(NotFound):
            await store.open(file_id)
        with pytest.raises(NotFound):
            await store.delete(file_id)


@pytest.mark.asyncio
async def test_tracker_down_is_storage_unavailable(
    store: FastDfsBlobStore, server: FakeFastDfs, capsys: pytest.CaptureFixture[str]
) -> None:
    server.stop_tracker()

    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await store.save(PNG, "png")

    assert time.monotonic() - started < TIMEOUT
    assert capsys.readouterr().out == ""  # py3Fdfs' own pool would print ten errors


@pytest.mark.asyncio
async def test_system_exit_from_py3fdfs_does_not_end_the_process(
    store: FastDfsBlobStore, server: FakeFastDfs, monkeypatch: pytest.MonkeyPatch
) -> None:
    # py3Fdfs' own connect loop: ten refused attempts, then sys.exit().
    monkeypatch.setattr(fastdfs._Pool, "make_conn", ConnectionPool.make_conn)
    server.stop_tracker()

    with pytest.raises(StorageUnavailable) as raised:
        await store.save(PNG, "png")

    assert isinstance(raised.value.__cause__, SystemExit)


@pytest.mark.asyncio
async def test_system_exit_anywhere_in_the_client_is_caught(
    store: FastDfsBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def bail_out(self: object) -> None:
        raise SystemExit

    monkeypatch.setattr(Tracker_client, "tracker_query_storage_stor_without_group", bail_out)

    with pytest.raises(StorageUnavailable):
        await store.save(PNG, "png")


@pytest.mark.asyncio
async def test_storage_hanging_up_mid_reply_fails_within_the_timeout(
    store: FastDfsBlobStore, server: FakeFastDfs
) -> None:
    file_id = await store.save(PNG, "png")
    server.storage_close_mid_reply = True

    for attempt in (store.open(file_id), store.save(PNG, "png"), store.delete(file_id)):
        started = time.monotonic()
        with pytest.raises(StorageUnavailable):
            await attempt
        assert time.monotonic() - started < TIMEOUT / 2  # noticed at once, not at the timeout

    # py3Fdfs alone would spin on a half-read answer, in a thread, for ever.
    await asyncio.sleep(0.1)
    cpu = time.process_time()
    await asyncio.sleep(0.3)
    assert time.process_time() - cpu < 0.15
    assert threads_inside_py3fdfs() == []

    server.clear_faults()
    assert await store.open(await store.save(PNG, "png")) == PNG


@pytest.mark.asyncio
async def test_tracker_hanging_up_mid_reply_is_storage_unavailable(
    store: FastDfsBlobStore, server: FakeFastDfs
) -> None:
    server.tracker_close_mid_reply = True
    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await store.save(PNG, "png")
    assert time.monotonic() - started < TIMEOUT / 2

    server.clear_faults()
    assert await store.open(await store.save(PNG, "png")) == PNG


@pytest.mark.asyncio
@pytest.mark.parametrize("side", ["tracker", "storage"])
async def test_slow_server_times_out(store: FastDfsBlobStore, server: FakeFastDfs, side: str) -> None:
    file_id = await store.save(PNG, "png")
    setattr(server, f"{side}_delay", 5.0)
    seen = len(server.commands)

    started = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await store.open(file_id)
    assert time.monotonic() - started < TIMEOUT + 0.3

    # The timed-out call was cut off, not left blocked in a thread (nor retried behind our back).
    await asyncio.sleep(0.2)
    assert threads_inside_py3fdfs() == []
    asked = [("tracker", 102)] if side == "tracker" else [("tracker", 102), ("storage", 14)]
    assert server.commands[seen:] == asked

    server.clear_faults()
    for _ in range(2):
        started = time.monotonic()
        assert await store.open(file_id) == PNG
        assert time.monotonic() - started < TIMEOUT / 2


@pytest.mark.asyncio
async def test_tracker_restart_between_two_calls(store: FastDfsBlobStore, server: FakeFastDfs) -> None:
    file_id = await store.save(PNG, "png")  # leaves a pooled tracker connection behind
    server.restart_tracker()

    assert await store.open(file_id) == PNG


@pytest.mark.asyncio
async def test_tracker_back_after_an_outage(store: FastDfsBlobStore, server: FakeFastDfs) -> None:
    file_id = await store.save(PNG, "png")
    server.stop_tracker()
    with pytest.raises(StorageUnavailable):
        await store.open(file_id)

    server.start_tracker()

    assert await store.open(file_id) == PNG


@pytest.mark.asyncio
async def test_first_tracker_dead_second_answers(server: FakeFastDfs) -> None:
    store = FastDfsBlobStore([("127.0.0.1", dead_port()), server.tracker_address], BASE_URL, timeout=TIMEOUT)

    file_id = await store.save(PNG, "png")
    assert await store.open(file_id) == PNG
    await store.delete(file_id)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_client_built_before_a_fork_is_not_used_after_it(server: FakeFastDfs) -> None:
    store = FastDfsBlobStore([server.tracker_address], BASE_URL, timeout=TIMEOUT)
    file_id = asyncio.run(store.save(PNG, "png"))
    tracker_connections = server.tracker.accepted

    pid = os.fork()
    if pid == 0:  # the child: must open its own tracker connection
        code = 1
        try:
            code = 0 if asyncio.run(store.open(file_id)) == PNG else 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert server.tracker.accepted == tracker_connections + 1
    assert asyncio.run(store.open(file_id)) == PNG  # the parent's pooled connection still works
    assert server.tracker.accepted == tracker_connections + 1
