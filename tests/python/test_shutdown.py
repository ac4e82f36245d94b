"""Interpreter exit with everything still alive (thread pools, receive
streams with blocked readers, send streams with heaps in flight, asyncio
streams) must neither hang nor crash."""

import subprocess
import sys
import textwrap

import pytest

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
