"""The public modules of the Python package, in the order the API
reference lists them. One list, read by the docs (lightspead_api.py), by
tests/docs/check_docs.py (a page for each) and by
tests/python/test_package.py (every public module is here, or is a
command-line tool's). It imports nothing, so the tests need no Sphinx."""

PUBLIC_MODULES = [
    "lightspead",
    "lightspead.send",
    "lightspead.send.asyncio",
    "lightspead.recv",
    "lightspead.recv.asyncio",
    "lightspead.numba",
    "lightspead.recv.numba",
    "lightspead.compat",
    "lightspead.tools.send_asyncio",
    "lightspead.tools.recv_asyncio",
    "lightspead.tools.bench_asyncio",
]
