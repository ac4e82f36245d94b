"""``python -m lightspead.tools.bench``: the same as ``lightspead-bench.py``."""

from .bench_asyncio import main

if __name__ == "__main__":
    main()
