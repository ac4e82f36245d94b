"""Run programs written for spead2 on lightspead, unchanged.

:func:`install` adds an import hook so that ``import spead2`` (and every
``spead2.X`` submodule: ``spead2.send``, ``spead2.send.asyncio``,
``spead2.recv``, ``spead2.recv.asyncio``, ...) gives the matching
``lightspead.X`` module object. ``python -m lightspead.compat PROGRAM
[ARGS...]`` (or ``-m MODULE [ARGS...]``) runs a program with the hook in
place.

The hook never hides a spead2 that is installed beside lightspead unless it
is asked to (``shadow=True``, or ``--shadow`` on the command line): without
that, :func:`install` raises :class:`ImportError` naming the installed
spead2, so that a program never silently runs on the other library.

Under the hook, the log records of the C++ core also reach the ``spead2``
logger (each handler is called once, even one that both hierarchies share,
such as the root logger's).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Optional, Sequence

from .. import _logging

__all__ = ["install", "uninstall", "is_installed"]

_ALIAS = "spead2"
_TARGET = "lightspead"


def _target_name(fullname: str) -> Optional[str]:
    if fullname == _ALIAS:
        return _TARGET
    if fullname.startswith(_ALIAS + "."):
        return _TARGET + fullname[len(_ALIAS):]
    return None


class _AliasLoader(importlib.abc.Loader):
    """Loads ``spead2.X`` as the already-imported module ``lightspead.X``."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._original_spec: Optional[importlib.machinery.ModuleSpec] = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = importlib.import_module(self._target)
        # The import system stamps the alias's spec on the module it is given;
        # the lightspead module keeps its own (restored in exec_module).
        self._original_spec = module.__spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self._original_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``spead2`` and its submodules as their ``lightspead`` twins."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[types.ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        target_name = _target_name(fullname)
        if target_name is None:
            return None
        if importlib.util.find_spec(target_name) is None:
            # A spead2 module lightspead does not have (yet): say which,
            # rather than letting another finder load part of a real spead2.
            raise ModuleNotFoundError(f"{fullname} has no lightspead counterpart ({target_name} does not exist)",
                                      name=fullname)
        is_package = hasattr(importlib.import_module(target_name), "__path__")
        return importlib.util.spec_from_loader(fullname, _AliasLoader(target_name), is_package=is_package)


_finder: Optional[_AliasFinder] = None


def _installed_spead2() -> Optional[str]:
    """Where a real spead2 would be imported from, or None."""
    loaded = sys.modules.get(_ALIAS)
    if loaded is not None:
        return getattr(loaded, "__file__", None) or repr(loaded)
    for finder in sys.meta_path:
        if isinstance(finder, _AliasFinder) or not hasattr(finder, "find_spec"):
            continue
        spec = finder.find_spec(_ALIAS, None)
        if spec is not None:
            return spec.origin or str(spec.submodule_search_locations)
    return None


def is_installed() -> bool:
    """Whether the ``spead2`` import hook is in place."""
    return _finder is not None


def install(*, shadow: bool = False) -> None:
    """Make ``import spead2`` and its submodules give lightspead's modules.

    :param shadow: hide an installed spead2. Without it, an importable
        spead2 makes this raise :class:`ImportError`, naming where it is.
    :raises ImportError: spead2 is installed and ``shadow`` is false, or a
        real spead2 module has already been imported (it cannot be
        replaced in the modules that hold it).

    Idempotent. Also routes the C++ core's log records to the ``spead2``
    logger.
    """
    global _finder
    if _finder is not None:
        return
    loaded = [name for name in sys.modules if _target_name(name) is not None]
    if loaded:
        raise ImportError(f"spead2 is already imported ({', '.join(sorted(loaded))}): install the lightspead "
                          f"compatibility hook before anything imports spead2")
    existing = _installed_spead2()
    if existing is not None and not shadow:
        raise ImportError(f"a real spead2 is installed ({existing}); lightspead.compat.install(shadow=True) "
                          f"(or python -m lightspead.compat --shadow) hides it")
    _finder = _AliasFinder()
    sys.meta_path.insert(0, _finder)
    _logging.add_logger(_ALIAS)


def uninstall() -> None:
    """Remove the import hook and forget the ``spead2`` module aliases (the
    lightspead modules themselves stay imported). Idempotent."""
    global _finder
    if _finder is None:
        return
    sys.meta_path.remove(_finder)
    _finder = None
    for name in [name for name in sys.modules if _target_name(name) is not None]:
        del sys.modules[name]
    _logging.remove_logger(_ALIAS)
