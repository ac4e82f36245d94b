"""The package as a whole: one version number, and a docstring for every
public name (the API reference is generated from them)."""

import enum
import importlib
import importlib.metadata
import importlib.util
import inspect
import os
import pkgutil
import re
import sys
import types


import lightspead

SOURCE_ROOT = os.path.join(os.path.dirname(__file__), "..", "..")

# The public modules the API reference documents (one list:
# docs/_ext/public_modules.py), and the command-line tools' modules, which are documented as
# tools (docs/tools.md) but must have docstrings too.
sys.path.insert(0, os.path.join(SOURCE_ROOT, "docs", "_ext"))
from public_modules import PUBLIC_MODULES as REFERENCE_MODULES  # noqa: E402

TOOL_MODULES = ["lightspead.tools", "lightspead.tools.send", "lightspead.tools.recv", "lightspead.tools.bench",
                "lightspead.tools.cmdline", "lightspead.compat.__main__"]
PUBLIC_MODULES = REFERENCE_MODULES + TOOL_MODULES

# Methods every class has, documented by Python itself or by nanobind.
INHERITED_DUNDERS = {"__init__", "__new__", "__repr__", "__str__", "__eq__", "__ne__", "__hash__",
                     "__getstate__", "__setstate__", "__reduce__", "__init_subclass__", "__subclasshook__",
                     "__class_getitem__", "__post_init__"}


def test_one_version_number():
    with open(os.path.join(SOURCE_ROOT, "VERSION.txt")) as f:
        expected = f.read().strip()
    assert lightspead.__version__ == expected
    assert importlib.metadata.version("lightspead") == expected


def test_every_public_module_is_in_the_reference():
    """A new public module appears in the API reference (or is a tool's)."""
    found = {"lightspead"}
    for info in pkgutil.walk_packages(lightspead.__path__, "lightspead."):
        if not any(part.startswith("_") and part != "__main__" for part in info.name.split(".")):
            found.add(info.name)
    assert sorted(found - set(PUBLIC_MODULES)) == []


def public_modules():
    for name in PUBLIC_MODULES:
        if name.endswith("numba") and importlib.util.find_spec("numba") is None:
            continue
        yield name, importlib.import_module(name)


def own(obj, module_name):
    """Whether obj is defined in lightspead (not imported from numpy, say)."""
    return (getattr(obj, "__module__", None) or "").startswith("lightspead")


SIGNATURE = re.compile(r"^\w*\(.*\)( -> .*)?$")


def doc_text(obj):
    """obj's docstring without the signature lines nanobind puts first
    (so that a bound function or property without a doc= is not taken as
    documented)."""
    doc = inspect.getdoc(obj) or ""
    if type(obj).__name__ in ("nb_method", "nb_func", "property"):
        doc = "\n".join(line for line in doc.splitlines() if not SIGNATURE.match(line))
    return doc.strip()


def undocumented_members(cls):
    """The public attributes of cls that it defines itself and lack a docstring."""
    missing = []
    for name, member in vars(cls).items():
        if name.startswith("_") and name not in ("__call__", "__getitem__", "__len__", "__iter__", "__enter__",
                                                   "__exit__", "__aenter__", "__aexit__", "__aiter__",
                                                   "__anext__", "__contains__", "__next__",
                                                   "__reversed__"):
            continue
        if name in INHERITED_DUNDERS or isinstance(member, cls) or (isinstance(cls, enum.EnumMeta)):
            continue  # enumeration values, documented with their class
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        if not (callable(member) or isinstance(member, (property, types.GetSetDescriptorType))
                or type(member).__name__ in ("nb_method", "nb_func", "nb_property", "property")):
            continue  # plain class attributes (constants)
        if not doc_text(member):
            missing.append(f"{cls.__module__}.{cls.__qualname__}.{name}")
    return missing


def test_every_public_name_has_a_docstring():
    missing = []
    for module_name, module in public_modules():
        if not (module.__doc__ or "").strip():
            missing.append(module_name)
        names = getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType) or not own(obj, module_name):
                continue
            if not (inspect.isclass(obj) or callable(obj)):
                continue  # constants
            if not doc_text(obj):
                missing.append(f"{module_name}.{name}")
            if inspect.isclass(obj):
                # and the private bases it gets methods from (the C++ core's classes)
                for cls in obj.__mro__:
                    if own(cls, module_name):
                        missing.extend(undocumented_members(cls))
    assert not missing, "no docstring: " + ", ".join(sorted(set(missing)))
