"""Lets breathe's ``doxygenfile`` find a header by its include path.

Doxygen names each file compound of its XML index by the file's base name
only, and breathe matches ``doxygenfile lightspead/send/heap.h`` against
that name; with two ``heap.h`` (send and recv) neither can be found. Before
breathe reads the XML, this rewrites each file compound's name in
index.xml to the path Doxygen records as the file's location (relative to
include/), which is what the pages ask for. Idempotent.
"""

import os
import xml.etree.ElementTree as ET

from sphinx.errors import ExtensionError


def rename_file_compounds(xml_dir):
    index_path = os.path.join(xml_dir, "index.xml")
    tree = ET.parse(index_path)
    changed = False
    for compound in tree.getroot().iter("compound"):
        if compound.get("kind") != "file":
            continue
        location = ET.parse(os.path.join(xml_dir, compound.get("refid") + ".xml")).find(".//location")
        name = compound.find("name")
        if location is not None and name is not None and name.text != location.get("file"):
            name.text = location.get("file")
            changed = True
    if changed:
        tree.write(index_path, encoding="utf-8", xml_declaration=True)


def on_config_inited(app, config):
    for xml_dir in config.breathe_projects.values():
        if not os.path.exists(os.path.join(xml_dir, "index.xml")):
            raise ExtensionError(f"no Doxygen XML in {xml_dir}: build the documentation with `make docs`, "
                                 "which runs Doxygen first (or set LIGHTSPEAD_DOXYGEN_XML)")
        rename_file_compounds(xml_dir)


def setup(app):
    app.setup_extension("breathe")
    app.connect("config-inited", on_config_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
