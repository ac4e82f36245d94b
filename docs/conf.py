"""Sphinx configuration of lightspead's documentation (make docs).

The C++ reference comes from Doxygen's XML through breathe: `make docs`
runs Doxygen (docs/Doxyfile) first and passes the XML folder in the
environment variable LIGHTSPEAD_DOXYGEN_XML. The Python reference comes from the installed package's docstrings
(autodoc, through the lightspead-module directive of _ext/lightspead_api.py),
so the package must be importable: `make docs` builds the documentation
with the test virtual environment's Python, where the package is installed.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "_ext"))

with open(os.path.join(HERE, "..", "VERSION.txt")) as f:
    release = f.read().strip()
version = release

project = "lightspead"
author = "the lightspead developers"
copyright = "2026, the lightspead developers"

extensions = [
    "myst_parser",
    "lightspead_api",
    "lightspead_doxygen",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx_design",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_ext"]
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"lightspead {release}"

breathe_projects = {"lightspead": os.environ.get("LIGHTSPEAD_DOXYGEN_XML", os.path.join(HERE, "_build", "xml"))}
breathe_default_project = "lightspead"
breathe_domain_by_extension = {"h": "cpp"}
# Each C++ header page (doxygenfile) declares the namespaces its names live
# in, so lightspead, lightspead::send and lightspead::recv are declared once
# per header; Sphinx would report each repeat, and an override in a derived
# class, as a duplicate declaration.
suppress_warnings = ["duplicate_declaration.cpp"]

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": True}
