"""Replays the committed corpus of the Python-side fuzz harness
(tests/fuzz/fuzz_items.py: numpy headers, formats, values), so the harness
never rots and every input that once broke the parser stays fixed."""

import os
import subprocess
import sys

FUZZ_DIR = os.path.join(os.path.dirname(__file__), "..", "fuzz")


def test_items_corpus_replays_cleanly():
    corpus = os.path.join(FUZZ_DIR, "corpus", "items")
    assert len(os.listdir(corpus)) >= 50
    result = subprocess.run([sys.executable, os.path.join(FUZZ_DIR, "fuzz_items.py"), corpus],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("replayed ")
    assert result.stderr == ""      # no warnings leak from hostile headers
