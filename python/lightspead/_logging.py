"""Routes the C++ core's log messages to the Python logger "lightspead"
(and, under :mod:`lightspead.compat`, to "spead2" as well).

A daemon thread waits on the core's log queue (with the GIL released) and
hands each message to `logging`; the network threads never take the GIL.
"""

from __future__ import annotations

import logging
import os
import select
import threading

from . import _lightspead

logger = logging.getLogger("lightspead")
_LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}
_loggers = [logger]


def add_logger(name: str) -> None:
    """Send the core's records to logger ``name`` too."""
    extra = logging.getLogger(name)
    if extra not in _loggers:
        _loggers.append(extra)


def remove_logger(name: str) -> None:
    """Stop sending the core's records to logger ``name`` (never the
    "lightspead" logger itself)."""
    extra = logging.getLogger(name)
    if extra is not logger and extra in _loggers:
        _loggers.remove(extra)


def _emit(level: int, message: str) -> None:
    """Log one record on every logger in _loggers, calling each handler at
    most once: the hierarchies share ancestors (at least the root logger),
    whose handlers would otherwise see the record twice."""
    called: set[int] = set()
    handled = None  # a record that passed its logger's level and filters
    for target in _loggers:
        if not target.isEnabledFor(level):
            continue
        record = target.makeRecord(target.name, level, "(lightspead core)", 0, "%s", (message,), None)
        if not target.filter(record):
            continue
        handled = record
        current: logging.Logger | None = target
        while current is not None:
            for handler in current.handlers:
                if id(handler) not in called and record.levelno >= handler.level:
                    called.add(id(handler))
                    handler.handle(record)
            current = current.parent if current.propagate else None
    if not called and handled is not None and logging.lastResort is not None and level >= logging.lastResort.level:
        logging.lastResort.handle(handled)   # as Logger.callHandlers does when nothing is configured


def _pump() -> None:
    fd = _lightspead._log_fd()
    while True:
        select.select([fd], [], [])
        try:
            os.read(fd, 8)
        except BlockingIOError:
            pass
        for level, message in _lightspead._take_log_messages():
            _emit(_LEVELS.get(level, logging.INFO), message)


def start() -> None:
    _lightspead._route_log_to_queue()
    threading.Thread(target=_pump, name="lightspead-log", daemon=True).start()
