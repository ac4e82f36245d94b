"""``python -m lightspead.compat [--shadow] PROGRAM [ARGS...]`` or
``python -m lightspead.compat [--shadow] -m MODULE [ARGS...]``: run a
program written for spead2 on lightspead, unchanged."""

from __future__ import annotations

import os
import runpy
import sys

from . import install

USAGE = "usage: python -m lightspead.compat [--shadow] (PROGRAM | -m MODULE) [ARGS...]"


def main(argv: list[str]) -> None:
    """Run the program or module (-m) that argv names, with its arguments,
    with spead2 mapped onto lightspead (--shadow also hides a real spead2)."""
    shadow = False
    while argv and argv[0].startswith("-") and argv[0] != "-m":
        option = argv.pop(0)
        if option == "--shadow":
            shadow = True
        elif option in ("-h", "--help"):
            print(USAGE)
            print("Runs PROGRAM (or MODULE) with 'import spead2' resolving to lightspead.")
            print("--shadow: also when a real spead2 is installed (it is hidden).")
            sys.exit(0)
        else:
            sys.exit(f"lightspead.compat: unknown option {option}\n{USAGE}")
    if not argv or (argv[0] == "-m" and len(argv) < 2):
        sys.exit(USAGE)
    try:
        install(shadow=shadow)
    except ImportError as error:
        sys.exit(f"lightspead.compat: {error}")
    if argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv
        # As `python PROGRAM` does: the program's folder comes first on the path
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
