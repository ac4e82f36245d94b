#!/usr/bin/env python3
"""Tutorial 7: doing something with the data. Prints the mean power of the
ADC samples in every heap, then how many heaps arrived."""

import argparse

import numpy as np

import lightspead
import lightspead.recv


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    args = parser.parse_args()

    thread_pool = lightspead.ThreadPool()
    stream = lightspead.recv.Stream(thread_pool)
    stream.add_udp_reader(args.port)
    item_group = lightspead.ItemGroup()
    n_heaps = 0
    for heap in stream:
        item_group.update(heap)
        timestamp = item_group["timestamp"].value if "timestamp" in item_group else None
        adc_samples = item_group["adc_samples"].value if "adc_samples" in item_group else None
        if timestamp is not None and adc_samples is not None:
            power = np.mean(np.square(adc_samples, dtype=np.int64))
            n_heaps += 1
            print(f"Timestamp: {timestamp:<10} Power: {power}")
    print(f"Received {n_heaps} heaps")


if __name__ == "__main__":
    main()
