"""The exceptions a failed socket operation raises.

spead2 raises RuntimeError when a socket cannot be set up (a port in use or
not permitted, say) and OSError when a send fails; lightspead raises the
OSError subclass that the errno selects (PermissionError, ...), made a
RuntimeError as well, so that code written for either library catches it.
"""

from typing import Dict, Type

_DUAL: Dict[Type[OSError], Type[OSError]] = {}


def socket_error(errno: int, message: str) -> OSError:
    """The exception for a failed socket operation: an instance of the
    OSError subclass for ``errno`` and of RuntimeError."""
    base = type(OSError(errno, message))  # the subclass Python picks for the errno
    dual = _DUAL.get(base)
    if dual is None:
        dual = type(base.__name__, (base, RuntimeError), {
            "__module__": "lightspead",
            "__doc__": f"{base.__name__} from a socket operation; also a RuntimeError, as in spead2.",
        })
        _DUAL[base] = dual
    return dual(errno, message)
