"""Shutdown in any order: thread pools, receive streams with blocked
readers and consumers, send streams with heaps in flight (blocking and
asyncio), stopped from any thread, and interpreter exit with everything
still alive, must neither hang nor crash."""

import asyncio
import errno
import socket
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

import lightspead
import lightspead.recv
import lightspead.send
import lightspead.send.asyncio

SCRIPTS = {
    "blocking": """
        import numpy as np
        import lightspead, lightspead.recv, lightspead.send
        pool = lightspead.ThreadPool(2)
        recv_stream = lightspead.recv.Stream(pool)
        recv_stream.add_udp_reader(0, bind_hostname="127.0.0.1")
        recv_stream.add_tcp_reader(0, bind_hostname="127.0.0.1")
        queue = lightspead.InprocQueue()
        recv_stream.add_inproc_reader(queue)
        send_stream = lightspead.send.UdpStream(pool, [("127.0.0.1", 9)], lightspead.send.StreamConfig(rate=1e6))
        ig = lightspead.send.ItemGroup()
        ig.add_item(0x1000, "x", "", shape=(100000,), dtype=np.uint8, value=np.zeros(100000, np.uint8))
        send_stream.send_heap(ig.get_heap())
        print("done", flush=True)
    """,
    "asyncio_pending_sends": """
        import asyncio
        import numpy as np
        import lightspead, lightspead.send, lightspead.send.asyncio
        pool = lightspead.ThreadPool()
        stream = lightspead.send.asyncio.UdpStream(pool, [("127.0.0.1", 9)],
                                                   lightspead.send.StreamConfig(rate=1e6, max_heaps=4))
        ig = lightspead.send.ItemGroup()
        ig.add_item(0x1000, "x", "", shape=(200000,), dtype=np.uint8, value=np.zeros(200000, np.uint8))
        async def main():
            futures = [stream.async_send_heap(ig.get_heap(data="all")) for _ in range(4)]
            return futures          # leave them pending
        asyncio.run(main())
        print("done", flush=True)
    """,
    "pool_stopped_first": """
        import numpy as np
        import lightspead, lightspead.recv, lightspead.send
        pool = lightspead.ThreadPool()
        recv_stream = lightspead.recv.Stream(pool)
        recv_stream.add_udp_reader(0, bind_hostname="127.0.0.1")
        send_stream = lightspead.send.UdpStream(pool, [("127.0.0.1", 9)], lightspead.send.StreamConfig(rate=1e6))
        pool.stop()
        print("done", flush=True)
    """,
    "global_objects_in_cycle": """
        import lightspead, lightspead.recv
        class Holder:
            pass
        h = Holder()
        h.pool = lightspead.ThreadPool()
        h.stream = lightspead.recv.Stream(h.pool)
        h.stream.add_udp_reader(0, bind_hostname="127.0.0.1")
        h.self = h
        print("done", flush=True)
    """,
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_interpreter_exit(name):
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPTS[name])],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"


def _hole():
    """A bound UDP socket nobody reads: a destination without ICMP errors."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def _heap(size=100000):
    ig = lightspead.send.ItemGroup()
    ig.add_item(0x1000, "x", "", shape=(size,), dtype=np.uint8, value=np.zeros(size, np.uint8))
    return ig.get_heap(data="all")


def _in_thread(target):
    """Runs target in a thread; returns (thread, list that receives its result or exception)."""
    out = []

    def run():
        try:
            out.append(target())
        except BaseException as exc:     # noqa: BLE001 - handed back to the test
            out.append(exc)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


@pytest.mark.parametrize("stopper", ["pool", "stream"])
def test_stop_wakes_blocked_consumer(stopper):
    pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(pool)
    stream.add_udp_reader(0, bind_hostname="127.0.0.1")
    stream.add_tcp_reader(0, bind_hostname="127.0.0.1")
    thread, out = _in_thread(lambda: list(stream))
    time.sleep(0.1)
    (pool if stopper == "pool" else stream).stop()
    thread.join(10)
    assert not thread.is_alive()
    assert out == [[]]
    stream.stop()
    pool.stop()


@pytest.mark.parametrize("stopper", ["pool", "stream"])
def test_stop_fails_blocking_sends_in_flight(stopper):
    hole = _hole()
    pool = lightspead.ThreadPool()
    stream = lightspead.send.UdpStream(pool, [hole.getsockname()], lightspead.send.StreamConfig(rate=1e6))
    heap = _heap()

    def send_many():
        for _ in range(50):     # 5 s at 1 MB/s
            stream.send_heap(heap)
    thread, out = _in_thread(send_many)
    time.sleep(0.3)
    start = time.monotonic()
    (pool if stopper == "pool" else stream).stop()
    thread.join(10)
    assert not thread.is_alive()
    assert time.monotonic() - start < 2
    assert isinstance(out[0], OSError) and out[0].errno == errno.ECANCELED, out
    # Later sends fail at once
    with pytest.raises(OSError) as info:
        stream.send_heap(heap)
    assert info.value.errno == errno.ECANCELED
    hole.close()


def test_pool_stop_fails_pending_asyncio_sends():
    hole = _hole()

    async def main():
        pool = lightspead.ThreadPool()
        stream = lightspead.send.asyncio.UdpStream(pool, [hole.getsockname()],
                                                   lightspead.send.StreamConfig(rate=1e6, max_heaps=8))
        heap = _heap()
        futures = [stream.async_send_heap(heap) for _ in range(8)]
        await asyncio.sleep(0.05)
        pool.stop()
        results = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 10)
        failed = [r for r in results if isinstance(r, OSError)]
        assert len(failed) >= 6
        assert all(r.errno == errno.ECANCELED for r in failed), failed
        # After the pool has stopped, a send fails at once (nothing would run it later)
        with pytest.raises(OSError):
            await asyncio.wait_for(stream.async_send_heap(heap), 10)
    asyncio.run(main())
    hole.close()


def test_concurrent_stops_from_many_threads():
    for _ in range(10):
        pool = lightspead.ThreadPool(2)
        recv_stream = lightspead.recv.Stream(pool, ring_config=lightspead.recv.RingStreamConfig(heaps=2))
        recv_stream.add_udp_reader(0, bind_hostname="127.0.0.1")
        hole = _hole()
        send_stream = lightspead.send.UdpStream(pool, [hole.getsockname()], lightspead.send.StreamConfig(rate=50e6))
        heap = _heap()
        consumer, _ = _in_thread(lambda recv_stream=recv_stream: list(recv_stream))
        sender, _ = _in_thread(lambda send_stream=send_stream, heap=heap: [send_stream.send_heap(heap)
                                                                            for _ in range(100)])
        stoppers = [threading.Thread(target=f) for f in (pool.stop, recv_stream.stop, send_stream.stop)]
        for t in stoppers:
            t.start()
        for t in stoppers + [consumer, sender]:
            t.join(10)
            assert not t.is_alive()
        hole.close()


def test_pool_stop_ends_asyncio_receive_iteration():
    import lightspead.recv.asyncio

    async def main():
        pool = lightspead.ThreadPool()
        stream = lightspead.recv.asyncio.Stream(pool)
        stream.add_udp_reader(0, bind_hostname="127.0.0.1")

        async def consume():
            return [heap async for heap in stream]
        task = asyncio.create_task(consume())
        await asyncio.sleep(0.1)
        pool.stop()
        assert await asyncio.wait_for(task, 10) == []
    asyncio.run(main())
