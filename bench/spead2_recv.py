"""Baseline receivers built on spead2 (PyPI), for bench/recv_bench.

  spead2_recv.py udp PORT HEAP_SIZE   the tutorial's memory-pool receiver
                                      (as tut_9_recv_memory_pool), printing
                                      "Received N heaps"
  spead2_recv.py mem HEAP_SIZE N RUNS decode N heaps from memory, RUNS times,
                                      printing "X MB/s" per run
"""

import sys
import time

import numpy as np
import spead2
import spead2.recv
import spead2.send


def make_stream(heap_size):
    thread_pool = spead2.ThreadPool()
    config = spead2.recv.StreamConfig(max_heaps=2)
    ring_config = spead2.recv.RingStreamConfig(heaps=2)
    pool_heaps = config.max_heaps + ring_config.heaps + 1
    config.memory_allocator = spead2.MemoryPool(0, heap_size + 8192, pool_heaps, pool_heaps)
    return thread_pool, spead2.recv.Stream(thread_pool, config, ring_config)


def udp(port, heap_size):
    thread_pool, stream = make_stream(heap_size)
    stream.add_udp_reader(port, bind_hostname="127.0.0.1")
    ig = spead2.ItemGroup()
    n_heaps = 0
    for heap in stream:
        ig.update(heap)
        if "adc_samples" in ig and "timestamp" in ig and ig["adc_samples"].value is not None:
            np.mean(np.square(ig["adc_samples"].value, dtype=np.int64))
            n_heaps += 1
    print(f"Received {n_heaps} heaps", flush=True)


def mem(heap_size, n_heaps, runs):
    thread_pool = spead2.ThreadPool()
    sender = spead2.send.BytesStream(thread_pool, spead2.send.StreamConfig(max_packet_size=9000))
    samples = np.zeros(heap_size, np.int8)
    for i in range(n_heaps):
        samples.fill(i)
        heap = spead2.send.Heap()
        heap.add_item(spead2.Item(0x1600, "timestamp", "", shape=(), format=[("u", 40)], value=i * heap_size))
        heap.add_item(spead2.Item(0x3300, "adc_samples", "", shape=(heap_size,), dtype=np.int8, value=samples))
        sender.send_heap(heap)
    data = sender.getvalue()
    for _ in range(runs):
        _, stream = make_stream(heap_size)
        start = time.perf_counter()
        stream.add_buffer_reader(data)
        received = 0
        for heap in stream:
            for item in heap.get_items():
                if item.id == 0x3300:
                    received += len(memoryview(item))
        elapsed = time.perf_counter() - start
        assert received == heap_size * n_heaps, received
        print(f"{received / elapsed / 1e6:.1f} MB/s", flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "udp":
        udp(int(sys.argv[2]), int(sys.argv[3]))
    else:
        mem(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
