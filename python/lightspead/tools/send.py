"""``python -m lightspead.tools.send``: the same as ``lightspead-send.py``."""

from .send_asyncio import main

if __name__ == "__main__":
    main()
