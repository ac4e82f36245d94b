"""``python -m lightspead.tools.recv``: the same as ``lightspead-recv.py``."""

from .recv_asyncio import main

if __name__ == "__main__":
    main()
