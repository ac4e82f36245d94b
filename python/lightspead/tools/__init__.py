"""Command-line tools written with the asyncio API, option-compatible with
spead2's Python tools: ``lightspead-send.py`` (:mod:`.send_asyncio`),
``lightspead-recv.py`` (:mod:`.recv_asyncio`) and ``lightspead-bench.py``
(:mod:`.bench_asyncio`), also run as ``python -m lightspead.tools.send``,
``...recv`` and ``...bench``. The C++ tools (``lightspead-send``,
``lightspead-recv``, ...) are faster and have more options; see
docs/tools.md."""
