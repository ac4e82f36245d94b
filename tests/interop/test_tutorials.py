"""The C++ tutorial senders, received by spead2 4.5.1: every heap arrives
with the timestamp and samples the tutorial puts in it."""

import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest
import spead2
import spead2.recv

from test_send import receive_all

TUTORIAL_PORT = 8888     # tut_2 has its destination built in


SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)
RECEIVE_BUFFER = 256 * 1024 * 1024


def receiver_socket(port):
    """A UDP socket whose buffer holds a whole test run: the tutorial senders
    run unthrottled, and a loopback receiver must not drop their packets.
    Beyond net.core.rmem_max only root may go (SO_RCVBUFFORCE)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
    except PermissionError:
        pytest.skip("needs root for a receive buffer beyond rmem_max")
    sock.bind(("127.0.0.1", port))
    return sock


def run_and_receive(command, port, max_size=9200):
    thread_pool = spead2.ThreadPool()
    stream = spead2.recv.Stream(thread_pool, spead2.recv.StreamConfig(max_heaps=4))
    sock = receiver_socket(port)
    stream.add_udp_reader(sock, max_size=max_size)
    sock.close()         # spead2 holds its own duplicate
    result = subprocess.run(command, check=True, capture_output=True, text=True, timeout=120)
    heaps = receive_all(stream)
    stream.stop()
    return result.stdout, heaps


def check_heaps(heaps, n_heaps, heap_size, filled):
    assert len(heaps) == n_heaps
    ig = spead2.ItemGroup()
    for i, heap in enumerate(heaps):
        ig.update(heap)
        assert ig["timestamp"].value == i * heap_size
        samples = ig["adc_samples"].value
        assert samples.dtype == np.int8
        assert samples.shape == (heap_size,)
        if filled:
            assert np.all(samples == np.int8(np.uint8(i % 256)))
        else:
            assert samples.min() >= -100 and samples.max() <= 100


def test_tut_2_send(build_dir):
    program = os.path.join(build_dir, "examples", "tutorial", "tut_2_send")
    _, heaps = run_and_receive([program], TUTORIAL_PORT, max_size=1500)
    check_heaps(heaps, 100, 1024 * 1024, filled=False)


def test_python_tut_8_send_reuse_memory(free_udp_port):
    program = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial",
                           "tut_8_send_reuse_memory.py")
    options = ["-n", "10", "-p", "9000", "-H", "4000000"]
    stdout, heaps = run_and_receive([sys.executable, program, *options, "127.0.0.1", str(free_udp_port)],
                                    free_udp_port)
    assert re.fullmatch(r"[0-9.]+ MB/s\n", stdout)
    check_heaps(heaps, 10, 4000000, filled=True)


@pytest.mark.parametrize("program,options,heap_size", [
    ("tut_4_send_perf", ["-n", "20"], 1024 * 1024),
    ("tut_5_send_pipeline", ["-n", "20"], 1024 * 1024),
    ("tut_6_send_pktsize", ["-n", "20", "-p", "9000"], 1024 * 1024),
    ("tut_8_send_reuse_memory", ["-n", "10", "-p", "9000", "-H", "4000000"], 4000000),
])
def test_tutorial_sender(program, options, heap_size, build_dir, free_udp_port):
    path = os.path.join(build_dir, "examples", "tutorial", program)
    stdout, heaps = run_and_receive([path, *options, "127.0.0.1", str(free_udp_port)], free_udp_port)
    assert re.fullmatch(r"[0-9.e+]+ MB/s\n", stdout)
    check_heaps(heaps, int(options[1]), heap_size, filled=True)


@pytest.mark.parametrize("language", ["cpp", "python"])
def test_tut_8_paced(language, build_dir, free_udp_port):
    """tut_8's -r (MB/s, not in spead2's chapter): 10 heaps of 4 MB at
    100 MB/s take at least 0.36 s (the first heap goes at once), so the
    figure printed is at most about 110 MB/s, and nothing is lost."""
    options = ["-n", "10", "-p", "9000", "-H", "4000000", "-r", "100", "127.0.0.1", str(free_udp_port)]
    if language == "cpp":
        command = [os.path.join(build_dir, "examples", "tutorial", "tut_8_send_reuse_memory"), *options]
    else:
        command = [sys.executable, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial",
                                                "tut_8_send_reuse_memory.py"), *options]
    stdout, heaps = run_and_receive(command, free_udp_port)
    assert float(stdout.split()[0]) <= 112
    check_heaps(heaps, 10, 4000000, filled=True)


@pytest.mark.parametrize("rate", ["-5", "fast", "nan"])
def test_tut_8_bad_rate(rate, build_dir):
    """A bad -r is refused with a message, before anything is sent."""
    program = os.path.join(build_dir, "examples", "tutorial", "tut_8_send_reuse_memory")
    result = subprocess.run([program, "-n", "1", "-r", rate, "127.0.0.1", "9"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert "-r: expected a rate in MB/s" in result.stderr
    script = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial", "tut_8_send_reuse_memory.py")
    result = subprocess.run([sys.executable, script, "-n", "1", "-r", rate, "127.0.0.1", "9"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "rate" in result.stderr.splitlines()[-1]


# Tutorials 10 and 11 reuse heaps built once: what spead2 receives must follow
# every rewrite of the samples and timestamps. 300 heaps of 8 KiB go round
# tutorial 10's 128 slots more than twice and tutorial 11's two batches of 64
# more than twice, ending with a short batch; 5 heaps of 1 MB make batches of
# two, the last of one.
REUSE_CASES = [(8192, 300), (1000000, 5)]


@pytest.mark.parametrize("heap_size,n_heaps", REUSE_CASES)
@pytest.mark.parametrize("program", ["tut_10_send_reuse_heaps", "tut_11_send_batch_heaps"])
@pytest.mark.parametrize("language", ["cpp", "python"])
def test_reused_heap_senders(language, program, heap_size, n_heaps, build_dir, free_udp_port):
    options = ["-n", str(n_heaps), "-p", "9000", "-H", str(heap_size), "127.0.0.1", str(free_udp_port)]
    if language == "cpp":
        command = [os.path.join(build_dir, "examples", "tutorial", program), *options]
    else:
        command = [sys.executable,
                   os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial", program + ".py"),
                   *options]
    stdout, heaps = run_and_receive(command, free_udp_port)
    assert re.fullmatch(r"[0-9.e+]+ MB/s\n", stdout)
    check_heaps(heaps, n_heaps, heap_size, filled=True)
    # Only the first heap carries the descriptors
    assert [len(heap.get_descriptors()) for heap in heaps] == [2] + [0] * (n_heaps - 1)


def test_python_tut_9_receives_cpp_tut_8(build_dir, free_udp_port):
    """The Python receiver tutorial receives every heap of the C++ sender
    tutorial (rate-limited here by a small heap count and a big socket buffer)."""
    receiver_program = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial",
                                    "tut_9_recv_memory_pool.py")
    receiver = subprocess.Popen([sys.executable, receiver_program, "-H", "1000000", str(free_udp_port)],
                                stdout=subprocess.PIPE, text=True)
    try:
        import time
        time.sleep(1.5)
        sender = os.path.join(build_dir, "examples", "tutorial", "tut_5_send_pipeline")
        subprocess.run([sender, "-n", "5", "127.0.0.1", str(free_udp_port)], check=True,
                       capture_output=True, timeout=60)
        out, _ = receiver.communicate(timeout=60)
    finally:
        if receiver.poll() is None:
            receiver.kill()
    lines = out.splitlines()
    assert lines[-1] == "Received 5 heaps"
    powers = [float(line.split("Power:")[1]) for line in lines if line.startswith("Timestamp:")]
    assert powers == [float(i * i) for i in range(5)]


@pytest.mark.parametrize("program,options", [
    ("tut_4_send_perf.py", ["-n", "10"]),
    ("tut_5_send_pipeline.py", ["-n", "10"]),
    ("tut_6_send_pktsize.py", ["-n", "10", "-p", "9000"]),
])
def test_python_tutorial_senders(program, options, free_udp_port):
    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial", program)
    stdout, heaps = run_and_receive([sys.executable, path, *options, "127.0.0.1", str(free_udp_port)],
                                    free_udp_port)
    assert re.fullmatch(r"[0-9.]+ MB/s\n", stdout)
    check_heaps(heaps, 10, 1024 * 1024, filled=True)


@pytest.mark.parametrize("program", ["tut_4_send_perf.py", "tut_5_send_pipeline.py", "tut_6_send_pktsize.py",
                                     "tut_8_send_reuse_memory.py"])
def test_python_tutorial_senders_past_128_heaps(program, free_udp_port):
    """Heap i is filled with i wrapped to int8, as the C++ programs cast it
    (numpy refuses np.full(n, 128, np.int8), which once broke these at
    their default of 1000 heaps)."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial", program)
    result = subprocess.run([sys.executable, path, "-n", "300", "-H", "65536", "127.0.0.1", str(free_udp_port)]
                            if program.startswith("tut_8") else
                            [sys.executable, path, "-n", "300", "127.0.0.1", str(free_udp_port)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"[0-9.]+ MB/s\n", result.stdout)


def test_python_tut_2_send():
    program = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial", "tut_2_send.py")
    _, heaps = run_and_receive([sys.executable, program], TUTORIAL_PORT, max_size=1500)
    check_heaps(heaps, 100, 1024 * 1024, filled=False)


@pytest.mark.parametrize("program", ["tut_3_recv.py", "tut_7_recv_power.py"])
def test_python_tutorial_receivers(program, build_dir):
    import time
    path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial", program)
    args = [] if program == "tut_3_recv.py" else [str(TUTORIAL_PORT)]
    receiver = subprocess.Popen([sys.executable, path, *args], stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        sender = os.path.join(build_dir, "examples", "tutorial", "tut_4_send_perf")
        # Unpaced, into tut_3's 1 MiB socket buffer: at low priority, so that
        # on a busy two-core machine the receiver is not starved into dropping.
        subprocess.run(["nice", "-n", "19", sender, "-n", "3", "127.0.0.1", str(TUTORIAL_PORT)], check=True,
                       capture_output=True, timeout=60)
        out, _ = receiver.communicate(timeout=60)
    finally:
        if receiver.poll() is None:
            receiver.kill()
    lines = out.splitlines()
    if program == "tut_3_recv.py":
        assert lines == [f"Received heap {i + 1} timestamp {i * 1048576} first sample {i}" for i in range(3)]
    else:
        assert lines[-1] == "Received 3 heaps"
        assert [float(line.split("Power:")[1]) for line in lines[:-1]] == [0.0, 1.0, 4.0]


@pytest.mark.parametrize("language", ["cpp", "python"])
def test_tut_12_recv_chunks(language, build_dir, free_udp_port):
    """Chapter 12 receives the C++ sender's heaps into chunks (one 1 MiB heap
    per chunk). The first heap also carries the descriptors, so it is longer
    than the others and the place callback leaves it out, as spead2's does."""
    import time
    here = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "tutorial")
    if language == "cpp":
        command = [os.path.join(build_dir, "examples", "tutorial", "tut_12_recv_chunks")]
    else:
        command = [sys.executable, os.path.join(here, "tut_12_recv_chunks.py")]
    receiver = subprocess.Popen([*command, "-H", str(1024 * 1024), str(free_udp_port)], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(2.0)  # numba compiles the callback first
        assert receiver.poll() is None, receiver.stderr.read()
        sender = os.path.join(build_dir, "examples", "tutorial", "tut_4_send_perf")
        subprocess.run(["nice", "-n", "19", sender, "-n", "4", "127.0.0.1", str(free_udp_port)], check=True,
                       capture_output=True, timeout=60)
        out, err = receiver.communicate(timeout=60)
    finally:
        if receiver.poll() is None:
            receiver.kill()
            receiver.communicate()
    assert receiver.returncode == 0, err
    lines = out.splitlines()
    assert lines[-1] == "Received 3 heaps"
    parsed = [re.fullmatch(r"Timestamp: (\d+) +Power: ([0-9.]+)", line) for line in lines[:-1]]
    assert all(parsed), lines
    assert [(int(m[1]), float(m[2])) for m in parsed] == [(i * 1024 * 1024, float(i * i)) for i in range(1, 4)]
