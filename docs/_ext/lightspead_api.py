"""A Sphinx directive for the Python API reference: ``lightspead-module``.

``.. lightspead-module:: lightspead.send`` documents every public name of
the module (autodoc, from the docstrings) that belongs there. A name
belongs to the first module of PUBLIC_MODULES (public_modules.py) that
exposes it, so that a
class re-exported elsewhere (``lightspead.Stopped`` is also
``lightspead.recv.Stopped``) is documented once, and names imported from
other packages (``typing.Any``, numpy) are left out. A new public name
appears in the reference without editing any page.
"""

import importlib
import inspect

from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles
from docutils import nodes

from public_modules import PUBLIC_MODULES


def public_names(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [name for name in vars(module) if not name.startswith("_")]
    return names


def is_own(obj):
    """Whether obj is a class or function of lightspead's (not a constant, nor imported from elsewhere)."""
    return callable(obj) and (getattr(obj, "__module__", None) or "").startswith("lightspead")


def owner(obj):
    """The first public module exposing obj."""
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        if any(getattr(module, name, None) is obj for name in public_names(module)):
            return module_name
    return None


class LightspeadModule(SphinxDirective):
    required_arguments = 1

    def run(self):
        module_name = self.arguments[0]
        if module_name not in PUBLIC_MODULES:
            raise self.error(f"{module_name} is not in PUBLIC_MODULES of docs/_ext/lightspead_api.py")
        module = importlib.import_module(module_name)
        lines = [f".. automodule:: {module_name}", ""]
        for name in public_names(module):
            obj = getattr(module, name)
            if not is_own(obj) or inspect.ismodule(obj) or owner(obj) != module_name:
                continue
            if inspect.isclass(obj):
                lines += [f".. autoclass:: {module_name}.{name}", "   :members:", "   :special-members: "
                          "__len__, __getitem__, __contains__, __iter__, __next__, __aiter__, __anext__", ""]
            else:
                lines += [f".. autofunction:: {module_name}.{name}", ""]
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=f"<lightspead-module {module_name}>"),
                                 container)
        return container.children


def setup(app):
    app.add_directive("lightspead-module", LightspeadModule)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
