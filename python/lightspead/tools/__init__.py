"""Command-line tools written with the asyncio API, option-compatible with
spead2's Python tools: ``lightspead-send.py`` (:mod:`.send_asyncio`) and
``lightspead-recv.py`` (:mod:`.recv_asyncio`), also run as
``python -m lightspead.tools.send`` and ``python -m lightspead.tools.recv``.
The C++ tools (``lightspead-send``, ``lightspead-recv``, ...) are faster and
have more options; see docs/tools.md."""
