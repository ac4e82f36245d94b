"""Routes the C++ core's log messages to the Python logger "lightspead".

A daemon thread waits on the core's log queue (with the GIL released) and
hands each message to `logging`; the network threads never take the GIL.
"""

import logging
import os
import select
import threading

from . import _lightspead

logger = logging.getLogger("lightspead")
_LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}


def _pump() -> None:
    fd = _lightspead._log_fd()
    while True:
        select.select([fd], [], [])
        try:
            os.read(fd, 8)
        except BlockingIOError:
            pass
        for level, message in _lightspead._take_log_messages():
            logger.log(_LEVELS.get(level, logging.INFO), "%s", message)


def start() -> None:
    _lightspead._route_log_to_queue()
    threading.Thread(target=_pump, name="lightspead-log", daemon=True).start()
