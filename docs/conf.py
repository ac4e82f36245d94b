"""Sphinx configuration of lightspead's documentation (make docs).

The Python reference comes from the installed package's docstrings
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

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"show-inheritance": True}
