"""make demo (bench/demo): the search for the highest lossless rate, and the
labelled output of a short demo run."""

import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from benchrun import highest_lossless_rate  # noqa: E402


def receiver_up_to(limit, sender_max=float("inf")):
    """A fake trial: lossless at rates up to limit; the sender gets no
    further than sender_max. Records the rates it was asked for."""
    asked = []

    def trial(rate):
        asked.append(rate)
        return rate <= limit, min(rate, sender_max)
    return trial, asked


def test_search_brackets_the_limit():
    trial, asked = receiver_up_to(2600)
    rate, achieved, sender_limited = highest_lossless_rate(trial, 1000, log=lambda *args: None)
    assert not sender_limited
    assert rate <= 2600 and 2600 / rate <= 1.05
    assert achieved == rate
    assert asked[:3] == [1000, 1500, 2250]   # grows by half until it loses


def test_search_goes_down_when_the_first_trial_loses():
    trial, _ = receiver_up_to(300)
    rate, _, sender_limited = highest_lossless_rate(trial, 1000, log=lambda *args: None)
    assert not sender_limited
    assert rate <= 300 and 300 / rate <= 1.05


def test_search_stops_at_the_senders_limit():
    # Lossless at any rate, but the sender cannot go past 2000 MB/s
    trial, asked = receiver_up_to(float("inf"), sender_max=2000)
    rate, achieved, sender_limited = highest_lossless_rate(trial, 1000, log=lambda *args: None)
    assert sender_limited
    assert rate == asked[-1] and 2000 < 0.75 * rate and achieved == 2000


def test_search_quotes_what_the_sender_reached():
    # A sender that falls a tenth short: lossless up to 2400 MB/s asked
    asked = []

    def trial(rate):
        asked.append(rate)
        return rate <= 2400, 0.9 * rate
    rate, achieved, sender_limited = highest_lossless_rate(trial, 1000, log=lambda *args: None)
    assert not sender_limited and rate <= 2400 and achieved == 0.9 * rate


def test_search_gives_up_when_everything_loses():
    trial, _ = receiver_up_to(0)
    with pytest.raises(RuntimeError, match="every trial lost data"):
        highest_lossless_rate(trial, 1000, log=lambda *args: None)


def test_demo_output(build_dir):
    """A short demo: 10 heaps of 4 MiB. Every step labels its figures."""
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "demo"), build_dir, "--heaps", "10",
                          "--heap-size", str(4 << 20), "--trial-heaps", "5"],
                         check=True, capture_output=True, text=True, timeout=300).stdout
    assert out.startswith("lightspead demo: 10 heaps of 4 MiB")
    best = float(re.search(r"highest lossless rate: (\d+) MB/s asked, \d+ MB/s sent", out).group(1))
    paced = re.search(r"Step 2: 10 heaps paced at (\d+) MB/s \(90% of it\)", out)
    assert paced and abs(float(paced.group(1)) - 0.9 * best) <= 1
    assert re.search(rf"-r {paced.group(1)} 127\.0\.0\.1", out)   # the command shown is the one run
    steps = out.split("\nStep ")
    assert len(steps) == 4
    for step in steps[2:]:
        assert re.search(r"\n  sender: \d+ MB/s\n", step)
        received = re.search(r"\n  receiver: (\d+) of 10 heaps received", step)
        assert received
        assert re.search(r"\n  receiver statistics \(non-zero\): heaps \d+, ", step)
        if int(received.group(1)) == 10:
            assert "every heap arrived" in step
        else:
            # Any loss is explained, with the counters that show it
            assert "heaps were lost" in step
    assert "Step 3: 10 heaps with the sender unpaced" in out
    assert "-r 0 127.0.0.1" in steps[3]
