#!/usr/bin/env python3
"""Tutorial 3: a first receiver. Listens on UDP port 8888 and prints the
timestamp and first sample of every heap until the sender ends the stream."""

import lightspead
import lightspead.recv


def main():
    thread_pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(thread_pool)
    stream.add_udp_reader(8888, buffer_size=1024 * 1024)
    item_group = lightspead.ItemGroup()
    for heap in stream:
        item_group.update(heap)
        timestamp = item_group["timestamp"].value if "timestamp" in item_group else -1
        samples = item_group["adc_samples"].value if "adc_samples" in item_group else None
        line = f"Received heap {heap.cnt} timestamp {timestamp}"
        if samples is not None:
            line += f" first sample {samples[0]}"
        print(line)


if __name__ == "__main__":
    main()
